//! The libraries Redis 7.0 adds to Lua 5.1, written in Rust: `bit`
//! (LuaBitOp), `cjson` (lua-cjson: `encode`, `decode`, `null`) and
//! `cmsgpack` (lua-cmsgpack: `pack`, `unpack`) and `struct` (`pack`,
//! `unpack`, `size`). Not provided: cjson's configuration functions and
//! cmsgpack's `unpack_one`/`unpack_limit`.
//!
//! Errors are raised as `luaL_error` raises them, with the caller's
//! position (`user_script:1: Cannot serialise ...`).

use std::fmt::Write as _;

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use crate::protocol::format_g;

/// The results, or an error raised as `luaL_error` raises it.
type LibResult = mlua::Result<MultiValue>;

fn ok(vals: Vec<Value>) -> LibResult {
    Ok(MultiValue::from_vec(vals))
}

fn fail(lua: &Lua, msg: String) -> LibResult {
    Err(super::lua::lua_error(lua, &msg))
}

/// Registers the `bit` and `cjson` globals.
pub(crate) fn register(lua: &Lua, globals: &Table) -> mlua::Result<()> {
    let bit = lua.create_table()?;
    macro_rules! bitfn {
        ($name:literal, $f:expr) => {
            bit.set(
                $name,
                lua.create_function(move |lua, args: MultiValue| bit_op(lua, $name, &args, $f))?,
            )?;
        };
    }
    bitfn!("tobit", |v: &[i32]| v[0]);
    bitfn!("bnot", |v: &[i32]| !v[0]);
    bitfn!("band", |v: &[i32]| v.iter().fold(-1, |a, b| a & b));
    bitfn!("bor", |v: &[i32]| v.iter().fold(0, |a, b| a | b));
    bitfn!("bxor", |v: &[i32]| v.iter().fold(0, |a, b| a ^ b));
    bitfn!("lshift", |v: &[i32]| ((v[0] as u32) << (v[1] as u32 & 31))
        as i32);
    bitfn!("rshift", |v: &[i32]| ((v[0] as u32) >> (v[1] as u32 & 31))
        as i32);
    bitfn!("arshift", |v: &[i32]| v[0] >> (v[1] as u32 & 31));
    bitfn!(
        "rol",
        |v: &[i32]| (v[0] as u32).rotate_left(v[1] as u32 & 31) as i32
    );
    bitfn!(
        "ror",
        |v: &[i32]| (v[0] as u32).rotate_right(v[1] as u32 & 31) as i32
    );
    bitfn!("bswap", |v: &[i32]| v[0].swap_bytes());
    bit.set(
        "tohex",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            let x = match arg_bit("tohex", &args, 0) {
                Ok(x) => x,
                Err(e) => return fail(lua, e),
            };
            let n = if args.len() > 1 && !args[1].is_nil() {
                match arg_bit("tohex", &args, 1) {
                    Ok(n) => n,
                    Err(e) => return fail(lua, e),
                }
            } else {
                8
            };
            let upper = n < 0;
            let n = n.unsigned_abs().min(8) as usize;
            let full = if upper {
                format!("{:08X}", x as u32)
            } else {
                format!("{:08x}", x as u32)
            };
            let s = &full[8 - n..];
            ok(vec![Value::String(lua.create_string(s)?)])
        })?,
    )?;
    globals.raw_set("bit", bit)?;

    let cjson = lua.create_table()?;
    cjson.set(
        "encode",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            if args.len() != 1 {
                return fail(
                    lua,
                    "bad argument #1 to 'encode' (expected 1 argument)".into(),
                );
            }
            let mut out = Vec::new();
            match json_encode(&args[0], &mut out, 0) {
                Ok(()) => ok(vec![Value::String(lua.create_string(&out)?)]),
                Err(e) => fail(lua, e),
            }
        })?,
    )?;
    cjson.set(
        "decode",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            let text = match args.front() {
                Some(Value::String(s)) if args.len() == 1 => s.as_bytes().to_vec(),
                Some(Value::Number(n)) if args.len() == 1 => format_g(*n, 14).into_bytes(),
                _ => {
                    return fail(
                        lua,
                        "bad argument #1 to 'decode' (expected 1 argument)".into(),
                    );
                }
            };
            let mut p = JsonParser {
                s: &text,
                i: 0,
                lua,
                depth: 0,
            };
            match p.document() {
                Ok(v) => ok(vec![v]),
                Err(e) => fail(lua, e),
            }
        })?,
    )?;
    cjson.set(
        "null",
        Value::LightUserData(LightUserData(std::ptr::null_mut())),
    )?;
    cjson.set("_NAME", "cjson")?;
    cjson.set("_VERSION", "2.1.0")?;
    globals.raw_set("cjson", cjson)?;

    let msgpack = lua.create_table()?;
    msgpack.set(
        "pack",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            if args.is_empty() {
                return fail(
                    lua,
                    "bad argument #0 to 'pack' (MessagePack pack needs input.)".into(),
                );
            }
            let mut out = Vec::new();
            for v in args.iter() {
                mp_encode(v, &mut out, 0);
            }
            ok(vec![Value::String(lua.create_string(&out)?)])
        })?,
    )?;
    msgpack.set(
        "unpack",
        lua.create_function(|lua, s: mlua::LuaString| -> LibResult {
            let data = s.as_bytes().to_vec();
            let mut at = 0;
            let mut values = Vec::new();
            while at < data.len() {
                match mp_decode(lua, &data, &mut at) {
                    Ok(v) => values.push(v),
                    Err(e) => return fail(lua, e.into()),
                }
            }
            ok(values)
        })?,
    )?;
    msgpack.set("_NAME", "cmsgpack")?;
    msgpack.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    globals.raw_set("cmsgpack", msgpack)?;

    let st = lua.create_table()?;
    st.set(
        "pack",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            match struct_pack(&args) {
                Ok(out) => ok(vec![Value::String(lua.create_string(&out)?)]),
                Err(e) => fail(lua, e),
            }
        })?,
    )?;
    st.set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            match struct_unpack(lua, &args) {
                Ok(values) => ok(values),
                Err(e) => fail(lua, e),
            }
        })?,
    )?;
    st.set(
        "size",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            let fmt = match args.front() {
                Some(Value::String(s)) => s.as_bytes().to_vec(),
                _ => return fail(lua, "bad argument #1 to 'size' (string expected, got no value)".into()),
            };
            let mut size = 0usize;
            for item in StructFormat::new(&fmt) {
                match item {
                    Ok((opt, n)) => {
                        if opt == b's' || (opt == b'c' && n == 0) {
                            return fail(lua, "bad argument #1 to 'size' (options 'c0' - 's' have undefined sizes)".into());
                        }
                        size += n;
                    }
                    Err(e) => return fail(lua, e.replace("{}", "size")),
                }
            }
            ok(vec![Value::Number(size as f64)])
        })?,
    )?;
    globals.raw_set("struct", st)?;
    Ok(())
}

