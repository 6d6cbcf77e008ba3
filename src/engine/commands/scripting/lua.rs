//! The Lua state behind EVAL and FCALL: its creation (the libraries Redis
//! loads, the sandbox `prelude.lua` builds, the `redis` table's Rust
//! primitives), the context a running script reaches the engine through,
//! and the call of a script with its error reporting.
//!
//! One state per engine, created on the first script command (starting a
//! server stays as cheap as without scripting) and recreated by SCRIPT
//! FLUSH.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

use bytes::Bytes;
use mlua::{Function, Lua, LuaOptions, LuaString, MultiValue, StdLib, Table, Value};

use super::{convert, libs, rand48::Rand48};
use crate::engine::cluster::slot::key_slot;
use crate::engine::command::{CommandSpec, CommandTable, Resolved, flags};
use crate::engine::{Client, Engine};
use crate::protocol::{Protocol, Reply, format_g};

/// The source of `prelude.lua`.
const PRELUDE: &str = include_str!("prelude.lua");

/// What `redis.call`, `redis.pcall` and `redis.setresp` reach: a slot
/// their Rust functions hold (a [`Shared`], also in [`LuaEnv`]; locking
/// it costs less than looking up mlua's app data). While a script runs it holds the engine and the
/// script's client, swapped in from the caller's by [`LuaEnv::run`] and
/// swapped back when the run ends (also when a command panics: [`Lent`]);
/// between runs it holds a spare engine and client that nothing uses.
///
/// The primitives are ordinary Lua functions, created once with the state:
/// a script call costs two swaps instead of creating (and tearing down)
/// scoped Rust callbacks that borrow the engine.
struct RunSlot {
    engine: Engine,
    client: Client,
    /// A script is running (the primitives work only then).
    running: bool,
    /// EVAL_RO, FCALL_RO or a `no-writes` script: write commands fail.
    read_only: bool,
    /// The commands the script ran, for the journal.
    calls: Vec<Vec<Bytes>>,
    /// In a cluster: the slot the script's keys hash to so far (declared
    /// keys first), and whether its keys may span slots.
    slot: Option<u16>,
    allow_cross_slot: bool,
    /// Short arguments of recent `redis.call`s (command names, keys,
    /// values), shared: an argument equal to one of them is a reference
    /// count instead of an allocation and a copy ([`RunSlot::arg`]).
    recent: Vec<Bytes>,
    /// Where the next new short argument goes in `recent` (a ring).
    next_recent: usize,
    /// The Lua strings of recent short arguments, by the address of their
    /// bytes, with their `Bytes` ([`RunSlot::lua_arg`]): holding the string
    /// keeps it alive, so an equal address is the same (immutable) string,
    /// found without reading its bytes (which costs mlua a reference
    /// clone and a lock).
    recent_lua: Vec<(usize, LuaString, Bytes)>,
    next_recent_lua: usize,
    /// How many commands the previous run made (the next run's `calls`
    /// starts with that capacity).
    last_calls: usize,
    /// The last command without subcommands `redis.call` resolved, by the
    /// name as the script spelled it: a script calls the same command
    /// again and again.
    last_command: Option<(Bytes, &'static CommandSpec)>,
    /// Emptied argument vectors of an earlier run's commands that nothing
    /// took for a journal ([`LuaEnv::recycle`]), for `redis.call` to fill
    /// again; and the vector that held them, for the next run's `calls`.
    spare_args: Vec<Vec<Bytes>>,
    spare_calls: Vec<Vec<Bytes>>,
    /// `"ok"` and `"OK"` as Lua strings, for the `{ok = 'OK'}` table most
    /// write commands' replies become: pushing a referenced string costs
    /// less than making it again from bytes (hashing, interning).
    ok_key: LuaString,
    ok_text: LuaString,
}

/// The [`RunSlot`] of a Lua state, shared by its primitives and [`LuaEnv`].
type Shared = Arc<Mutex<RunSlot>>;

/// The slot, unless it is held (a primitive re-entered: treated as no
/// run). A panic while it was held (a command's, under `redis.call`)
/// leaves it as it was: the run's end or [`Lent`] puts it right.
fn lock(slot: &Mutex<RunSlot>) -> Option<MutexGuard<'_, RunSlot>> {
    match slot.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// At most this many argument vectors wait in [`RunSlot::spare_args`].
const SPARE_ARGS: usize = 64;

/// An argument vector with a larger capacity is not kept for reuse.
const SPARE_ARG_CAPACITY: usize = 16;

/// How many recent short arguments [`RunSlot`] keeps.
const RECENT: usize = 8;

/// Up to this length, a `redis.call` argument is looked up in (and kept
/// in) [`RunSlot`]'s recent arguments.
const SHORT_ARG: usize = 48;

/// The bytes of a short argument, inline: with [`Bytes::from_owner`], one
/// allocation holds the reference count and the bytes, and clones share
/// them.
struct ShortArg {
    len: u8,
    data: [u8; SHORT_ARG],
}

impl AsRef<[u8]> for ShortArg {
    fn as_ref(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }
}

impl RunSlot {
    /// A `redis.call` string argument as `Bytes`: the one kept for the
    /// same Lua string, else [`RunSlot::arg`] of its bytes.
    fn lua_arg(&mut self, s: &LuaString) -> Bytes {
        let at = s.to_pointer() as usize;
        if let Some((_, _, b)) = self.recent_lua.iter().find(|(p, _, _)| *p == at) {
            return b.clone();
        }
        let b = self.arg(&s.as_bytes());
        if b.len() <= SHORT_ARG {
            let entry = (at, s.clone(), b.clone());
            if self.recent_lua.len() < RECENT {
                self.recent_lua.push(entry);
            } else {
                self.recent_lua[self.next_recent_lua] = entry;
            }
            self.next_recent_lua = (self.next_recent_lua + 1) % RECENT;
        }
        b
    }

