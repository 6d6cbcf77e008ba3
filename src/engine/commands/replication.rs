//! The master side of Redis replication: REPLCONF, PSYNC and SYNC, and the
//! replication stream.
//!
//! A replica (`redis-server --replicaof <mock>`) sends `PING`, `REPLCONF
//! listening-port`, `REPLCONF capa eof capa psync2`, then `PSYNC <replid>
//! <offset>`. mock-redis keeps no backlog, so every PSYNC is a full
//! resynchronization: `+FULLRESYNC <replid> <offset>`, then the dataset as
//! an RDB file (`$<len>\r\n<rdb>`, no trailing CRLF; `formats/rdb_file.rs`)
//! on the client's outbox; SYNC sends the file alone. From then on every
//! write goes to the replica's outbox, in RESP2 as Redis propagates it.
//!
//! # What is propagated
//!
//! The dispatcher brackets each call ([`before_call`], [`after_call`]): a
//! `write` command that changed a database (or a keyless one that did not
//! fail: FLUSHALL, FUNCTION LOAD, ...) is queued, after a `DEL` for each
//! key that expired meanwhile; the queue is sent once the client's command
//! is over ([`flush`]), in `MULTI`/`EXEC` when it holds more than one
//! command (EXEC, a script's effects), with a `SELECT` whenever the
//! database changes. Commands whose effect depends on the clock or on
//! chance are rewritten as Redis does: relative expiries become
//! `PEXPIREAT` (or `DEL` for a deadline in the past), `SET ... EX|PX|EXAT`,
//! SETEX and PSETEX become `SET key value PXAT <ms>`, GETEX becomes
//! `PEXPIREAT`/`PERSIST`, INCRBYFLOAT becomes `SET key value KEEPTTL`.
//! Where Redis writes other commands (SPOP as SREM, HINCRBYFLOAT as HSET,
//! XADD with its ID, XREADGROUP as XCLAIM ...), mock-redis sends the
//! resulting value of each key instead: `RESTORE key <deadline|0> <dump>
//! REPLACE ABSTTL`, or `DEL` when the key is gone. A blocked client served
//! by another's write (BLPOP, BLMOVE, ...) is propagated the same way.
//! Keys deleted on expiry (lazily or by the active cycle) are propagated
//! as `DEL`, and the replicas get a `PING` every `repl-ping-replica-period`
//! seconds of the engine clock, as Redis's `replicationCron` sends it.

use bytes::{BufMut, Bytes, BytesMut};

use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::delivery::OutOfBand;
use crate::engine::formats::{rdb, rdb_file};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{err, syntax_error};
use crate::engine::{Client, Ctx, Engine};
use crate::protocol::Reply;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("replconf", -1, replconf)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY)
        .acl(acl::ADMIN | acl::DANGEROUS),
    CommandSpec::new("psync", -3, psync)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI)
        .acl(acl::ADMIN | acl::DANGEROUS),
    CommandSpec::new("sync", 1, psync)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI)
        .acl(acl::ADMIN | acl::DANGEROUS),
];

/// A connected replica.
#[derive(Debug, Clone)]
pub(crate) struct Replica {
    pub id: u64,
    pub ip: String,
    pub port: i64,
    /// The offset the replica last acknowledged.
    pub ack_offset: i64,
    /// Engine-clock ms of its last acknowledgement (or of its sync).
    pub ack_ms: i64,
}

/// What a client told with REPLCONF before its PSYNC.
#[derive(Debug, Default, Clone)]
struct Handshake {
    port: i64,
    ip: Option<String>,
}

/// The replication state of the master.
#[derive(Debug)]
pub(crate) struct Replication {
    /// The replication ID (`master_replid`).
    pub replid: String,
    /// Bytes of replication stream produced so far (`master_repl_offset`).
    pub offset: i64,
    pub replicas: Vec<Replica>,
    handshakes: Vec<(u64, Handshake)>,
    /// The database the stream last selected (`None`: SELECT next time).
    last_db: Option<usize>,
    /// Nesting of calls (EXEC and scripts call commands inside a call).
    depth: u32,
    /// Commands queued during the current top-level command: the database
    /// they ran on (`None`: no SELECT needed) and their arguments.
    pending: Vec<(Option<usize>, Vec<Bytes>)>,
    last_ping_ms: i64,
    /// Keys a served blocked client wrote (the popped key, BLMOVE's
    /// destination), by database: `blocking.rs` records them while replicas
    /// are connected, and the flush sends their values.
    pub served_writes: Vec<(usize, Vec<Bytes>)>,
}

