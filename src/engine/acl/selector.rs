//! A selector: the commands, key patterns and channel patterns one set of
//! permissions allows (Redis's `aclSelector`). Every user has a root
//! selector (the rules written outside parentheses) and may have more
//! (`(...)`); a command runs when any selector allows it.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::index::{Index, categories, category};
use crate::engine::command::CommandSpec;

/// Key pattern permission: the pattern allows reading keys.
pub(crate) const READ: u8 = 1;
/// Key pattern permission: the pattern allows writing keys.
pub(crate) const WRITE: u8 = 2;
/// `~pattern`: both.
pub(crate) const ALL: u8 = READ | WRITE;

/// Why a rule was refused (Redis's `errno` values after `ACLSetUser`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RuleError {
    /// ENOENT.
    Unknown,
    /// EINVAL.
    Syntax,
    /// EEXIST.
    KeyAfterAll,
    /// EISDIR.
    ChannelAfterAll,
    /// ENODEV.
    NoSuchPassword,
    /// EBADMSG.
    BadHash,
    /// ECHILD.
    FirstArgOfSub,
}

impl RuleError {
    /// Redis's `ACLSetUserStringError`.
    pub fn text(self) -> &'static str {
        match self {
            RuleError::Unknown => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list \
                 of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::FirstArgOfSub => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// One selector.
#[derive(Clone, Debug)]
pub(crate) struct Selector {
    pub root: bool,
    pub allkeys: bool,
    pub allchannels: bool,
    pub allcommands: bool,
    /// One bit per command id, plus the "future commands" bit.
    bits: Vec<u64>,
    /// First arguments allowed for otherwise denied commands (`+select|0`).
    firstargs: BTreeMap<usize, Vec<Bytes>>,
    /// Key patterns with their READ/WRITE permissions, in order.
    pub patterns: Vec<(u8, Bytes)>,
    /// Channel patterns, in order.
    pub channels: Vec<Bytes>,
}

fn words() -> usize {
    Index::get().bits().div_ceil(64)
}

/// Whether a string has spaces or NULs (Redis's `ACLStringHasSpaces`).
pub(crate) fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| b == 0 || b == b' ' || (b'\t'..=b'\r').contains(&b))
}

impl Selector {
    /// An empty selector (no commands, keys, or channels beyond
    /// `allchannels` when `acl-pubsub-default` says so).
    pub fn new(root: bool, allchannels: bool) -> Selector {
        Selector {
            root,
            allkeys: false,
            allchannels,
            allcommands: false,
            bits: vec![0; words()],
            firstargs: BTreeMap::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
        }
    }

    fn bit(&self, id: usize) -> bool {
        self.bits[id / 64] & (1 << (id % 64)) != 0
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if on {
            self.bits[id / 64] |= 1 << (id % 64);
        } else {
            self.bits[id / 64] &= !(1 << (id % 64));
            self.allcommands = false;
        }
    }

    /// Redis's `ACLChangeSelectorPerm`: a command and all its subcommands.
    fn change_perm(&mut self, id: usize, on: bool) {
        self.set_bit(id, on);
        self.firstargs.remove(&id);
        for sub in Index::get().entries[id].subs.clone() {
            self.set_bit(sub, on);
        }
    }

    fn set_category(&mut self, cat: u32, on: bool) {
        let index = Index::get();
        for (id, e) in index.entries.iter().enumerate() {
            // A container in the category changes with all its
            // subcommands; each subcommand also counts by its own.
            if e.cats & cat != 0 {
                self.change_perm(id, on);
            }
        }
    }

    fn set_all(&mut self, on: bool) {
        let fill = if on { u64::MAX } else { 0 };
        self.bits.iter_mut().for_each(|w| *w = fill);
        self.allcommands = on;
        self.firstargs.clear();
    }

