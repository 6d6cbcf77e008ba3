//! The command table: one entry per command (and subcommand) with the arity,
//! flags, key positions and documentation Redis 7.0 publishes through
//! `COMMAND`. The same table drives dispatch, arity errors, `COMMAND
//! COUNT/INFO/DOCS/GETKEYS` and the key extraction matchers use.
//!
//! This file holds the table's types ([`CommandSpec`], key specs, flags,
//! ACL categories), its construction from `COMMAND_GROUPS`, the `COMMAND
//! INFO` / `COMMAND DOCS` shapes, and the key extraction functions
//! `movablekeys` commands share (`numkeys_at_1`, ...). The entries
//! themselves live with their handlers, in `commands/`.

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::Bytes;

use super::Ctx;
use crate::protocol::{Reply, string2ll};

/// What a command handler returns: `Ok(reply)`, or `Err(reply)` for an
/// error reply (written with `?`; the dispatcher sends either one and
/// counts an error reply as a failed call).
pub(crate) type CmdResult = Result<Reply, Reply>;

/// A command implementation.
pub(crate) type Handler = fn(&mut Ctx<'_>) -> CmdResult;

/// Key extraction for commands whose keys move (`movablekeys`): the
/// positions of the keys in the full command (`args[0]` is the name), as
/// Redis's `getkeys_proc` computes them.
pub(crate) type KeysFn = fn(&[Bytes]) -> Vec<usize>;

/// Command flags, as `COMMAND INFO` lists them.
pub(crate) mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MULTI: u32 = 1 << 14;
    pub const MOVABLEKEYS: u32 = 1 << 15;
    pub const ALLOW_BUSY: u32 = 1 << 16;
    pub const ASKING: u32 = 1 << 17;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 18;
    pub const NO_ASYNC_LOADING: u32 = 1 << 19;
    /// Names in the order Redis 7.0 prints them (`may_replicate` is one of
    /// the flags it keeps hidden).
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLEKEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories beyond those Redis derives from the flags.
pub(crate) mod acl {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const READ: u32 = 1 << 1;
    pub const WRITE: u32 = 1 << 2;
    pub const SET: u32 = 1 << 3;
    pub const SORTEDSET: u32 = 1 << 4;
    pub const LIST: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const STRING: u32 = 1 << 7;
    pub const BITMAP: u32 = 1 << 8;
    pub const HYPERLOGLOG: u32 = 1 << 9;
    pub const GEO: u32 = 1 << 10;
    pub const STREAM: u32 = 1 << 11;
    pub const PUBSUB: u32 = 1 << 12;
    pub const ADMIN: u32 = 1 << 13;
    pub const FAST: u32 = 1 << 14;
    pub const SLOW: u32 = 1 << 15;
    pub const BLOCKING: u32 = 1 << 16;
    pub const DANGEROUS: u32 = 1 << 17;
    pub const CONNECTION: u32 = 1 << 18;
    pub const TRANSACTION: u32 = 1 << 19;
    pub const SCRIPTING: u32 = 1 << 20;
    /// Names in Redis's category table order.
    pub const NAMES: &[(u32, &str)] = &[
        (KEYSPACE, "@keyspace"),
        (READ, "@read"),
        (WRITE, "@write"),
        (SET, "@set"),
        (SORTEDSET, "@sortedset"),
        (LIST, "@list"),
        (HASH, "@hash"),
        (STRING, "@string"),
        (BITMAP, "@bitmap"),
        (HYPERLOGLOG, "@hyperloglog"),
        (GEO, "@geo"),
        (STREAM, "@stream"),
        (PUBSUB, "@pubsub"),
        (ADMIN, "@admin"),
        (FAST, "@fast"),
        (SLOW, "@slow"),
        (BLOCKING, "@blocking"),
        (DANGEROUS, "@dangerous"),
        (CONNECTION, "@connection"),
        (TRANSACTION, "@transaction"),
        (SCRIPTING, "@scripting"),
    ];
}

/// How a command's keys are found in its arguments (Redis's legacy
/// first/last/step triple; `last` negative counts from the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeySpec {
    pub first: i32,
    pub last: i32,
    pub step: i32,
    /// Key-spec flags as `COMMAND INFO` prints them (`RW`, `access`, ...).
    pub flags: &'static [&'static str],
}