impl Replication {
    /// A master with the given replication ID and no replica.
    pub fn new(replid: String) -> Replication {
        Replication {
            replid,
            offset: 0,
            replicas: Vec::new(),
            handshakes: Vec::new(),
            last_db: None,
            depth: 0,
            pending: Vec::new(),
            last_ping_ms: i64::MIN,
            served_writes: Vec::new(),
        }
    }

    fn handshake(&mut self, id: u64) -> &mut Handshake {
        if let Some(i) = self.handshakes.iter().position(|(c, _)| *c == id) {
            return &mut self.handshakes[i].1;
        }
        self.handshakes.push((id, Handshake::default()));
        &mut self.handshakes.last_mut().expect("just pushed").1
    }

    fn is_replica(&self, id: u64) -> bool {
        self.replicas.iter().any(|r| r.id == id)
    }
}

/// Forgets a closed connection (a replica, or a client mid-handshake).
pub(crate) fn forget(engine: &mut Engine, client_id: u64) {
    let repl = &mut engine.repl;
    repl.handshakes.retain(|(id, _)| *id != client_id);
    let before = repl.replicas.len();
    repl.replicas.retain(|r| r.id != client_id);
    if before != repl.replicas.len() && repl.replicas.is_empty() {
        for db in &mut engine.dbs {
            db.set_log_expired(false);
        }
    }
}

/// Redis's `replconfCommand`.
fn replconf(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() % 2 == 0 {
        return Err(syntax_error());
    }
    let id = ctx.client.id;
    let mut j = 1;
    while j < ctx.args.len() {
        let (option, value) = (ctx.arg(j), ctx.arg(j + 1));
        if is(option, "listening-port") {
            let port = args::int(value)?;
            ctx.engine.repl.handshake(id).port = port;
        } else if is(option, "ip-address") {
            // Redis's NET_HOST_STR_LEN.
            if value.len() >= 256 {
                return Err(Reply::Error(Bytes::from(format!(
                    "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    value.len()
                ))));
            }
            ctx.engine.repl.handshake(id).ip = Some(String::from_utf8_lossy(value).into_owned());
        } else if is(option, "capa") {
            // eof and psync2 are both fine: the file is sent with its length.
        } else if is(option, "ack") {
            // No reply, ever; ignored from a client that is not a replica.
            ctx.client.reply.none = true;
            let now = ctx.engine.now_ms();
            if let (Some(offset), Some(r)) = (
                crate::protocol::string2ll(value),
                ctx.engine.repl.replicas.iter_mut().find(|r| r.id == id),
            ) {
                r.ack_offset = r.ack_offset.max(offset);
                r.ack_ms = now;
            }
            return Ok(Reply::Nil);
        } else if is(option, "getack") {
            // Only a replica answers it (with an ACK to its master).
            ctx.client.reply.none = true;
            return Ok(Reply::Nil);
        } else if is(option, "rdb-only") {
            let v = args::int(value)?;
            if !(0..=1).contains(&v) {
                return Err(err("ERR value is out of range, value must between 0 and 1"));
            }
        } else {
            let mut text = b"ERR Unrecognized REPLCONF option: ".to_vec();
            text.extend_from_slice(option);
            return Err(Reply::Error(Bytes::from(text)));
        }
        j += 2;
    }
    Ok(Reply::ok())
}