    /// A `redis.call` argument as `Bytes` (the command and the journal keep
    /// it): a clone of an equal recent argument, else a new one.
    fn arg(&mut self, b: &[u8]) -> Bytes {
        if b.len() > SHORT_ARG {
            return Bytes::copy_from_slice(b);
        }
        if let Some(r) = self.recent.iter().find(|r| r[..] == *b) {
            return r.clone();
        }
        let mut data = [0u8; SHORT_ARG];
        data[..b.len()].copy_from_slice(b);
        let new = Bytes::from_owner(ShortArg {
            len: b.len() as u8,
            data,
        });
        if self.recent.len() < RECENT {
            self.recent.push(new.clone());
        } else {
            self.recent[self.next_recent] = new.clone();
        }
        self.next_recent = (self.next_recent + 1) % RECENT;
        new
    }
}

/// The engine a running script borrows, lent to the Lua state
/// ([`RunSlot`]) and given back when this guard drops: at the end of the
/// run, or while a panic unwinds (the dispatcher's panic recovery then
/// finds the real engine where it left it). The script's client lives in
/// the slot ([`LuaEnv::script_client`]).
struct Lent<'a> {
    slot: &'a Mutex<RunSlot>,
    engine: &'a mut Engine,
}

impl<'a> Lent<'a> {
    /// Swaps `engine` into the slot and marks a run.
    fn new(
        shared: &'a Mutex<RunSlot>,
        engine: &'a mut Engine,
        read_only: bool,
        slot_of_keys: Option<u16>,
        allow_cross_slot: bool,
    ) -> Lent<'a> {
        if let Some(mut slot) = lock(shared) {
            std::mem::swap(&mut slot.engine, engine);
            slot.running = true;
            slot.read_only = read_only;
            slot.calls = if slot.spare_calls.capacity() > 0 {
                std::mem::take(&mut slot.spare_calls)
            } else {
                Vec::with_capacity(slot.last_calls)
            };
            slot.slot = slot_of_keys;
            slot.allow_cross_slot = allow_cross_slot;
        }
        Lent {
            slot: shared,
            engine,
        }
    }

    /// Ends the run: the engine back, and the commands the script ran and
    /// whether its client speaks RESP3.
    fn finish(self) -> (Vec<Vec<Bytes>>, bool) {
        let Some(mut slot) = lock(self.slot) else {
            return Default::default();
        };
        if slot.running {
            std::mem::swap(&mut slot.engine, self.engine);
            slot.running = false;
        }
        let calls = std::mem::take(&mut slot.calls);
        slot.last_calls = calls.len();
        (calls, slot.client.protocol == Protocol::Resp3)
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(mut slot) = lock(self.slot) {
            if slot.running {
                std::mem::swap(&mut slot.engine, self.engine);
                slot.running = false;
            }
        }
    }
}

/// What a script run produced.
pub(crate) struct RunOutcome {
    pub reply: Reply,
    /// The commands the script ran (`redis.call`, `redis.pcall`).
    pub calls: Vec<Vec<Bytes>>,
}

/// An error a Rust function raises in Lua: `table` for Redis's
/// `luaPushError` + `lua_error` (a table with an `err` field; the text
/// carries its code), otherwise `luaL_error`'s string (with the caller's
/// position).
#[derive(Debug)]
pub(crate) struct ScriptError {
    pub text: String,
    pub table: bool,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for ScriptError {}

/// Raises `{err = text}`.
pub(crate) fn table_error(text: &str) -> mlua::Error {
    mlua::Error::external(ScriptError {
        text: text.to_string(),
        table: true,
    })
}

/// Raises `msg` as `luaL_error` does: prefixed with the calling Lua
/// function's `source:line: `.
pub(crate) fn lua_error(lua: &Lua, msg: &str) -> mlua::Error {
    let pos = lua
        .inspect_stack(1, |d| {
            let line = d.current_line()?;
            let src = d.source().short_src?.into_owned();
            Some(format!("{src}:{line}: "))
        })
        .flatten()
        .unwrap_or_default();
    mlua::Error::external(ScriptError {
        text: format!("{pos}{msg}"),
        table: false,
    })
}

/// `prim.error_info(e)`: the text of an error a Rust function raised and
/// whether it stands for a table, or nothing for any other value.
fn error_info(lua: &Lua, v: Value) -> mlua::Result<MultiValue> {
    let Value::Error(e) = v else {
        return Ok(MultiValue::new());
    };
    let (text, table) = match e.downcast_ref::<ScriptError>() {
        Some(se) => (se.text.clone(), se.table),
        None => (e.to_string(), false),
    };
    Ok(MultiValue::from_vec(vec![
        Value::String(lua.create_string(text)?),
        Value::Boolean(table),
    ]))
}

/// How a running script is stopped, checked every [`HOOK_EVERY`] Lua
/// instructions by a hook (as Redis's `luaMaskCountHook`): a kill request,
/// or a budget of hook ticks (the fuzz target's, so a looping snippet
/// ends).
#[derive(Debug)]
pub(crate) struct Control {
    /// Stop the running script with Redis's SCRIPT KILL error.
    pub kill: AtomicBool,
    /// Ticks left before the script is stopped; `u64::MAX`: no budget.
    pub budget: AtomicU64,
    /// When the running script becomes busy (`busy-reply-threshold`), in
    /// nanoseconds after `epoch` ([`super::busy::NOT_BUSY`]: no script
    /// runs, or the hand-offs are over): the hook then hands the thread's
    /// other tasks over (`busy::poll`). An atomic, not a mutex: it is set
    /// and cleared at every run.
    pub busy_at: AtomicU64,
    /// What `busy_at` counts from (the state's creation).
    pub epoch: std::time::Instant,
    /// Hand-offs tried since the script became busy.
    pub hand_offs: std::sync::atomic::AtomicU32,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            kill: AtomicBool::new(false),
            budget: AtomicU64::new(0),
            busy_at: AtomicU64::new(super::busy::NOT_BUSY),
            epoch: std::time::Instant::now(),
            hand_offs: Default::default(),
        }
    }
}

