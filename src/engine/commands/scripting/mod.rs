//! Lua scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FUNCTION,
//! FCALL and FCALL_RO, with
//! Redis 7.0's Lua 5.1 semantics (behind the `scripting` feature).
//!
//! * `mod.rs` (here): the command table, the handlers, the script cache
//!   ([`Scripting`], the engine's `scripting` field) and shebang parsing.
//! * `lua.rs`: the Lua state (created on the first script command), the
//!   `redis` table's Rust primitives (`redis.call` re-enters the dispatcher
//!   for the script's client), running a script and its error texts.
//! * `prelude.lua`: the sandbox, written in Lua: protected globals,
//!   read-only library tables, `redis.*` argument checks, `pcall`, the
//!   error handler that adds `script: <sha>, on @user_script:<line>.`.
//! * `convert.rs`: replies to Lua values and back, RESP2 and RESP3.
//! * `functions.rs`: FUNCTION and FCALL (libraries in a Lua state of their
//!   own; FUNCTION DUMP/RESTORE in Redis's payload format, `formats/rdb.rs`).
//! * `libs.rs`: `bit`, `cjson`, `cmsgpack` and `struct`; `rand48.rs`:
//!   `math.random`'s generator.
//!
//! A script runs as one command: its `redis.call`s go through
//! [`Engine::call_from_script`] with a client of its own (RESP2 until
//! `redis.setresp(3)`, the caller's database, no blocking), and what they
//! queued (keyspace events, woken clients) is handled after the whole
//! EVAL, as for any command.

pub(crate) mod busy;
mod convert;
mod functions;
mod libs;
mod lua;
mod rand48;
mod script_client;

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use mlua::Function;

use crate::engine::command::{
    BeginSearch, CmdResult, CommandSpec, FindKeys, KeySpecDef, acl, flags::*, numkeys_at_2,
};
use crate::engine::util::args;
use crate::engine::util::errors::err;
use crate::engine::util::help::help_reply;
use crate::engine::{Client, Ctx, Engine};
use crate::protocol::Reply;

use lua::{LuaEnv, RunOutcome};

/// Script flags from a `#!lua flags=...` shebang.
mod script_flags {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 4;
    /// The script has a shebang (stricter defaults).
    pub const SHEBANG: u32 = 1 << 5;
    pub const NAMES: &[(&str, u32)] = &[
        ("no-writes", NO_WRITES),
        ("allow-oom", ALLOW_OOM),
        ("allow-stale", ALLOW_STALE),
        ("no-cluster", NO_CLUSTER),
        ("allow-cross-slot-keys", ALLOW_CROSS_SLOT),
    ];
}

/// One cached script.
struct Script {
    /// The compiled body.
    func: Function,
    flags: u32,
}

/// The scripting state of an engine: the Lua state (none until a script
/// command needs it) and the script cache, by lower-case SHA1.
#[derive(Default)]
pub(crate) struct Scripting {
    /// Boxed, as [`functions::Functions`]'s: the engine (which a script's
    /// run swaps in and out of the Lua state) stays small.
    env: Option<Box<LuaEnv>>,
    scripts: HashMap<String, Script, std::hash::BuildHasherDefault<ShaHasher>>,
    /// FUNCTION libraries, in a Lua state of their own.
    functions: functions::Functions,
    /// The running script, as the connections see it without the engine
    /// lock (`busy.rs`); the server's shared state holds a clone.
    pub busy: std::sync::Arc<busy::Busy>,
    /// The body of the last EVAL (up to [`LAST_EVAL_MAX`] bytes) and its
    /// SHA1: a client sending the same body again skips the hash.
    last_eval: Option<(Box<[u8]>, [u8; 40])>,
}

/// The script cache's hasher: its keys are SHA1 digests in hex (spread
/// evenly, and nobody chooses them), so a few multiply-mix rounds over
/// 8-byte words do, where SipHash cost more than the rest of the lookup.
#[derive(Default)]
struct ShaHasher(u64);

impl std::hash::Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            h = (h.rotate_left(23) ^ u64::from_le_bytes(word)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
        self.0 = h ^ (h >> 29);
    }
}

