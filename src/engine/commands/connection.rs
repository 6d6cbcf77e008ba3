//! Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET and
//! CLIENT (ID, GETNAME, SETNAME, SETINFO, INFO, LIST, HELP).

use std::time::Instant;

use bytes::Bytes;

use super::pubsub::subscribed_ping;
use super::transactions::discard_transaction;
use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::delivery::unsubscribe_all;
use crate::engine::util::args;
use crate::engine::util::errors::{
    DB_INDEX_OUT_OF_RANGE, OUT_OF_INT_RANGE, WRONGPASS, c_bytes, err, error_quoting, syntax_error,
    unknown_subcommand, wrong_arity,
};
use crate::engine::util::help::help_reply;
use crate::engine::{Client, Ctx, DATABASES, Engine};
use crate::protocol::{Protocol, Reply, string2ll};

const CONN: u32 = acl::CONNECTION;
const HANDSHAKE: u32 = NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ping", -1, ping)
        .flags(FAST)
        .acl(CONN)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc("connection", "1.0.0", "O(1)", "Ping the server"),
    CommandSpec::new("echo", 2, echo)
        .flags(LOADING | STALE | FAST)
        .acl(CONN)
        .doc("connection", "1.0.0", "O(1)", "Echo the given string"),
    CommandSpec::new("hello", -1, hello)
        .flags(HANDSHAKE)
        .acl(CONN)
        .doc("connection", "6.0.0", "O(1)", "Handshake with Redis"),
    CommandSpec::new("auth", -2, auth)
        .flags(HANDSHAKE)
        .acl(CONN)
        .doc(
            "connection",
            "1.0.0",
            "O(N) where N is the number of passwords defined for the user",
            "Authenticate to the server",
        ),
    CommandSpec::new("select", 2, select)
        .flags(LOADING | STALE | FAST)
        .acl(CONN)
        .doc(
            "connection",
            "1.0.0",
            "O(1)",
            "Change the selected database for the current connection",
        ),
    CommandSpec::new("quit", -1, quit)
        .flags(HANDSHAKE)
        .acl(CONN)
        .doc("connection", "1.0.0", "O(1)", "Close the connection"),
    CommandSpec::new("reset", 1, reset)
        .flags(HANDSHAKE)
        .acl(CONN)
        .doc("connection", "6.2.0", "O(1)", "Reset the connection"),
    CommandSpec::container("client", CLIENT_SUBCOMMANDS)
        .acl(acl::SLOW)
        .doc(
            "connection",
            "2.4.0",
            "Depends on subcommand.",
            "A container for client connection commands",
        ),
];

const CLIENT_FLAGS: u32 = NOSCRIPT | LOADING | STALE;

const CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("id", 2, client_id)
        .flags(CLIENT_FLAGS)
        .acl(CONN)
        .doc(
            "connection",
            "5.0.0",
            "O(1)",
            "Returns the client ID for the current connection",
        ),
    CommandSpec::new("getname", 2, client_getname)
        .flags(CLIENT_FLAGS)
        .acl(CONN)
        .doc(
            "connection",
            "2.6.9",
            "O(1)",
            "Get the current connection name",
        ),
    CommandSpec::new("setname", 3, client_setname)
        .flags(CLIENT_FLAGS)
        .acl(CONN)
        .doc(
            "connection",
            "2.6.9",
            "O(1)",
            "Set the current connection name",
        ),
    CommandSpec::new("setinfo", 4, client_setinfo)
        .flags(CLIENT_FLAGS)
        .acl(CONN)
        .doc(
            "connection",
            "7.2.0",
            "O(1)",
            "Set client or connection specific info",
        ),
    CommandSpec::new("info", 2, client_info)
        .flags(CLIENT_FLAGS)
        .acl(CONN)
        .tips(&["nondeterministic_output"])
        .doc(
            "connection",
            "6.2.0",
            "O(1)",
            "Returns information about the current client connection.",
        ),
    CommandSpec::new("list", -2, client_list)
        .flags(ADMIN | CLIENT_FLAGS)
        .acl(CONN)
        .tips(&["nondeterministic_output"])
        .doc(
            "connection",
            "2.4.0",
            "O(N) where N is the number of client connections",
            "Get the list of client connections",
        ),
    CommandSpec::new("help", 2, client_help)
        .flags(LOADING | STALE)
        .acl(CONN)
        .doc(
            "connection",
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

fn ping(ctx: &mut Ctx<'_>) -> CmdResult {
    if let Some(reply) = subscribed_ping(ctx.client, ctx.args) {
        return Ok(reply);
    }
    match ctx.args.len() {
        1 => Ok(Reply::simple("PONG")),
        2 => Ok(Reply::Bulk(ctx.arg(1).clone())),
        _ => Err(wrong_arity("ping")),
    }
}

fn echo(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::Bulk(ctx.arg(1).clone()))
}