/// Up to this many keys and arguments, a script's KEYS and ARGV tables are
/// built in Lua from arguments on the stack; more go through tables built
/// from Rust (a C function's stack is limited to a few thousand slots).
const STACK_ARGS: usize = 64;

/// Up to this many keys and this many arguments, a script runs through a
/// prelude function made for its shape (`small_eval`, `small_function`).
const SMALL_ARGS: usize = 4;

/// Lua instructions between two checks of [`Control`].
const HOOK_EVERY: u32 = 100_000;

/// The error a killed script raises.
pub(crate) const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";

/// The generator behind `math.random`.
#[derive(Default)]
struct RandSlot(Mutex<Rand48>);

/// The Lua state and the functions the prelude returned.
pub(crate) struct LuaEnv {
    pub lua: Lua,
    /// What scripts see as their globals (`_G`).
    pub env: Table,
    /// The real globals, where KEYS and ARGV are set.
    globals: Table,
    run_eval: Function,
    run_function: Function,
    /// `run_eval` and `run_function` taking the keys and arguments on the
    /// stack (up to [`STACK_ARGS`] of them).
    run_eval_with: Function,
    run_function_with: Function,
    /// The same for at most [`SMALL_ARGS`] keys and [`SMALL_ARGS`]
    /// arguments, one function per shape taking them as parameters:
    /// `small_eval[nkeys * (SMALL_ARGS + 1) + nargs]`.
    small_eval: Vec<Function>,
    small_function: Vec<Function>,
    /// `set_loading(true)`: the globals become FUNCTION LOAD's library API.
    pub set_loading: Function,
    /// The library API's `redis` table (`register_function` is set per load).
    pub load_redis: Table,
    /// Kill requests and budgets for the running script.
    pub control: Arc<Control>,
    /// What the primitives reach (the engine and client while a script
    /// runs).
    slot: Shared,
    /// The fields a script's returned table is read by.
    pub reply_keys: convert::ReplyKeys,
}

/// `redis.call`.
fn call(lua: &Lua, shared: &Mutex<RunSlot>, argv: MultiValue) -> mlua::Result<Value> {
    match redis_call(lua, shared, argv)? {
        Ok(v) => Ok(v),
        Err(text) => Err(table_error(&text)),
    }
}

/// `redis.pcall`: an error reply becomes an `{err = text}` table.
fn pcall(lua: &Lua, shared: &Mutex<RunSlot>, argv: MultiValue) -> mlua::Result<Value> {
    match redis_call(lua, shared, argv)? {
        Ok(v) => Ok(v),
        Err(text) => {
            let t = lua.create_table()?;
            t.raw_set("err", text)?;
            Ok(Value::Table(t))
        }
    }
}

/// `redis.setresp(2|3)`: the protocol of the script's client.
fn setresp(shared: &Mutex<RunSlot>, argv: MultiValue) -> mlua::Result<()> {
    let Some(mut slot) = lock(shared).filter(|slot| slot.running) else {
        return Err(table_error(
            "ERR redis.setresp can only be called inside a script invocation",
        ));
    };
    if argv.len() != 1 {
        return Err(table_error("ERR redis.setresp() requires one argument."));
    }
    let v = to_number(&argv[0]).unwrap_or(0.0) as i64;
    if v != 2 && v != 3 {
        return Err(table_error("ERR RESP version must be 2 or 3."));
    }
    slot.client.protocol = if v == 3 {
        Protocol::Resp3
    } else {
        Protocol::Resp2
    };
    Ok(())
}

impl LuaEnv {
    /// A new state with Redis 7.0's libraries and sandbox.
    pub fn new(version: &str) -> mlua::Result<LuaEnv> {
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH;
        let lua = Lua::new_with(libs, LuaOptions::default())?;
        lua.set_app_data(RandSlot::default());
        let slot: Shared = Arc::new(Mutex::new(RunSlot {
            engine: Engine::new(crate::engine::Config::default()),
            client: Client::detached(0),
            running: false,
            read_only: false,
            calls: Vec::new(),
            slot: None,
            allow_cross_slot: false,
            recent: Vec::with_capacity(RECENT),
            next_recent: 0,
            recent_lua: Vec::with_capacity(RECENT),
            next_recent_lua: 0,
            last_calls: 0,
            last_command: None,
            spare_args: Vec::new(),
            spare_calls: Vec::new(),
            ok_key: lua.create_string("ok")?,
            ok_text: lua.create_string("OK")?,
        }));
        let globals = lua.globals();
        libs::register(&lua, &globals)?;
        let prim = lua.create_table()?;
        let redis = lua.create_table()?;
        let shared = slot.clone();
        redis.set(
            "call",
            lua.create_function(move |lua, argv| call(lua, &shared, argv))?,
        )?;
        let shared = slot.clone();
        redis.set(
            "pcall",
            lua.create_function(move |lua, argv| pcall(lua, &shared, argv))?,
        )?;
        let shared = slot.clone();
        redis.set(
            "setresp",
            lua.create_function(move |_, argv| setresp(&shared, argv))?,
        )?;
        redis.set("sha1hex", lua.create_function(sha1hex)?)?;
        redis.set("log", lua.create_function(redis_log)?)?;
        redis.set("set_repl", lua.create_function(set_repl)?)?;
        redis.set("REDIS_VERSION", version)?;
        redis.set("REDIS_VERSION_NUM", version_num(version))?;
        prim.set("redis", redis)?;
        prim.set("random", lua.create_function(math_random)?)?;
        prim.set("randomseed", lua.create_function(math_randomseed)?)?;
        prim.set("getinfo", lua.create_function(getinfo)?)?;
        prim.set("error_info", lua.create_function(error_info)?)?;
        let control = Arc::new(Control {
            budget: AtomicU64::new(u64::MAX),
            ..Control::default()
        });
        // Lua collects when its heap has grown to 4x what was live after
        // the previous cycle (default 2x): scripts allocate small short-lived
        // tables (KEYS, ARGV, replies), and the state's live heap is small.
        lua.gc_set_mode(mlua::prelude::LuaGcMode::Incremental(
            mlua::prelude::LuaGcIncParams::default().pause(400),
        ));
        let hook_control = control.clone();
        lua.set_hook(
            mlua::HookTriggers::new().every_nth_instruction(HOOK_EVERY),
            move |_, _| {
                let c = &hook_control;
                let left = c.budget.load(Ordering::Relaxed);
                if left != u64::MAX {
                    if left == 0 {
                        c.kill.store(true, Ordering::Relaxed);
                    } else {
                        c.budget.store(left - 1, Ordering::Relaxed);
                    }
                }
                if c.kill.load(Ordering::Relaxed) {
                    return Err(table_error(KILLED));
                }
                super::busy::poll(c);
                Ok(mlua::VmState::Continue)
            },
        )?;
        let prelude = lua.load(PRELUDE).set_name("=mock_redis").into_function()?;
        let (
            env,
            run_eval,
            run_function,
            set_loading,
            load_redis,
            run_eval_with,
            run_function_with,
            small_eval,
            small_function,
        ): (
            Table,
            Function,
            Function,
            Function,
            Table,
            Function,
            Function,
            Table,
            Table,
        ) = prelude.call(prim)?;
        lua.set_globals(env.clone())?;
        let shapes = |t: Table| -> mlua::Result<Vec<Function>> {
            let mut out = Vec::with_capacity((SMALL_ARGS + 1) * (SMALL_ARGS + 1));
            for nk in 0..=SMALL_ARGS {
                let row: Table = t.raw_get(nk)?;
                for na in 0..=SMALL_ARGS {
                    out.push(row.raw_get(na)?);
                }
            }
            Ok(out)
        };
        let small_eval = shapes(small_eval)?;
        let small_function = shapes(small_function)?;
        let reply_keys = convert::ReplyKeys::new(&lua)?;
        Ok(LuaEnv {
            lua,
            env,
            globals,
            run_eval,
            run_function,
            run_eval_with,
            run_function_with,
            small_eval,
            small_function,
            set_loading,
            load_redis,
            control,
            slot,
            reply_keys,
        })
    }

