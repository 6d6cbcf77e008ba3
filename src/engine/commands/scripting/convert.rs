//! Conversions between Lua values and replies, as Redis 7.0's
//! `script_lua.c` does them: a command's reply becomes a Lua value (through
//! the RESP2 or RESP3 shape the script's client asked for with
//! `redis.setresp`), and a script's return value becomes the reply.

use bytes::Bytes;
use mlua::{BString, Either, IntoLua, Lua, LuaString, Table, Value};

use crate::protocol::{Protocol, Reply};

/// A command's reply as `redis.call` returns it to the script.
pub(crate) fn reply_to_lua(lua: &Lua, reply: &Reply, proto: Protocol) -> mlua::Result<Value> {
    let resp3 = proto == Protocol::Resp3;
    let string = |b: &[u8]| -> mlua::Result<Value> { Ok(Value::String(lua.create_string(b)?)) };
    let single = |field: &str, v: Value| -> mlua::Result<Value> {
        let t = lua.create_table()?;
        t.raw_set(field, v)?;
        Ok(Value::Table(t))
    };
    // `{field = text}` in one table creation (UTF-8 text is pushed as is).
    let single_text = |field: &str, b: &[u8]| -> mlua::Result<Value> {
        match std::str::from_utf8(b) {
            Ok(text) => Ok(Value::Table(lua.create_table_from([(field, text)])?)),
            Err(_) => single(field, string(b)?),
        }
    };
    Ok(match reply {
        Reply::Simple(s) => single_text("ok", s)?,
        Reply::Error(e) => {
            let t = lua.create_table()?;
            t.raw_set("err", lua.create_string(error_text(e))?)?;
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        Reply::Integer(i) => Value::Number(*i as f64),
        Reply::Bulk(b) => string(b)?,
        Reply::Nil | Reply::NilArray => {
            if resp3 {
                Value::Nil
            } else {
                Value::Boolean(false)
            }
        }
        Reply::Array(items) | Reply::Push(items) => array(lua, items, proto)?,
        Reply::Set(items) if !resp3 => array(lua, items, proto)?,
        Reply::Set(items) => {
            let inner = lua.create_table()?;
            for item in items {
                inner.raw_set(reply_to_lua(lua, item, proto)?, true)?;
            }
            single("set", Value::Table(inner))?
        }
        Reply::Map(pairs) if !resp3 => {
            let t = lua.create_table_with_capacity(pairs.len() * 2, 0)?;
            let mut i = 1;
            for (k, v) in pairs {
                t.raw_set(i, reply_to_lua(lua, k, proto)?)?;
                t.raw_set(i + 1, reply_to_lua(lua, v, proto)?)?;
                i += 2;
            }
            Value::Table(t)
        }
        Reply::Map(pairs) => {
            let inner = lua.create_table()?;
            for (k, v) in pairs {
                inner.raw_set(reply_to_lua(lua, k, proto)?, reply_to_lua(lua, v, proto)?)?;
            }
            single("map", Value::Table(inner))?
        }
        Reply::Double(d) if !resp3 => string(crate::protocol::format_double(*d).as_bytes())?,
        Reply::Double(d) => single("double", Value::Number(*d))?,
        // Redis reads the double's text back with `strtod` (GEOPOS in RESP3).
        Reply::DoubleText(t) if !resp3 => string(t)?,
        Reply::DoubleText(t) => single(
            "double",
            Value::Number(
                std::str::from_utf8(t)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0.0),
            ),
        )?,
        Reply::Boolean(b) if !resp3 => Value::Number(if *b { 1.0 } else { 0.0 }),
        Reply::Boolean(b) => Value::Boolean(*b),
        Reply::BigNumber(n) if !resp3 => string(n)?,
        Reply::BigNumber(n) => single_text("big_number", n)?,
        Reply::Verbatim { text, .. } if !resp3 => string(text)?,
        Reply::Verbatim { format, text } => {
            let inner = lua.create_table()?;
            inner.raw_set("string", lua.create_string(text)?)?;
            inner.raw_set("format", lua.create_string(format)?)?;
            single("verbatim_string", Value::Table(inner))?
        }
        Reply::Attribute { reply, .. } => reply_to_lua(lua, reply, proto)?,
        Reply::Packed(p) => reply_to_lua(lua, &p.to_reply(), proto)?,
    })
}

fn array(lua: &Lua, items: &[Reply], proto: Protocol) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.iter().enumerate() {
        t.raw_set(i + 1, reply_to_lua(lua, item, proto)?)?;
    }
    Ok(Value::Table(t))
}

/// An error reply's text as the `err` field holds it (Redis's
/// `luaPushErrorBuff`): the code and the message, trailing CR/LF removed.
pub(crate) fn error_text(e: &[u8]) -> Vec<u8> {
    let (code, msg) = match e.iter().position(|&b| b == b' ') {
        Some(sp) => (&e[..sp], &e[sp + 1..]),
        None => (&b"ERR"[..], e),
    };
    let mut msg = msg;
    while let [b'\r' | b'\n', rest @ ..] = msg {
        msg = rest;
    }
    while let [rest @ .., b'\r' | b'\n'] = msg {
        msg = rest;
    }
    let mut out = code.to_vec();
    out.push(b' ');
    out.extend_from_slice(msg);
    out
}

