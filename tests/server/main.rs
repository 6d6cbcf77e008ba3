//! The server through real sockets and real clients, without mocks: the
//! handle's lifecycle, the wire format and the request parser, redis-rs and
//! other clients, pub/sub, blocking commands and the direct state API. One
//! module per topic (`cargo test --test server wire::`).
//!
//! `tests/robustness.rs` (it counts the process's file descriptors, so it
//! needs a process of its own) and `tests/startup.rs` (a 1,000-test binary
//! timed on its own) stay separate binaries.

#[path = "../support/mod.rs"]
mod support;

mod acl;
#[cfg(feature = "admin")]
mod admin_api;
mod blocking;
#[cfg(feature = "scripting")]
mod busy_scripts;
#[cfg(feature = "cli")]
mod cli_fixtures;
mod client_admin;
mod clients;
mod clients_sets;
mod cluster;
#[cfg(feature = "cli")]
mod cluster_cli;
mod cluster_mocks;
mod engine_state;
mod introspection;
mod lifecycle;
mod monitor;
mod parser_props;
mod pubsub;
#[cfg(feature = "record")]
mod record_replay;
mod scan_cursors;
#[cfg(feature = "scripting")]
mod scripting;
mod seed;
mod shutdown;
mod streams;
#[cfg(feature = "tls")]
mod tls;
mod tracking;

mod fixture_clock;
mod fixture_runtime;
mod fixture_state;
mod replication;
mod wire;