/// Redis's `syncCommand` (PSYNC and SYNC), always as a full resynchronization.
fn psync(ctx: &mut Ctx<'_>) -> CmdResult {
    let id = ctx.client.id;
    // Already a replica: ignored, without a reply.
    if ctx.engine.repl.is_replica(id) || ctx.client.monitor {
        ctx.client.reply.none = true;
        return Ok(Reply::Nil);
    }
    let psync = is(ctx.arg(0), "psync");
    if psync {
        args::int(ctx.arg(2))?;
    }
    let rdb = rdb_snapshot(ctx.engine);
    let mut out = BytesMut::with_capacity(rdb.len() + 96);
    if psync {
        out.put_slice(
            format!(
                "+FULLRESYNC {} {}\r\n",
                ctx.engine.repl.replid, ctx.engine.repl.offset
            )
            .as_bytes(),
        );
    }
    out.put_slice(format!("${}\r\n", rdb.len()).as_bytes());
    out.put_slice(&rdb);
    send_raw(ctx.client, out.freeze());
    ctx.client.reply.none = true;
    let hs = ctx
        .engine
        .repl
        .handshakes
        .iter()
        .find(|(c, _)| *c == id)
        .map(|(_, h)| h.clone())
        .unwrap_or_default();
    let peer_ip = ctx
        .client
        .addr
        .rsplit_once(':')
        .map_or(ctx.client.addr.as_str(), |(ip, _)| ip)
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let now = ctx.engine.now_ms();
    let repl = &mut ctx.engine.repl;
    repl.replicas.push(Replica {
        id,
        ip: hs.ip.unwrap_or(peer_ip),
        port: hs.port,
        ack_offset: if psync { 0 } else { repl.offset },
        ack_ms: now,
    });
    // The next command propagated selects its database again.
    repl.last_db = None;
    for db in &mut ctx.engine.dbs {
        db.set_log_expired(true);
    }
    Ok(Reply::Nil)
}

/// The dataset as an RDB file.
fn rdb_snapshot(engine: &mut Engine) -> Bytes {
    let now = engine.now_ms();
    let aux = vec![
        ("redis-ver", engine.config.redis_version.clone()),
        ("redis-bits", "64".to_string()),
        ("ctime", (now / 1000).to_string()),
        ("used-mem", engine.used_memory().to_string()),
        ("repl-stream-db", "0".to_string()),
        ("repl-id", engine.repl.replid.clone()),
        ("repl-offset", engine.repl.offset.to_string()),
        ("aof-base", "0".to_string()),
    ];
    #[cfg(feature = "scripting")]
    let functions: Vec<&[u8]> = engine.scripting.library_codes();
    #[cfg(not(feature = "scripting"))]
    let functions: Vec<&[u8]> = Vec::new();
    let dbs = engine
        .dbs
        .iter()
        .enumerate()
        .map(|(i, db)| {
            let keys = db
                .iter()
                .filter(|(_, e)| e.expires_at.is_none_or(|t| t >= now))
                .map(|(k, e)| rdb_file::FileKey {
                    key: k,
                    value: e.value,
                    expires_at: e.expires_at,
                })
                .collect::<Vec<_>>();
            (i, keys)
        })
        .filter(|(_, keys)| !keys.is_empty())
        .collect();
    rdb_file::write(&rdb_file::FileContents {
        aux,
        functions,
        dbs,
    })
}

/// Queues raw bytes on a client's outbox (counted in its backlog).
fn send_raw(client: &Client, bytes: Bytes) {
    if let Some(outbox) = &client.outbox {
        outbox.backlog.add(bytes.len());
        let _ = outbox.sender.send(OutOfBand {
            bytes,
            unblocks: false,
            close: false,
            seq: 0,
        });
    }
}

/// Before a command's handler runs: the modification counter to compare
/// with afterwards, when a replica is attached.
pub(crate) fn before_call(engine: &mut Engine) -> Option<u64> {
    if engine.repl.replicas.is_empty() {
        return None;
    }
    engine.repl.depth += 1;
    Some(engine.dirty())
}

/// After a command's handler ran (see [`before_call`]): queues what the
/// replicas must run.
pub(crate) fn after_call(
    engine: &mut Engine,
    client: &Client,
    spec: &'static CommandSpec,
    args: &[Bytes],
    dirty_before: u64,
    reply: &Reply,
) {
    engine.repl.depth = engine.repl.depth.saturating_sub(1);
    queue_expired(engine);
    if spec.flags & WRITE == 0 {
        return;
    }
    let keys = spec.keys_in(args);
    let changed = engine.dirty() != dirty_before;
    let ok = !matches!(reply, Reply::Error(_));
    let keyless_ok = keys.is_empty() && ok;
    // Consumer-group bookkeeping changes no key version: sent whenever it
    // succeeds.
    let group_ok = ok
        && ["xgroup", "xreadgroup", "xack", "xclaim", "xautoclaim"]
            .iter()
            .any(|n| is(&args[0], n));
    if !(changed || keyless_ok || group_ok) || is(&args[0], "migrate") {
        return;
    }
    let db = client.db;
    for op in rewrite(engine, db, spec, args, &keys) {
        engine.repl.pending.push((Some(db), op));
    }
}

