//! MIGRATE: moves keys to another server (a redis-server, another
//! MockRedis) with DUMP payloads and RESTORE, as Redis 7.0's
//! `migrateCommand`, without its socket cache (each MIGRATE connects
//! afresh, so there is no retry on a stale cached socket).
//!
//! Engine commands run under the engine lock, and the target may be a
//! MockRedis served by the same runtime: the network part must not run
//! there. The handler checks the arguments and the keys, takes their
//! payloads and TTLs, and leaves a [`MigrateJob`] for the connection
//! ([`take_job`] moves it into the command's outcome). The session hands
//! it to its I/O layer, which runs [`MigrateJob::run`] without the lock,
//! then the session calls [`complete`] under the lock: the keys the target
//! acknowledged are deleted (unless COPY, and propagated to replicas as
//! `DEL`) and the client gets its reply. Inside MULTI/EXEC or a script,
//! where the reply must come at once, mock-redis refuses MIGRATE.

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::formats::rdb;
use crate::engine::keyspace::events;
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{err, syntax_error};
use crate::engine::{Ctx, Engine};
use crate::protocol::Reply;

pub(crate) const COMMANDS: &[CommandSpec] = &[CommandSpec::new("migrate", -6, migrate)
    .flags(WRITE | MOVABLEKEYS)
    .acl(acl::KEYSPACE | acl::DANGEROUS)
    .keys(3, 3, 1, &["RW", "access", "delete"])
    .getkeys(migrate_keys)];

/// Redis's `migrateGetKeys`: argument 3, or what follows `KEYS`.
fn migrate_keys(args: &[Bytes]) -> Vec<usize> {
    if let Some(i) = args.iter().skip(6).position(|a| is(a, "keys")) {
        return (7 + i..args.len()).collect();
    }
    vec![3]
}

/// One key to move: its name, its TTL in ms (0: none) and its payload.
#[derive(Debug)]
struct Item {
    key: Bytes,
    ttl: i64,
    payload: Bytes,
}

/// The network half of a MIGRATE, run by the connection without the
/// engine lock.
#[derive(Debug)]
pub(crate) struct MigrateJob {
    host: String,
    port: Bytes,
    timeout: Duration,
    target_db: i64,
    auth: Option<(Option<Bytes>, Bytes)>,
    replace: bool,
    copy: bool,
    /// The client's database, where the keys are deleted afterwards.
    db: usize,
    items: Vec<Item>,
}

/// What the target answered: the keys it acknowledged (indexes into the
/// job's items) and the error to reply with, if any.
#[derive(Debug)]
pub(crate) struct MigrateResult {
    job: Box<MigrateJob>,
    acked: Vec<usize>,
    error: Option<Reply>,
}

/// Jobs left by MIGRATE handlers, by client id, until the dispatcher
/// moves them into the command's outcome.
#[derive(Debug, Default)]
pub(crate) struct Pending(Vec<(u64, Box<MigrateJob>)>);

/// The job the command client `id` just ran left, if any.
pub(crate) fn take_job(engine: &mut Engine, id: u64) -> Option<Box<MigrateJob>> {
    let i = engine.migrations.0.iter().position(|(c, _)| *c == id)?;
    Some(engine.migrations.0.swap_remove(i).1)
}

