//! CLUSTER and the cluster-only commands (READONLY, READWRITE, ASKING) as
//! a standalone redis-server 7.0 answers them: every subcommand (HELP
//! included), after its arity check, says cluster support is disabled. This file is the one
//! place a cluster mode (issue 17) replaces.

use crate::engine::Ctx;
use crate::engine::command::{CmdResult, CommandSpec, acl, flags::*};
use crate::engine::util::errors::err;

/// What a server without `cluster-enabled` answers.
pub(crate) const CLUSTER_DISABLED: &str = "ERR This instance has cluster support disabled";

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::container("cluster", CLUSTER),
    CommandSpec::new("readonly", 1, cluster_disabled)
        .flags(LOADING | STALE | FAST)
        .acl(acl::CONNECTION),
    CommandSpec::new("readwrite", 1, cluster_disabled)
        .flags(LOADING | STALE | FAST)
        .acl(acl::CONNECTION),
    CommandSpec::new("asking", 1, cluster_disabled)
        .flags(FAST)
        .acl(acl::CONNECTION),
];

fn cluster_disabled(_ctx: &mut Ctx<'_>) -> CmdResult {
    Err(err(CLUSTER_DISABLED))
}

const CLUSTER: &[CommandSpec] = &[
    CommandSpec::new("addslots", -3, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("addslotsrange", -4, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("bumpepoch", 2, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("count-failure-reports", 3, cluster_disabled).flags(ADMIN | STALE),
    CommandSpec::new("countkeysinslot", 3, cluster_disabled).flags(STALE),
    CommandSpec::new("delslots", -3, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("delslotsrange", -4, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("failover", -2, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("flushslots", 2, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("forget", 3, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("getkeysinslot", 4, cluster_disabled).flags(STALE),
    CommandSpec::new("help", 2, cluster_disabled).flags(LOADING | STALE),
    CommandSpec::new("info", 2, cluster_disabled).flags(STALE),
    CommandSpec::new("keyslot", 3, cluster_disabled).flags(STALE),
    CommandSpec::new("links", 2, cluster_disabled).flags(STALE),
    CommandSpec::new("meet", -4, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("myid", 2, cluster_disabled).flags(STALE),
    CommandSpec::new("nodes", 2, cluster_disabled).flags(STALE),
    CommandSpec::new("replicas", 3, cluster_disabled).flags(ADMIN | STALE),
    CommandSpec::new("replicate", 3, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("reset", -2, cluster_disabled).flags(ADMIN | NOSCRIPT | STALE),
    CommandSpec::new("saveconfig", 2, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("set-config-epoch", 3, cluster_disabled)
        .flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("setslot", -4, cluster_disabled).flags(ADMIN | STALE | NO_ASYNC_LOADING),
    CommandSpec::new("shards", 2, cluster_disabled).flags(STALE),
    CommandSpec::new("slaves", 3, cluster_disabled).flags(ADMIN | STALE),
    CommandSpec::new("slots", 2, cluster_disabled).flags(STALE),
];
