//! CLIENT KILL (the old `addr` form and the filter form) and CLIENT
//! UNBLOCK, as Redis 7.0's `clientCommand`.

use bytes::Bytes;

use super::list::{is_pubsub, parse_type};
use crate::engine::command::CmdResult;
use crate::engine::util::errors::{
    NOT_INTEGER, err, error_quoting, subcommand_syntax_error, syntax_error,
};
use crate::engine::{Client, Ctx, Engine, blocking, delivery};
use crate::protocol::{Reply, string2ll};

/// The filters of one `CLIENT KILL`.
#[derive(Default)]
struct Filter {
    addr: Option<Bytes>,
    laddr: Option<Bytes>,
    id: Option<u64>,
    /// `Some(Some(pubsub))` for normal/pubsub, `Some(None)` for master or
    /// replica (nobody here).
    kind: Option<Option<bool>>,
    user: Option<Bytes>,
    /// Minimum age in seconds (`MAXAGE`, Redis 7.4).
    max_age: Option<u64>,
    skipme: bool,
}

impl Filter {
    fn matches(&self, client: &Client, me: u64) -> bool {
        self.addr
            .as_ref()
            .is_none_or(|a| a == client.addr.as_bytes())
            && self
                .laddr
                .as_ref()
                .is_none_or(|a| a == client.laddr.as_bytes())
            && self
                .kind
                .is_none_or(|k| k.is_some_and(|pubsub| pubsub == is_pubsub(client)))
            && self.id.is_none_or(|id| id == client.id)
            && self.user.as_ref().is_none_or(|u| u == client.user_name())
            && self
                .max_age
                .is_none_or(|age| client.created.elapsed().as_secs() >= age)
            && !(self.skipme && client.id == me)
    }
}

/// Whether an ACL user of that name exists (the default user only, until
/// users exist).
fn user_exists(name: &[u8]) -> bool {
    name == b"default"
}

fn parse_filter(ctx: &Ctx<'_>) -> Result<Filter, Reply> {
    let mut filter = Filter {
        skipme: true,
        ..Filter::default()
    };
    let args = ctx.args;
    let mut i = 2;
    while i < args.len() {
        let opt = &args[i];
        let Some(value) = args.get(i + 1) else {
            return Err(syntax_error());
        };
        if opt.eq_ignore_ascii_case(b"id") {
            match string2ll(value) {
                Some(id) if id > 0 => filter.id = Some(id as u64),
                _ => return Err(err("ERR client-id should be greater than 0")),
            }
        } else if opt.eq_ignore_ascii_case(b"type") {
            filter.kind = Some(parse_type(value)?);
        } else if opt.eq_ignore_ascii_case(b"addr") {
            filter.addr = Some(value.clone());
        } else if opt.eq_ignore_ascii_case(b"laddr") {
            filter.laddr = Some(value.clone());
        } else if opt.eq_ignore_ascii_case(b"user") {
            if !user_exists(value) {
                return Err(error_quoting("ERR No such user '", value, "'"));
            }
            filter.user = Some(value.clone());
        } else if opt.eq_ignore_ascii_case(b"skipme") {
            if value.eq_ignore_ascii_case(b"yes") {
                filter.skipme = true;
            } else if value.eq_ignore_ascii_case(b"no") {
                filter.skipme = false;
            } else {
                return Err(syntax_error());
            }
        } else if opt.eq_ignore_ascii_case(b"maxage") && ctx.engine.config.version_at_least(7, 4) {
            match string2ll(value) {
                Some(age) => filter.max_age = Some(age.max(0) as u64),
                None => return Err(err(NOT_INTEGER)),
            }
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }
    Ok(filter)
}

/// Closes client `id` at once, as Redis's `freeClient`: it leaves the
/// client table now, and its connection gets a close frame (dropped
/// without writing what is pending).
pub(crate) fn kill(engine: &mut Engine, id: u64) {
    if let Some(outbox) = engine.clients.get(&id).and_then(|c| c.outbox.as_ref()) {
        if outbox.backlog.close() {
            let _ = outbox.sender.send(delivery::OutOfBand {
                bytes: Bytes::new(),
                unblocks: false,
                close: true,
                seq: 0,
            });
        }
    }
    engine.disconnect(id);
}

pub(super) fn client_kill(ctx: &mut Ctx<'_>) -> CmdResult {
    let old_form = ctx.args.len() == 3;
    let filter = if old_form {
        Filter {
            addr: Some(ctx.arg(2).clone()),
            ..Filter::default()
        }
    } else {
        parse_filter(ctx)?
    };
    let me = ctx.client.id;
    let mut victims: Vec<u64> = ctx
        .engine
        .clients
        .values()
        .filter(|c| filter.matches(c, me))
        .map(|c| c.id)
        .collect();
    victims.sort_unstable();
    let killed_me = filter.matches(ctx.client, me);
    let killed = victims.len() + usize::from(killed_me);
    if old_form && killed == 0 {
        return Err(err("ERR No such client"));
    }
    for id in victims {
        kill(ctx.engine, id);
    }
    if killed_me {
        ctx.client.close_after_reply = true;
    }
    Ok(if old_form {
        Reply::ok()
    } else {
        Reply::int(killed as i64)
    })
}

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: a client blocked by a blocking
/// command gets its timeout reply, or the `-UNBLOCKED` error.
pub(super) fn client_unblock(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 4 {
        return Err(subcommand_syntax_error(ctx.arg(1), "client"));
    }
    let id = string2ll(ctx.arg(2)).ok_or_else(|| err(NOT_INTEGER))?;
    let error = match ctx.args.get(3) {
        None => false,
        Some(r) if r.eq_ignore_ascii_case(b"timeout") => false,
        Some(r) if r.eq_ignore_ascii_case(b"error") => true,
        Some(_) => {
            return Err(err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
        }
    };
    let blocked = u64::try_from(id).ok().filter(|id| {
        ctx.engine
            .clients
            .get(id)
            .is_some_and(|c| c.blocked.is_some())
    });
    let Some(id) = blocked else {
        return Ok(Reply::int(0));
    };
    let reply = if error {
        if let Some(mut target) = ctx.engine.clients.remove(&id) {
            blocking::unblock(ctx.engine, &mut target);
            ctx.engine.clients.insert(id, target);
        }
        Reply::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    } else {
        blocking::timed_out(ctx.engine, id).unwrap_or(Reply::NilArray)
    };
    delivery::send_to(ctx.engine, None, id, &reply, true);
    Ok(Reply::int(1))
}