    /// Compiles a script body as Redis does (chunk `@user_script`), with
    /// the sandboxed globals. `Err` is Lua's message.
    pub fn compile(&self, body: &[u8], name: &str) -> Result<Function, String> {
        self.lua
            .load(body)
            .set_name(name)
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }

    /// Runs a library's code for FUNCTION LOAD (globals: the library API;
    /// `register` is `redis.register_function` for this load). `Err` is
    /// the error's text.
    pub fn run_load(&self, f: &Function, register: Function) -> Result<(), String> {
        let _ = self.load_redis.raw_set("register_function", register);
        let _ = self.set_loading.call::<()>(true);
        let out = self.run_eval.call::<(bool, Value)>(f.clone());
        let _ = self.set_loading.call::<()>(false);
        let _ = self.load_redis.raw_set("register_function", Value::Nil);
        match out {
            Ok((true, _)) => Ok(()),
            Ok((false, err)) => Err(error_message(&err)),
            Err(e) => Err(one_line(&e.to_string())),
        }
    }

    /// Takes back the commands an earlier run returned ([`RunOutcome`])
    /// when nothing kept them (no journal): their vectors are emptied and
    /// reused by the next runs instead of allocated again.
    pub fn recycle(&self, mut calls: Vec<Vec<Bytes>>) {
        if calls.capacity() == 0 {
            return;
        }
        let Some(mut slot) = lock(&self.slot) else {
            return;
        };
        for mut args in calls.drain(..) {
            if slot.spare_args.len() < SPARE_ARGS && args.capacity() <= SPARE_ARG_CAPACITY {
                args.clear();
                slot.spare_args.push(args);
            }
        }
        if calls.capacity() <= SPARE_ARGS * 4 {
            slot.spare_calls = calls;
        }
    }

    /// Sets up the script's own client for the next run (it lives in the
    /// state, where `redis.call` reaches it): `setup` gets it to fill in.
    pub fn script_client(&self, setup: impl FnOnce(&mut Client)) {
        if let Some(mut slot) = lock(&self.slot) {
            setup(&mut slot.client);
        }
    }