/// Walks a `struct` format: each option with its size in bytes
/// (endianness and alignment options are consumed here; alignment is
/// not supported beyond the default of none).
struct StructFormat<'a> {
    fmt: &'a [u8],
    i: usize,
    pub little: bool,
}

impl<'a> StructFormat<'a> {
    fn new(fmt: &'a [u8]) -> StructFormat<'a> {
        StructFormat {
            fmt,
            i: 0,
            little: true,
        }
    }

    fn number(&mut self) -> Option<usize> {
        let start = self.i;
        while self.i < self.fmt.len() && self.fmt[self.i].is_ascii_digit() {
            self.i += 1;
        }
        std::str::from_utf8(&self.fmt[start..self.i])
            .ok()?
            .parse()
            .ok()
    }
}

impl Iterator for StructFormat<'_> {
    /// The option, its size, and the byte order at that point.
    type Item = Result<(u8, usize), String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let &c = self.fmt.get(self.i)?;
            self.i += 1;
            let size = match c {
                b' ' => continue,
                b'>' => {
                    self.little = false;
                    continue;
                }
                b'<' | b'=' => {
                    self.little = true;
                    continue;
                }
                b'!' => {
                    self.number();
                    continue;
                }
                b'x' | b'b' | b'B' => 1,
                b'h' | b'H' => 2,
                b'l' | b'L' | b'T' => 8,
                b'f' => 4,
                b'd' => 8,
                b's' => 0,
                b'c' => self.number().unwrap_or(1),
                b'i' | b'I' => {
                    let n = self.number().unwrap_or(4);
                    if n > 32 {
                        return Some(Err(format!("integral size {n} is larger than limit of 32")));
                    }
                    n
                }
                other => {
                    return Some(Err(format!(
                        "bad argument #1 to '{{}}' (invalid format option '{}')",
                        other as char
                    )));
                }
            };
            return Some(Ok((c, size)));
        }
    }
}

