//! `struct` (`pack`, `unpack`, `size`) and lua-cmsgpack's `pack`/`unpack`.

use mlua::{Lua, MultiValue, Value};

use super::*;

/// Walks a `struct` format: each option with its size in bytes
/// (endianness and alignment options are consumed here; alignment is
/// not supported beyond the default of none).
pub(super) struct StructFormat<'a> {
    fmt: &'a [u8],
    i: usize,
    pub little: bool,
}

impl<'a> StructFormat<'a> {
    pub(super) fn new(fmt: &'a [u8]) -> StructFormat<'a> {
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

pub(super) fn struct_int_bytes(v: i64, size: usize, little: bool) -> Vec<u8> {
    let le = v.to_le_bytes();
    let mut out: Vec<u8> = le[..size.min(8)].to_vec();
    out.resize(size, if v < 0 { 0xff } else { 0 });
    if !little {
        out.reverse();
    }
    out
}

pub(super) fn struct_pack(args: &MultiValue) -> Result<Vec<u8>, String> {
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
                Some(v) => super::super::lua::to_number(v).ok_or_else(|| {
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
                    super::super::convert::c_long_long(n)
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

pub(super) fn struct_unpack(lua: &Lua, args: &MultiValue) -> Result<Vec<Value>, String> {
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
            (super::super::lua::to_number(v).unwrap_or(1.0) as i64 - 1).max(0) as usize
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
pub(super) fn mp_encode(v: &Value, out: &mut Vec<u8>, depth: usize) {
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

pub(super) fn mp_header(out: &mut Vec<u8>, n: usize, fix: u8, b16: u8, b32: u8) {
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

pub(super) fn mp_number(n: f64, out: &mut Vec<u8>) {
    let int_like = n.is_finite() && (super::super::convert::c_long_long(n) as f64) == n;
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
pub(super) fn mp_decode(lua: &Lua, d: &[u8], at: &mut usize) -> Result<Value, &'static str> {
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
