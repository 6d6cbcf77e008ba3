//! Redis 7.0 functions: FUNCTION LOAD/DELETE/LIST/DUMP/RESTORE/FLUSH/
//! KILL/STATS/HELP, FCALL and FCALL_RO. Libraries live in a Lua state of
//! their own (as in Redis), created on first use; their code runs once at
//! load time with only the library API as globals
//! (`redis.register_function`, `redis.log`), and the registered callbacks
//! run later with the full sandbox, as scripts do.

use std::cell::RefCell;

use bytes::Bytes;
use mlua::{Function, Lua, MultiValue, Table, Value};

use super::lua::{LuaEnv, table_error};
use super::{run_script_in, script_flags};
use crate::engine::formats::rdb;
use crate::engine::util::args;
use crate::engine::util::errors::err;
use crate::engine::util::help::help_reply;
use crate::engine::{Ctx, command::CmdResult};
use crate::protocol::Reply;

/// One registered function.
pub(crate) struct FunctionDef {
    pub name: String,
    pub func: Function,
    pub flags: u32,
    pub description: Option<Bytes>,
}

/// One library: its code and its functions, in registration order.
pub(crate) struct Library {
    pub name: String,
    pub code: Bytes,
    pub functions: Vec<FunctionDef>,
}

/// The libraries and their Lua state.
#[derive(Default)]
pub(crate) struct Functions {
    /// Boxed: the engine, which holds it, stays small (a script's run
    /// swaps the engine in and out of the Lua state).
    pub env: Option<Box<LuaEnv>>,
    /// In creation order.
    pub libraries: Vec<Library>,
}

impl Functions {
    fn find_function(&self, name: &str) -> Option<(&Library, &FunctionDef)> {
        self.libraries
            .iter()
            .find_map(|l| l.functions.iter().find(|f| f.name == name).map(|f| (l, f)))
    }

    fn count(&self) -> usize {
        self.libraries.iter().map(|l| l.functions.len()).sum()
    }
}

const NAME_ERR: &str = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

fn text_err(text: String) -> Reply {
    Reply::Error(Bytes::from(text.replace(['\r', '\n'], " ")))
}

/// Parses a library's `#!lua name=<lib>` line: the name and the code to
/// compile (from the line's end, keeping line numbers).
fn parse_metadata(code: &[u8]) -> Result<(String, &[u8]), Reply> {
    if !code.starts_with(b"#!") {
        return Err(err("ERR Missing library metadata"));
    }
    let end = code.iter().position(|&b| b == b'\n').unwrap_or(code.len());
    let line = &code[2..end];
    let mut parts = line.split(|&b| b == b' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or_default();
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err(text_err(format!(
            "ERR Engine '{}' not found",
            String::from_utf8_lossy(engine)
        )));
    }
    let mut name = None;
    for part in parts {
        match part.strip_prefix(b"name=") {
            Some(n) => name = Some(n),
            None => {
                return Err(text_err(format!(
                    "ERR Invalid metadata value given: {}",
                    String::from_utf8_lossy(part)
                )));
            }
        }
    }
    let Some(name) = name else {
        return Err(err("ERR Library name was not given"));
    };
    if !valid_name(name) {
        return Err(err(NAME_ERR));
    }
    Ok((String::from_utf8_lossy(name).into_owned(), &code[end..]))
}

/// What `redis.register_function` collected.
struct Registered {
    name: String,
    func: Function,
    flags: u32,
    description: Option<Bytes>,
}