/// The longest EVAL body [`Scripting`] remembers with its SHA1.
const LAST_EVAL_MAX: usize = 16 * 1024;

impl std::fmt::Debug for Scripting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripting")
            .field("lua", &self.env.is_some())
            .field("scripts", &self.scripts.len())
            .field("libraries", &self.functions.libraries.len())
            .finish()
    }
}

impl Scripting {
    /// The function libraries' codes, in load order (a replica's RDB file).
    pub(crate) fn library_codes(&self) -> Vec<&[u8]> {
        self.functions
            .libraries
            .iter()
            .map(|l| &l.code[..])
            .collect()
    }

    /// The Lua state, created on first use.
    fn env(&mut self, version: &str) -> Result<&LuaEnv, Reply> {
        if self.env.is_none() {
            let env = LuaEnv::new(version).map_err(|e| {
                Reply::Error(Bytes::from(format!(
                    "ERR Failed to create the Lua state: {e}"
                )))
            })?;
            self.env = Some(Box::new(env));
        }
        Ok(self.env.as_deref().expect("just created"))
    }

    /// SCRIPT FLUSH: forgets every script and drops the Lua state.
    pub fn flush(&mut self) {
        self.scripts.clear();
        self.env = None;
    }

    /// Loads `body` (SCRIPT LOAD): its SHA1, or the error reply.
    pub fn load(&mut self, version: &str, body: &[u8]) -> Result<String, Reply> {
        let sha = sha1hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        self.compile_as(version, body, sha)
    }

    /// The SHA1 of an EVAL body, in lower-case hex (the last body's is
    /// remembered).
    fn eval_sha(&mut self, body: &[u8]) -> [u8; 40] {
        if let Some((last, sha)) = &self.last_eval {
            if **last == *body {
                return *sha;
            }
        }
        let sha = sha1hex_digits(body);
        if body.len() <= LAST_EVAL_MAX {
            self.last_eval = Some((body.into(), sha));
        }
        sha
    }

    /// Compiles `body`, not in the cache yet, and caches it as `sha`: its
    /// SHA1, or the error reply.
    fn compile_as(&mut self, version: &str, body: &[u8], sha: String) -> Result<String, Reply> {
        let (flags, code) = parse_shebang(body)?;
        let env = self.env(version)?;
        let func = env.compile(code, "@user_script").map_err(|msg| {
            Reply::Error(Bytes::from(
                format!("ERR Error compiling script (new function): {msg}")
                    .replace(['\r', '\n'], " "),
            ))
        })?;
        self.scripts.insert(sha.clone(), Script { func, flags });
        Ok(sha)
    }
}

/// The fuzz target's entry (`mock_redis::fuzzing::lua`): the first byte
/// picks a mode. Bit 1 clear: the rest (up to a NUL) is a script body run
/// with EVAL by a client speaking RESP2 or RESP3 (bit 0), its arguments
/// after the NUL, with an instruction budget so loops end. Bit 1 set: the
/// rest describes a reply, converted to Lua and back in both protocols.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz(data: &[u8]) -> usize {
    let Some((&mode, rest)) = data.split_first() else {
        return 0;
    };
    let mut engine = Engine::new(crate::engine::Config::default());
    let version = engine.config.redis_version.clone();
    if mode & 2 != 0 {
        let Ok(env) = engine.scripting.env(&version) else {
            return 0;
        };
        let mut input = rest;
        let reply = fuzz_reply(&mut input, 0);
        for proto in [
            crate::protocol::Protocol::Resp2,
            crate::protocol::Protocol::Resp3,
        ] {
            if let Ok(v) = convert::reply_to_lua(&env.lua, &reply, proto) {
                for resp3 in [false, true] {
                    let back = convert::lua_to_reply(&v, resp3, &env.reply_keys);
                    let _ = back.to_bytes(crate::protocol::Protocol::Resp2);
                    let _ = back.to_bytes(crate::protocol::Protocol::Resp3);
                }
            }
        }
        return 1;
    }
    if let Ok(env) = engine.scripting.env(&version) {
        env.control
            .budget
            .store(20, std::sync::atomic::Ordering::Relaxed);
    }
    let id = engine.connect("fuzz:1".into(), "fuzz:0".into());
    if mode & 1 != 0 {
        engine.execute(
            id,
            &[Bytes::from_static(b"HELLO"), Bytes::from_static(b"3")],
        );
    }
    let (body, args) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let mut argv = vec![
        Bytes::from_static(b"EVAL"),
        Bytes::copy_from_slice(body),
        Bytes::from_static(b"1"),
        Bytes::from_static(b"key"),
    ];
    argv.extend(args.split(|&b| b == b' ').map(Bytes::copy_from_slice));
    let out = engine.execute(id, &argv);
    let _ = out.reply.to_bytes(crate::protocol::Protocol::Resp2);
    let _ = out.reply.to_bytes(crate::protocol::Protocol::Resp3);
    1
}

