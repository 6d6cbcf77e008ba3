//! Redis 7.0.15's own `COMMAND INFO` and `COMMAND DOCS` entries, for every
//! command and subcommand, captured from redis-server by
//! `scripts/gen-command-table.py` into `redis-7.0.15.resp` (one RESP3
//! array of `[name, info, docs]` triples, sorted by full name, each without
//! its subcommands).
//!
//! The file is embedded in the binary and parsed on first use (a `COMMAND
//! INFO` / `COMMAND DOCS` call), never at start-up. [`entry`] looks up one
//! command by its full name (`get`, `client|list`): `command.rs` serves a
//! command's INFO and DOCS from it, adding the subcommands mock-redis
//! implements. So a command another module adds gets Redis's docs by
//! existing in the command table: nothing else to write.

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::Bytes;

use crate::protocol::Reply;

/// The captured replies, RESP3 as redis-server 7.0.15 sent them.
const DATA: &[u8] = include_bytes!("redis-7.0.15.resp");

/// One command's captured entries.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The `COMMAND INFO` array, its subcommands element (the 10th) empty.
    pub info: Reply,
    /// The `COMMAND DOCS` map, without its `subcommands` field.
    pub docs: Reply,
}

/// The entry of a command (`get`) or subcommand (`config|get`), lower case.
pub(crate) fn entry(full_name: &str) -> Option<&'static Entry> {
    table().get(full_name)
}

/// Every captured command's full name, for the completeness checks.
#[cfg(test)]
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    table().keys().map(String::as_str)
}

fn table() -> &'static HashMap<String, Entry> {
    static TABLE: OnceLock<HashMap<String, Entry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut parser = Parser { data: DATA, pos: 0 };
        let Some(Reply::Array(triples)) = parser.value() else {
            panic!("command_docs: the data file is not a RESP3 array");
        };
        triples
            .into_iter()
            .map(
                |triple| match <[Reply; 3]>::try_from(triple_items(triple)) {
                    Ok([Reply::Bulk(name), info, docs]) => (
                        String::from_utf8_lossy(&name).into_owned(),
                        Entry { info, docs },
                    ),
                    _ => panic!("command_docs: an entry is not [name, info, docs]"),
                },
            )
            .collect()
    })
}

fn triple_items(reply: Reply) -> Vec<Reply> {
    match reply {
        Reply::Array(items) => items,
        _ => Vec::new(),
    }
}

/// A reader of the RESP3 subset the capture holds (arrays, sets, maps,
/// bulk and simple strings, integers). The data is compiled in, so a
/// malformed file is a build mistake the unit tests catch.
struct Parser {
    data: &'static [u8],
    pos: usize,
}

impl Parser {
    fn line(&mut self) -> Option<&'static [u8]> {
        let rest = self.data.get(self.pos..)?;
        let end = memchr::memmem::find(rest, b"\r\n")?;
        self.pos += end + 2;
        Some(&rest[..end])
    }

    fn number(text: &[u8]) -> Option<i64> {
        std::str::from_utf8(text).ok()?.parse().ok()
    }

    fn value(&mut self) -> Option<Reply> {
        let line = self.line()?;
        let (&kind, rest) = line.split_first()?;
        Some(match kind {
            b'+' => Reply::Simple(Bytes::from_static(rest)),
            b':' => Reply::Integer(Self::number(rest)?),
            b'$' => {
                let len = usize::try_from(Self::number(rest)?).ok()?;
                let bytes = self.data.get(self.pos..self.pos + len)?;
                self.pos += len + 2;
                Reply::Bulk(Bytes::from_static(bytes))
            }
            b'*' | b'~' => {
                let n = usize::try_from(Self::number(rest)?).ok()?;
                let items = (0..n).map(|_| self.value()).collect::<Option<Vec<_>>>()?;
                if kind == b'*' {
                    Reply::Array(items)
                } else {
                    Reply::Set(items)
                }
            }
            b'%' => {
                let n = usize::try_from(Self::number(rest)?).ok()?;
                let pairs = (0..n)
                    .map(|_| Some((self.value()?, self.value()?)))
                    .collect::<Option<Vec<_>>>()?;
                Reply::Map(pairs)
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_redis_command_is_captured() {
        assert_eq!(table().len(), 366);
        assert_eq!(names().filter(|n| !n.contains('|')).count(), 240);
        let get = entry("get").expect("get");
        let Reply::Array(info) = &get.info else {
            panic!("info is an array");
        };
        assert_eq!(info[0], Reply::bulk("get"));
        assert_eq!(info[1], Reply::int(2));
        assert!(entry("client|list").is_some());
        assert!(entry("nosuch").is_none());
    }
}
