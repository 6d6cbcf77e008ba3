//! Differential tests: the same raw requests sent to a real redis-server
//! (started on an ephemeral port by `tests/support/`) and to mock-redis, the
//! raw reply bytes compared in RESP2 and RESP3. One module per command
//! group; `cargo test --test diff lists::` runs one group, and
//! `cargo test --test diff -- --nocapture --test-threads 1 2>&1 | grep differential`
//! prints the totals.
//!
//! `script` parses the one-command-per-line case format; `shapes` compares
//! replies whose content is random.

#[path = "../support/mod.rs"]
mod support;

mod script;
mod shapes;

mod acl;
mod client;
mod cluster;
mod cluster_info;
mod command_table;
mod connection;
#[cfg(feature = "scripting")]
mod function_dump;
mod geo;
mod hashes;
mod hyperloglog;
mod introspection;
mod keys;
mod lists;
mod pubsub;
mod replication;
mod scripting;
mod server;
mod sets;
mod shutdown;
mod sorted_sets;
mod streams;
mod strings;
mod transactions;