impl KeySpec {
    pub const NONE: KeySpec = KeySpec {
        first: 0,
        last: 0,
        step: 0,
        flags: &[],
    };
}

/// Where a key specification starts looking for keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BeginSearch {
    /// At a fixed argument index.
    Index(i32),
    /// After a keyword, searched from `startfrom` (negative: from the end).
    Keyword {
        keyword: &'static str,
        startfrom: i32,
    },
    /// Not expressible (the command's own key extraction knows).
    Unknown,
}

/// How a key specification finds keys once it has started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FindKeys {
    /// A range: up to `lastkey` (relative; negative from the end), every `keystep`.
    Range {
        lastkey: i32,
        keystep: i32,
        limit: i32,
    },
    /// A key count argument followed by the keys.
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        keystep: i32,
    },
    /// Not expressible.
    Unknown,
}

/// One of Redis 7's key specifications, as `COMMAND INFO` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeySpecDef {
    pub notes: &'static str,
    pub flags: &'static [&'static str],
    pub begin: BeginSearch,
    pub find: FindKeys,
}

/// One command or subcommand.
#[derive(Debug)]
pub(crate) struct CommandSpec {
    /// Lower-case name; for a subcommand, only the subcommand's part (`setname`).
    pub name: &'static str,
    /// Redis arity: exact argument count (name included) when positive, minimum when negative.
    pub arity: i32,
    pub flags: u32,
    /// Categories not implied by the flags.
    pub acl: u32,
    pub keys: KeySpec,
    pub tips: &'static [&'static str],
    pub group: &'static str,
    pub summary: &'static str,
    pub since: &'static str,
    pub complexity: &'static str,
    pub handler: Option<Handler>,
    pub subcommands: &'static [CommandSpec],
    /// Key extraction overriding `keys` (movable-key commands).
    pub getkeys: Option<KeysFn>,
    /// Full key specifications; when empty, `COMMAND INFO` derives one from `keys`.
    pub key_specs: &'static [KeySpecDef],
}

impl CommandSpec {
    /// A command with no flags, keys or docs beyond its name, arity and handler.
    pub const fn new(name: &'static str, arity: i32, handler: Handler) -> CommandSpec {
        CommandSpec {
            name,
            arity,
            flags: 0,
            acl: 0,
            keys: KeySpec::NONE,
            tips: &[],
            group: "generic",
            summary: "",
            since: "1.0.0",
            complexity: "O(1)",
            handler: Some(handler),
            subcommands: &[],
            getkeys: None,
            key_specs: &[],
        }
    }

    /// A container command (`CLIENT`, `CONFIG`, ...) answering through its subcommands.
    pub const fn container(name: &'static str, subcommands: &'static [CommandSpec]) -> CommandSpec {
        CommandSpec {
            name,
            arity: -2,
            flags: 0,
            acl: 0,
            keys: KeySpec::NONE,
            tips: &[],
            group: "generic",
            summary: "",
            since: "1.0.0",
            complexity: "O(1)",
            handler: None,
            subcommands,
            getkeys: None,
            key_specs: &[],
        }
    }

    /// Gives a command with its own handler (`COMMAND`) subcommands too.
    pub const fn with_subcommands(mut self, subcommands: &'static [CommandSpec]) -> CommandSpec {
        self.subcommands = subcommands;
        self
    }

    pub const fn flags(mut self, flags: u32) -> CommandSpec {
        self.flags = flags;
        self
    }

    pub const fn acl(mut self, acl: u32) -> CommandSpec {
        self.acl = acl;
        self
    }

