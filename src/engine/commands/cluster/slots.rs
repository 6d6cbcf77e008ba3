//! The CLUSTER slot commands: ADDSLOTS, DELSLOTS (and RANGE forms),
//! FLUSHSLOTS, SETSLOT, COUNTKEYSINSLOT and GETKEYSINSLOT.

use super::view;
use crate::engine::Ctx;
use crate::engine::cluster::slot::{SLOTS, key_slot};
use crate::engine::cluster::topology::Topology;
use crate::engine::command::CmdResult;
use crate::engine::util::errors::{err, wrong_arity};
use crate::protocol::{Reply, string2ll};

/// A slot argument (Redis's `getSlotOrReply`).
fn slot_arg(arg: &[u8]) -> Result<u16, Reply> {
    match string2ll(arg) {
        Some(n) if (0..SLOTS as i64).contains(&n) => Ok(n as u16),
        _ => Err(err("ERR Invalid or out of range slot")),
    }
}

/// The keys of db 0 in `slot`, in keyspace order.
fn keys_in_slot<'a>(ctx: &'a Ctx<'_>, slot: u16) -> impl Iterator<Item = &'a [u8]> + 'a {
    ctx.engine.dbs[0]
        .live_keys()
        .filter(move |k| key_slot(k) == slot)
}

pub(super) fn countkeysinslot(ctx: &mut Ctx<'_>) -> CmdResult {
    view(ctx)?;
    let slot = match string2ll(ctx.arg(2)) {
        Some(n) if (0..SLOTS as i64).contains(&n) => n as u16,
        _ => return Err(err("ERR Invalid slot")),
    };
    Ok(Reply::int(keys_in_slot(ctx, slot).count() as i64))
}

pub(super) fn getkeysinslot(ctx: &mut Ctx<'_>) -> CmdResult {
    view(ctx)?;
    let invalid = || err("ERR Invalid slot or number of keys");
    let slot = string2ll(ctx.arg(2)).ok_or_else(invalid)?;
    let count = string2ll(ctx.arg(3)).ok_or_else(invalid)?;
    if !(0..SLOTS as i64).contains(&slot) || count < 0 {
        return Err(invalid());
    }
    // Newest first, as Redis's per-slot key list (exact until a key of the
    // database is deleted: the table then moves its last key).
    let mut keys: Vec<&[u8]> = keys_in_slot(ctx, slot as u16).collect();
    keys.reverse();
    let keys: Vec<Reply> = keys
        .into_iter()
        .take(usize::try_from(count).unwrap_or(usize::MAX))
        .map(|k| Reply::Bulk(bytes::Bytes::copy_from_slice(k)))
        .collect();
    Ok(Reply::Array(keys))
}

/// ADDSLOTS, DELSLOTS and their RANGE forms, checked as Redis checks
/// them (`checkSlotAssignmentsOrReply`): slot by slot, found busy
/// (unassigned), then found named twice; nothing changes unless every slot passes. The marks are one per
/// slot, so a request naming a range many times costs no more memory.
fn change_slots(ctx: &mut Ctx<'_>, ranges: bool, add: bool) -> CmdResult {
    let view = view(ctx)?;
    let args = &ctx.args[2..];
    if ranges && args.len() % 2 == 1 {
        return Err(wrong_arity(&format!(
            "cluster|{}",
            String::from_utf8_lossy(ctx.arg(1)).to_ascii_lowercase()
        )));
    }
    // ADDSLOTS and DELSLOTS parse every argument first; the RANGE forms
    // pair by pair, with the checks.
    if !ranges {
        for arg in args {
            slot_arg(arg)?;
        }
    }
    let mut t = view.topology();
    let mut named = vec![false; SLOTS];
    let step = if ranges { 2 } else { 1 };
    for group in args.chunks(step) {
        let first = slot_arg(&group[0])?;
        let last = match group.get(1) {
            Some(arg) => slot_arg(arg)?,
            None => first,
        };
        if first > last {
            return Err(Reply::error(format!(
                "ERR start slot number {first} is greater than end slot number {last}"
            )));
        }
        for slot in first..=last {
            match (add, t.owner(slot)) {
                (true, Some(_)) => {
                    return Err(Reply::error(format!("ERR Slot {slot} is already busy")));
                }
                (false, None) => {
                    return Err(Reply::error(format!(
                        "ERR Slot {slot} is already unassigned"
                    )));
                }
                _ => {}
            }
            if std::mem::replace(&mut named[usize::from(slot)], true) {
                return Err(Reply::error(format!(
                    "ERR Slot {slot} specified multiple times"
                )));
            }
        }
    }
    for slot in (0..SLOTS as u16).filter(|&s| named[usize::from(s)]) {
        if add {
            t.nodes[view.me].importing.remove(&slot);
            t.set_owner(slot, Some(view.me));
        } else {
            t.set_owner(slot, None);
        }
    }
    Ok(Reply::ok())
}