/// A reply built from fuzz input: one byte picks the type, the next ones
/// its content.
#[cfg(feature = "fuzzing")]
fn fuzz_reply(input: &mut &[u8], depth: usize) -> Reply {
    let mut next = || -> u8 {
        let (&b, rest) = input.split_first().unwrap_or((&0, &[]));
        *input = rest;
        b
    };
    let kind = next();
    let len = (next() % 8) as usize;
    let mut text = || -> Bytes {
        let n = len.min(input.len());
        let (t, rest) = input.split_at(n);
        *input = rest;
        Bytes::copy_from_slice(t)
    };
    match kind % 14 {
        0 => Reply::Simple(text()),
        1 => Reply::Error(text()),
        2 => Reply::Integer(i64::from_le_bytes({
            let mut b = [0u8; 8];
            let t = text();
            b[..t.len()].copy_from_slice(&t);
            b
        })),
        3 => Reply::Bulk(text()),
        4 => Reply::Nil,
        5 => Reply::NilArray,
        6 => Reply::Double(f64::from(len as u8) / 3.0 - 1.0),
        7 => Reply::Boolean(len % 2 == 1),
        8 => Reply::BigNumber(text()),
        9 => Reply::Verbatim {
            format: *b"txt",
            text: text(),
        },
        _ if depth > 6 => Reply::Nil,
        10 => Reply::Array((0..len).map(|_| fuzz_reply(input, depth + 1)).collect()),
        11 => Reply::Set((0..len).map(|_| fuzz_reply(input, depth + 1)).collect()),
        12 => Reply::Map(
            (0..len)
                .map(|_| (fuzz_reply(input, depth + 1), fuzz_reply(input, depth + 1)))
                .collect(),
        ),
        _ => Reply::Push((0..len).map(|_| fuzz_reply(input, depth + 1)).collect()),
    }
}

/// The lower-case hexadecimal SHA1 of `data`.
pub(crate) fn sha1hex(data: &[u8]) -> String {
    sha1hex_digits(data).iter().map(|&b| b as char).collect()
}

