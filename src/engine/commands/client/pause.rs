//! CLIENT PAUSE and CLIENT UNPAUSE, and how commands wait while paused.
//!
//! A pause lasts until its end on the engine clock (a frozen clock keeps
//! it on; `fast_forward` and the active expiry cycle end it once past) or
//! until CLIENT UNPAUSE. Which commands wait follows Redis 7.0's
//! `processCommand`: in `ALL` mode every command of every client but the
//! monitors (CLIENT UNPAUSE included); in `WRITE` mode the commands
//! flagged `write` or `may-replicate` (PUBLISH, PFCOUNT, EXPIRE, ...),
//! EVAL unless its script's shebang line says `flags=no-writes`, EVALSHA
//! and FCALL (whatever their script declares: an approximation), and an
//! EXEC whose queue holds one of those. Reads pass, EVAL_RO and the other
//! read-only script forms too.
//!
//! The session asks [`postpone`] before running a command: when it must
//! wait, the client is recorded as postponed and the session parks it as
//! a blocked client (without the engine lock), keeping the command. The
//! end of the pause sends each postponed client an empty unblocking frame
//! on its outbox; the session then runs the kept command (which may wait
//! again if another pause started).

use bytes::Bytes;

use crate::engine::command::{CmdResult, CommandTable, Resolved, flags};
use crate::engine::util::errors::{NEGATIVE_TIMEOUT, err, subcommand_syntax_error};
use crate::engine::{Ctx, Engine, delivery};
use crate::protocol::{Reply, string2ll};

/// A running pause.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pause {
    /// Engine-clock Unix ms at which it ends.
    pub end_ms: i64,
    /// `ALL` (every command waits) rather than `WRITE`.
    pub all: bool,
}

pub(super) fn client_pause(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 4 {
        return Err(subcommand_syntax_error(ctx.arg(1), "client"));
    }
    let ms = string2ll(ctx.arg(2))
        .ok_or_else(|| err("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(err(NEGATIVE_TIMEOUT));
    }
    let all = match ctx.args.get(3) {
        None => true,
        Some(m) if m.eq_ignore_ascii_case(b"all") => true,
        Some(m) if m.eq_ignore_ascii_case(b"write") => false,
        Some(_) => return Err(err("ERR CLIENT PAUSE mode must be WRITE or ALL")),
    };
    let end_ms = ctx.engine.now_ms().saturating_add(ms);
    // The most restrictive pause wins: the later end, ALL over WRITE.
    let pause = match ctx.engine.client_admin.pause {
        Some(p) => Pause {
            end_ms: p.end_ms.max(end_ms),
            all: p.all || all,
        },
        None => Pause { end_ms, all },
    };
    ctx.engine.client_admin.pause = Some(pause);
    Ok(Reply::ok())
}

pub(super) fn client_unpause(ctx: &mut Ctx<'_>) -> CmdResult {
    unpause(ctx.engine);
    Ok(Reply::ok())
}

/// Ends the pause and releases every postponed client.
pub(crate) fn unpause(engine: &mut Engine) {
    engine.client_admin.pause = None;
    let release = Bytes::new();
    for id in std::mem::take(&mut engine.client_admin.postponed) {
        let Some(client) = engine.clients.get_mut(&id) else {
            continue;
        };
        client.postponed = false;
        if let Some(outbox) = &client.outbox {
            let _ = outbox.sender.send(delivery::OutOfBand {
                bytes: release.clone(),
                unblocks: true,
                close: false,
                seq: 0,
            });
        }
    }
}

/// Ends the pause once the engine clock reading is past its end (the
/// active expiry cycle, and a parked session whose wait is over, call it).
pub(crate) fn end_pause_if_due(engine: &mut Engine) {
    if engine
        .client_admin
        .pause
        .is_some_and(|p| p.end_ms < engine.now_ms())
    {
        unpause(engine);
    }
}

/// Whether an EVAL script counts as a write, as redis-server 7.0.15
/// pauses them: unless its shebang line (`#!lua`) declares
/// `flags=no-writes`.
fn script_writes(body: &[u8]) -> bool {
    let Some(line) = body.strip_prefix(b"#!") else {
        return true;
    };
    let line = line.split(|&b| b == b'\n').next().unwrap_or_default();
    !line
        .split(|&b| b == b' ')
        .filter_map(|word| word.strip_prefix(b"flags="))
        .any(|flags| flags.split(|&b| b == b',').any(|f| f == b"no-writes"))
}

/// Whether command `args` of client `id` must wait for the pause to end:
/// `Some(end)` (engine-clock ms) when it must, the client then recorded as
/// postponed; `None` to run it now.
pub(crate) fn postpone(engine: &mut Engine, id: u64, args: &[Bytes]) -> Option<i64> {
    let pause = engine.client_admin.pause?;
    engine.refresh_time();
    end_pause_if_due(engine);
    engine.client_admin.pause?;
    let client = engine.clients.get(&id)?;
    if client.monitor {
        return None;
    }
    // Unknown commands and wrong arities are refused at once, as Redis
    // checks them before the pause.
    let Resolved::Found(spec, _) = CommandTable::get().resolve(args) else {
        return None;
    };
    if !spec.arity_ok(args.len()) {
        return None;
    }
    let writes = |f: u32| f & (flags::WRITE | flags::MAY_REPLICATE) != 0;
    let waits = pause.all
        || writes(spec.flags)
        || (spec.name == "eval" && script_writes(&args[1]))
        || spec.name == "evalsha"
        || spec.name == "fcall"
        || (spec.name == "exec"
            && client.multi.as_ref().is_some_and(|queue| {
                queue.iter().any(|cmd| {
                    matches!(CommandTable::get().resolve(cmd),
                        Resolved::Found(s, _) if writes(s.flags))
                })
            }));
    if !waits {
        return None;
    }
    if let Some(client) = engine.clients.get_mut(&id) {
        client.postponed = true;
    }
    engine.client_admin.postponed.push(id);
    Some(pause.end_ms)
}

#[cfg(test)]
mod tests {
    use super::script_writes;

    #[test]
    fn scripts_write_unless_their_shebang_says_no_writes() {
        assert!(script_writes(b"return 1"));
        assert!(script_writes(b"#!lua\nreturn 1"));
        assert!(script_writes(b"#!lua flags=allow-oom\nreturn 1"));
        assert!(!script_writes(b"#!lua flags=no-writes\nreturn 1"));
        assert!(!script_writes(
            b"#!lua flags=allow-stale,no-writes\nreturn 1"
        ));
    }
}