/// `DEL`s for the keys deleted on expiry since the last call.
fn queue_expired(engine: &mut Engine) {
    for i in 0..engine.dbs.len() {
        for key in engine.dbs[i].take_expired() {
            engine
                .repl
                .pending
                .push((Some(i), vec![Bytes::from_static(b"DEL"), key]));
        }
    }
}

/// Queues the current value of `keys` of database `db` (or their
/// deletion): what a blocked client served by another's write did, or
/// what MIGRATE deleted.
pub(crate) fn propagate_keys(engine: &mut Engine, db: usize, keys: &[Bytes]) {
    if engine.repl.replicas.is_empty() {
        return;
    }
    queue_expired(engine);
    for key in keys {
        let op = key_state(engine, db, key);
        engine.repl.pending.push((Some(db), op));
    }
}

/// `RESTORE key <deadline|0> <dump> REPLACE ABSTTL`, or `DEL key`.
fn key_state(engine: &mut Engine, db: usize, key: &Bytes) -> Vec<Bytes> {
    let d = &mut engine.dbs[db];
    match d.peek(key) {
        Some(e) => {
            let at = e.expires_at.unwrap_or(0);
            vec![
                Bytes::from_static(b"RESTORE"),
                key.clone(),
                Bytes::from(at.to_string()),
                rdb::serialize(e.value),
                Bytes::from_static(b"REPLACE"),
                Bytes::from_static(b"ABSTTL"),
            ]
        }
        None => vec![Bytes::from_static(b"DEL"), key.clone()],
    }
}

/// What the replicas run for `args`, which just ran on database `db`.
fn rewrite(
    engine: &mut Engine,
    db: usize,
    spec: &'static CommandSpec,
    args: &[Bytes],
    keys: &[usize],
) -> Vec<Vec<Bytes>> {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let b = |s: &'static str| Bytes::from_static(s.as_bytes());
    let key = || args.get(1).cloned().unwrap_or_default();
    let deadline = |engine: &mut Engine, key: &Bytes| -> Option<Option<i64>> {
        engine.dbs[db].peek(key).map(|e| e.expires_at)
    };
    match name.as_str() {
        "set" | "setex" | "psetex" => {
            let k = key();
            let value = if name == "set" { &args[2] } else { &args[3] };
            let timed = name != "set"
                || args[3..]
                    .iter()
                    .any(|a| ["ex", "px", "exat", "pxat"].iter().any(|o| is(a, o)));
            match deadline(engine, &k) {
                Some(Some(at)) if timed => vec![vec![
                    b("SET"),
                    k,
                    value.clone(),
                    b("PXAT"),
                    Bytes::from(at.to_string()),
                ]],
                None if timed => vec![vec![b("DEL"), k]],
                _ => vec![args.to_vec()],
            }
        }
        "expire" | "pexpire" | "expireat" | "pexpireat" | "getex" => {
            let k = key();
            match deadline(engine, &k) {
                Some(Some(at)) => vec![vec![b("PEXPIREAT"), k, Bytes::from(at.to_string())]],
                Some(None) if name == "getex" => vec![vec![b("PERSIST"), k]],
                Some(None) => vec![args.to_vec()],
                None => vec![vec![b("DEL"), k]],
            }
        }
        "incrbyfloat" => {
            let k = key();
            match engine.dbs[db].peek(&k).map(|e| e.value.clone()) {
                Some(crate::engine::types::Value::String(v)) => {
                    vec![vec![b("SET"), k, v.into_bytes(), b("KEEPTTL")]]
                }
                _ => vec![key_state(engine, db, &k)],
            }
        }
        "hincrbyfloat" | "spop" | "restore" | "xadd" | "xreadgroup" | "xclaim" | "xautoclaim"
        | "xgroup" | "xsetid" | "xtrim" | "lmpop" | "zmpop" | "georadius" | "georadiusbymember" => {
            let mut out = Vec::new();
            for &i in keys {
                if let Some(k) = args.get(i) {
                    if !out.iter().any(|o: &Vec<Bytes>| o[1] == k) {
                        out.push(key_state(engine, db, k));
                    }
                }
            }
            let _ = spec;
            out
        }
        _ => vec![args.to_vec()],
    }
}

