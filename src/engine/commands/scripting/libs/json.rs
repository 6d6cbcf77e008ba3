//! lua-cjson's encoder and decoder.

use mlua::{Lua, Table, Value};

use super::*;

pub(super) fn json_number(n: f64, out: &mut Vec<u8>) -> Result<(), String> {
    if n.is_nan() || n.is_infinite() {
        return Err("Cannot serialise number: must not be NaN or Inf".into());
    }
    out.extend_from_slice(format_g(n, 14).as_bytes());
    Ok(())
}

pub(super) fn json_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            c if c < 32 || c == 127 => {
                let mut s = String::new();
                let _ = write!(s, "\\u{:04x}", c);
                out.extend_from_slice(s.as_bytes());
            }
            c => out.push(c),
        }
    }
    out.push(b'"');
}

/// lua-cjson's array test: `Some(max)` when every key is a positive
/// integer and the array is not excessively sparse.
pub(super) fn array_length(t: &Table) -> Result<Option<usize>, String> {
    let mut max = 0usize;
    let mut items = 0usize;
    for (k, _) in t.pairs::<Value, Value>().flatten() {
        let n = match k {
            Value::Number(n) => n,
            Value::Integer(i) => i as f64,
            _ => return Ok(None),
        };
        if n < 1.0 || n.floor() != n {
            return Ok(None);
        }
        max = max.max(n as usize);
        items += 1;
    }
    if max > 10 && max > items * 2 {
        return Err("Cannot serialise table: excessively sparse array".into());
    }
    Ok(if items == 0 { None } else { Some(max) })
}

pub(super) fn json_encode(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => json_number(*n, out)?,
        Value::Integer(i) => json_number(*i as f64, out)?,
        Value::String(s) => json_string(&s.as_bytes(), out),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > 1000 {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match array_length(t)? {
                Some(len) => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        let item: Value = t.raw_get(i).unwrap_or(Value::Nil);
                        json_encode(&item, out, depth)?;
                    }
                    out.push(b']');
                }
                None => {
                    out.push(b'{');
                    let mut first = true;
                    for (k, val) in t.pairs::<Value, Value>().flatten() {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::String(s) => json_string(&s.as_bytes(), out),
                            Value::Number(n) => {
                                out.push(b'"');
                                json_number(*n, out)?;
                                out.push(b'"');
                            }
                            Value::Integer(n) => {
                                out.push(b'"');
                                json_number(*n as f64, out)?;
                                out.push(b'"');
                            }
                            _ => {
                                return Err(
                                    "Cannot serialise table: table key must be a number or string"
                                        .into(),
                                );
                            }
                        }
                        out.push(b':');
                        json_encode(&val, out, depth)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                lua_type_name(other)
            ));
        }
    }
    Ok(())
}

/// lua-cjson's decoder, with its error texts ("Expected value but found
/// invalid token at character 1").
pub(super) struct JsonParser<'a> {
    pub(super) s: &'a [u8],
    pub(super) i: usize,
    pub(super) lua: &'a Lua,
    pub(super) depth: usize,
}

pub(super) enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(&self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str(_) => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(e) => e,
        }
    }
}