/// SHA1 of `data` as 40 lower-case hex digits, on the stack.
fn sha1hex_digits(data: &[u8]) -> [u8; 40] {
    // By hand rather than through `Display` (`fmt::write`): every EVAL
    // hashes its body, and the formatter machinery cost more than the hash.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 40];
    for (i, b) in sha1_smol::Sha1::from(data)
        .digest()
        .bytes()
        .iter()
        .enumerate()
    {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    out
}

/// Parses a `#!lua ...` first line: the flags and the code to compile
/// (from the line's end, so line numbers stay those of the body).
fn parse_shebang(body: &[u8]) -> Result<(u32, &[u8]), Reply> {
    if !body.starts_with(b"#!") {
        return Ok((0, body));
    }
    let Some(nl) = body.iter().position(|&b| b == b'\n') else {
        return Err(err("ERR Invalid script shebang"));
    };
    let line = &body[..nl];
    let mut parts = line.split(|&b| b == b' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or_default();
    if engine != b"#!lua" {
        return Err(Reply::Error(Bytes::from(
            [&b"ERR Unexpected engine in script shebang: "[..], engine].concat(),
        )));
    }
    let mut flags = script_flags::SHEBANG;
    for part in parts {
        if let Some(list) = part.strip_prefix(b"flags=") {
            for flag in list.split(|&b| b == b',').filter(|f| !f.is_empty()) {
                match script_flags::NAMES
                    .iter()
                    .find(|(n, _)| n.as_bytes() == flag)
                {
                    Some((_, f)) => flags |= f,
                    None => {
                        return Err(Reply::Error(Bytes::from(
                            [&b"ERR Unexpected flag in script shebang: "[..], flag].concat(),
                        )));
                    }
                }
            }
        } else {
            return Err(Reply::Error(Bytes::from(
                [&b"ERR Unknown lua shebang option: "[..], part].concat(),
            )));
        }
    }
    Ok((flags, &body[nl..]))
}

const EVAL_KEYS_RW: &[KeySpecDef] = &[KeySpecDef {
    notes: "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
    flags: &["RW", "access", "update"],
    begin: BeginSearch::Index(2),
    find: FindKeys::Keynum {
        keynumidx: 0,
        firstkey: 1,
        keystep: 1,
    },
}];

const EVALSHA_KEYS_RW: &[KeySpecDef] = &[KeySpecDef {
    notes: "",
    flags: &["RW", "access", "update"],
    begin: BeginSearch::Index(2),
    find: FindKeys::Keynum {
        keynumidx: 0,
        firstkey: 1,
        keystep: 1,
    },
}];

const EVAL_KEYS_RO: &[KeySpecDef] = &[KeySpecDef {
    notes: "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS",
    flags: &["RO", "access"],
    begin: BeginSearch::Index(2),
    find: FindKeys::Keynum {
        keynumidx: 0,
        firstkey: 1,
        keystep: 1,
    },
}];

const EVALSHA_KEYS_RO: &[KeySpecDef] = &[KeySpecDef {
    notes: "",
    flags: &["RO", "access"],
    begin: BeginSearch::Index(2),
    find: FindKeys::Keynum {
        keynumidx: 0,
        firstkey: 1,
        keystep: 1,
    },
}];

const EVAL_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS;
const DEPENDS: &str = "Depends on the script that is executed.";

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("eval", -3, eval)
        .flags(EVAL_FLAGS)
        .acl(acl::SCRIPTING)
        .key_specs(EVAL_KEYS_RW)
        .getkeys(numkeys_at_2)
        .doc(
            "scripting",
            "2.6.0",
            DEPENDS,
            "Execute a Lua script server side",
        ),
    CommandSpec::new("evalsha", -3, evalsha)
        .flags(EVAL_FLAGS)
        .acl(acl::SCRIPTING)
        .key_specs(EVALSHA_KEYS_RW)
        .getkeys(numkeys_at_2)
        .doc(
            "scripting",
            "2.6.0",
            DEPENDS,
            "Execute a Lua script server side",
        ),
    CommandSpec::new("eval_ro", -3, eval_ro)
        .flags(READONLY | EVAL_FLAGS)
        .acl(acl::SCRIPTING)
        .key_specs(EVAL_KEYS_RO)
        .getkeys(numkeys_at_2)
        .doc(
            "scripting",
            "7.0.0",
            DEPENDS,
            "Execute a read-only Lua script server side",
        ),
    CommandSpec::new("evalsha_ro", -3, evalsha_ro)
        .flags(READONLY | EVAL_FLAGS)
        .acl(acl::SCRIPTING)
        .key_specs(EVALSHA_KEYS_RO)
        .getkeys(numkeys_at_2)
        .doc(
            "scripting",
            "7.0.0",
            DEPENDS,
            "Execute a read-only Lua script server side",
        ),
    CommandSpec::new("fcall", -3, fcall)
        .flags(EVAL_FLAGS)
        .acl(acl::SCRIPTING)
        .key_specs(EVAL_KEYS_RW)
        .getkeys(numkeys_at_2)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on the function that is executed.",
            "Invoke a function",
        ),
    CommandSpec::new("fcall_ro", -3, fcall_ro)
        .flags(READONLY | EVAL_FLAGS)
        .acl(acl::SCRIPTING)
        .key_specs(EVAL_KEYS_RO)
        .getkeys(numkeys_at_2)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on the function that is executed.",
            "Invoke a read-only function",
        ),
    CommandSpec::container("function", FUNCTION_SUBCOMMANDS)
        .acl(acl::SLOW)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on subcommand.",
            "A container for function commands",
        ),
    CommandSpec::container("script", SCRIPT_SUBCOMMANDS)
        .acl(acl::SLOW)
        .doc(
            "scripting",
            "2.6.0",
            "Depends on subcommand.",
            "A container for Lua scripts management commands",
        ),
];

