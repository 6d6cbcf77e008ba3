//! Command ids for ACL bitmaps: every command and subcommand of the command
//! table gets an id (its index here), as Redis's `ACLGetCommandID` gives
//! each `redisCommand` one, plus one reserved bit past the last that only
//! `+@all` sets (the user may run "future" commands, which decides whether
//! a description starts from `+@all` or `-@all`).

use std::ops::Range;
use std::sync::OnceLock;

use crate::engine::command::{CommandSpec, CommandTable, acl};

/// One command or subcommand.
pub(crate) struct Entry {
    pub spec: &'static CommandSpec,
    pub parent: Option<&'static CommandSpec>,
    /// `get` or `config|get`.
    pub fullname: String,
    /// The ids of its subcommands (empty for a plain command).
    pub subs: Range<usize>,
    /// Its ACL categories (`CommandSpec::acl_categories`).
    pub cats: u32,
}

/// Every command and subcommand, in table order (each container followed
/// by its subcommands).
pub(crate) struct Index {
    pub entries: Vec<Entry>,
    by_ptr: rustc_hash::FxHashMap<usize, usize>,
}

impl Index {
    /// The index of the command table.
    pub fn get() -> &'static Index {
        static INDEX: OnceLock<Index> = OnceLock::new();
        INDEX.get_or_init(|| {
            let mut entries = Vec::new();
            for &top in &CommandTable::get().all {
                let at = entries.len();
                entries.push(Entry {
                    spec: top,
                    parent: None,
                    fullname: top.name.to_string(),
                    subs: 0..0,
                    cats: top.acl_categories(),
                });
                for sub in top.subcommands {
                    entries.push(Entry {
                        spec: sub,
                        parent: Some(top),
                        fullname: format!("{}|{}", top.name, sub.name),
                        subs: 0..0,
                        cats: sub.acl_categories(),
                    });
                }
                entries[at].subs = at + 1..entries.len();
            }
            let by_ptr = entries
                .iter()
                .enumerate()
                .map(|(id, e)| (e.spec as *const CommandSpec as usize, id))
                .collect();
            Index { entries, by_ptr }
        })
    }

    /// Bits in a user's command bitmap: one per command, plus the
    /// "future commands" bit.
    pub fn bits(&self) -> usize {
        self.entries.len() + 1
    }

    /// The reserved bit only `+@all` sets.
    pub fn future_bit(&self) -> usize {
        self.entries.len()
    }

    /// The id of a resolved command.
    pub fn id_of(&self, spec: &'static CommandSpec) -> usize {
        self.by_ptr[&(spec as *const CommandSpec as usize)]
    }

    /// Redis's `ACLLookupCommand`: `name` or `container|sub`,
    /// case-insensitively.
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        let mut parts = name.split(|&b| b == b'|');
        let base = parts.next()?;
        let sub = parts.next();
        if parts.next().is_some() {
            return None;
        }
        let top = CommandTable::get().lookup(base)?;
        let top_id = self.id_of(top);
        match sub {
            None => Some(top_id),
            Some(sub) => self.entries[top_id].subs.clone().find(|&id| {
                self.entries[id]
                    .spec
                    .name
                    .as_bytes()
                    .eq_ignore_ascii_case(sub)
            }),
        }
    }
}

/// Redis's category table, in its order (`ACL CAT`).
pub(crate) fn categories() -> impl Iterator<Item = (u32, &'static str)> {
    acl::NAMES.iter().map(|&(bit, name)| (bit, &name[1..]))
}

/// A category's bit by name, case-insensitively (0 when unknown).
pub(crate) fn category(name: &[u8]) -> u32 {
    categories()
        .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
        .map_or(0, |(bit, _)| bit)
}