/// `redis.register_function`'s checks, in Redis 7.0's words.
fn register(lua: &Lua, argv: MultiValue, out: &RefCell<Vec<Registered>>) -> mlua::Result<()> {
    let _ = lua;
    let e = |m: &str| table_error(&format!("ERR {m}"));
    let (name, func, flags, description) = match argv.len() {
        1 => {
            let Value::Table(t) = &argv[0] else {
                return Err(e(
                    "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
                ));
            };
            named_args(t)?
        }
        2 => {
            let name = match &argv[0] {
                Value::String(name) => name.as_bytes().to_vec(),
                Value::Number(n) => crate::protocol::format_g(*n, 14).into_bytes(),
                Value::Integer(n) => n.to_string().into_bytes(),
                _ => {
                    return Err(e(
                        "first argument to redis.register_function must be a string",
                    ));
                }
            };
            let Value::Function(f) = &argv[1] else {
                return Err(e(
                    "second argument to redis.register_function must be a function",
                ));
            };
            (name, f.clone(), 0, None)
        }
        _ => return Err(e("wrong number of arguments to redis.register_function")),
    };
    if !valid_name(&name) {
        return Err(table_error(NAME_ERR));
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    out.borrow_mut().push(Registered {
        name,
        func,
        flags,
        description,
    });
    Ok(())
}

type NamedArgs = (Vec<u8>, Function, u32, Option<Bytes>);

fn named_args(t: &Table) -> mlua::Result<NamedArgs> {
    let e = |m: &str| table_error(&format!("ERR {m}"));
    let (mut name, mut func, mut flags, mut description) = (None, None, 0, None);
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let key = match &k {
            Value::String(s) => s.as_bytes().to_vec(),
            _ => {
                return Err(e(
                    "named argument key given to redis.register_function is not a string",
                ));
            }
        };
        match &key[..] {
            b"function_name" => match v {
                Value::String(s) => name = Some(s.as_bytes().to_vec()),
                _ => {
                    return Err(e(
                        "function_name argument given to redis.register_function must be a string",
                    ));
                }
            },
            b"description" => match v {
                Value::String(s) => description = Some(Bytes::copy_from_slice(&s.as_bytes())),
                _ => {
                    return Err(e(
                        "description argument given to redis.register_function must be a string",
                    ));
                }
            },
            b"callback" => match v {
                Value::Function(f) => func = Some(f),
                _ => {
                    return Err(e(
                        "callback argument given to redis.register_function must be a function",
                    ));
                }
            },
            b"flags" => {
                let Value::Table(list) = v else {
                    return Err(e(
                        "flags argument to redis.register_function must be a table representing function flags",
                    ));
                };
                for item in list.sequence_values::<Value>() {
                    let Value::String(flag) = item? else {
                        return Err(e("unknown flag given"));
                    };
                    match script_flags::NAMES
                        .iter()
                        .find(|(n, _)| n.as_bytes() == &flag.as_bytes()[..])
                    {
                        Some((_, f)) => flags |= f,
                        None => return Err(e("unknown flag given")),
                    }
                }
            }
            _ => return Err(e("unknown argument given to redis.register_function")),
        }
    }
    let Some(name) = name else {
        return Err(e(
            "redis.register_function must get a function name argument",
        ));
    };
    let Some(func) = func else {
        return Err(e("redis.register_function must get a callback argument"));
    };
    Ok((name, func, flags, description))
}

/// Loads one library (FUNCTION LOAD, FUNCTION RESTORE): its name, or the
/// error reply. With `replace`, a library of the same name is replaced.
pub(crate) fn load_library(
    fns: &mut Functions,
    version: &str,
    code: Bytes,
    replace: bool,
) -> Result<String, Reply> {
    let (name, body) = parse_metadata(&code)?;
    let existing = fns.libraries.iter().position(|l| l.name == name);
    if existing.is_some() && !replace {
        return Err(text_err(format!("ERR Library '{name}' already exists")));
    }
    if fns.env.is_none() {
        fns.env = Some(Box::new(
            LuaEnv::new(version).map_err(|e| text_err(format!("ERR {e}")))?,
        ));
    }
    let env = fns.env.as_deref().expect("created");
    let chunk = env
        .compile(body, "@user_function")
        .map_err(|m| text_err(format!("ERR Error compiling function: {m}")))?;
    let collected = RefCell::new(Vec::new());
    let ran = env.lua.scope(|scope| {
        let reg = scope.create_function(|lua, argv: MultiValue| register(lua, argv, &collected))?;
        Ok(env.run_load(&chunk, reg))
    });
    match ran {
        Ok(Ok(())) => {}
        Ok(Err(text)) => return Err(text_err(format!("ERR Error registering functions: {text}"))),
        Err(e) => return Err(text_err(format!("ERR Error registering functions: {e}"))),
    }
    let collected = collected.into_inner();
    if collected.is_empty() {
        return Err(err("ERR No functions registered"));
    }
    for (i, f) in collected.iter().enumerate() {
        if collected[..i].iter().any(|g| g.name == f.name) {
            return Err(text_err(format!(
                "ERR Function {} already exists in the library",
                f.name
            )));
        }
        let clash = fns
            .libraries
            .iter()
            .filter(|l| l.name != name)
            .any(|l| l.functions.iter().any(|g| g.name == f.name));
        if clash {
            return Err(text_err(format!("ERR Function {} already exists", f.name)));
        }
    }
    let library = Library {
        name: name.clone(),
        code,
        functions: collected
            .into_iter()
            .map(|r| FunctionDef {
                name: r.name,
                func: r.func,
                flags: r.flags,
                description: r.description,
            })
            .collect(),
    };
    match existing {
        Some(i) => fns.libraries[i] = library,
        None => fns.libraries.push(library),
    }
    Ok(name)
}