    /// Runs `f` for the script's own client (set up by
    /// [`LuaEnv::script_client`]): an EVAL body with KEYS and ARGV as
    /// globals, or (`function_mode`) a function called with the two
    /// tables. Returns the reply for the caller and the commands the
    /// script ran.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &self,
        engine: &mut Engine,
        f: &Function,
        keys: &[Bytes],
        args: &[Bytes],
        function_mode: bool,
        read_only: bool,
        allow_cross_slot: bool,
        name: &str,
    ) -> RunOutcome {
        let lua = &self.lua;
        self.control.kill.store(false, Ordering::Relaxed);
        // Only a cluster node checks the slots of the script's keys.
        let slot_of_keys = if engine.cluster.is_some() {
            keys.first().map(|k| key_slot(k))
        } else {
            None
        };
        let lent = Lent::new(
            &self.slot,
            engine,
            read_only,
            slot_of_keys,
            allow_cross_slot,
        );
        let result = (|| {
            if keys.len() <= SMALL_ARGS && args.len() <= SMALL_ARGS {
                let shape = keys.len() * (SMALL_ARGS + 1) + args.len();
                let run = if function_mode {
                    &self.small_function[shape]
                } else {
                    &self.small_eval[shape]
                };
                // UTF-8 items go as `&str`, which mlua pushes straight onto
                // the call's stack; only other bytes need a Lua string
                // made (and referenced) beforehand. Same strings in Lua.
                let item = |b| stack_item(lua, b);
                let at = |i: usize| {
                    if i < keys.len() {
                        &keys[i]
                    } else {
                        &args[i - keys.len()]
                    }
                };
                // Up to three items as a tuple (no vector to allocate).
                return match keys.len() + args.len() {
                    0 => run.call::<(bool, Value)>(f),
                    1 => run.call::<(bool, Value)>((f, item(at(0))?)),
                    2 => run.call::<(bool, Value)>((f, item(at(0))?, item(at(1))?)),
                    3 => run.call::<(bool, Value)>((f, item(at(0))?, item(at(1))?, item(at(2))?)),
                    _ => {
                        let items = keys
                            .iter()
                            .chain(args)
                            .map(item)
                            .collect::<mlua::Result<mlua::Variadic<_>>>()?;
                        run.call::<(bool, Value)>((f, items))
                    }
                };
            }
            if keys.len() + args.len() <= STACK_ARGS {
                let mut all = Vec::with_capacity(3 + keys.len() + args.len());
                all.push(Value::Function(f.clone()));
                all.push(Value::Integer(keys.len() as mlua::Integer));
                for item in keys.iter().chain(args) {
                    all.push(Value::String(lua.create_string(item)?));
                }
                let with = if function_mode {
                    &self.run_function_with
                } else {
                    &self.run_eval_with
                };
                return with.call::<(bool, Value)>(MultiValue::from_vec(all));
            }
            let seq = |items: &[Bytes]| {
                let t = lua.create_table_with_capacity(items.len(), 0)?;
                for (i, item) in items.iter().enumerate() {
                    t.raw_set(i + 1, lua.create_string(item)?)?;
                }
                Ok::<_, mlua::Error>(t)
            };
            let keys_t = seq(keys)?;
            let args_t = seq(args)?;
            if function_mode {
                self.run_function
                    .call::<(bool, Value)>((f.clone(), keys_t, args_t))
            } else {
                self.globals.raw_set("KEYS", keys_t)?;
                self.globals.raw_set("ARGV", args_t)?;
                self.run_eval.call::<(bool, Value)>(f.clone())
            }
        })();
        let (calls, resp3) = lent.finish();
        let reply = match result {
            Ok((true, value)) => convert::lua_to_reply(&value, resp3, &self.reply_keys),
            Ok((false, err)) => script_error(&err, name),
            Err(e) => Reply::Error(Bytes::from(format!(
                "ERR Error running script {name}, {}",
                one_line(&e.to_string())
            ))),
        };
        RunOutcome { reply, calls }
    }
}

/// A key or argument to push onto a runner's stack: UTF-8 as `&str`, which
/// mlua pushes straight onto the call's stack; only other bytes need a Lua
/// string made (and referenced) beforehand. Same strings in Lua.
fn stack_item<'a>(lua: &Lua, b: &'a Bytes) -> mlua::Result<mlua::Either<&'a str, LuaString>> {
    match std::str::from_utf8(b) {
        Ok(text) => Ok(mlua::Either::Left(text)),
        Err(_) => lua.create_string(b).map(mlua::Either::Right),
    }
}

/// `prim.getinfo(level)`: `what, source, currentline` of the function at
/// `level` as the caller of this primitive counts (the error handler's
/// `debug.getinfo`), or nothing past the stack's end.
fn getinfo(lua: &Lua, level: usize) -> mlua::Result<MultiValue> {
    let info = lua.inspect_stack(level, |d| {
        let src = d.source();
        (
            src.what.to_string(),
            src.source.map(|s| s.into_owned()).unwrap_or_default(),
            d.current_line().map_or(-1, |l| l as i64),
        )
    });
    match info {
        Some((what, source, line)) => Ok(MultiValue::from_vec(vec![
            Value::String(lua.create_string(what)?),
            Value::String(lua.create_string(source)?),
            Value::Number(line as f64),
        ])),
        None => Ok(MultiValue::new()),
    }
}

/// The text of the error a script raised (the handler's table): its `err`
/// field, without the place.
pub(crate) fn error_message(err: &Value) -> String {
    match err {
        Value::Table(t) => match t.raw_get::<Value>("err") {
            Ok(Value::String(s)) => s.to_string_lossy(),
            _ => String::new(),
        },
        other => format!("{other:?}"),
    }
}