    pub const fn keys(
        mut self,
        first: i32,
        last: i32,
        step: i32,
        flags: &'static [&'static str],
    ) -> CommandSpec {
        self.keys = KeySpec {
            first,
            last,
            step,
            flags,
        };
        self
    }

    /// Full key specifications, for commands whose keys one first/last/step
    /// range does not describe (several specs, keywords, notes).
    pub const fn key_specs(mut self, specs: &'static [KeySpecDef]) -> CommandSpec {
        self.key_specs = specs;
        self
    }

    /// Key extraction for a `movablekeys` command.
    pub const fn getkeys(mut self, f: KeysFn) -> CommandSpec {
        self.getkeys = Some(f);
        self
    }

    /// The key positions in a full command: the `getkeys` function when
    /// the command has one, the first/last/step triple otherwise.
    pub fn keys_in(&self, args: &[Bytes]) -> Vec<usize> {
        match self.getkeys {
            Some(f) => f(args),
            None => self.key_positions(args.len()),
        }
    }

    pub const fn tips(mut self, tips: &'static [&'static str]) -> CommandSpec {
        self.tips = tips;
        self
    }

    pub const fn doc(
        mut self,
        group: &'static str,
        since: &'static str,
        complexity: &'static str,
        summary: &'static str,
    ) -> CommandSpec {
        self.group = group;
        self.since = since;
        self.complexity = complexity;
        self.summary = summary;
        self
    }

    /// Whether `argc` arguments (name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// ACL categories, the explicit ones plus those Redis derives from the flags.
    pub fn acl_categories(&self) -> u32 {
        let mut cats = self.acl;
        if self.flags & flags::WRITE != 0 {
            cats |= acl::WRITE;
        }
        if self.flags & flags::READONLY != 0 && cats & acl::SCRIPTING == 0 {
            cats |= acl::READ;
        }
        if self.flags & flags::ADMIN != 0 {
            cats |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.flags & flags::PUBSUB != 0 {
            cats |= acl::PUBSUB;
        }
        if self.flags & flags::FAST != 0 {
            cats |= acl::FAST;
        }
        if self.flags & flags::BLOCKING != 0 {
            cats |= acl::BLOCKING;
        }
        if cats & acl::FAST == 0 {
            cats |= acl::SLOW;
        }
        cats
    }

    /// The positions of the keys among `args` (the command name at 0).
    pub fn key_positions(&self, argc: usize) -> Vec<usize> {
        let KeySpec {
            first, last, step, ..
        } = self.keys;
        if first <= 0 || step <= 0 {
            return Vec::new();
        }
        let last = if last < 0 {
            argc as i64 + last as i64
        } else {
            last as i64
        };
        let mut out = Vec::new();
        let mut i = first as i64;
        while i <= last && (i as usize) < argc {
            out.push(i as usize);
            i += step as i64;
        }
        out
    }
}

/// The whole table, indexed by lower-case name.
pub(crate) struct CommandTable {
    /// Keyed by the lower-case name's bytes; FxHash, since this lookup runs
    /// for every command and SipHash showed up in profiles.
    by_name: HashMap<&'static [u8], &'static CommandSpec, rustc_hash::FxBuildHasher>,
    /// In definition order, for `COMMAND` and `COMMAND DOCS`.
    pub all: Vec<&'static CommandSpec>,
}

impl CommandTable {
    pub fn get() -> &'static CommandTable {
        static TABLE: OnceLock<CommandTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            let mut all = Vec::new();
            let mut by_name = HashMap::default();
            for group in super::COMMAND_GROUPS {
                for spec in group.iter() {
                    let previous = by_name.insert(spec.name.as_bytes(), spec);
                    assert!(previous.is_none(), "command {} defined twice", spec.name);
                    all.push(spec);
                }
            }
            CommandTable { by_name, all }
        })
    }

    /// Looks a command up case-insensitively.
    pub fn lookup(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        let mut buf = [0u8; 32];
        let lower = buf.get_mut(..name.len())?;
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&*lower).copied()
    }

    /// Resolves `args` to the command or subcommand Redis would run, the way
    /// `lookupCommand` does: a container with a second argument resolves to
    /// its subcommand (or `Err` when there is none by that name).
    pub fn resolve(&self, args: &[Bytes]) -> Resolved {
        let Some(base) = self.lookup(&args[0]) else {
            return Resolved::Unknown;
        };
        if base.subcommands.is_empty() || args.len() < 2 {
            return Resolved::Found(base, None);
        }
        match find_sub(base, &args[1]) {
            Some(sub) => Resolved::Found(sub, Some(base)),
            None => Resolved::UnknownSubcommand(base),
        }
    }
}