pub(crate) fn function_load(ctx: &mut Ctx<'_>) -> CmdResult {
    let (replace, code) = match ctx.args.len() {
        3 => (false, ctx.arg(2).clone()),
        4 if args::is(ctx.arg(2), "replace") => (true, ctx.arg(3).clone()),
        4 => {
            return Err(text_err(format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(ctx.arg(2))
            )));
        }
        _ => {
            return Err(err(
                "ERR wrong number of arguments for 'function|load' command",
            ));
        }
    };
    let version = ctx.engine.config.redis_version.clone();
    let name = load_library(&mut ctx.engine.scripting.functions, &version, code, replace)?;
    Ok(Reply::bulk(name))
}

pub(crate) fn function_delete(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = String::from_utf8_lossy(ctx.arg(2)).into_owned();
    let fns = &mut ctx.engine.scripting.functions;
    match fns.libraries.iter().position(|l| l.name == name) {
        Some(i) => {
            fns.libraries.remove(i);
            Ok(Reply::ok())
        }
        None => Err(err("ERR Library not found")),
    }
}

fn flags_reply(flags: u32) -> Reply {
    Reply::Set(
        script_flags::NAMES
            .iter()
            .filter(|(_, f)| flags & f != 0)
            .map(|(n, _)| Reply::simple(*n))
            .collect(),
    )
}

pub(crate) fn function_list(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut pattern: Option<Bytes> = None;
    let mut with_code = false;
    let mut i = 2;
    while i < ctx.args.len() {
        let a = ctx.arg(i);
        if args::is(a, "withcode") {
            with_code = true;
        } else if args::is(a, "libraryname") {
            if i + 1 >= ctx.args.len() {
                return Err(err("ERR library name argument was not given"));
            }
            if pattern.is_some() {
                return Err(text_err(format!(
                    "ERR Unknown argument {}",
                    String::from_utf8_lossy(a)
                )));
            }
            i += 1;
            pattern = Some(ctx.arg(i).clone());
        } else {
            return Err(text_err(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(a)
            )));
        }
        i += 1;
    }
    let fns = &ctx.engine.scripting.functions;
    let mut out = Vec::new();
    for lib in &fns.libraries {
        if let Some(p) = &pattern {
            if !crate::glob::glob_match(p, lib.name.as_bytes()) {
                continue;
            }
        }
        let functions = lib
            .functions
            .iter()
            .map(|f| {
                Reply::Map(vec![
                    (Reply::bulk("name"), Reply::bulk(f.name.clone())),
                    (
                        Reply::bulk("description"),
                        f.description.clone().map_or(Reply::Nil, Reply::Bulk),
                    ),
                    (Reply::bulk("flags"), flags_reply(f.flags)),
                ])
            })
            .collect();
        let mut entry = vec![
            (Reply::bulk("library_name"), Reply::bulk(lib.name.clone())),
            (Reply::bulk("engine"), Reply::bulk("LUA")),
            (Reply::bulk("functions"), Reply::Array(functions)),
        ];
        if with_code {
            entry.push((Reply::bulk("library_code"), Reply::Bulk(lib.code.clone())));
        }
        out.push(Reply::Map(entry));
    }
    Ok(Reply::Array(out))
}

pub(crate) fn function_stats(ctx: &mut Ctx<'_>) -> CmdResult {
    let fns = &ctx.engine.scripting.functions;
    Ok(Reply::Map(vec![
        (Reply::bulk("running_script"), Reply::Nil),
        (
            Reply::bulk("engines"),
            Reply::Map(vec![(
                Reply::bulk("LUA"),
                Reply::Map(vec![
                    (
                        Reply::bulk("libraries_count"),
                        Reply::Integer(fns.libraries.len() as i64),
                    ),
                    (
                        Reply::bulk("functions_count"),
                        Reply::Integer(fns.count() as i64),
                    ),
                ]),
            )]),
        ),
    ]))
}