const SCRIPT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("flush", -2, script_flush)
        .flags(NOSCRIPT)
        .acl(acl::SCRIPTING)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc("scripting", "2.6.0", "O(N) with N being the number of scripts in cache", "Remove all the scripts from the script cache."),
    CommandSpec::new("debug", 3, script_debug)
        .flags(NOSCRIPT)
        .acl(acl::SCRIPTING)
        .doc("scripting", "3.2.0", "O(1)", "Set the debug mode for executed scripts."),
    CommandSpec::new("help", 2, script_help)
        .flags(LOADING | STALE)
        .acl(acl::SCRIPTING)
        .doc("scripting", "5.0.0", "O(1)", "Show helpful text about the different subcommands"),
    CommandSpec::new("exists", -3, script_exists)
        .flags(NOSCRIPT)
        .acl(acl::SCRIPTING)
        .tips(&["request_policy:all_shards", "response_policy:agg_logical_and"])
        .doc("scripting", "2.6.0", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", "Check existence of scripts in the script cache."),
    CommandSpec::new("load", 3, script_load)
        .flags(NOSCRIPT | STALE)
        .acl(acl::SCRIPTING)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc("scripting", "2.6.0", "O(N) with N being the length in bytes of the script body.", "Load the specified Lua script into the script cache."),
    CommandSpec::new("kill", 2, script_kill)
        .flags(NOSCRIPT | ALLOW_BUSY)
        .acl(acl::SCRIPTING)
        .tips(&["request_policy:all_shards", "response_policy:one_succeeded"])
        .doc("scripting", "2.6.0", "O(1)", "Kill the script currently in execution."),
];

const ALL_SHARDS: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];

const FUNCTION_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("list", -2, functions::function_list)
        .flags(NOSCRIPT)
        .acl(acl::SCRIPTING)
        .tips(&["nondeterministic_output_order"])
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions",
            "List information about all the functions",
        ),
    CommandSpec::new("restore", -3, functions::function_restore)
        .flags(WRITE | DENYOOM | NOSCRIPT)
        .acl(acl::SCRIPTING)
        .tips(ALL_SHARDS)
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions on the payload",
            "Restore all the functions on the given payload",
        ),
    CommandSpec::new("load", -3, functions::function_load)
        .flags(WRITE | DENYOOM | NOSCRIPT)
        .acl(acl::SCRIPTING)
        .tips(ALL_SHARDS)
        .doc(
            "scripting",
            "7.0.0",
            "O(1) (considering compilation time is redundant)",
            "Create a function with the given arguments (name, code, description)",
        ),
    CommandSpec::new("kill", 2, functions::function_kill)
        .flags(NOSCRIPT | ALLOW_BUSY)
        .acl(acl::SCRIPTING)
        .tips(&["request_policy:all_shards", "response_policy:one_succeeded"])
        .doc(
            "scripting",
            "7.0.0",
            "O(1)",
            "Kill the function currently in execution.",
        ),
    CommandSpec::new("delete", 3, functions::function_delete)
        .flags(WRITE | NOSCRIPT)
        .acl(acl::SCRIPTING)
        .tips(ALL_SHARDS)
        .doc("scripting", "7.0.0", "O(1)", "Delete a function by name"),
    CommandSpec::new("flush", -2, functions::function_flush)
        .flags(WRITE | NOSCRIPT)
        .acl(acl::SCRIPTING)
        .tips(ALL_SHARDS)
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions deleted",
            "Deleting all functions",
        ),
    CommandSpec::new("dump", 2, functions::function_dump)
        .flags(NOSCRIPT)
        .acl(acl::SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions",
            "Dump all functions into a serialized binary payload",
        ),
    CommandSpec::new("help", 2, functions::function_help)
        .flags(LOADING | STALE)
        .acl(acl::SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
    CommandSpec::new("stats", 2, functions::function_stats)
        .flags(NOSCRIPT | ALLOW_BUSY)
        .acl(acl::SCRIPTING)
        .tips(&[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ])
        .doc(
            "scripting",
            "7.0.0",
            "O(1)",
            "Return information about the function currently running (name, description, duration)",
        ),
];