    /// Applies one selector rule (Redis's `ACLSetSelector`).
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if op.is_empty() {
            // Redis reads the C string's NUL: an unknown rule.
            return Err(RuleError::Syntax);
        }
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("allkeys") || is("~*") {
            self.allkeys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.patterns.clear();
        } else if is("allchannels") || is("&*") {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all(true);
        } else if is("nocommands") || is("-@all") {
            self.set_all(false);
        } else if op[0] == b'~' || op[0] == b'%' {
            return self.add_key_pattern(op);
        } else if op[0] == b'&' {
            if self.allchannels {
                return Err(RuleError::ChannelAfterAll);
            }
            let pattern = &op[1..];
            if has_spaces(pattern) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pattern) {
                self.channels.push(Bytes::copy_from_slice(pattern));
            }
        } else if op.len() >= 2 && (op[0] == b'+' || op[0] == b'-') && op[1] == b'@' {
            let cat = category(&op[2..]);
            if cat == 0 {
                return Err(RuleError::Unknown);
            }
            self.set_category(cat, op[0] == b'+');
        } else if op[0] == b'+' {
            return self.allow_command(&op[1..]);
        } else if op[0] == b'-' {
            let id = Index::get().lookup(&op[1..]).ok_or(RuleError::Unknown)?;
            self.change_perm(id, false);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.allkeys {
            return Err(RuleError::KeyAfterAll);
        }
        let mut flags = 0;
        let mut offset = 1;
        if op[0] == b'%' {
            while offset < op.len() {
                let c = op[offset].to_ascii_uppercase();
                if c == b'R' && flags & READ == 0 {
                    flags |= READ;
                } else if c == b'W' && flags & WRITE == 0 {
                    flags |= WRITE;
                } else if op[offset] == b'~' {
                    offset += 1;
                    break;
                } else {
                    return Err(RuleError::Syntax);
                }
                offset += 1;
            }
        } else {
            flags = ALL;
        }
        let pattern = &op[offset.min(op.len())..];
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.patterns.iter_mut().find(|(_, p)| p == pattern) {
            Some((f, _)) => *f |= flags,
            None => self.patterns.push((flags, Bytes::copy_from_slice(pattern))),
        }
        self.allkeys = false;
        Ok(())
    }

    fn allow_command(&mut self, name: &[u8]) -> Result<(), RuleError> {
        let index = Index::get();
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let id = index.lookup(name).ok_or(RuleError::Unknown)?;
            self.change_perm(id, true);
            return Ok(());
        };
        let (base, sub) = (&name[..bar], &name[bar + 1..]);
        let id = index.lookup(base).ok_or(RuleError::Unknown)?;
        let entry = &index.entries[id];
        if entry.parent.is_some() {
            return Err(RuleError::FirstArgOfSub);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !entry.spec.subcommands.is_empty() {
            let sub_id = index.lookup(name).ok_or(RuleError::Unknown)?;
            self.change_perm(sub_id, true);
        } else {
            let allowed = self.firstargs.entry(id).or_default();
            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                allowed.push(Bytes::copy_from_slice(sub));
            }
        }
        Ok(())
    }

    /// Whether the selector lets `spec` run with `args` (the command and
    /// first-argument part of Redis's `ACLSelectorCheckCmd`).
    pub fn allows_command(&self, spec: &'static CommandSpec, is_sub: bool, args: &[Bytes]) -> bool {
        if self.allcommands {
            return true;
        }
        let id = Index::get().id_of(spec);
        if self.bit(id) {
            return true;
        }
        let at = if is_sub { 2 } else { 1 };
        match (self.firstargs.get(&id), args.get(at)) {
            (Some(allowed), Some(arg)) if args.len() >= 2 => {
                allowed.iter().any(|a| a.eq_ignore_ascii_case(arg))
            }
            _ => false,
        }
    }

    /// Whether `key` matches a pattern granting `need` (READ/WRITE bits).
    pub fn allows_key(&self, key: &[u8], need: u8) -> bool {
        self.allkeys
            || self
                .patterns
                .iter()
                .any(|(f, p)| f & need == need && crate::glob::glob_match(p, key))
    }

    /// Whether a channel (a pattern compared literally when `literal`) is allowed.
    pub fn allows_channel(&self, channel: &[u8], literal: bool) -> bool {
        self.allchannels || channels_allow(&self.channels, channel, literal)
    }

    fn count_category(&self, cat: u32) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for (id, e) in Index::get().entries.iter().enumerate() {
            if e.cats & cat != 0 {
                if self.bit(id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    /// Redis's `ACLDescribeSelectorCommandRules`: `+@all` or `-@all`, the
    /// categories that fit best, then single commands until the bitmap is
    /// exact. Redis walks its command dictionary in hash order for the
    /// single commands; this walks the command table in order.
    pub fn describe_commands(&self) -> String {
        let index = Index::get();
        let additive = !self.bit(index.future_bit());
        let mut rules = String::from(if additive { "-@all " } else { "+@all " });
        let mut fake = Selector::new(false, false);
        fake.set_all(!additive);
        let mut temp = self.clone();
        let cats: Vec<(u32, &str)> = categories().collect();
        let mut applied = vec![false; cats.len()];
        loop {
            let mut best = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0);
            for (j, &(cat, _)) in cats.iter().enumerate() {
                if applied[j] {
                    continue;
                }
                let (on, off) = temp.count_category(cat);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else { break };
            let (cat, name) = cats[j];
            fake.set_category(cat, additive);
            temp.set_category(cat, !additive);
            rules.push(if additive { '+' } else { '-' });
            rules.push('@');
            rules.push_str(name);
            rules.push(' ');
            applied[j] = true;
        }
        for (id, e) in index.entries.iter().enumerate() {
            let userbit = self.bit(id);
            if userbit != fake.bit(id) {
                rules.push(if userbit { '+' } else { '-' });
                rules.push_str(&e.fullname);
                rules.push(' ');
                fake.change_perm(id, userbit);
            }
            if !userbit && let Some(args) = self.firstargs.get(&id) {
                for a in args {
                    rules.push('+');
                    rules.push_str(&e.fullname);
                    rules.push('|');
                    rules.push_str(&String::from_utf8_lossy(a));
                    rules.push(' ');
                }
            }
        }
        rules.pop();
        rules
    }

    /// The key patterns as `ACL LIST` and `ACL GETUSER` print them.
    pub fn describe_keys(&self) -> Vec<String> {
        if self.allkeys {
            return vec!["~*".into()];
        }
        self.patterns
            .iter()
            .map(|(f, p)| {
                let prefix = match *f {
                    READ => "%R~",
                    WRITE => "%W~",
                    _ => "~",
                };
                format!("{prefix}{}", String::from_utf8_lossy(p))
            })
            .collect()
    }

    /// The selector as `ACL LIST` prints it (keys, channels, commands).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for k in self.describe_keys() {
            out.push_str(&k);
            out.push(' ');
        }
        if self.allchannels {
            out.push_str("&* ");
        } else {
            out.push_str("resetchannels ");
            for c in &self.channels {
                out.push('&');
                out.push_str(&String::from_utf8_lossy(c));
                out.push(' ');
            }
        }
        out.push_str(&self.describe_commands());
        out
    }
}

