//! Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT and RESET
//! (CLIENT is in `client/`).

use super::acl::authenticate;
use super::pubsub::subscribed_ping;
use super::transactions::discard_transaction;
use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::delivery::unsubscribe_all;
use crate::engine::util::args;
use crate::engine::util::errors::{
    DB_INDEX_OUT_OF_RANGE, OUT_OF_INT_RANGE, WRONGPASS, c_bytes, err, error_quoting, syntax_error,
    wrong_arity,
};
use crate::engine::{Ctx, DATABASES, Engine};
use crate::protocol::{Protocol, Reply, string2ll};
use bytes::Bytes;

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
            credentials = Some((ctx.arg(j + 1), ctx.arg(j + 2)));
            j += 2;
        } else if opt.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
            validate_name(ctx.arg(j + 1))?;
            name = Some(ctx.arg(j + 1));
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
        if !authenticate(ctx, user, pass) {
            return Err(err(WRONGPASS));
        }
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
        ctx.client.name = (!name.is_empty()).then_some(name.clone());
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
        field("mode", Reply::bulk(server_mode(ctx.engine))),
        field("role", Reply::bulk("master")),
        field("modules", Reply::Array(Vec::new())),
    ]))
}

fn auth(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 3 {
        return Err(syntax_error());
    }
    let (user, pass) = if ctx.args.len() == 2 {
        if ctx.engine.acl.default_user().nopass() {
            return Err(err(
                "ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?",
            ));
        }
        (Bytes::from_static(b"default"), ctx.arg(1))
    } else {
        (ctx.arg(1).clone(), ctx.arg(2))
    };
    if authenticate(ctx, &user, pass) {
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
    if ctx.engine.cluster.is_some() && id != 0 {
        return Err(err("ERR SELECT is not allowed in cluster mode"));
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
    ctx.client.user = Bytes::from_static(b"default");
    ctx.client.authenticated = ctx.engine.default_user_open();
    super::client::reset(ctx.engine, ctx.client);
    Ok(Reply::simple("RESET"))
}

/// Redis accepts names of printable ASCII characters other than space.
pub(crate) fn validate_name(name: &[u8]) -> Result<(), Reply> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(err(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// What HELLO's `mode` and INFO's `redis_mode` say.
pub(crate) fn server_mode(engine: &Engine) -> &'static str {
    if engine.cluster.is_some() {
        "cluster"
    } else {
        "standalone"
    }
}