fn migrate(ctx: &mut Ctx<'_>) -> CmdResult {
    let (mut copy, mut replace, mut auth) = (false, false, None);
    let (mut first, mut num) = (3, 1);
    let mut j = 6;
    while j < ctx.args.len() {
        let more = ctx.args.len() - 1 - j;
        let a = ctx.arg(j);
        if is(a, "copy") {
            copy = true;
        } else if is(a, "replace") {
            replace = true;
        } else if is(a, "auth") {
            if more < 1 {
                return Err(syntax_error());
            }
            j += 1;
            auth = Some((None, ctx.arg(j).clone()));
        } else if is(a, "auth2") {
            if more < 2 {
                return Err(syntax_error());
            }
            auth = Some((Some(ctx.arg(j + 1).clone()), ctx.arg(j + 2).clone()));
            j += 2;
        } else if is(a, "keys") {
            if !ctx.arg(3).is_empty() {
                return Err(err(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            first = j + 1;
            num = ctx.args.len() - j - 1;
            break;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let mut timeout = args::int(ctx.arg(5))?;
    let target_db = args::int(ctx.arg(4))?;
    if timeout <= 0 {
        timeout = 1000;
    }
    let db = ctx.client.db;
    let now = ctx.engine.now_ms();
    let mut items = Vec::new();
    for key in &ctx.args[first..first + num] {
        let d = &mut ctx.engine.dbs[db];
        if d.get(key).is_none() {
            continue;
        }
        let Some(entry) = d.peek(key) else { continue };
        let ttl = match entry.expires_at {
            Some(at) => (at - now).max(1),
            None => 0,
        };
        items.push(Item {
            key: key.clone(),
            ttl,
            payload: rdb::serialize(entry.value),
        });
    }
    if items.is_empty() {
        return Ok(Reply::simple("NOKEY"));
    }
    if ctx.client.multi.is_some() || ctx.client.id == 0 {
        return Err(err(
            "ERR mock-redis runs MIGRATE only as a command of its own, not inside MULTI/EXEC or a script",
        ));
    }
    let job = MigrateJob {
        host: String::from_utf8_lossy(ctx.arg(1)).into_owned(),
        port: ctx.arg(2).clone(),
        timeout: Duration::from_millis(timeout as u64),
        target_db,
        auth,
        replace,
        copy,
        db,
        items,
    };
    ctx.engine.migrations.0.push((ctx.client.id, Box::new(job)));
    // The reply comes from `complete`.
    ctx.client.reply.none = true;
    Ok(Reply::Nil)
}

fn encode(out: &mut BytesMut, args: &[&[u8]]) {
    out.put_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.put_slice(format!("${}\r\n", a.len()).as_bytes());
        out.put_slice(a);
        out.put_slice(b"\r\n");
    }
}

fn io_error(what: &str) -> Reply {
    Reply::Error(Bytes::from(format!(
        "IOERR error or timeout {what} to target instance"
    )))
}

fn target_error(line: &[u8]) -> Reply {
    let mut text = b"ERR Target instance replied with error: ".to_vec();
    text.extend_from_slice(line.get(1..).unwrap_or_default());
    Reply::Error(Bytes::from(text))
}

impl MigrateJob {
    /// Connects, sends AUTH, SELECT and one RESTORE per key, and reads the
    /// answers, each step within the timeout, as Redis does.
    pub(crate) async fn run(self: Box<Self>) -> MigrateResult {
        let (acked, error) = self.exchange().await;
        MigrateResult {
            job: self,
            acked,
            error,
        }
    }

    async fn exchange(&self) -> (Vec<usize>, Option<Reply>) {
        let t = self.timeout;
        let connect_error = || {
            Reply::Error(Bytes::from_static(
                b"IOERR error or timeout connecting to the client",
            ))
        };
        // Redis reads the port with `atoi`, connects without blocking and
        // learns of a refused connection when it writes.
        let port = atoi(&self.port) as u16;
        if port == 0 {
            return (Vec::new(), Some(io_error("writing")));
        }
        let stream =
            match tokio::time::timeout(t, TcpStream::connect((self.host.as_str(), port))).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return (Vec::new(), Some(io_error("writing")));
                }
                _ => return (Vec::new(), Some(connect_error())),
            };
        let mut out = BytesMut::new();
        match &self.auth {
            Some((Some(user), pw)) => encode(&mut out, &[b"AUTH", user, pw]),
            Some((None, pw)) => encode(&mut out, &[b"AUTH", pw]),
            None => {}
        }
        let db = self.target_db.to_string();
        encode(&mut out, &[b"SELECT", db.as_bytes()]);
        for item in &self.items {
            let ttl = item.ttl.to_string();
            let mut args: Vec<&[u8]> = vec![b"RESTORE", &item.key, ttl.as_bytes(), &item.payload];
            if self.replace {
                args.push(b"REPLACE");
            }
            encode(&mut out, &args);
        }
        let (reader, mut writer) = stream.into_split();
        match tokio::time::timeout(t, writer.write_all(&out)).await {
            Ok(Ok(())) => {}
            _ => return (Vec::new(), Some(io_error("writing"))),
        }
        let mut reader = BufReader::new(reader);
        let read_line = async |reader: &mut BufReader<_>| -> Option<Vec<u8>> {
            let mut line = Vec::new();
            match tokio::time::timeout(t, reader.read_until(b'\n', &mut line)).await {
                Ok(Ok(n)) if n > 0 => Some(line),
                _ => None,
            }
        };
        let auth_line = match &self.auth {
            Some(_) => match read_line(&mut reader).await {
                Some(l) => Some(l),
                None => return (Vec::new(), Some(io_error("reading"))),
            },
            None => None,
        };
        let Some(select_line) = read_line(&mut reader).await else {
            return (Vec::new(), Some(io_error("reading")));
        };
        let mut error = None;
        let refused = auth_line.as_ref().filter(|l| l.first() == Some(&b'-'));
        let refused = refused.or(Some(&select_line).filter(|l| l.first() == Some(&b'-')));
        if let Some(line) = refused {
            error = Some(target_error(trim(line)));
        }
        let mut acked = Vec::new();
        let mut socket_error = false;
        for i in 0..self.items.len() {
            let Some(line) = read_line(&mut reader).await else {
                socket_error = true;
                break;
            };
            if refused.is_some() || line.first() == Some(&b'-') {
                if error.is_none() {
                    error = Some(target_error(trim(&line)));
                }
            } else {
                acked.push(i);
            }
        }
        if error.is_none() && socket_error {
            error = Some(io_error("reading"));
        }
        (acked, error)
    }
}

/// C's `atoi`: optional blanks and sign, then the leading digits.
fn atoi(s: &[u8]) -> i64 {
    let s = s.trim_ascii_start();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add((c - b'0') as i64);
    }
    if neg { -n } else { n }
}

fn trim(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))
        .unwrap_or(line)
}

/// The end of a MIGRATE, under the engine lock: deletes what the target
/// acknowledged (unless COPY) and returns the reply.
pub(crate) fn complete(engine: &mut Engine, result: MigrateResult) -> Reply {
    engine.refresh_time();
    let job = result.job;
    if !job.copy {
        let mut deleted = Vec::new();
        let db = &mut engine.dbs[job.db];
        for &i in &result.acked {
            let key = &job.items[i].key;
            if db.remove(key).is_some() {
                db.notify(events::GENERIC, "del", key);
                deleted.push(key.clone());
            }
        }
        super::replication::propagate_keys(engine, job.db, &deleted);
    }
    engine.after_command();
    super::replication::flush(engine);
    result.error.unwrap_or_else(Reply::ok)
}