fn find_sub(base: &'static CommandSpec, name: &[u8]) -> Option<&'static CommandSpec> {
    base.subcommands
        .iter()
        .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
}

/// The outcome of [`CommandTable::resolve`].
pub(crate) enum Resolved {
    Found(&'static CommandSpec, Option<&'static CommandSpec>),
    UnknownSubcommand(&'static CommandSpec),
    Unknown,
}

/// A command's full name without allocating: `get`, or `client|setname`
/// (as `Display`). Per-command bookkeeping (CLIENT LIST's `cmd=`, INFO
/// commandstats) keys on this rather than on a `String`.
#[derive(Clone, Copy, Debug, Eq, PartialOrd, Ord)]
pub(crate) struct CommandName {
    parent: Option<&'static str>,
    name: &'static str,
}

/// Compares and hashes the names' addresses rather than their text (INFO
/// commandstats and the latency histograms look one up per command): every
/// `CommandName` comes from the static command table, where each command's
/// name has one address, so names equal as text are the same address.
impl PartialEq for CommandName {
    fn eq(&self, other: &CommandName) -> bool {
        std::ptr::eq(self.name, other.name)
            && match (self.parent, other.parent) {
                (Some(a), Some(b)) => std::ptr::eq(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}

impl std::hash::Hash for CommandName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.name.as_ptr() as usize);
        state.write_usize(self.parent.map_or(0, |p| p.as_ptr() as usize));
    }
}

impl CommandName {
    /// What CLIENT LIST shows before a connection's first command.
    pub const NULL: CommandName = CommandName {
        parent: None,
        name: "NULL",
    };

    pub fn of(spec: &'static CommandSpec, parent: Option<&'static CommandSpec>) -> CommandName {
        CommandName {
            parent: parent.map(|p| p.name),
            name: spec.name,
        }
    }
}

impl std::fmt::Display for CommandName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.parent {
            Some(parent) => write!(f, "{parent}|{}", self.name),
            None => f.write_str(self.name),
        }
    }
}

/// `get` or `client|setname`, as error messages and `COMMAND INFO` name a command.
pub(crate) fn full_name(spec: &CommandSpec, parent: Option<&CommandSpec>) -> String {
    match parent {
        Some(p) => format!("{}|{}", p.name, spec.name),
        None => spec.name.to_string(),
    }
}

fn names(bits: u32, table: &[(u32, &'static str)]) -> Vec<Reply> {
    table
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, name)| Reply::simple(*name))
        .collect()
}

fn pair(k: &'static str, v: Reply) -> (Reply, Reply) {
    (Reply::bulk(k), v)
}

/// The `COMMAND INFO` entry for a command: Redis 7.0.15's own
/// (`command_docs`), with the subcommands this table implements.
pub(crate) fn info_reply(spec: &CommandSpec, parent: Option<&CommandSpec>) -> Reply {
    let subcommands = || {
        spec.subcommands
            .iter()
            .map(|sub| info_reply(sub, Some(spec)))
            .collect()
    };
    match super::command_docs::entry(&full_name(spec, parent)) {
        Some(entry) => {
            let mut info = entry.info.clone();
            if let Reply::Array(items) = &mut info
                && let Some(subs) = items.get_mut(9)
            {
                *subs = Reply::Set(subcommands());
            }
            info
        }
        None => own_info_reply(spec, parent, subcommands()),
    }
}

/// The `COMMAND INFO` entry built from the table's own fields, for a
/// command Redis 7.0.15 does not have.
fn own_info_reply(spec: &CommandSpec, parent: Option<&CommandSpec>, subs: Vec<Reply>) -> Reply {
    let keys = spec.keys;
    let key_specs = if !spec.key_specs.is_empty() {
        spec.key_specs.iter().map(key_spec_reply).collect()
    } else if keys.first > 0 {
        let (find_keys_type, find_keys_spec) = (
            "range",
            Reply::map([
                pair(
                    "lastkey",
                    Reply::int(if keys.last < 0 {
                        keys.last as i64
                    } else {
                        (keys.last - keys.first) as i64
                    }),
                ),
                pair("keystep", Reply::int(keys.step as i64)),
                pair("limit", Reply::int(0)),
            ]),
        );
        vec![Reply::map([
            pair(
                "flags",
                Reply::Set(keys.flags.iter().map(|f| Reply::simple(*f)).collect()),
            ),
            pair(
                "begin_search",
                Reply::map([
                    pair("type", Reply::bulk("index")),
                    pair(
                        "spec",
                        Reply::map([pair("index", Reply::int(keys.first as i64))]),
                    ),
                ]),
            ),
            pair(
                "find_keys",
                Reply::map([
                    pair("type", Reply::bulk(find_keys_type)),
                    pair("spec", find_keys_spec),
                ]),
            ),
        ])]
    } else {
        Vec::new()
    };
    Reply::Array(vec![
        Reply::bulk(full_name(spec, parent)),
        Reply::int(spec.arity as i64),
        Reply::Set(names(spec.flags, flags::NAMES)),
        Reply::int(keys.first as i64),
        Reply::int(keys.last as i64),
        Reply::int(keys.step as i64),
        Reply::Set(names(spec.acl_categories(), acl::NAMES)),
        Reply::Set(spec.tips.iter().map(|t| Reply::bulk(*t)).collect()),
        Reply::Set(key_specs),
        Reply::Set(subs),
    ])
}