impl JsonParser<'_> {
    fn token(&mut self) -> (Tok, usize) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
        let at = self.i + 1;
        let Some(&c) = self.s.get(self.i) else {
            return (Tok::End, at);
        };
        let tok = match c {
            b'{' => {
                self.i += 1;
                Tok::ObjBegin
            }
            b'}' => {
                self.i += 1;
                Tok::ObjEnd
            }
            b'[' => {
                self.i += 1;
                Tok::ArrBegin
            }
            b']' => {
                self.i += 1;
                Tok::ArrEnd
            }
            b':' => {
                self.i += 1;
                Tok::Colon
            }
            b',' => {
                self.i += 1;
                Tok::Comma
            }
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            _ if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                Tok::Bool(true)
            }
            _ if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                Tok::Bool(false)
            }
            _ if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                Tok::Null
            }
            _ => Tok::Error("invalid token"),
        };
        (tok, at)
    }

    fn number(&mut self) -> Tok {
        let start = self.i;
        let mut end = start;
        while end < self.s.len()
            && matches!(self.s[end], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        {
            end += 1;
        }
        match std::str::from_utf8(&self.s[start..end])
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
        {
            Some(n) => {
                self.i = end;
                Tok::Num(n)
            }
            None => Tok::Error("invalid number"),
        }
    }

    fn string(&mut self) -> Tok {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Tok::Error("unexpected end of string");
            };
            self.i += 1;
            match c {
                b'"' => return Tok::Str(out),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return Tok::Error("unexpected end of string");
                    };
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let Some(cp) = self.hex4() else {
                                return Tok::Error("invalid unicode escape code");
                            };
                            let cp = if (0xD800..0xDC00).contains(&cp) {
                                if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Tok::Error("invalid unicode escape code");
                                }
                                self.i += 2;
                                match self.hex4() {
                                    Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                        0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                                    }
                                    _ => return Tok::Error("invalid unicode escape code"),
                                }
                            } else {
                                cp
                            };
                            match char::from_u32(cp) {
                                Some(ch) => {
                                    let mut buf = [0u8; 4];
                                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                                }
                                None => return Tok::Error("invalid unicode escape code"),
                            }
                        }
                        _ => return Tok::Error("invalid escape code"),
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
        self.i += 4;
        Some(v)
    }

    pub(super) fn expected(what: &str, tok: &Tok, at: usize) -> String {
        format!("Expected {what} but found {} at character {at}", tok.name())
    }

    pub(super) fn document(&mut self) -> Result<Value, String> {
        let (tok, at) = self.token();
        let v = self.value(tok, at)?;
        let (tok, at) = self.token();
        if !matches!(tok, Tok::End) {
            return Err(Self::expected("the end", &tok, at));
        }
        Ok(v)
    }

    fn value(&mut self, tok: Tok, at: usize) -> Result<Value, String> {
        let lua = self.lua;
        let err = |e: mlua::Error| e.to_string();
        Ok(match tok {
            Tok::Str(s) => Value::String(lua.create_string(&s).map_err(err)?),
            Tok::Num(n) => Value::Number(n),
            Tok::Bool(b) => Value::Boolean(b),
            Tok::Null => Value::LightUserData(LightUserData(std::ptr::null_mut())),
            Tok::ObjBegin => {
                self.depth += 1;
                if self.depth > 1000 {
                    return Err(format!(
                        "Found too many nested data structures ({}) at character {at}",
                        self.depth
                    ));
                }
                let t = lua.create_table().map_err(err)?;
                let (mut tok, mut at) = self.token();
                if !matches!(tok, Tok::ObjEnd) {
                    loop {
                        let Tok::Str(k) = tok else {
                            return Err(Self::expected("object key string", &tok, at));
                        };
                        let (colon, cat) = self.token();
                        if !matches!(colon, Tok::Colon) {
                            return Err(Self::expected("colon", &colon, cat));
                        }
                        let (vt, vat) = self.token();
                        let v = self.value(vt, vat)?;
                        t.raw_set(lua.create_string(&k).map_err(err)?, v)
                            .map_err(err)?;
                        let (next, nat) = self.token();
                        match next {
                            Tok::ObjEnd => break,
                            Tok::Comma => {}
                            other => {
                                return Err(Self::expected("comma or object end", &other, nat));
                            }
                        }
                        (tok, at) = self.token();
                    }
                }
                self.depth -= 1;
                Value::Table(t)
            }
            Tok::ArrBegin => {
                self.depth += 1;
                if self.depth > 1000 {
                    return Err(format!(
                        "Found too many nested data structures ({}) at character {at}",
                        self.depth
                    ));
                }
                let t = lua.create_table().map_err(err)?;
                let (mut tok, mut at) = self.token();
                if !matches!(tok, Tok::ArrEnd) {
                    let mut i = 1;
                    loop {
                        let v = self.value(tok, at)?;
                        t.raw_set(i, v).map_err(err)?;
                        i += 1;
                        let (next, nat) = self.token();
                        match next {
                            Tok::ArrEnd => break,
                            Tok::Comma => {}
                            other => return Err(Self::expected("comma or array end", &other, nat)),
                        }
                        (tok, at) = self.token();
                    }
                }
                self.depth -= 1;
                Value::Table(t)
            }
            other => return Err(Self::expected("value", &other, at)),
        })
    }
}