/// Sends what the last command queued to every replica: each command in
/// RESP2, after a SELECT when the database changes, in MULTI/EXEC when
/// there are several. Called once a client's command is over (and after
/// the active expiry cycle).
pub(crate) fn flush(engine: &mut Engine) {
    if engine.repl.replicas.is_empty() {
        engine.repl.pending.clear();
        engine.repl.served_writes.clear();
        return;
    }
    for (db, keys) in std::mem::take(&mut engine.repl.served_writes) {
        propagate_keys(engine, db, &keys);
    }
    // Always called between commands: a handler that panicked must not
    // leave the stream held back.
    engine.repl.depth = 0;
    queue_expired(engine);
    let pending = std::mem::take(&mut engine.repl.pending);
    if pending.is_empty() {
        return;
    }
    let mut out = BytesMut::new();
    let transaction = pending.len() > 1;
    let repl = &mut engine.repl;
    if transaction {
        encode(&mut out, &[Bytes::from_static(b"MULTI")]);
    }
    for (db, args) in &pending {
        if let Some(db) = *db {
            if repl.last_db != Some(db) {
                encode(
                    &mut out,
                    &[Bytes::from_static(b"SELECT"), Bytes::from(db.to_string())],
                );
                repl.last_db = Some(db);
            }
        }
        encode(&mut out, args);
    }
    if transaction {
        encode(&mut out, &[Bytes::from_static(b"EXEC")]);
    }
    repl.offset += out.len() as i64;
    let bytes = out.freeze();
    // The `replica` class of `client-output-buffer-limit` (its hard limit;
    // the mock's safety cap when it has none): a replica that stops
    // reading is dropped, as Redis drops it.
    let hard = match engine.limits.replica.hard {
        0 => crate::engine::delivery::SAFETY_OUTPUT_CAP,
        n => n,
    };
    for r in &repl.replicas {
        if let Some(client) = engine.clients.get(&r.id) {
            let over = client
                .outbox
                .as_ref()
                .is_some_and(|o| o.backlog.buffers().pending as u64 + bytes.len() as u64 > hard);
            if over {
                if let Some(outbox) = &client.outbox {
                    let _ = outbox.sender.send(OutOfBand {
                        bytes: Bytes::new(),
                        unblocks: false,
                        close: true,
                        seq: 0,
                    });
                }
            } else {
                send_raw(client, bytes.clone());
            }
        }
    }
}

fn encode(out: &mut BytesMut, args: &[Bytes]) {
    out.put_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.put_slice(format!("${}\r\n", a.len()).as_bytes());
        out.put_slice(a);
        out.put_slice(b"\r\n");
    }
}

/// Redis's `replicationCron` ping: every `repl-ping-replica-period`
/// seconds of the engine clock while replicas are attached.
pub(crate) fn cron(engine: &mut Engine) {
    if engine.repl.replicas.is_empty() {
        return;
    }
    let period = engine
        .config_int("repl-ping-replica-period")
        .unwrap_or(10)
        .max(1)
        .saturating_mul(1000);
    let now = engine.now_ms();
    if engine.repl.last_ping_ms == i64::MIN {
        engine.repl.last_ping_ms = now;
    } else if now.saturating_sub(engine.repl.last_ping_ms) >= period {
        engine.repl.last_ping_ms = now;
        engine
            .repl
            .pending
            .push((None, vec![Bytes::from_static(b"PING")]));
    }
    flush(engine);
}

/// ROLE's answer: `master`, the offset, and `[ip, port, offset]` per replica.
pub(crate) fn role_reply(engine: &Engine) -> Reply {
    let replicas = engine
        .repl
        .replicas
        .iter()
        .map(|r| {
            Reply::Array(vec![
                Reply::Bulk(Bytes::from(r.ip.clone())),
                Reply::Bulk(Bytes::from(r.port.to_string())),
                Reply::Bulk(Bytes::from(r.ack_offset.to_string())),
            ])
        })
        .collect();
    Reply::Array(vec![
        Reply::bulk("master"),
        Reply::int(engine.repl.offset),
        Reply::Array(replicas),
    ])
}

/// The `slave<n>:` lines of `INFO replication`.
pub(crate) fn info_lines(engine: &Engine) -> Vec<(String, String)> {
    let now = engine.clock.now_ms();
    engine
        .repl
        .replicas
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                format!("slave{i}"),
                format!(
                    "ip={},port={},state=online,offset={},lag={}",
                    r.ip,
                    r.port,
                    r.ack_offset,
                    (now - r.ack_ms).max(0) / 1000
                ),
            )
        })
        .collect()
}