/// Redis's `ACLCheckChannelAgainstList`.
pub(crate) fn channels_allow(list: &[Bytes], channel: &[u8], literal: bool) -> bool {
    list.iter().any(|p| {
        if literal {
            p == channel
        } else {
            crate::glob::glob_match(p, channel)
        }
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::super::user::User;
    use super::RuleError;

    fn user(rules: &[&str]) -> Result<User, RuleError> {
        let mut u = User::new(Bytes::from_static(b"u"), false);
        for r in rules {
            u.apply(r.as_bytes(), false)?;
        }
        Ok(u)
    }

    #[test]
    fn odd_rules_are_errors_not_panics() {
        assert_eq!(user(&["(\"\")"]).unwrap_err(), RuleError::Syntax);
        assert_eq!(user(&["+"]).unwrap_err(), RuleError::Unknown);
        assert_eq!(user(&["-"]).unwrap_err(), RuleError::Unknown);
        assert_eq!(user(&["+@"]).unwrap_err(), RuleError::Unknown);
        // A pattern with no permissions (Redis panics describing it).
        assert_eq!(
            user(&["%"]).unwrap().describe(),
            "off ~ resetchannels -@all"
        );
        assert!(user(&["()", "(  )", "+a|b|c|d"]).is_err());
        let long = "x".repeat(100);
        assert_eq!(
            user(&[&format!("+{long}|y")]).unwrap_err(),
            RuleError::Unknown
        );
    }

    #[test]
    fn describe_round_trips_through_rules() {
        let u = user(&[
            "on",
            ">pw",
            "~a",
            "%R~b",
            "&c",
            "+@read",
            "-get",
            "+select|1",
            "(+set ~d)",
        ])
        .unwrap();
        let text = u.describe();
        let words = crate::protocol::split_args(text.as_bytes()).unwrap();
        let merged = super::super::user::merge_selector_args(&words).unwrap();
        let mut again = User::new(Bytes::from_static(b"u"), false);
        for w in &merged {
            again.apply(w, false).unwrap();
        }
        assert_eq!(again.describe(), text);
    }
}
