//! CLIENT LIST and CLIENT INFO: one line per client in Redis 7.0's field
//! order, with its flags and the buffer figures its session reports.

use std::time::Instant;

use bytes::Bytes;

use crate::engine::command::CmdResult;
use crate::engine::util::errors::{err, error_quoting, syntax_error};
use crate::engine::{Client, Ctx, Engine};
use crate::protocol::{Reply, string2ll};

/// Redis's `PROTO_REPLY_CHUNK_BYTES`: the static reply buffer, past which
/// replies go to a list of chunks (`obl` and `oll`/`omem`).
const REPLY_CHUNK: usize = 16 * 1024;

/// A client's class for `TYPE` filters, as Redis's `getClientType`: a
/// client with a subscription is `pubsub` (a monitor is `normal`).
pub(super) fn is_pubsub(client: &Client) -> bool {
    client.subs.total() > 0
}

/// Parses a `TYPE` value: `Some(true)` pubsub, `Some(false)` normal,
/// `None` master or replica (the mock has none).
pub(super) fn parse_type(kind: &[u8]) -> Result<Option<bool>, Reply> {
    if kind.eq_ignore_ascii_case(b"normal") {
        Ok(Some(false))
    } else if kind.eq_ignore_ascii_case(b"pubsub") {
        Ok(Some(true))
    } else if [&b"master"[..], b"replica", b"slave"]
        .iter()
        .any(|k| kind.eq_ignore_ascii_case(k))
    {
        Ok(None)
    } else {
        Err(error_quoting("ERR Unknown client type '", kind, "'"))
    }
}

/// One `CLIENT LIST` line, in Redis 7.0's field order. `args` are the
/// arguments of the command `client` runs (its `argv-mem`), `None` for the
/// others (Redis frees a client's arguments after each command).
pub(crate) fn client_line(
    engine: &Engine,
    client: &Client,
    args: Option<&[Bytes]>,
    now: Instant,
    with_lib: bool,
) -> String {
    let text = |v: &Option<Bytes>| {
        v.as_ref()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    let lib = if with_lib {
        format!(
            " lib-name={} lib-ver={}",
            text(&client.lib_name),
            text(&client.lib_ver)
        )
    } else {
        String::new()
    };
    let buffers = client
        .outbox
        .as_ref()
        .map(|o| o.backlog.buffers())
        .unwrap_or_default();
    let argv_mem: usize = args.map_or(0, |a| a.iter().map(Bytes::len).sum());
    let multi_mem: usize = client
        .multi
        .as_ref()
        .map_or(0, |q| q.iter().flatten().map(Bytes::len).sum());
    let obl = buffers.pending.min(REPLY_CHUNK);
    let omem = buffers.pending - obl;
    let oll = omem.div_ceil(REPLY_CHUNK);
    let tot_mem = std::mem::size_of::<Client>()
        + buffers.query_cap
        + buffers.reply_cap
        + argv_mem
        + multi_mem
        + omem;
    let redir = client.tracking.as_ref().map_or(-1, |t| t.redirect as i64);
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} \
         multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} \
         tot-mem={} events={} cmd={} user={} redir={} resp={}{}\n",
        client.id,
        client.addr,
        client.laddr,
        client.id + 7,
        text(&client.name),
        now.duration_since(client.created).as_secs(),
        now.duration_since(client.last_interaction).as_secs(),
        client_flags(engine, client),
        client.db,
        client.subs.channels.len(),
        client.subs.patterns.len(),
        client.subs.shard.len(),
        client.multi.as_ref().map_or(-1, |q| q.len() as i64),
        buffers.query_len,
        buffers.query_cap.saturating_sub(buffers.query_len),
        argv_mem,
        multi_mem,
        buffers.reply_cap,
        buffers.reply_peak,
        obl,
        oll,
        omem,
        tot_mem,
        if buffers.pending > 0 { "rw" } else { "r" },
        client.last_command,
        String::from_utf8_lossy(client.user_name()),
        redir,
        client.protocol.version(),
        lib,
    )
}

/// The `flags=` letters in Redis 7.0's order: `O` (monitor), `P`
/// (subscribed), `x` (in MULTI), `b` (blocked or paused), `t` (tracking),
/// `R` (broken redirect), `B` (broadcast tracking), `d` (a watched key
/// changed), `c` (closes after the reply), `U` (Unix socket), `e`
/// (no-evict); `N` for none.
fn client_flags(engine: &Engine, client: &Client) -> String {
    let mut f = String::new();
    let mut flag = |on: bool, letter: char| {
        if on {
            f.push(letter);
        }
    };
    flag(client.monitor, 'O');
    flag(client.subs.total() > 0, 'P');
    flag(client.multi.is_some(), 'x');
    flag(client.blocked.is_some() || client.postponed, 'b');
    let tracking = client.tracking.as_ref();
    flag(tracking.is_some(), 't');
    flag(tracking.is_some_and(|t| t.broken), 'R');
    flag(tracking.is_some_and(|t| t.bcast), 'B');
    flag(
        client
            .watched
            .iter()
            .any(|(db, key, mark)| engine.dbs[*db].watch_broken(key, mark)),
        'd',
    );
    flag(client.close_after_reply, 'c');
    flag(client.is_unix(), 'U');
    flag(client.no_evict, 'e');
    if f.is_empty() {
        f.push('N');
    }
    f
}

fn verbatim(text: String) -> Reply {
    Reply::Verbatim {
        format: *b"txt",
        text: Bytes::from(text),
    }
}

pub(super) fn client_info(ctx: &mut Ctx<'_>) -> CmdResult {
    let with_lib = ctx.engine.config.version_at_least(7, 2);
    Ok(verbatim(client_line(
        ctx.engine,
        ctx.client,
        Some(ctx.args),
        Instant::now(),
        with_lib,
    )))
}

pub(super) fn client_list(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut ids: Option<Vec<u64>> = None;
    let mut type_filter: Option<bool> = None;
    let mut j = 2;
    while j < ctx.args.len() {
        let opt = ctx.arg(j);
        if opt.eq_ignore_ascii_case(b"TYPE") && j + 1 < ctx.args.len() {
            match parse_type(ctx.arg(j + 1))? {
                Some(pubsub) => type_filter = Some(pubsub),
                None => ids = Some(Vec::new()),
            }
            j += 2;
        } else if opt.eq_ignore_ascii_case(b"ID") && j + 1 < ctx.args.len() {
            let mut wanted = Vec::new();
            for arg in &ctx.args[j + 1..] {
                match string2ll(arg) {
                    Some(id) if id > 0 => wanted.push(id as u64),
                    _ => return Err(err("ERR Invalid client ID")),
                }
            }
            ids = Some(wanted);
            j = ctx.args.len();
        } else {
            return Err(syntax_error());
        }
    }
    let now = Instant::now();
    let with_lib = ctx.engine.config.version_at_least(7, 2);
    let mut clients: Vec<&Client> = ctx.engine.clients.values().map(|c| &**c).collect();
    clients.push(ctx.client);
    clients.sort_by_key(|c| c.id);
    let text: String = clients
        .into_iter()
        .filter(|c| ids.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| type_filter.is_none_or(|pubsub| pubsub == is_pubsub(c)))
        .map(|c| {
            let args = (c.id == ctx.client.id).then_some(ctx.args);
            client_line(ctx.engine, c, args, now, with_lib)
        })
        .collect();
    Ok(verbatim(text))
}