/// The error reply of a script that raised `err` (the handler's table).
fn script_error(err: &Value, name: &str) -> Reply {
    let Value::Table(t) = err else {
        return Reply::Error(Bytes::from(format!(
            "ERR Error running script {name}, execution failure"
        )));
    };
    let text = |k: &str| -> Option<Vec<u8>> {
        match t.raw_get::<Value>(k).ok()? {
            Value::String(s) => Some(s.as_bytes().to_vec()),
            Value::Integer(i) => Some(i.to_string().into_bytes()),
            Value::Number(n) => Some(format_g(n, 14).into_bytes()),
            _ => None,
        }
    };
    let mut msg = text("err").unwrap_or_default();
    if let (Some(source), Some(line)) = (text("source"), text("line")) {
        msg.extend_from_slice(format!(" script: {name}, on ").as_bytes());
        msg.extend_from_slice(&source);
        msg.push(b':');
        msg.extend_from_slice(&line);
        msg.push(b'.');
    }
    if msg.first() == Some(&b'-') {
        msg.remove(0);
    }
    for b in msg.iter_mut() {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    Reply::Error(Bytes::from(msg))
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// `REDIS_VERSION_NUM`: `0x00MMmmpp`.
fn version_num(version: &str) -> i64 {
    let mut parts = version.split('.').map(|p| p.parse::<i64>().unwrap_or(0));
    let (a, b, c) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    (a << 16) | (b << 8) | c
}

/// `redis.call` / `redis.pcall`: runs a command for the script's client.
/// Returns the reply as a Lua value, or `Err(text)` for an error (the
/// caller raises it or returns it as a table).
fn redis_call(
    lua: &Lua,
    shared: &Mutex<RunSlot>,
    argv: MultiValue,
) -> mlua::Result<Result<Value, String>> {
    let err = |msg: &str| -> mlua::Result<Result<Value, String>> { Ok(Err(msg.to_string())) };
    // One borrow of the slot for the whole call: nothing below re-enters
    // Lua before the reply is converted (commands that run scripts are
    // `noscript`).
    let Some(mut guard) = lock(shared).filter(|slot| slot.running) else {
        return Err(table_error(
            "ERR redis.call/pcall can only be called inside a script invocation",
        ));
    };
    if argv.is_empty() {
        return err("ERR Please specify at least one argument for this redis lib call");
    }
    let mut args = guard.spare_args.pop().unwrap_or_default();
    args.reserve(argv.len());
    for v in argv.iter() {
        match v {
            Value::String(s) => args.push(guard.lua_arg(s)),
            Value::Number(n) => args.push(Bytes::from(format_g(*n, 17))),
            Value::Integer(i) => args.push(Bytes::from(format_g(*i as f64, 17))),
            _ => return err("ERR Lua redis lib command arguments must be strings or integers"),
        }
    }
    drop(argv);
    let cached = guard
        .last_command
        .as_ref()
        .filter(|(name, _)| *name == args[0])
        .map(|&(_, spec)| spec);
    let (spec, parent) = match cached {
        Some(spec) => (spec, None),
        None => match CommandTable::get().resolve(&args) {
            Resolved::Found(spec, parent) => {
                if parent.is_none() && spec.subcommands.is_empty() {
                    guard.last_command = Some((args[0].clone(), spec));
                }
                (spec, parent)
            }
            _ => return err("ERR Unknown Redis command called from script"),
        },
    };
    if !spec.arity_ok(args.len()) {
        return err("ERR Wrong number of args calling Redis command from script");
    }
    let top = parent.unwrap_or(spec);
    if spec.flags & flags::NOSCRIPT != 0 || top.flags & flags::NOSCRIPT != 0 {
        return err("ERR This Redis command is not allowed from script");
    }
    let run = &mut *guard;
    // The script's client carries its caller's line only when the caller's
    // user has restrictions (`acl_script_client`); any other user passes
    // every check, and no command a script may run changes users (ACL,
    // AUTH and HELLO are `noscript`).
    if run.client.script_caller_info.is_some() {
        if let Err(text) = run
            .engine
            .acl_gate_in_script(&run.client, spec, parent, &args)
        {
            return err(text);
        }
    }
    if spec.flags & flags::WRITE != 0 && run.read_only {
        return err("ERR Write commands are not allowed from read-only scripts.");
    }
    if run.engine.cluster.is_some() {
        if let Err(e) = cluster_check(run, spec, parent, &args) {
            return err(e);
        }
    }
    if spec.flags & flags::WRITE != 0 {
        run.engine.scripting.busy.wrote();
    }
    let reply = run
        .engine
        .call_from_script(&mut run.client, spec, parent, &args);
    run.calls.push(args);
    let proto = run.client.protocol;
    if matches!(&reply, Reply::Simple(s) if s[..] == *b"OK") {
        let t = lua.create_table_from([(&run.ok_key, &run.ok_text)])?;
        return Ok(Ok(Value::Table(t)));
    }
    drop(guard);
    if let Reply::Error(e) = &reply {
        return Ok(Err(
            String::from_utf8_lossy(&convert::error_text(e)).into_owned()
        ));
    }
    Ok(Ok(convert::reply_to_lua(lua, &reply, proto)?))
}

/// A cluster node's checks on a script's command (Redis's
/// `scriptVerifyClusterState`): its keys must be served here, and, unless
/// the script allows cross-slot keys, hash to the slot of the script's
/// other keys.
fn cluster_check(
    run: &mut RunSlot,
    spec: &'static crate::engine::command::CommandSpec,
    parent: Option<&'static crate::engine::command::CommandSpec>,
    args: &[Bytes],
) -> Result<(), &'static str> {
    if let Err(Reply::Error(e)) =
        crate::engine::cluster::route::check(&mut run.engine, &run.client, spec, parent, args)
    {
        return Err(if e.starts_with(b"CLUSTERDOWN") {
            "ERR Script attempted to execute a command while the cluster is down"
        } else {
            "ERR Script attempted to access a non local key in a cluster node"
        });
    }
    let Some(&first) = spec.keys_in(args).first() else {
        return Ok(());
    };
    let Some(key) = args.get(first) else {
        return Ok(());
    };
    let slot = key_slot(key);
    match run.slot {
        Some(s) if s != slot && !run.allow_cross_slot => {
            Err("ERR Script attempted to access keys that do not hash to the same slot")
        }
        Some(_) => Ok(()),
        None => {
            run.slot = Some(slot);
            Ok(())
        }
    }
}

/// Lua's `lua_tonumber`: numbers and numeric strings.
pub(crate) fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(i) => Some(*i as f64),
        Value::String(s) => {
            let t = s.to_str().ok()?;
            let t = t.trim();
            if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                return u64::from_str_radix(hex, 16).ok().map(|v| v as f64);
            }
            t.parse::<f64>()
                .ok()
                .filter(|_| !t.is_empty() && !t.contains(['i', 'n', 'I', 'N']))
        }
        _ => None,
    }
}

/// `redis.sha1hex(s)`.
fn sha1hex(lua: &Lua, argv: MultiValue) -> mlua::Result<LuaString> {
    if argv.len() != 1 {
        return Err(table_error("ERR wrong number of arguments"));
    }
    let bytes: Vec<u8> = match &argv[0] {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Number(n) => format_g(*n, 14).into_bytes(),
        Value::Integer(i) => i.to_string().into_bytes(),
        _ => Vec::new(),
    };
    lua.create_string(super::sha1hex(&bytes))
}

/// `redis.log(level, ...)`: checked as Redis checks it; nothing is logged.
fn redis_log(_: &Lua, argv: MultiValue) -> mlua::Result<()> {
    if argv.len() < 2 {
        return Err(table_error(
            "ERR redis.log() requires two arguments or more.",
        ));
    }
    let Some(level) = to_number(&argv[0]) else {
        return Err(table_error(
            "ERR First argument must be a number (log level).",
        ));
    };
    let level = level as i64;
    if !(0..=3).contains(&level) {
        return Err(table_error("ERR Invalid debug level."));
    }
    Ok(())
}

