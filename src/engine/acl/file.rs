//! The ACL file (`aclfile`): `ACL LOAD` / `ACL SAVE` and loading at start,
//! in Redis's format (`user <name> <rules...>` per line), and the users a
//! server is built with (`user` directives: the builder's `.user(..)`, the
//! CLI's `--user`).

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;

use bytes::Bytes;

use super::selector::has_spaces;
use super::user::{User, merge_selector_args};
use crate::engine::{Client, Engine};

/// `strerror` for the errors opening a file meets.
fn strerror(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => "No such file or directory".into(),
        ErrorKind::PermissionDenied => "Permission denied".into(),
        ErrorKind::IsADirectory => "Is a directory".into(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(at) => text[..at].to_string(),
                None => text,
            }
        }
    }
}

/// Parses an ACL file's text into users (Redis's `ACLLoadFromFile`):
/// `Err` holds Redis's one-line description of every problem found.
pub(crate) fn parse_acl_file(
    text: &[u8],
    filename: &str,
    allchannels: bool,
) -> Result<BTreeMap<Bytes, User>, String> {
    let mut users: BTreeMap<Bytes, User> = BTreeMap::new();
    let mut errors = String::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let linenum = i + 1;
        let line = trim(line, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let argv: Vec<Bytes> = line
            .split(|&b| b == b' ')
            .map(Bytes::copy_from_slice)
            .collect();
        if argv[0].as_ref() != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{filename}:{linenum} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = &argv[1];
        if has_spaces(name) {
            errors.push_str(&format!(
                "'{filename}:{linenum}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {linenum}. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let mut user = User::new(name.clone(), allchannels);
        let rules = match merge_selector_args(&argv[2..]) {
            Ok(rules) => rules,
            Err(_) => {
                errors.push_str(&format!(
                    "{filename}:{linenum}: Unmatched parenthesis in selector definition."
                ));
                Vec::new()
            }
        };
        for rule in &rules {
            let rule = trim(rule, b"\t\r\n");
            if let Err(e) = user.apply(rule, allchannels) {
                errors.push_str(&format!("{filename}:{linenum}: {}. ", e.text()));
            }
        }
        users.insert(name.clone(), user);
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed",
        );
        Err(errors)
    }
}

fn trim<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|b| !set.contains(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !set.contains(b))
        .map_or(start, |e| e + 1);
    &s[start..end]
}

/// The users as an ACL file (and `ACL SAVE`) writes them.
pub(crate) fn acl_file_text(users: &BTreeMap<Bytes, User>) -> String {
    let mut out = String::new();
    for (name, user) in users {
        out.push_str("user ");
        out.push_str(&String::from_utf8_lossy(name));
        out.push(' ');
        out.push_str(&user.describe());
        out.push('\n');
    }
    out
}

/// Builds a user from a `user` directive's rules (`on >pw ~* +@all`, the
/// builder's and the CLI's form; a selector may span several words).
pub(crate) fn user_from_rules(name: &str, rules: &str, allchannels: bool) -> Result<User, String> {
    if has_spaces(name.as_bytes()) {
        return Err("Spaces not allowed in ACL usernames".to_string());
    }
    let words: Vec<Bytes> = crate::protocol::split_args(rules.as_bytes())
        .ok_or_else(|| format!("unbalanced quotes in the rules of user '{name}'"))?;
    let rules = merge_selector_args(&words).map_err(|j| {
        format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(&words[j])
        )
    })?;
    let mut user = if name == "default" {
        let mut u = User::default_user(allchannels);
        let _ = u.apply(b"reset", allchannels);
        u
    } else {
        User::new(Bytes::copy_from_slice(name.as_bytes()), allchannels)
    };
    for rule in &rules {
        user.apply(rule, allchannels).map_err(|e| {
            format!(
                "Error loading ACL rule '{}' for the user named '{name}': {}",
                String::from_utf8_lossy(rule),
                e.text()
            )
        })?;
    }
    Ok(user)
}

impl Engine {
    /// The `aclfile` parameter (empty: none).
    pub(crate) fn aclfile(&self) -> Option<String> {
        self.config_str("aclfile")
            .filter(|f| !f.is_empty())
            .map(str::to_string)
    }

    /// `ACL LOAD` (and loading at start): replaces every user with the
    /// file's, or changes nothing and returns Redis's error text. The
    /// clients of the users replaced are closed, as Redis frees them.
    pub(crate) fn acl_load_file(&mut self, current: Option<&mut Client>) -> Result<(), String> {
        let filename = self.aclfile().unwrap_or_default();
        let text = std::fs::read(&filename).map_err(|e| {
            format!(
                "Error loading ACLs, opening file '{filename}': {}",
                strerror(&e)
            )
        })?;
        let allchannels = self.acl_pubsub_default();
        let mut users = parse_acl_file(&text, &filename, allchannels)?;
        if !users.contains_key(b"default".as_slice()) {
            users.insert(
                Bytes::from_static(b"default"),
                User::default_user(allchannels),
            );
        }
        let old: Vec<Bytes> = self
            .acl
            .users
            .keys()
            .filter(|n| n.as_ref() != b"default")
            .cloned()
            .collect();
        self.acl.users = users;
        match current {
            Some(c) => self.acl_kill_clients_of(c, &old),
            None => {
                let mut nobody = Client::detached(0);
                self.acl_kill_clients_of(&mut nobody, &old);
            }
        }
        Ok(())
    }

    /// `ACL SAVE`: writes every user to the ACL file (through a temporary
    /// file renamed over it, as Redis does).
    pub(crate) fn acl_save_file(&self) -> std::io::Result<()> {
        let filename = self.aclfile().unwrap_or_default();
        let text = acl_file_text(&self.acl.users);
        let tmp = format!("{filename}.tmp-{}", std::process::id());
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, Path::new(&filename)).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }

    /// Installs the users a server is built with (`user` directives:
    /// `default` is replaced, the others added) or loads its ACL file, as
    /// Redis's `ACLLoadUsersAtStartup` (never both).
    pub(crate) fn configure_acl(
        &mut self,
        users: Vec<(String, String)>,
        aclfile: Option<&Path>,
    ) -> Result<(), String> {
        if let Some(path) = aclfile {
            if !users.is_empty() {
                return Err(
                    "Configuring Redis with users defined in redis.conf and at the same \
                            setting an ACL file path is invalid. This setup is very likely to \
                            lead to configuration errors and security holes, please define \
                            either an ACL file or declare users directly in your redis.conf, \
                            but not both."
                        .into(),
                );
            }
            let path = path.to_string_lossy().into_owned();
            self.runtime.set_fixed("aclfile", &path)?;
            return self
                .acl_load_file(None)
                .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"));
        }
        let allchannels = self.acl_pubsub_default();
        for (name, rules) in users {
            let user = user_from_rules(&name, &rules, allchannels)?;
            self.acl.users.insert(user.name.clone(), user);
        }
        Ok(())
    }
}
