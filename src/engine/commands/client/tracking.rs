//! CLIENT TRACKING, CACHING, TRACKINGINFO and GETREDIR, with Redis 7.0's
//! option checks and error texts. The tables and the invalidation
//! messages are in `engine/tracking.rs`.

use bytes::Bytes;

use crate::engine::Ctx;
use crate::engine::command::CmdResult;
use crate::engine::tracking::{self, ClientTracking};
use crate::engine::util::errors::{NOT_INTEGER, err, syntax_error};
use crate::protocol::{Reply, string2ll};

/// `Prefix '<a>' overlaps with <what> '<b>'. ...`, as Redis's
/// `checkPrefixCollisionsOrReply`.
fn overlap(prefix: &[u8], what: &str, other: &[u8]) -> Reply {
    let mut text = b"ERR Prefix '".to_vec();
    text.extend_from_slice(prefix);
    text.extend_from_slice(b"' overlaps with ");
    text.extend_from_slice(what.as_bytes());
    text.extend_from_slice(b" '");
    text.extend_from_slice(other);
    text.extend_from_slice(b"'. Prefixes for a single client must not overlap.");
    Reply::Error(Bytes::from(text))
}

fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

pub(super) fn client_tracking(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut mode = ClientTracking::default();
    let mut prefixes: Vec<Bytes> = Vec::new();
    let args = ctx.args;
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        let more = j + 1 < args.len();
        if opt.eq_ignore_ascii_case(b"redirect") && more {
            j += 1;
            if mode.redirect != 0 {
                return Err(err(
                    "ERR A client can only redirect to a single other client",
                ));
            }
            let id = string2ll(&args[j]).ok_or_else(|| err(NOT_INTEGER))?;
            let exists = u64::try_from(id)
                .is_ok_and(|id| id == ctx.client.id || ctx.engine.clients.contains_key(&id));
            if !exists {
                return Err(err("ERR The client ID you want redirect to does not exist"));
            }
            mode.redirect = id as u64;
        } else if opt.eq_ignore_ascii_case(b"bcast") {
            mode.bcast = true;
        } else if opt.eq_ignore_ascii_case(b"optin") {
            mode.optin = true;
        } else if opt.eq_ignore_ascii_case(b"optout") {
            mode.optout = true;
        } else if opt.eq_ignore_ascii_case(b"noloop") {
            mode.noloop = true;
        } else if opt.eq_ignore_ascii_case(b"prefix") && more {
            j += 1;
            prefixes.push(args[j].clone());
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let switch = ctx.arg(2);
    if switch.eq_ignore_ascii_case(b"off") {
        tracking::disable(ctx.engine, ctx.client);
        return Ok(Reply::ok());
    }
    if !switch.eq_ignore_ascii_case(b"on") {
        return Err(syntax_error());
    }
    if !mode.bcast && !prefixes.is_empty() {
        return Err(err("ERR PREFIX option requires BCAST mode to be enabled"));
    }
    if let Some(current) = &ctx.client.tracking {
        if current.bcast != mode.bcast {
            return Err(err(
                "ERR You can't switch BCAST mode on/off before disabling tracking for this \
                 client, and then re-enabling it with a different mode.",
            ));
        }
    }
    if mode.bcast && (mode.optin || mode.optout) {
        return Err(err("ERR OPTIN and OPTOUT are not compatible with BCAST"));
    }
    if mode.optin && mode.optout {
        return Err(err("ERR You can't specify both OPTIN mode and OPTOUT mode"));
    }
    if let Some(current) = &ctx.client.tracking {
        if (mode.optin && current.optout) || (mode.optout && current.optin) {
            return Err(err(
                "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this \
                 client, and then re-enabling it with a different mode.",
            ));
        }
    }
    if mode.bcast {
        let existing = ctx
            .client
            .tracking
            .as_ref()
            .map(|t| t.prefixes.as_slice())
            .unwrap_or_default();
        for (i, prefix) in prefixes.iter().enumerate() {
            if let Some(old) = existing.iter().find(|old| overlaps(prefix, old)) {
                return Err(overlap(prefix, "an existing prefix", old));
            }
            if let Some(other) = prefixes[i + 1..].iter().find(|o| overlaps(prefix, o)) {
                return Err(overlap(prefix, "another provided prefix", other));
            }
        }
    }
    tracking::enable(ctx.engine, ctx.client, mode, &prefixes);
    Ok(Reply::ok())
}

pub(super) fn client_caching(ctx: &mut Ctx<'_>) -> CmdResult {
    let Some(mode) = &mut ctx.client.tracking else {
        return Err(err(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with \
             OPTIN or OPTOUT mode enabled",
        ));
    };
    let opt = &ctx.args[2];
    if opt.eq_ignore_ascii_case(b"yes") {
        if !mode.optin {
            return Err(err(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if opt.eq_ignore_ascii_case(b"no") {
        if !mode.optout {
            return Err(err(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(syntax_error());
    }
    mode.caching = true;
    Ok(Reply::ok())
}

pub(super) fn client_getredir(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::int(
        ctx.client
            .tracking
            .as_ref()
            .map_or(-1, |t| t.redirect as i64),
    ))
}

pub(super) fn client_trackinginfo(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut flags = Vec::new();
    let mut redirect = -1;
    let mut prefixes = Vec::new();
    match &ctx.client.tracking {
        None => flags.push("off"),
        Some(t) => {
            flags.push("on");
            for (on, name) in [
                (t.bcast, "bcast"),
                (t.optin, "optin"),
                (t.optout, "optout"),
                (t.optin && t.caching, "caching-yes"),
                (t.optout && t.caching, "caching-no"),
                (t.noloop, "noloop"),
                (t.broken, "broken_redirect"),
            ] {
                if on {
                    flags.push(name);
                }
            }
            redirect = t.redirect as i64;
            prefixes = t.prefixes.iter().cloned().map(Reply::Bulk).collect();
        }
    }
    Ok(Reply::Map(vec![
        (
            Reply::bulk("flags"),
            Reply::Set(flags.into_iter().map(Reply::bulk).collect()),
        ),
        (Reply::bulk("redirect"), Reply::int(redirect)),
        (Reply::bulk("prefixes"), Reply::Array(prefixes)),
    ]))
}