/// `redis.set_repl(flags)`: checked and accepted; there is no replication.
fn set_repl(_: &Lua, argv: MultiValue) -> mlua::Result<()> {
    if argv.len() != 1 {
        return Err(table_error("ERR redis.set_repl() requires two arguments."));
    }
    let flags = to_number(&argv[0]).unwrap_or(0.0) as i64;
    if flags & !3 != 0 {
        return Err(table_error(
            "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        ));
    }
    Ok(())
}

/// `luaL_checkint` for argument `n` (1-based) of `name`.
fn check_int(lua: &Lua, argv: &MultiValue, n: usize, name: &str) -> mlua::Result<i32> {
    match argv.get(n - 1) {
        Some(v) => match to_number(v) {
            Some(x) => Ok(x as i32),
            None => Err(lua_error(
                lua,
                &format!(
                    "bad argument #{n} to '{name}' (number expected, got {})",
                    super::libs::lua_type_name(v)
                ),
            )),
        },
        None => Err(lua_error(
            lua,
            &format!("bad argument #{n} to '{name}' (number expected, got no value)"),
        )),
    }
}

/// `math.random` as Redis 7.0 replaces it (`redis_math_random`).
fn math_random(lua: &Lua, argv: MultiValue) -> mlua::Result<f64> {
    let draw = {
        let slot = lua.app_data_ref::<RandSlot>().expect("rand slot");
        let mut r = slot.0.lock().unwrap_or_else(|e| e.into_inner());
        r.next()
    };
    let r = (draw % 2147483647) as f64 / 2147483647.0;
    match argv.len() {
        0 => Ok(r),
        1 => {
            let u = check_int(lua, &argv, 1, "random")?;
            if u < 1 {
                return Err(lua_error(
                    lua,
                    "bad argument #1 to 'random' (interval is empty)",
                ));
            }
            Ok((r * u as f64).floor() + 1.0)
        }
        2 => {
            let l = check_int(lua, &argv, 1, "random")?;
            let u = check_int(lua, &argv, 2, "random")?;
            if l > u {
                return Err(lua_error(
                    lua,
                    "bad argument #2 to 'random' (interval is empty)",
                ));
            }
            Ok((r * (u as f64 - l as f64 + 1.0)).floor() + l as f64)
        }
        _ => Err(lua_error(lua, "wrong number of arguments")),
    }
}

/// `math.randomseed(seed)`.
fn math_randomseed(lua: &Lua, argv: MultiValue) -> mlua::Result<()> {
    let seed = check_int(lua, &argv, 1, "randomseed")?;
    let slot = lua.app_data_ref::<RandSlot>().expect("rand slot");
    *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Rand48::new(seed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_body(env: &LuaEnv, engine: &mut Engine, body: &str) -> Reply {
        let f = env
            .compile(body.as_bytes(), "@user_script")
            .expect("compiles");
        env.script_client(|client| {
            *client = Client::detached(0);
            client.protocol = Protocol::Resp2;
        });
        env.run(
            engine,
            &f,
            &[Bytes::from_static(b"k")],
            &[],
            false,
            false,
            false,
            "test",
        )
        .reply
    }

    /// A Rust panic under a script (here a primitive that panics after a
    /// `redis.call` wrote): whether it unwinds through `LuaEnv::run` or the
    /// script's error handler turns it into an error reply, the engine the
    /// script borrowed must be back in the caller's hands, with the write,
    /// and the next script must run normally.
    #[test]
    fn a_panic_under_a_script_gives_the_engine_back() {
        let mut engine = Engine::new(crate::engine::Config::default());
        let env = LuaEnv::new("7.0.15").expect("lua state");
        env.globals
            .raw_set(
                "boom",
                env.lua
                    .create_function(|_, ()| -> mlua::Result<()> { panic!("boom") })
                    .expect("function"),
            )
            .expect("set");
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_body(&env, &mut engine, "redis.call('SET', KEYS[1], 'v') boom()")
        }));
        if let Ok(reply) = out {
            assert!(matches!(reply, Reply::Error(_)), "{reply:?}");
        }
        assert!(engine.dbs[0].value(b"k").is_some(), "the write is kept");
        assert!(!lock(&env.slot).expect("slot").running, "no run is marked");
        assert_eq!(
            run_body(&env, &mut engine, "return redis.call('GET', KEYS[1])"),
            Reply::Bulk(Bytes::from_static(b"v"))
        );
    }

    /// Outside a run (the state's only other use is FUNCTION LOAD),
    /// `redis.call` and `redis.setresp` refuse with Redis's errors.
    #[test]
    fn primitives_refuse_outside_a_run() {
        let env = LuaEnv::new("7.0.15").expect("lua state");
        let redis: Table = env.globals.get("redis").expect("redis");
        for (name, text) in [
            (
                "call",
                "ERR redis.call/pcall can only be called inside a script invocation",
            ),
            (
                "pcall",
                "ERR redis.call/pcall can only be called inside a script invocation",
            ),
            (
                "setresp",
                "ERR redis.setresp can only be called inside a script invocation",
            ),
        ] {
            let f: Function = redis.get(name).expect(name);
            let e = f.call::<Value>(("GET", "k")).expect_err(name);
            let found = match &e {
                mlua::Error::CallbackError { cause, .. } => cause.to_string(),
                other => other.to_string(),
            };
            assert_eq!(found, text, "{name}");
        }
    }
}

#[cfg(test)]
mod arg_tests {
    use super::*;