/// Whether `username`/`password` authenticate against the default user.
fn credentials_ok(engine: &Engine, username: &[u8], password: &[u8]) -> bool {
    if username != b"default" {
        return false;
    }
    match &engine.config.requirepass {
        None => true,
        Some(pass) => pass.as_ref() == password,
    }
}

fn hello(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut version = None;
    let mut next = 1;
    if ctx.args.len() >= 2 {
        match string2ll(ctx.arg(1)) {
            Some(v) if (2..=3).contains(&v) => version = Some(v),
            Some(_) => return Err(err("NOPROTO unsupported protocol version")),
            None => {
                return Err(err(
                    "ERR Protocol version is not an integer or out of range",
                ));
            }
        }
        next = 2;
    }
    let mut credentials = None;
    let mut name = None;
    let mut j = next;
    while j < ctx.args.len() {
        let more = ctx.args.len() - 1 - j;
        let opt = ctx.arg(j);
        if opt.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
            credentials = Some((ctx.arg(j + 1).clone(), ctx.arg(j + 2).clone()));
            j += 2;
        } else if opt.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
            validate_name(ctx.arg(j + 1))?;
            name = Some(ctx.arg(j + 1).clone());
            j += 1;
        } else {
            return Err(error_quoting(
                "ERR Syntax error in HELLO option '",
                c_bytes(opt, usize::MAX),
                "'",
            ));
        }
        j += 1;
    }
    if let Some((user, pass)) = credentials {
        if !credentials_ok(ctx.engine, &user, &pass) {
            return Err(err(WRONGPASS));
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated {
        // Redis 7.2 added `<proto>` to the text.
        return Err(err(if ctx.engine.config.version_at_least(7, 2) {
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time"
        } else {
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time"
        }));
    }
    if let Some(name) = name {
        ctx.client.name = (!name.is_empty()).then_some(name);
    }
    if let Some(v) = version {
        ctx.client.protocol = if v == 3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
    }
    let field = |k: &'static str, v: Reply| (Reply::bulk(k), v);
    Ok(Reply::Map(vec![
        field("server", Reply::bulk("redis")),
        field(
            "version",
            Reply::bulk(ctx.engine.config.redis_version.clone()),
        ),
        field("proto", Reply::int(ctx.client.protocol.version())),
        field("id", Reply::int(ctx.client.id as i64)),
        field("mode", Reply::bulk("standalone")),
        field("role", Reply::bulk("master")),
        field("modules", Reply::Array(Vec::new())),
    ]))
}

fn auth(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 3 {
        return Err(syntax_error());
    }
    let (user, pass): (&[u8], &[u8]) = if ctx.args.len() == 2 {
        if ctx.engine.config.requirepass.is_none() {
            return Err(err(
                "ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?",
            ));
        }
        (b"default", ctx.arg(1))
    } else {
        (ctx.arg(1), ctx.arg(2))
    };
    if credentials_ok(ctx.engine, user, pass) {
        ctx.client.authenticated = true;
        Ok(Reply::ok())
    } else {
        Err(err(WRONGPASS))
    }
}

fn select(ctx: &mut Ctx<'_>) -> CmdResult {
    let id = args::int(ctx.arg(1))?;
    if i32::try_from(id).is_err() {
        return Err(err(OUT_OF_INT_RANGE));
    }
    if id < 0 || id as usize >= DATABASES {
        return Err(err(DB_INDEX_OUT_OF_RANGE));
    }
    ctx.client.db = id as usize;
    Ok(Reply::ok())
}

fn quit(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.client.close_after_reply = true;
    Ok(Reply::ok())
}

fn reset(ctx: &mut Ctx<'_>) -> CmdResult {
    discard_transaction(ctx.engine, ctx.client);
    unsubscribe_all(ctx.engine, ctx.client);
    ctx.client.db = 0;
    ctx.client.protocol = Protocol::Resp2;
    ctx.client.name = None;
    ctx.client.authenticated = ctx.engine.config.requirepass.is_none();
    Ok(Reply::simple("RESET"))
}

fn client_id(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::int(ctx.client.id as i64))
}

fn client_getname(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(ctx.client.name.clone().map_or(Reply::Nil, Reply::Bulk))
}

