//! Persistence formats, apart from the commands that use them: [`rdb`] is the
//! DUMP / RESTORE payload (Redis's RDB object encoding, CRC and version);
//! `rdb_stream.rs` its stream encoding, `lzf` the compression it applies to
//! long strings.
//!
//! FUNCTION DUMP / FUNCTION RESTORE payloads will live here too (they are
//! RDB-framed as well), and so would a whole-RDB or AOF reader. A format
//! module turns values into bytes and back; it knows the value types
//! (`types/`), never the keyspace or a command group.

mod lzf;
pub(crate) mod rdb;
pub(crate) mod rdb_file;
mod rdb_stream;