/// The `COMMAND DOCS` entry for a command: Redis 7.0.15's own
/// (`command_docs`: summary, since, group, complexity, history, argument
/// specs, ...), with the subcommands this table implements.
pub(crate) fn docs_reply(spec: &CommandSpec, parent: Option<&CommandSpec>) -> Reply {
    let mut fields = match super::command_docs::entry(&full_name(spec, parent)) {
        Some(super::command_docs::Entry {
            docs: Reply::Map(fields),
            ..
        }) => fields.clone(),
        _ => vec![
            pair("summary", Reply::bulk(spec.summary)),
            pair("since", Reply::bulk(spec.since)),
            pair("group", Reply::bulk(parent.map_or(spec.group, |p| p.group))),
            pair("complexity", Reply::bulk(spec.complexity)),
        ],
    };
    if !spec.subcommands.is_empty() {
        fields.push(pair(
            "subcommands",
            Reply::Map(
                spec.subcommands
                    .iter()
                    .map(|sub| {
                        (
                            Reply::bulk(full_name(sub, Some(spec))),
                            docs_reply(sub, Some(spec)),
                        )
                    })
                    .collect(),
            ),
        ));
    }
    Reply::Map(fields)
}

// --- key extraction for movable-key commands ---------------------------------

/// The keys of a command whose argument `idx` counts the keys that follow
/// it; none when the count is not a positive integer that fits the
/// arguments (Redis's `genericGetKeys` gives up the same way).
fn counted_keys(args: &[Bytes], idx: usize) -> Vec<usize> {
    let Some(n) = args.get(idx).and_then(|a| string2ll(a)) else {
        return Vec::new();
    };
    if n < 1 || n as u64 > (args.len() - idx - 1) as u64 {
        return Vec::new();
    }
    (idx + 1..=idx + n as usize).collect()
}

/// `getkeys` of a command with `numkeys` at argument 1 (SINTERCARD, LMPOP,
/// ZMPOP, ZUNION, ZINTER, ZDIFF, ZINTERCARD).
pub(crate) fn numkeys_at_1(args: &[Bytes]) -> Vec<usize> {
    counted_keys(args, 1)
}

/// `getkeys` of a command with a timeout at argument 1 and `numkeys` at
/// argument 2 (BLMPOP, BZMPOP).
pub(crate) fn numkeys_at_2(args: &[Bytes]) -> Vec<usize> {
    counted_keys(args, 2)
}

/// `getkeys` of a command storing to argument 1 the result over the keys
/// counted by argument 2 (ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE).
pub(crate) fn dest_then_numkeys_at_2(args: &[Bytes]) -> Vec<usize> {
    let mut keys = counted_keys(args, 2);
    if !keys.is_empty() {
        keys.insert(0, 1);
    }
    keys
}

/// The positions of the key arguments in a full command (`args[0]` is the
/// name), per the command table; empty for unknown commands.
pub(crate) fn key_positions(args: &[Bytes]) -> Vec<usize> {
    if args.is_empty() {
        return Vec::new();
    }
    match CommandTable::get().resolve(args) {
        Resolved::Found(spec, _) => spec.keys_in(args),
        _ => Vec::new(),
    }
}