/// Redis accepts names of printable ASCII characters other than space.
fn validate_name(name: &[u8]) -> Result<(), Reply> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(err(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

fn client_setname(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = ctx.arg(2).clone();
    validate_name(&name)?;
    ctx.client.name = (!name.is_empty()).then_some(name);
    Ok(Reply::ok())
}

/// `CLIENT SETINFO` arrived in Redis 7.2: a server reporting an older version
/// answers as that version does, with the unknown-subcommand error.
fn client_setinfo(ctx: &mut Ctx<'_>) -> CmdResult {
    if !ctx.engine.config.version_at_least(7, 2) {
        return Err(unknown_subcommand(ctx.arg(1), "client"));
    }
    let attr = ctx.arg(2);
    let value = ctx.arg(3).clone();
    if value.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(error_quoting(
            "ERR ",
            &attr.to_ascii_uppercase(),
            " cannot contain spaces, newlines or special characters.",
        ));
    }
    if attr.eq_ignore_ascii_case(b"lib-name") {
        ctx.client.lib_name = (!value.is_empty()).then_some(value);
    } else if attr.eq_ignore_ascii_case(b"lib-ver") {
        ctx.client.lib_ver = (!value.is_empty()).then_some(value);
    } else {
        return Err(error_quoting("ERR Unrecognized option '", attr, "'"));
    }
    Ok(Reply::ok())
}

/// One `CLIENT LIST` line, in Redis 7.0's field order.
fn client_line(client: &Client, now: Instant, with_lib: bool) -> String {
    let name = client
        .name
        .as_ref()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let lib = if with_lib {
        let text = |v: &Option<Bytes>| {
            v.as_ref()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default()
        };
        format!(
            " lib-name={} lib-ver={}",
            text(&client.lib_name),
            text(&client.lib_ver)
        )
    } else {
        String::new()
    };
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} \
         multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 \
         tot-mem=0 events=r cmd={} user=default redir=-1 resp={}{}\n",
        client.id,
        client.addr,
        client.laddr,
        client.id + 7,
        name,
        now.duration_since(client.created).as_secs(),
        now.duration_since(client.last_interaction).as_secs(),
        client_flags(client),
        client.db,
        client.subs.channels.len(),
        client.subs.patterns.len(),
        client.subs.shard.len(),
        client.multi.as_ref().map_or(-1, |q| q.len() as i64),
        client.last_command,
        client.protocol.version(),
        lib,
    )
}

/// The `flags=` letters, in Redis's order: `P` (subscribed), `x` (in
/// MULTI), `b` (blocked), or `N` for none.
fn client_flags(client: &Client) -> String {
    let mut f = String::new();
    if client.subs.total() > 0 {
        f.push('P');
    }
    if client.multi.is_some() {
        f.push('x');
    }
    if client.blocked.is_some() {
        f.push('b');
    }
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

fn client_info(ctx: &mut Ctx<'_>) -> CmdResult {
    let with_lib = ctx.engine.config.version_at_least(7, 2);
    Ok(verbatim(client_line(ctx.client, Instant::now(), with_lib)))
}

fn client_list(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut ids: Option<Vec<u64>> = None;
    let mut type_filter: Option<bool> = None;
    let mut j = 2;
    while j < ctx.args.len() {
        let opt = ctx.arg(j);
        if opt.eq_ignore_ascii_case(b"TYPE") && j + 1 < ctx.args.len() {
            let kind = ctx.arg(j + 1);
            if ![&b"normal"[..], b"master", b"replica", b"slave", b"pubsub"]
                .iter()
                .any(|k| kind.eq_ignore_ascii_case(k))
            {
                return Err(error_quoting("ERR Unknown client type '", kind, "'"));
            }
            // Clients with subscriptions are of type pubsub, the others normal.
            let pubsub = kind.eq_ignore_ascii_case(b"pubsub");
            if pubsub || kind.eq_ignore_ascii_case(b"normal") {
                type_filter = Some(pubsub);
            } else {
                ids = Some(Vec::new());
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
    let mut clients: Vec<&Client> = ctx.engine.clients.values().collect();
    clients.push(ctx.client);
    clients.sort_by_key(|c| c.id);
    let text: String = clients
        .into_iter()
        .filter(|c| ids.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| type_filter.is_none_or(|pubsub| pubsub == (c.subs.total() > 0)))
        .map(|c| client_line(c, now, with_lib))
        .collect();
    Ok(verbatim(text))
}

fn client_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "CLIENT",
        &[
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
        ],
    ))
}