pub(crate) fn function_flush(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 3
        || (ctx.args.len() == 3 && !args::is(ctx.arg(2), "sync") && !args::is(ctx.arg(2), "async"))
    {
        return Err(err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"));
    }
    ctx.engine.scripting.functions = Functions::default();
    Ok(Reply::ok())
}

pub(crate) fn function_kill(_ctx: &mut Ctx<'_>) -> CmdResult {
    Err(err("NOTBUSY No scripts in execution right now."))
}

pub(crate) fn function_dump(ctx: &mut Ctx<'_>) -> CmdResult {
    let fns = &ctx.engine.scripting.functions;
    Ok(Reply::Bulk(rdb::serialize_functions(
        fns.libraries.iter().map(|l| &l.code[..]),
    )))
}

pub(crate) fn function_restore(ctx: &mut Ctx<'_>) -> CmdResult {
    #[derive(PartialEq)]
    enum Policy {
        Append,
        Replace,
        Flush,
    }
    let policy = match ctx.args.get(3) {
        None => Policy::Append,
        Some(p) if args::is(p, "append") => Policy::Append,
        Some(p) if args::is(p, "replace") => Policy::Replace,
        Some(p) if args::is(p, "flush") => Policy::Flush,
        Some(_) => {
            return Err(err(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ));
        }
    };
    if ctx.args.len() > 4 {
        return Err(err("ERR syntax error"));
    }
    let payload = ctx.arg(2).clone();
    if !rdb::verify_payload(&payload) {
        return Err(err("ERR DUMP payload version or checksum are wrong"));
    }
    let codes = rdb::deserialize_functions(&payload).map_err(err)?;
    let version = ctx.engine.config.redis_version.clone();
    // Load into a fresh set first, so a failure leaves the libraries as they were.
    let mut fresh = Functions::default();
    for code in codes {
        load_library(&mut fresh, &version, code, false)?;
    }
    let fns = &mut ctx.engine.scripting.functions;
    match policy {
        Policy::Flush => {
            *fns = fresh;
            return Ok(Reply::ok());
        }
        Policy::Append => {
            for lib in &fresh.libraries {
                if fns.libraries.iter().any(|l| l.name == lib.name) {
                    return Err(text_err(format!("ERR Library {} already exists", lib.name)));
                }
            }
        }
        Policy::Replace => {}
    }
    // Function names must stay unique across the libraries that remain.
    for lib in &fresh.libraries {
        for f in &lib.functions {
            let clash = fns
                .libraries
                .iter()
                .filter(|l| l.name != lib.name)
                .any(|l| l.functions.iter().any(|g| g.name == f.name));
            if clash {
                return Err(text_err(format!("ERR Function {} already exists", f.name)));
            }
        }
    }
    // The libraries were compiled in `fresh`'s Lua state: load their code
    // again in the live one.
    for lib in fresh.libraries {
        load_library(fns, &version, lib.code, true)?;
    }
    Ok(Reply::ok())
}

pub(crate) fn function_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    ))
}

/// FCALL and FCALL_RO.
pub(crate) fn fcall_generic(ctx: &mut Ctx<'_>, ro: bool) -> CmdResult {
    let numkeys = args::int_or(ctx.arg(2), "ERR Bad number of keys provided")?;
    if numkeys > (ctx.args.len() - 3) as i64 {
        return Err(err(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(err("ERR Number of keys can't be negative"));
    }
    let name = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    let fns = &ctx.engine.scripting.functions;
    let Some((_, f)) = fns.find_function(&name) else {
        return Err(err("ERR Function not found"));
    };
    if ro && f.flags & script_flags::NO_WRITES == 0 {
        return Err(err(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    if ctx.engine.cluster.is_some() && f.flags & script_flags::NO_CLUSTER != 0 {
        return Err(err(super::NO_CLUSTER_ERR));
    }
    let func = f.func.clone();
    let read_only = ro || f.flags & script_flags::NO_WRITES != 0;
    let cross_slot = f.flags & script_flags::ALLOW_CROSS_SLOT != 0;
    let n = numkeys as usize;
    let all_args = ctx.args;
    let (keys, argv) = all_args[3..].split_at(n);
    let Some(env) = ctx.engine.scripting.functions.env.take() else {
        return Err(err("ERR Function not found"));
    };
    let out = run_script_in(
        &env, ctx.engine, ctx.client, &func, keys, argv, true, read_only, cross_slot, &name,
    );
    if ctx.engine.scripting.functions.env.is_none() {
        ctx.engine.scripting.functions.env = Some(env);
    }
    Ok(out)
}
