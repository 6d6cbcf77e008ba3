//! The command groups: one file per group, each with its
//! `pub(crate) const COMMANDS: &[CommandSpec]` table and the handlers the
//! table names. `COMMAND_GROUPS` (in `engine/mod.rs`) lists the tables the
//! command table (`engine/command.rs`) is built from.
//!
//! A group holds the commands Redis's documentation lists under it
//! (`COMMAND DOCS` `group`), blocking variants included (BLPOP is in
//! `lists.rs`, BZPOPMIN in `sorted_sets/`). Its value type and encoding
//! rules live in `engine/types/`, never here (`streams/` is the stream
//! group, blocking XREAD included); persistence formats in
//! `engine/formats/`; parsing and error helpers in `engine/util/`. A group
//! past ~1,000 lines becomes a folder split by theme (see `sorted_sets/`).
//! Files here may use each other's helpers (`scan.rs` for the SCAN family,
//! `hashes::listpack_limits`, ...), but nothing outside `commands/` imports
//! a group except the dispatcher and the direct state API.

pub(crate) mod acl;
pub(crate) mod admin;
pub(crate) mod bitmaps;
pub(crate) mod client;
pub(crate) mod cluster;
pub(crate) mod connection;
pub(crate) mod geo;
pub(crate) mod hashes;
pub(crate) mod hyperloglog;
pub(crate) mod introspection;
pub(crate) mod keys;
pub(crate) mod lists;
pub(crate) mod migrate;
pub(crate) mod pubsub;
pub(crate) mod replication;
pub(crate) mod scan;
#[cfg(feature = "scripting")]
pub(crate) mod scripting;
pub(crate) mod sets;
pub(crate) mod shutdown;
pub(crate) mod sort;
pub(crate) mod sorted_sets;
pub(crate) mod streams;
pub(crate) mod strings;
pub(crate) mod transactions;
