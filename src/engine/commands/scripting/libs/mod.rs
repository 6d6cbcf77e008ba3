//! The libraries Redis 7.0 adds to Lua 5.1, written in Rust: `bit`
//! (LuaBitOp), `cjson` (lua-cjson: `encode`, `decode`, `null`) and
//! `cmsgpack` (lua-cmsgpack: `pack`, `unpack`) and `struct` (`pack`,
//! `unpack`, `size`). Not provided: cjson's configuration functions and
//! cmsgpack's `unpack_one`/`unpack_limit`.
//!
//! Errors are raised as `luaL_error` raises them, with the caller's
//! position (`user_script:1: Cannot serialise ...`). This file registers
//! them and holds `bit`; `json.rs` is cjson's encoder and decoder,
//! `pack.rs` the `struct` and `cmsgpack` formats.

use std::fmt::Write as _;

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use crate::protocol::format_g;

mod json;
mod pack;

use json::*;
use pack::*;

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