fn struct_int_bytes(v: i64, size: usize, little: bool) -> Vec<u8> {
    let le = v.to_le_bytes();
    let mut out: Vec<u8> = le[..size.min(8)].to_vec();
    out.resize(size, if v < 0 { 0xff } else { 0 });
    if !little {
        out.reverse();
    }
    out
}

fn struct_pack(args: &MultiValue) -> Result<Vec<u8>, String> {
    let fmt = match args.front() {
        Some(Value::String(s)) => s.as_bytes().to_vec(),
        Some(v) => {
            return Err(format!(
                "bad argument #1 to 'pack' (string expected, got {})",
                lua_type_name(v)
            ));
        }
        None => return Err("bad argument #1 to 'pack' (string expected, got no value)".into()),
    };
    let mut out = Vec::new();
    let mut arg = 1;
    let mut f = StructFormat::new(&fmt);
    while let Some(item) = f.next() {
        let (opt, size) = item.map_err(|e| e.replace("{}", "pack"))?;
        let little = f.little;
        let num = |arg: usize| -> Result<f64, String> {
            match args.get(arg) {
                Some(v) => super::lua::to_number(v).ok_or_else(|| {
                    format!(
                        "bad argument #{} to 'pack' (number expected, got {})",
                        arg + 1,
                        lua_type_name(v)
                    )
                }),
                None => Err(format!(
                    "bad argument #{} to 'pack' (number expected, got nil)",
                    arg + 1
                )),
            }
        };
        match opt {
            b'x' => out.push(0),
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = num(arg)?;
                arg += 1;
                let v = if matches!(opt, b'B' | b'H' | b'L' | b'T' | b'I')
                    && n >= 9_223_372_036_854_775_808.0
                {
                    n as u64 as i64
                } else {
                    super::convert::c_long_long(n)
                };
                out.extend(struct_int_bytes(v, size, little));
            }
            b'f' => {
                let n = num(arg)? as f32;
                arg += 1;
                out.extend(if little {
                    n.to_le_bytes()
                } else {
                    n.to_be_bytes()
                });
            }
            b'd' => {
                let n = num(arg)?;
                arg += 1;
                out.extend(if little {
                    n.to_le_bytes()
                } else {
                    n.to_be_bytes()
                });
            }
            b'c' | b's' => {
                let s = match args.get(arg) {
                    Some(Value::String(s)) => s.as_bytes().to_vec(),
                    Some(Value::Number(n)) => format_g(*n, 14).into_bytes(),
                    Some(v) => {
                        return Err(format!(
                            "bad argument #{} to 'pack' (string expected, got {})",
                            arg + 1,
                            lua_type_name(v)
                        ));
                    }
                    None => {
                        return Err(format!(
                            "bad argument #{} to 'pack' (string expected, got nil)",
                            arg + 1
                        ));
                    }
                };
                arg += 1;
                if opt == b's' {
                    out.extend_from_slice(&s);
                    out.push(0);
                } else {
                    let size = if size == 0 { s.len() } else { size };
                    if s.len() < size {
                        return Err(format!("bad argument #{arg} to 'pack' (string too short)"));
                    }
                    out.extend_from_slice(&s[..size]);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn struct_unpack(lua: &Lua, args: &MultiValue) -> Result<Vec<Value>, String> {
    let fmt = match args.front() {
        Some(Value::String(s)) => s.as_bytes().to_vec(),
        _ => return Err("bad argument #1 to 'unpack' (string expected, got no value)".into()),
    };
    let data = match args.get(1) {
        Some(Value::String(s)) => s.as_bytes().to_vec(),
        _ => return Err("bad argument #2 to 'unpack' (string expected, got no value)".into()),
    };
    let mut pos = match args.get(2) {
        Some(v) if !v.is_nil() => {
            (super::lua::to_number(v).unwrap_or(1.0) as i64 - 1).max(0) as usize
        }
        _ => 0,
    };
    let short = || "bad argument #2 to 'unpack' (data string too short)".to_string();
    let mut out = Vec::new();
    let mut last_number: Option<f64> = None;
    let mut f = StructFormat::new(&fmt);
    while let Some(item) = f.next() {
        let (opt, size) = item.map_err(|e| e.replace("{}", "unpack"))?;
        let little = f.little;
        match opt {
            b'x' => pos += 1,
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let bytes = data.get(pos..pos + size).ok_or_else(short)?;
                let mut v: u64 = 0;
                for k in 0..size {
                    let b = if little {
                        bytes[size - 1 - k]
                    } else {
                        bytes[k]
                    };
                    v = (v << 8) | b as u64;
                }
                let size = size.min(8);
                let signed = matches!(opt, b'b' | b'h' | b'l' | b'i');
                let n = if signed && size < 8 && size > 0 {
                    let shift = 64 - 8 * size;
                    (((v << shift) as i64) >> shift) as f64
                } else if signed {
                    v as i64 as f64
                } else {
                    v as f64
                };
                last_number = Some(n);
                out.push(Value::Number(n));
                pos += size;
            }
            b'f' => {
                let b: [u8; 4] = data
                    .get(pos..pos + 4)
                    .ok_or_else(short)?
                    .try_into()
                    .expect("4");
                let n = if little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                } as f64;
                last_number = Some(n);
                out.push(Value::Number(n));
                pos += 4;
            }
            b'd' => {
                let b: [u8; 8] = data
                    .get(pos..pos + 8)
                    .ok_or_else(short)?
                    .try_into()
                    .expect("8");
                let n = if little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                last_number = Some(n);
                out.push(Value::Number(n));
                pos += 8;
            }
            b'c' => {
                let size = if size == 0 {
                    match last_number.take() {
                        Some(n) => {
                            out.pop();
                            n as usize
                        }
                        None => return Err("format 'c0' needs a previous size".into()),
                    }
                } else {
                    size
                };
                let s = data.get(pos..pos + size).ok_or_else(short)?;
                out.push(Value::String(
                    lua.create_string(s).map_err(|e| e.to_string())?,
                ));
                pos += size;
            }
            b's' => {
                let rest = data.get(pos..).ok_or_else(short)?;
                let end = rest.iter().position(|&b| b == 0).ok_or_else(|| {
                    "bad argument #2 to 'unpack' (unfinished string in data)".to_string()
                })?;
                out.push(Value::String(
                    lua.create_string(&rest[..end]).map_err(|e| e.to_string())?,
                ));
                pos += end + 1;
            }
            _ => {}
        }
    }
    out.push(Value::Number((pos + 1) as f64));
    Ok(out)
}

/// lua-cmsgpack's encoding of one value (tables nested deeper than 16
/// become nil, as there).
fn mp_encode(v: &Value, out: &mut Vec<u8>, depth: usize) {
    match v {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => mp_number(*n, out),
        Value::Integer(i) => mp_number(*i as f64, out),
        Value::String(s) => {
            let b = s.as_bytes();
            let n = b.len();
            if n < 32 {
                out.push(0xa0 | n as u8);
            } else if n <= 0xff {
                out.extend_from_slice(&[0xd9, n as u8]);
            } else if n <= 0xffff {
                out.push(0xda);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            } else {
                out.push(0xdb);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            out.extend_from_slice(&b);
        }
        Value::Table(t) if depth < 16 => {
            let mut count = 0usize;
            let mut max = 0usize;
            let mut is_array = true;
            for (k, _) in t.pairs::<Value, Value>().flatten() {
                let n = match k {
                    Value::Number(n) => n,
                    Value::Integer(i) => i as f64,
                    _ => {
                        is_array = false;
                        break;
                    }
                };
                if n < 1.0 || n.floor() != n {
                    is_array = false;
                    break;
                }
                count += 1;
                max = max.max(n as usize);
            }
            if is_array && count == max {
                mp_header(out, max, 0x90, 0xdc, 0xdd);
                for i in 1..=max {
                    let item: Value = t.raw_get(i).unwrap_or(Value::Nil);
                    mp_encode(&item, out, depth + 1);
                }
            } else {
                let pairs: Vec<(Value, Value)> = t.pairs::<Value, Value>().flatten().collect();
                mp_header(out, pairs.len(), 0x80, 0xde, 0xdf);
                for (k, val) in &pairs {
                    mp_encode(k, out, depth + 1);
                    mp_encode(val, out, depth + 1);
                }
            }
        }
        _ => out.push(0xc0),
    }
}

fn mp_header(out: &mut Vec<u8>, n: usize, fix: u8, b16: u8, b32: u8) {
    if n < 16 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn mp_number(n: f64, out: &mut Vec<u8>) {
    let int_like = n.is_finite() && (super::convert::c_long_long(n) as f64) == n;
    if !int_like {
        let f = n as f32;
        if f as f64 == n {
            out.push(0xca);
            out.extend_from_slice(&f.to_be_bytes());
        } else {
            out.push(0xcb);
            out.extend_from_slice(&n.to_be_bytes());
        }
        return;
    }
    let i = n as i64;
    if i >= 0 {
        if i <= 127 {
            out.push(i as u8);
        } else if i <= 0xff {
            out.extend_from_slice(&[0xcc, i as u8]);
        } else if i <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(i as u16).to_be_bytes());
        } else if i <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(i as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(i as u64).to_be_bytes());
        }
    } else if i >= -32 {
        out.push(i as i8 as u8);
    } else if i >= -128 {
        out.extend_from_slice(&[0xd0, i as i8 as u8]);
    } else if i >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

/// lua-cmsgpack's decoding of one value at `*at`.
fn mp_decode(lua: &Lua, d: &[u8], at: &mut usize) -> Result<Value, &'static str> {
    const MISSING: &str = "Missing bytes in input.";
    const BAD: &str = "Bad data format in input.";
    fn take<'a>(d: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], &'static str> {
        let s = d.get(*at..*at + n).ok_or("Missing bytes in input.")?;
        *at += n;
        Ok(s)
    }
    fn be(b: &[u8]) -> u64 {
        b.iter().fold(0u64, |a, &x| (a << 8) | x as u64)
    }
    let lerr = |_: mlua::Error| BAD;
    let c = *d.get(*at).ok_or(MISSING)?;
    *at += 1;
    let string = |lua: &Lua, d: &[u8], at: &mut usize, n: usize| -> Result<Value, &'static str> {
        let s = take(d, at, n)?;
        Ok(Value::String(lua.create_string(s).map_err(lerr)?))
    };
    let array = |lua: &Lua, d: &[u8], at: &mut usize, n: usize| -> Result<Value, &'static str> {
        let t = lua.create_table().map_err(lerr)?;
        for i in 1..=n {
            let v = mp_decode(lua, d, at)?;
            t.raw_set(i, v).map_err(lerr)?;
        }
        Ok(Value::Table(t))
    };
    let map = |lua: &Lua, d: &[u8], at: &mut usize, n: usize| -> Result<Value, &'static str> {
        let t = lua.create_table().map_err(lerr)?;
        for _ in 0..n {
            let k = mp_decode(lua, d, at)?;
            let v = mp_decode(lua, d, at)?;
            if !k.is_nil() {
                t.raw_set(k, v).map_err(lerr)?;
            }
        }
        Ok(Value::Table(t))
    };
    Ok(match c {
        0x00..=0x7f => Value::Number(c as f64),
        0x80..=0x8f => map(lua, d, at, (c & 0x0f) as usize)?,
        0x90..=0x9f => array(lua, d, at, (c & 0x0f) as usize)?,
        0xa0..=0xbf => string(lua, d, at, (c & 0x1f) as usize)?,
        0xc0 => Value::Nil,
        0xc2 => Value::Boolean(false),
        0xc3 => Value::Boolean(true),
        0xc4 | 0xd9 => {
            let n = be(take(d, at, 1)?) as usize;
            string(lua, d, at, n)?
        }
        0xc5 | 0xda => {
            let n = be(take(d, at, 2)?) as usize;
            string(lua, d, at, n)?
        }
        0xc6 | 0xdb => {
            let n = be(take(d, at, 4)?) as usize;
            string(lua, d, at, n)?
        }
        0xca => Value::Number(f32::from_bits(be(take(d, at, 4)?) as u32) as f64),
        0xcb => Value::Number(f64::from_bits(be(take(d, at, 8)?))),
        0xcc => Value::Number(be(take(d, at, 1)?) as f64),
        0xcd => Value::Number(be(take(d, at, 2)?) as f64),
        0xce => Value::Number(be(take(d, at, 4)?) as f64),
        0xcf => Value::Number(be(take(d, at, 8)?) as f64),
        0xd0 => Value::Number(be(take(d, at, 1)?) as u8 as i8 as f64),
        0xd1 => Value::Number(be(take(d, at, 2)?) as u16 as i16 as f64),
        0xd2 => Value::Number(be(take(d, at, 4)?) as u32 as i32 as f64),
        0xd3 => Value::Number(be(take(d, at, 8)?) as i64 as f64),
        0xdc => {
            let n = be(take(d, at, 2)?) as usize;
            array(lua, d, at, n)?
        }
        0xdd => {
            let n = be(take(d, at, 4)?) as usize;
            array(lua, d, at, n)?
        }
        0xde => {
            let n = be(take(d, at, 2)?) as usize;
            map(lua, d, at, n)?
        }
        0xdf => {
            let n = be(take(d, at, 4)?) as usize;
            map(lua, d, at, n)?
        }
        0xe0..=0xff => Value::Number(c as i8 as f64),
        _ => return Err(BAD),
    })
}