    /// The commands a script ran come back with their arguments as the
    /// script passed them, run after run: short arguments shared through
    /// the ring of recent ones (more distinct ones than it holds, binary,
    /// differing only in case), long ones copied, numbers formatted, and
    /// the vectors of a previous run's commands reused.
    #[test]
    fn recorded_commands_keep_their_arguments_across_runs() {
        let mut engine = Engine::new(crate::engine::Config::default());
        let env = LuaEnv::new("7.0.15").expect("lua state");
        let long = "x".repeat(SHORT_ARG + 1);
        let body = format!(
            "redis.call('SET', KEYS[1], ARGV[1]) redis.call('set', KEYS[1], '{long}') \
             for i = 1, 20 do redis.call('SET', 'key' .. i, i) end \
             redis.call('INCRBYFLOAT', 'n', 1.5) return redis.call('GET', KEYS[1])"
        );
        let f = env
            .compile(body.as_bytes(), "@user_script")
            .expect("compiles");
        let mut previous = Vec::new();
        for round in 0..3u8 {
            env.recycle(std::mem::take(&mut previous));
            env.script_client(|client| {
                *client = Client::detached(0);
                client.protocol = Protocol::Resp2;
            });
            let key = Bytes::from(format!("k{round}"));
            let value = Bytes::from(vec![0xff, round]);
            let out = env.run(
                &mut engine,
                &f,
                std::slice::from_ref(&key),
                std::slice::from_ref(&value),
                false,
                false,
                false,
                "test",
            );
            assert_eq!(out.reply, Reply::Bulk(Bytes::from(long.clone())));
            let mut want: Vec<Vec<Bytes>> = vec![
                vec!["SET".into(), key.clone(), value.clone()],
                vec!["set".into(), key.clone(), long.clone().into()],
            ];
            for i in 1..=20 {
                want.push(vec![
                    "SET".into(),
                    format!("key{i}").into(),
                    i.to_string().into(),
                ]);
            }
            want.push(vec!["INCRBYFLOAT".into(), "n".into(), "1.5".into()]);
            want.push(vec!["GET".into(), key.clone()]);
            assert_eq!(out.calls, want, "round {round}");
            previous = out.calls;
        }
        assert!(engine.dbs[0].value(b"key20").is_some(), "the commands ran");
    }

    /// Arguments made anew in each run (and collected between runs, so
    /// their addresses are reused by other strings) come back with their
    /// own bytes: the arguments found by a Lua string's address are only
    /// those of strings the slot still holds.
    #[test]
    fn arguments_found_by_address_are_the_strings_held() {
        let mut engine = Engine::new(crate::engine::Config::default());
        let env = LuaEnv::new("7.0.15").expect("lua state");
        let f = env
            .compile(
                b"for i = 1, 30 do redis.call('SET', ARGV[1] .. i, i .. ARGV[1]) end",
                "@user_script",
            )
            .expect("compiles");
        for round in 0..6 {
            env.script_client(|client| {
                *client = Client::detached(0);
                client.protocol = Protocol::Resp2;
            });
            let prefix = format!("r{round}x");
            let out = env.run(
                &mut engine,
                &f,
                &[],
                &[Bytes::from(prefix.clone())],
                false,
                false,
                false,
                "test",
            );
            assert_eq!(out.reply, Reply::Nil, "round {round}");
            let want: Vec<Vec<Bytes>> = (1..=30)
                .map(|i| {
                    vec![
                        "SET".into(),
                        format!("{prefix}{i}").into(),
                        format!("{i}{prefix}").into(),
                    ]
                })
                .collect();
            assert_eq!(out.calls, want, "round {round}");
            env.lua.gc_collect().expect("collect");
        }
    }

    /// KEYS and ARGV are built by a prelude function made for the shape up
    /// to `SMALL_ARGS` keys and arguments, in Lua from the stack up to
    /// `STACK_ARGS` values, and from Rust above: all give the same tables (length, order, contents,
    /// binary-safe strings), in EVAL and in function mode.
    #[test]
    fn keys_and_argv_are_the_same_either_side_of_the_stack_limit() {
        let mut engine = Engine::new(crate::engine::Config::default());
        let env = LuaEnv::new("7.0.15").expect("lua state");
        let eval = env
            .compile(
                b"local t = {#KEYS, #ARGV} for _, v in ipairs(KEYS) do t[#t+1] = v end \
                  for _, v in ipairs(ARGV) do t[#t+1] = v end return t",
                "@user_script",
            )
            .expect("compiles");
        let func = env
            .compile(
                b"return function(keys, args) local t = {#keys, #args} \
                  for _, v in ipairs(keys) do t[#t+1] = v end \
                  for _, v in ipairs(args) do t[#t+1] = v end return t end",
                "@user_script",
            )
            .expect("compiles");
        let func: Function = func.call(()).expect("function");
        for (nkeys, nargs) in [
            (0, 0),
            (1, 1),
            (0, 3),
            (3, 0),
            (2, 3),
            (4, 4),
            (4, 0),
            (0, 4),
            (5, 1),
            (1, 5),
            (64, 0),
            (30, 34),
            (40, 40),
            (0, 200),
        ] {
            // Every other item is not UTF-8 (mlua pushes the others as `&str`).
            let item = |p: &str, i: usize| {
                let mut v = format!("{p}\0{i}").into_bytes();
                if i % 2 == 1 {
                    v.push(0xff);
                }
                Bytes::from(v)
            };
            let keys: Vec<Bytes> = (0..nkeys).map(|i| item("k", i)).collect();
            let args: Vec<Bytes> = (0..nargs).map(|i| item("a", i)).collect();
            let mut want = vec![Reply::Integer(nkeys as i64), Reply::Integer(nargs as i64)];
            want.extend(keys.iter().chain(&args).cloned().map(Reply::Bulk));
            for (f, function_mode) in [(&eval, false), (&func, true)] {
                env.script_client(|client| {
                    *client = Client::detached(0);
                    client.protocol = Protocol::Resp2;
                });
                let out = env.run(
                    &mut engine,
                    f,
                    &keys,
                    &args,
                    function_mode,
                    false,
                    false,
                    "test",
                );
                assert_eq!(
                    out.reply,
                    Reply::Array(want.clone()),
                    "{nkeys} {nargs} {function_mode}"
                );
            }
        }
    }
}