pub(super) fn addslots(ctx: &mut Ctx<'_>) -> CmdResult {
    change_slots(ctx, false, true)
}

pub(super) fn addslotsrange(ctx: &mut Ctx<'_>) -> CmdResult {
    change_slots(ctx, true, true)
}

pub(super) fn delslots(ctx: &mut Ctx<'_>) -> CmdResult {
    change_slots(ctx, false, false)
}

pub(super) fn delslotsrange(ctx: &mut Ctx<'_>) -> CmdResult {
    change_slots(ctx, true, false)
}

pub(super) fn flushslots(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    if !ctx.engine.dbs[0].is_empty() {
        return Err(err("ERR DB must be empty to perform CLUSTER FLUSHSLOTS."));
    }
    let mut t = view.topology();
    for slot in 0..SLOTS as u16 {
        if t.owner(slot) == Some(view.me) {
            t.set_owner(slot, None);
        }
    }
    Ok(Reply::ok())
}

pub(super) fn setslot(ctx: &mut Ctx<'_>) -> CmdResult {
    let view = view(ctx)?;
    let me = view.me;
    if !view.topology().nodes[me].is_master() {
        return Err(err("ERR Please use SETSLOT only with masters."));
    }
    let slot = slot_arg(ctx.arg(2))?;
    let action = ctx.arg(3).to_ascii_lowercase();
    let argc = ctx.args.len();
    let node_arg = |t: &Topology, unknown: &str| -> Result<usize, Reply> {
        let id = ctx.arg(4);
        let Some(n) = t.find(id) else {
            return Err(Reply::error(format!(
                "ERR {unknown} {}",
                String::from_utf8_lossy(id)
            )));
        };
        if !t.nodes[n].is_master() {
            return Err(err("ERR Target node is not a master"));
        }
        Ok(n)
    };
    match (action.as_slice(), argc) {
        (b"migrating", 5) => {
            let mut t = view.topology();
            if t.owner(slot) != Some(me) {
                return Err(Reply::error(format!(
                    "ERR I'm not the owner of hash slot {slot}"
                )));
            }
            let n = node_arg(&t, "I don't know about node")?;
            t.nodes[me].migrating.insert(slot, n);
        }
        (b"importing", 5) => {
            let mut t = view.topology();
            if t.owner(slot) == Some(me) {
                return Err(Reply::error(format!(
                    "ERR I'm already the owner of hash slot {slot}"
                )));
            }
            let n = node_arg(&t, "I don't know about node")?;
            t.nodes[me].importing.insert(slot, n);
        }
        (b"stable", 4) => {
            let mut t = view.topology();
            t.nodes[me].migrating.remove(&slot);
            t.nodes[me].importing.remove(&slot);
        }
        (b"node", 5) => {
            let keys = keys_in_slot(ctx, slot).count();
            let mut t = view.topology();
            let n = node_arg(&t, "Unknown node")?;
            if t.owner(slot) == Some(me) && n != me && keys != 0 {
                return Err(Reply::error(format!(
                    "ERR Can't assign hashslot {slot} to a different node while I still hold keys for this hash slot."
                )));
            }
            if keys == 0 {
                t.nodes[me].migrating.remove(&slot);
            }
            t.set_owner(slot, Some(n));
            if n == me && t.nodes[me].importing.remove(&slot).is_some() {
                // Redis bumps the epoch without consensus here.
                let max = t.nodes.iter().map(|n| n.config_epoch).max().unwrap_or(0);
                if t.nodes[me].config_epoch == 0 || t.nodes[me].config_epoch != max {
                    t.current_epoch += 1;
                    t.nodes[me].config_epoch = t.current_epoch;
                }
            }
        }
        _ => {
            return Err(err(
                "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
            ));
        }
    }
    Ok(Reply::ok())
}