/// LuaBitOp's argument conversion: the number rounded and wrapped to 32 bits.
fn arg_bit(name: &str, args: &MultiValue, i: usize) -> Result<i32, String> {
    let n = match args.get(i) {
        Some(Value::Number(n)) => *n,
        Some(Value::Integer(n)) => *n as f64,
        Some(Value::String(s)) => match std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
        {
            Some(n) => n,
            None => {
                return Err(format!(
                    "bad argument #{} to '{name}' (number expected, got string)",
                    i + 1
                ));
            }
        },
        Some(v) => {
            return Err(format!(
                "bad argument #{} to '{name}' (number expected, got {})",
                i + 1,
                lua_type_name(v)
            ));
        }
        None => {
            return Err(format!(
                "bad argument #{} to '{name}' (number expected, got no value)",
                i + 1
            ));
        }
    };
    let bits = (n + 6_755_399_441_055_744.0).to_bits();
    Ok(bits as u32 as i32)
}

fn bit_op(lua: &Lua, name: &str, args: &MultiValue, f: fn(&[i32]) -> i32) -> LibResult {
    let needed = match name {
        "tobit" | "bnot" | "bswap" => 1,
        "band" | "bor" | "bxor" => args.len().max(1),
        _ => 2,
    };
    let mut v = Vec::with_capacity(needed);
    for i in 0..needed {
        match arg_bit(name, args, i) {
            Ok(x) => v.push(x),
            Err(e) => return fail(lua, e),
        }
    }
    ok(vec![Value::Number(f(&v) as f64)])
}

/// Lua's type name of a value, as error messages spell it.
pub(crate) fn lua_type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::LightUserData(_) | Value::UserData(_) => "userdata",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

fn json_number(n: f64, out: &mut Vec<u8>) -> Result<(), String> {
    if n.is_nan() || n.is_infinite() {
        return Err("Cannot serialise number: must not be NaN or Inf".into());
    }
    out.extend_from_slice(format_g(n, 14).as_bytes());
    Ok(())
}

fn json_string(s: &[u8], out: &mut Vec<u8>) {
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
fn array_length(t: &Table) -> Result<Option<usize>, String> {
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

fn json_encode(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
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
struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
    lua: &'a Lua,
    depth: usize,
}

enum Tok {
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

    fn expected(what: &str, tok: &Tok, at: usize) -> String {
        format!("Expected {what} but found {} at character {at}", tok.name())
    }

    fn document(&mut self) -> Result<Value, String> {
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
