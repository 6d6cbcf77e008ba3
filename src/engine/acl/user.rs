//! A user (Redis's `user`): its flags, password hashes and selectors, the
//! rules `ACL SETUSER` applies to it (Redis's `ACLSetUser`), and its
//! description in `ACL LIST` / `ACL GETUSER` form.

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::selector::{RuleError, Selector};

/// User flag bits, in the order Redis prints them.
pub(crate) mod flag {
    pub const ON: u8 = 1;
    pub const OFF: u8 = 2;
    pub const NOPASS: u8 = 4;
    pub const SKIP_SANITIZE: u8 = 8;
    pub const SANITIZE: u8 = 16;
    /// Names in Redis's `ACLUserFlags` order.
    pub const NAMES: &[(u8, &str)] = &[
        (ON, "on"),
        (OFF, "off"),
        (NOPASS, "nopass"),
        (SKIP_SANITIZE, "skip-sanitize-payload"),
        (SANITIZE, "sanitize-payload"),
    ];
}

/// One ACL user.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub name: Bytes,
    pub flags: u8,
    /// SHA-256 hex digests, in the order added.
    pub passwords: Vec<String>,
    /// The root selector first, then the `(...)` ones.
    pub selectors: Vec<Selector>,
}

/// SHA-256 of a password, in lower-case hex (Redis's `ACLHashPassword`).
pub(crate) fn hash_password(pass: &[u8]) -> String {
    let digest = Sha256::digest(pass);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn valid_hash(h: &[u8]) -> bool {
    h.len() == 64 && h.iter().all(|&c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

impl User {
    /// A new user: disabled, no passwords, no permissions
    /// (`allchannels` when `acl-pubsub-default` is `allchannels`).
    pub fn new(name: Bytes, allchannels: bool) -> User {
        User {
            name,
            flags: flag::OFF,
            passwords: Vec::new(),
            selectors: vec![Selector::new(true, allchannels)],
        }
    }

    /// Redis's default user: `on nopass ~* &* +@all`.
    pub fn default_user(allchannels: bool) -> User {
        let mut u = User::new(Bytes::from_static(b"default"), allchannels);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.apply(op.as_bytes(), allchannels);
        }
        u
    }

    /// Whether the user may log in.
    pub fn enabled(&self) -> bool {
        self.flags & flag::OFF == 0
    }

    /// Whether any password authenticates the user.
    pub fn nopass(&self) -> bool {
        self.flags & flag::NOPASS != 0
    }

    /// Whether `pass` authenticates this (enabled) user.
    pub fn password_ok(&self, pass: &[u8]) -> bool {
        if !self.enabled() {
            return false;
        }
        if self.nopass() {
            return true;
        }
        let hashed = hash_password(pass);
        self.passwords.contains(&hashed)
    }

    /// The root selector.
    pub fn root(&mut self) -> &mut Selector {
        &mut self.selectors[0]
    }

    /// Applies one rule (Redis's `ACLSetUser`); `allchannels` is
    /// `acl-pubsub-default`, for new selectors and `reset`.
    pub fn apply(&mut self, op: &[u8], allchannels: bool) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("on") {
            self.flags = (self.flags | flag::ON) & !flag::OFF;
        } else if is("off") {
            self.flags = (self.flags | flag::OFF) & !flag::ON;
        } else if is("skip-sanitize-payload") {
            self.flags = (self.flags | flag::SKIP_SANITIZE) & !flag::SANITIZE;
        } else if is("sanitize-payload") {
            self.flags = (self.flags | flag::SANITIZE) & !flag::SKIP_SANITIZE;
        } else if is("nopass") {
            self.flags |= flag::NOPASS;
            self.passwords.clear();
        } else if is("resetpass") {
            self.flags &= !flag::NOPASS;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                hash_password(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.flags &= !flag::NOPASS;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                hash_password(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            let at = self
                .passwords
                .iter()
                .position(|p| *p == hash)
                .ok_or(RuleError::NoSuchPassword)?;
            self.passwords.remove(at);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let mut selector = Selector::new(false, allchannels);
            let inner = &op[1..op.len() - 1];
            // Unbalanced quotes split into nothing, as `sdssplitargs` does.
            let rules = crate::protocol::split_args(inner).unwrap_or_default();
            for rule in &rules {
                selector.apply(rule)?;
            }
            self.selectors.push(selector);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            for step in ["resetpass", "resetkeys", "resetchannels"] {
                self.apply(step.as_bytes(), allchannels)?;
            }
            if allchannels {
                self.apply(b"allchannels", allchannels)?;
            }
            for step in ["off", "sanitize-payload", "clearselectors", "-@all"] {
                self.apply(step.as_bytes(), allchannels)?;
            }
        } else {
            self.root().apply(op)?;
        }
        Ok(())
    }

    /// The flag names set, in Redis's order.
    pub fn flag_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        flag::NAMES
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|(_, name)| *name)
    }

    /// Redis's `ACLDescribeUser`: the rules after `user <name> ` in
    /// `ACL LIST` and the ACL file.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for name in self.flag_names() {
            out.push_str(name);
            out.push(' ');
        }
        for p in &self.passwords {
            out.push('#');
            out.push_str(p);
            out.push(' ');
        }
        for s in &self.selectors {
            if s.root {
                out.push_str(&s.describe());
            } else {
                out.push_str(&format!(" ({})", s.describe()));
            }
        }
        out
    }
}

/// Redis's `ACLMergeSelectorArguments`: joins a selector written across
/// several arguments (`(~a` `+get)`) into one. `Err(i)`: the argument at
/// `i` opens a selector that never closes.
pub(crate) fn merge_selector_args(args: &[Bytes]) -> Result<Vec<Bytes>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in args.iter().enumerate() {
        // As Redis, a `(` inside an open selector starts it again.
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.to_vec()));
            continue;
        }
        if let Some((_, sel)) = &mut open {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                let (_, sel) = open.take().expect("an open selector");
                out.push(Bytes::from(sel));
            }
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((j, _)) => Err(j),
        None => Ok(out),
    }
}