/// C's `(long long)` cast of a double, as x86-64 does it: out of range
/// and NaN give `i64::MIN`.
pub(crate) fn c_long_long(n: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if n.is_nan() || !(-LIMIT..LIMIT).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

/// The fields a returned table is read by first, as Lua strings made once
/// (pushing a referenced string costs less than interning it again).
pub(crate) struct ReplyKeys {
    pub err: LuaString,
    pub ok: LuaString,
}

impl ReplyKeys {
    /// The keys, made in `lua`.
    pub fn new(lua: &Lua) -> mlua::Result<ReplyKeys> {
        Ok(ReplyKeys {
            err: lua.create_string("err")?,
            ok: lua.create_string("ok")?,
        })
    }
}

/// A script's return value as the reply to its caller; `resp3` is the
/// script client's protocol (`redis.setresp`), which decides booleans.
pub(crate) fn lua_to_reply(value: &Value, resp3: bool, keys: &ReplyKeys) -> Reply {
    match value {
        Value::String(s) => Reply::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(b) if resp3 => Reply::Boolean(*b),
        Value::Boolean(true) => Reply::Integer(1),
        Value::Boolean(false) => Reply::Nil,
        Value::Number(n) => Reply::Integer(c_long_long(*n)),
        Value::Integer(i) => Reply::Integer(*i),
        Value::Table(t) => table_to_reply(t, resp3, keys),
        _ => Reply::Nil,
    }
}

fn field(t: &Table, name: impl IntoLua) -> Value {
    t.raw_get::<Value>(name).unwrap_or(Value::Nil)
}

/// Whether `b` may be a number as Lua 5.1 writes it (`%.14g`: digits,
/// sign, point, exponent, `inf`, `nan`). mlua's `BString` reads a string's
/// bytes straight off the Lua stack, without the registry reference a
/// `LuaString` costs, but takes a number too (as that text): a text that
/// may be one needs its value's type read to tell.
pub(crate) fn may_be_number(b: &[u8]) -> bool {
    (!b.is_empty()
        && b.len() <= 32
        && b.iter()
            .all(|c| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e')))
        || matches!(b, b"inf" | b"-inf" | b"nan" | b"-nan")
}

/// A table's field as Redis reads it (`lua_rawget`, then only a string
/// counts): its bytes if it is a string.
fn string_field(t: &Table, name: &LuaString) -> Option<Vec<u8>> {
    match t.raw_get::<Option<Either<BString, Value>>>(name) {
        Ok(Some(Either::Left(b))) if !may_be_number(&b) => Some(b.into()),
        Ok(Some(Either::Left(_))) => match field(t, name) {
            Value::String(s) => Some(s.as_bytes().to_vec()),
            _ => None,
        },
        _ => None,
    }
}

/// Newlines in a status or big number become spaces (`sdsmapchars`).
fn no_newlines(b: &[u8]) -> Bytes {
    Bytes::from(
        b.iter()
            .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
            .collect::<Vec<u8>>(),
    )
}

/// [`no_newlines`] in place.
fn no_newlines_owned(mut b: Vec<u8>) -> Bytes {
    for c in b.iter_mut() {
        if *c == b'\r' || *c == b'\n' {
            *c = b' ';
        }
    }
    Bytes::from(b)
}

fn table_to_reply(t: &Table, resp3: bool, keys: &ReplyKeys) -> Reply {
    if let Some(e) = string_field(t, &keys.err) {
        return Reply::Error(no_newlines_owned(e));
    }
    if let Some(s) = string_field(t, &keys.ok) {
        return Reply::Simple(no_newlines_owned(s));
    }
    match field(t, "double") {
        Value::Number(d) => return Reply::Double(d),
        Value::Integer(i) => return Reply::Double(i as f64),
        _ => {}
    }
    if let Value::String(s) = field(t, "big_number") {
        return Reply::BigNumber(no_newlines(&s.as_bytes()));
    }
    if let Value::Table(v) = field(t, "verbatim_string") {
        if let (Value::String(format), Value::String(text)) =
            (field(&v, "format"), field(&v, "string"))
        {
            let f = format.as_bytes();
            let mut fmt = [b' '; 3];
            for (i, b) in f.iter().take(3).enumerate() {
                fmt[i] = *b;
            }
            return Reply::Verbatim {
                format: fmt,
                text: Bytes::copy_from_slice(&text.as_bytes()),
            };
        }
    }
    if let Value::Table(m) = field(t, "map") {
        let mut pairs = Vec::new();
        for (k, v) in m.pairs::<Value, Value>().flatten() {
            pairs.push((lua_to_reply(&k, resp3, keys), lua_to_reply(&v, resp3, keys)));
        }
        return Reply::Map(pairs);
    }
    if let Value::Table(s) = field(t, "set") {
        let mut items = Vec::new();
        for (k, _) in s.pairs::<Value, Value>().flatten() {
            items.push(lua_to_reply(&k, resp3, keys));
        }
        return Reply::Set(items);
    }
    let mut items = Vec::new();
    let mut i = 1;
    loop {
        let v: Value = t.raw_get(i).unwrap_or(Value::Nil);
        if v.is_nil() {
            break;
        }
        items.push(lua_to_reply(&v, resp3, keys));
        i += 1;
    }
    Reply::Array(items)
}

#[cfg(test)]
mod tests {
    use super::may_be_number;
    use crate::protocol::format_g;

    /// Every text Lua 5.1 writes for a number (`%.14g`) counts as one that
    /// may be a number (the fast paths then read the value's type), and
    /// usual keys, values and command names do not.
    #[test]
    fn every_number_lua_writes_may_be_a_number() {
        for n in [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            1.0 / 3.0,
            5.000000000000001,
            123_456_789_012_345_680.0,
            1e300,
            -1e-300,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
        ] {
            let text = format_g(n, 14);
            assert!(may_be_number(text.as_bytes()), "{text}");
        }
        for text in [
            "", "key", "v", "counter", "OK", "SET", "0x10", " 5", "inf ", "Infinity",
        ] {
            assert!(!may_be_number(text.as_bytes()), "{text}");
        }
    }
}