fn key_spec_reply(k: &KeySpecDef) -> Reply {
    let mut fields = Vec::new();
    if !k.notes.is_empty() {
        fields.push(pair("notes", Reply::bulk(k.notes)));
    }
    fields.push(pair(
        "flags",
        Reply::Set(k.flags.iter().map(|f| Reply::simple(*f)).collect()),
    ));
    let (begin_type, begin_spec) = match k.begin {
        BeginSearch::Index(i) => ("index", Reply::map([pair("index", Reply::int(i as i64))])),
        BeginSearch::Keyword { keyword, startfrom } => (
            "keyword",
            Reply::map([
                pair("keyword", Reply::bulk(keyword)),
                pair("startfrom", Reply::int(startfrom as i64)),
            ]),
        ),
        BeginSearch::Unknown => ("unknown", Reply::Map(Vec::new())),
    };
    fields.push(pair(
        "begin_search",
        Reply::map([
            pair("type", Reply::bulk(begin_type)),
            pair("spec", begin_spec),
        ]),
    ));
    let (find_type, find_spec) = match k.find {
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => (
            "range",
            Reply::map([
                pair("lastkey", Reply::int(lastkey as i64)),
                pair("keystep", Reply::int(keystep as i64)),
                pair("limit", Reply::int(limit as i64)),
            ]),
        ),
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => (
            "keynum",
            Reply::map([
                pair("keynumidx", Reply::int(keynumidx as i64)),
                pair("firstkey", Reply::int(firstkey as i64)),
                pair("keystep", Reply::int(keystep as i64)),
            ]),
        ),
        FindKeys::Unknown => ("unknown", Reply::Map(Vec::new())),
    };
    fields.push(pair(
        "find_keys",
        Reply::map([
            pair("type", Reply::bulk(find_type)),
            pair("spec", find_spec),
        ]),
    ));
    Reply::Map(fields)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::{CommandTable, full_name, key_positions, own_info_reply};
    use crate::protocol::Reply;

    /// `COMMAND INFO` shows Redis's captured entry, but dispatch runs on
    /// the table's own arity, flags and key range: they must agree.
    #[test]
    fn the_table_agrees_with_redis() {
        let mut checked = 0;
        let mut all: Vec<_> = CommandTable::get().all.iter().map(|s| (*s, None)).collect();
        while let Some((spec, parent)) = all.pop() {
            all.extend(spec.subcommands.iter().map(|sub| (sub, Some(spec))));
            let name = full_name(spec, parent);
            let Some(entry) = super::super::command_docs::entry(&name) else {
                assert_eq!(
                    name, "client|setinfo",
                    "only 7.2's CLIENT SETINFO is not 7.0's"
                );
                continue;
            };
            let (Reply::Array(redis), Reply::Array(own)) =
                (&entry.info, own_info_reply(spec, parent, Vec::new()))
            else {
                panic!("COMMAND INFO entries are arrays");
            };
            // Arity, flags, first/last/step and ACL categories.
            assert_eq!(redis[1..7], own[1..7], "{name}");
            checked += 1;
        }
        assert!(checked > 200, "{checked}");
    }

    fn keys(line: &str) -> Vec<usize> {
        let args: Vec<Bytes> = line
            .split(' ')
            .map(|a| Bytes::from(a.to_string()))
            .collect();
        key_positions(&args)
    }

    /// The positions `COMMAND GETKEYS` reports on redis-server 7.0.15 (what
    /// the `key(..)` mock matcher sees).
    #[test]
    fn key_positions_follow_redis() {
        assert_eq!(keys("LMPOP 2 a b LEFT COUNT 2"), [2, 3]);
        assert_eq!(keys("BLMPOP 0 2 a b LEFT"), [3, 4]);
        assert_eq!(keys("LMOVE a b LEFT RIGHT"), [1, 2]);
        assert_eq!(keys("BLMOVE a b LEFT RIGHT 0"), [1, 2]);
        assert_eq!(keys("RPOPLPUSH a b"), [1, 2]);
        assert_eq!(keys("ZUNIONSTORE d 2 a b"), [1, 3, 4]);
        assert_eq!(keys("ZMPOP 2 a b MIN"), [2, 3]);
        assert_eq!(keys("BZMPOP 1 2 a b MAX"), [3, 4]);
        assert_eq!(keys("SINTERCARD 2 a b"), [2, 3]);
        assert_eq!(keys("MSET a 1 b 2"), [1, 3]);
        // The count alone decides (LEFT is a key here), and when it does not
        // fit there are none.
        assert_eq!(keys("LMPOP 3 a b LEFT"), [2, 3, 4]);
        assert_eq!(keys("LMPOP 4 a b LEFT"), Vec::<usize>::new());
        assert_eq!(keys("NOSUCHCOMMAND a"), Vec::<usize>::new());
    }
}
