//! The CLUSTER node management commands: BUMPEPOCH, SAVECONFIG, FAILOVER,
//! FORGET, MEET, REPLICATE, RESET and SET-CONFIG-EPOCH.

use super::topology::unknown_node;
use super::view;
use crate::engine::Ctx;
use crate::engine::cluster::topology::Role;
use crate::engine::command::CmdResult;
use crate::engine::util::errors::{
    NOT_INTEGER, err, error_quoting, one_line_error, subcommand_syntax_error, syntax_error,
};
use crate::protocol::{Reply, string2ll};

pub(super) fn bumpepoch(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let mut t = view.topology();
    let mine = t.nodes[view.me].config_epoch;
    let max = t.nodes.iter().map(|n| n.config_epoch).max().unwrap_or(0);
    if mine == 0 || mine != max || t.nodes.iter().filter(|n| n.config_epoch == max).count() > 1 {
        t.current_epoch += 1;
        let epoch = t.current_epoch;
        t.nodes[view.me].config_epoch = epoch;
        return Ok(Reply::simple(format!("BUMPED {epoch}")));
    }
    Ok(Reply::simple(format!("STILL {mine}")))
}

pub(super) fn saveconfig(ctx: &mut Ctx<'_>) -> CmdResult {
    // The topology lives in memory only: nothing to write, as a node
    // whose nodes.conf write succeeded.
    view(ctx)?;
    Ok(Reply::ok())
}

/// What the mock answers for a change its shared topology cannot express
/// (every node of a `MockRedisCluster` shares one view, so one node cannot
/// forget or meet a node alone): an error naming the limit, never a
/// pretended success.
fn unsupported(what: &str) -> Reply {
    Reply::error(format!(
        "ERR mock-redis: {what} is not supported (the nodes share one topology)"
    ))
}

/// `CLUSTER FAILOVER [FORCE|TAKEOVER]`: on a replica, promotes it at once
/// (a real cluster's manual failover ends the same way, after the master
/// caught up; here the replica shares its master's data).
pub(super) fn failover(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let force = match ctx.args.len() {
        2 => false,
        3 if ctx.arg(2).eq_ignore_ascii_case(b"force")
            || ctx.arg(2).eq_ignore_ascii_case(b"takeover") =>
        {
            true
        }
        _ => return Err(syntax_error()),
    };
    let mut t = view.topology();
    let Role::Replica(master) = t.nodes[view.me].role else {
        return Err(err("ERR You should send CLUSTER FAILOVER to a replica"));
    };
    if !force && t.nodes[master].failed {
        return Err(err(
            "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE",
        ));
    }
    t.promote(view.me);
    Ok(Reply::ok())
}

pub(super) fn forget(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let t = view.topology();
    let Some(n) = t.find(ctx.arg(2)) else {
        return Err(unknown_node(ctx.arg(2)));
    };
    if n == view.me {
        return Err(err("ERR I tried hard but I can't forget myself..."));
    }
    if t.nodes[view.me].role == Role::Replica(n) {
        return Err(err("ERR Can't forget my master!"));
    }
    Err(unsupported("CLUSTER FORGET"))
}

/// `CLUSTER MEET ip port [bus-port]`: the address checks of Redis's
/// `clusterStartHandshake`; meeting a node already known is a no-op.
pub(super) fn meet(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    if ctx.args.len() > 5 {
        return Err(subcommand_syntax_error(ctx.arg(1), "cluster"));
    }
    let Some(port) = string2ll(ctx.arg(3)) else {
        return Err(error_quoting(
            "ERR Invalid TCP base port specified: ",
            ctx.arg(3),
            "",
        ));
    };
    let bus = match ctx.args.get(4) {
        Some(arg) => string2ll(arg)
            .ok_or_else(|| error_quoting("ERR Invalid TCP bus port specified: ", arg, ""))?,
        None => port + 10000,
    };
    let ip = std::str::from_utf8(ctx.arg(2))
        .ok()
        .and_then(|s| s.parse::<std::net::IpAddr>().ok());
    let valid = |p: i64| (1..=65535).contains(&p);
    let (Some(ip), true, true) = (ip, valid(port), valid(bus)) else {
        let mut text = b"ERR Invalid node address specified: ".to_vec();
        text.extend_from_slice(ctx.arg(2));
        text.push(b':');
        text.extend_from_slice(ctx.arg(3));
        return Err(one_line_error(text));
    };
    let t = view.topology();
    let known = t
        .nodes
        .iter()
        .any(|n| n.port as i64 == port && n.ip.parse::<std::net::IpAddr>().ok() == Some(ip));
    if known {
        return Ok(Reply::ok());
    }
    Err(unsupported(
        "CLUSTER MEET with a node outside the mock cluster",
    ))
}

pub(super) fn replicate(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let t = view.topology();
    let Some(n) = t.find(ctx.arg(2)) else {
        return Err(unknown_node(ctx.arg(2)));
    };
    if n == view.me {
        return Err(err("ERR Can't replicate myself"));
    }
    if !t.nodes[n].is_master() {
        return Err(err("ERR I can only replicate a master, not a replica."));
    }
    let me = &t.nodes[view.me];
    if me.is_master() && (!t.ranges_of(view.me).is_empty() || !ctx.engine.dbs[0].is_empty()) {
        return Err(err(
            "ERR To set a master the node must be empty and without assigned slots.",
        ));
    }
    if me.role == Role::Replica(n) {
        return Ok(Reply::ok());
    }
    Err(unsupported("CLUSTER REPLICATE to another master"))
}

pub(super) fn reset(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    match ctx.args.len() {
        2 => {}
        3 if ctx.arg(2).eq_ignore_ascii_case(b"hard")
            || ctx.arg(2).eq_ignore_ascii_case(b"soft") => {}
        _ => return Err(syntax_error()),
    }
    if view.topology().nodes[view.me].is_master() && !ctx.engine.dbs[ctx.client.db].is_empty() {
        return Err(err(
            "ERR CLUSTER RESET can't be called with master nodes containing keys",
        ));
    }
    Err(unsupported("CLUSTER RESET"))
}

pub(super) fn set_config_epoch(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let epoch = string2ll(ctx.arg(2)).ok_or_else(|| err(NOT_INTEGER))?;
    let mut t = view.topology();
    if epoch < 0 {
        return Err(Reply::error(format!(
            "ERR Invalid config epoch specified: {epoch}"
        )));
    }
    if t.nodes.len() > 1 {
        return Err(err(
            "ERR The user can assign a config epoch only when the node does not know any other node.",
        ));
    }
    if t.nodes[view.me].config_epoch != 0 {
        return Err(err("ERR Node config epoch is already non-zero"));
    }
    t.nodes[view.me].config_epoch = epoch as u64;
    t.current_epoch = t.current_epoch.max(epoch as u64);
    Ok(Reply::ok())
}