fn fcall(ctx: &mut Ctx<'_>) -> CmdResult {
    functions::fcall_generic(ctx, false)
}

fn fcall_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    functions::fcall_generic(ctx, true)
}

fn eval(ctx: &mut Ctx<'_>) -> CmdResult {
    eval_generic(ctx, false, false)
}

fn evalsha(ctx: &mut Ctx<'_>) -> CmdResult {
    eval_generic(ctx, true, false)
}

fn eval_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    eval_generic(ctx, false, true)
}

fn evalsha_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    eval_generic(ctx, true, true)
}

const NOSCRIPT_ERR: &str = "NOSCRIPT No matching script. Please use EVAL.";
/// A `no-cluster` script or function on a cluster node.
pub(crate) const NO_CLUSTER_ERR: &str =
    "ERR Can not run script on cluster, 'no-cluster' flag is set.";

/// EVAL and friends (Redis's `evalGenericCommand`).
fn eval_generic(ctx: &mut Ctx<'_>, by_sha: bool, ro: bool) -> CmdResult {
    let numkeys = args::int(ctx.arg(2))?;
    if numkeys > (ctx.args.len() - 3) as i64 {
        return Err(err(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(err("ERR Number of keys can't be negative"));
    }
    let all_args = ctx.args;
    let loaded;
    let digits;
    let sha: &str = if by_sha {
        let sha = &all_args[1];
        if sha.len() != 40 {
            return Err(err(NOSCRIPT_ERR));
        }
        // The cache is keyed by lower-case hex: most clients send that.
        match std::str::from_utf8(sha) {
            Ok(s) if !s.bytes().any(|b| b.is_ascii_uppercase()) => s,
            _ => {
                loaded = String::from_utf8_lossy(sha).to_ascii_lowercase();
                &loaded
            }
        }
    } else {
        let engine = &mut *ctx.engine;
        digits = engine.scripting.eval_sha(&all_args[1]);
        let sha = std::str::from_utf8(&digits).unwrap_or_default();
        if !engine.scripting.scripts.contains_key(sha) {
            engine.scripting.compile_as(
                &engine.config.redis_version,
                &all_args[1],
                sha.to_string(),
            )?;
        }
        sha
    };
    let Some(script) = ctx.engine.scripting.scripts.get(sha) else {
        return Err(err(NOSCRIPT_ERR));
    };
    let flags = script.flags;
    if ro && flags & script_flags::SHEBANG != 0 && flags & script_flags::NO_WRITES == 0 {
        return Err(err(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    if ctx.engine.cluster.is_some()
        && flags & script_flags::SHEBANG != 0
        && flags & script_flags::NO_CLUSTER != 0
    {
        return Err(err(NO_CLUSTER_ERR));
    }
    let func = script.func.clone();
    let read_only = ro || flags & script_flags::NO_WRITES != 0;
    // Scripts without a shebang keep the pre-7.0 freedom.
    let cross_slot =
        flags & script_flags::SHEBANG == 0 || flags & script_flags::ALLOW_CROSS_SLOT != 0;
    let n = numkeys as usize;
    let (keys, argv) = all_args[3..].split_at(n);
    Ok(run_script(
        ctx.engine, ctx.client, &func, keys, argv, false, read_only, cross_slot, sha,
    ))
}

/// Runs a compiled EVAL script for `caller` in the scripts' Lua state.
#[allow(clippy::too_many_arguments)]
fn run_script(
    engine: &mut Engine,
    caller: &mut Client,
    func: &Function,
    keys: &[Bytes],
    argv: &[Bytes],
    function_mode: bool,
    read_only: bool,
    allow_cross_slot: bool,
    name: &str,
) -> Reply {
    // The state is taken out while the script runs, so `redis.call` can
    // borrow the engine; scripting commands are refused inside scripts.
    let Some(env) = engine.scripting.env.take() else {
        return err("ERR Lua state is not initialized");
    };
    let out = run_script_in(
        &env,
        engine,
        caller,
        func,
        keys,
        argv,
        function_mode,
        read_only,
        allow_cross_slot,
        name,
    );
    if engine.scripting.env.is_none() {
        engine.scripting.env = Some(env);
    }
    out
}

/// Runs a compiled script or function of `env` for `caller`, with a
/// client of its own (Redis's script client: RESP2, the caller's
/// database, never blocking). Returns the reply; the commands the script
/// ran are left on `caller` for the journal.
#[allow(clippy::too_many_arguments)]
fn run_script_in(
    env: &LuaEnv,
    engine: &mut Engine,
    caller: &mut Client,
    func: &Function,
    keys: &[Bytes],
    argv: &[Bytes],
    function_mode: bool,
    read_only: bool,
    allow_cross_slot: bool,
    name: &str,
) -> Reply {
    // The previous script's commands are still here when no journal took
    // them: their vectors serve this run.
    env.recycle(std::mem::take(&mut caller.script_calls));
    // The script's client lives in the Lua state (`redis.call` reaches it
    // there), reset for each run. One clock reading for the run: the
    // script's start (busy threshold) and its client's creation time.
    let now = Instant::now();
    env.script_client(|client| {
        script_client::reset_script_client(client, caller.db, now);
        // A cluster node routes the script's commands as the caller's.
        client.asking = caller.asking;
        client.readonly = caller.readonly;
        client.cluster_node = caller.cluster_node;
        engine.acl_script_client(caller, client);
    });
    let busy = engine.scripting.busy.clone();
    busy.begin(
        caller.id,
        !function_mode,
        engine.diagnostics.settings.busy_reply_threshold_ms,
        engine.config.requirepass.is_some(),
        env.control.clone(),
        now,
    );
    let RunOutcome { reply, calls, .. } = env.run(
        engine,
        func,
        keys,
        argv,
        function_mode,
        read_only,
        allow_cross_slot,
        name,
    );
    busy.end();
    caller.script_calls = calls;
    reply
}

fn script_flush(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 3
        || (ctx.args.len() == 3 && !args::is(ctx.arg(2), "sync") && !args::is(ctx.arg(2), "async"))
    {
        return Err(err("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
    }
    ctx.engine.scripting.flush();
    Ok(Reply::ok())
}

fn script_exists(ctx: &mut Ctx<'_>) -> CmdResult {
    let scripts = &ctx.engine.scripting.scripts;
    Ok(Reply::Array(
        ctx.args[2..]
            .iter()
            .map(|sha| {
                let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                Reply::Integer(scripts.contains_key(&sha) as i64)
            })
            .collect(),
    ))
}

fn script_load(ctx: &mut Ctx<'_>) -> CmdResult {
    let version = ctx.engine.config.redis_version.clone();
    let body = ctx.arg(2).clone();
    let sha = ctx.engine.scripting.load(&version, &body)?;
    Ok(Reply::bulk(sha))
}

fn script_kill(_ctx: &mut Ctx<'_>) -> CmdResult {
    Err(err("NOTBUSY No scripts in execution right now."))
}

fn script_debug(ctx: &mut Ctx<'_>) -> CmdResult {
    let mode = ctx.arg(2);
    if args::is(mode, "no") {
        Ok(Reply::ok())
    } else if args::is(mode, "yes") || args::is(mode, "sync") {
        Err(err("ERR SCRIPT DEBUG is not supported by mock-redis"))
    } else {
        Err(err("ERR Use SCRIPT DEBUG YES/SYNC/NO"))
    }
}

fn script_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    ))
}

#[cfg(test)]
mod sha_tests {
    /// The hand-written hex gives SHA1's published test vectors.
    #[test]
    fn sha1hex_is_the_lower_case_hex_of_sha1() {
        assert_eq!(
            super::sha1hex(b""),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert_eq!(
            super::sha1hex(b"abc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }
}
