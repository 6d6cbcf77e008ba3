//! Access control lists as Redis 7.0 has them: users ([`user::User`]) with
//! passwords, flags and selectors ([`selector::Selector`]: commands, key
//! patterns with read/write permissions, channel patterns), the permission
//! check the dispatcher, EXEC and `redis.call` run before a command
//! ([`check`], Redis's `ACLCheckAllUserCommandPerm`), and the ACL log
//! (`log.rs`). The `ACL` command itself, AUTH's credential check and the
//! ACL file live in `commands/acl.rs`.
//!
//! * `index.rs`: ids for every command and subcommand (bitmap positions),
//!   and the category table.
//! * `selector.rs`: selector rules (`~`, `%R~`, `&`, `+cmd`, `+@cat`, ...)
//!   and their description (`+@all -get`, Redis's best-fit categories).
//! * `user.rs`: user rules (`on`, `>pass`, `#hash`, `(...)`, `reset`, ...).
//! * `keys.rs`: the keys a command names, with what it does to each (key
//!   spec flags), and the channels.
//! * `log.rs`: `ACL LOG` entries.

pub(crate) mod file;
pub(crate) mod index;
pub(crate) mod keys;
pub(crate) mod log;
pub(crate) mod selector;
pub(crate) mod user;

use std::collections::BTreeMap;

use bytes::Bytes;

use super::command::{CommandSpec, flags};
use super::{Client, Engine, delivery};
use crate::protocol::Reply;
use log::{Context, Reason};
use user::User;

/// Every user, by name (Redis keeps them in a radix tree: byte order).
#[derive(Debug)]
pub(crate) struct Acl {
    pub users: BTreeMap<Bytes, User>,
    pub log: log::Log,
}

impl Default for Acl {
    fn default() -> Acl {
        let mut users = BTreeMap::new();
        users.insert(Bytes::from_static(b"default"), User::default_user(false));
        Acl {
            users,
            log: log::Log::default(),
        }
    }
}

/// Why and where a command was denied: the reason and the argument
/// position of the key or channel (0 for a command denial).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Denied {
    pub reason: Reason,
    pub pos: usize,
}

impl Acl {
    /// The `default` user (always present).
    pub fn default_user(&self) -> &User {
        &self.users[b"default".as_slice()]
    }
}

impl User {
    /// Whether the user may run anything: the check can be skipped.
    fn unrestricted(&self) -> bool {
        self.selectors
            .iter()
            .any(|s| s.allcommands && s.allkeys && s.allchannels)
    }
}

/// Redis's `ACLCheckAllUserCommandPerm`: whether `user` may run the
/// resolved command with `args`. When no selector allows it, the most
/// relevant denial wins (channel over key over command; the last
/// argument among equals).
pub(crate) fn check(
    user: &User,
    spec: &'static CommandSpec,
    parent: Option<&'static CommandSpec>,
    args: &[Bytes],
) -> Result<(), Denied> {
    if user.unrestricted() {
        return Ok(());
    }
    let mut worst = Denied {
        reason: Reason::Command,
        pos: 0,
    };
    let mut key_refs = None;
    for s in &user.selectors {
        let denied = (|| {
            if spec.flags & flags::NO_AUTH == 0 && !s.allows_command(spec, parent.is_some(), args) {
                return Err(Denied {
                    reason: Reason::Command,
                    pos: 0,
                });
            }
            if !s.allkeys {
                let refs = key_refs.get_or_insert_with(|| keys::key_refs(spec, args));
                for &(pos, need) in refs.iter() {
                    if !s.allows_key(&args[pos], need) {
                        return Err(Denied {
                            reason: Reason::Key,
                            pos,
                        });
                    }
                }
            }
            if !s.allchannels
                && let Some((range, literal)) =
                    keys::channel_args(spec, parent.is_some(), args.len())
            {
                for pos in range {
                    if !s.allows_channel(&args[pos], literal) {
                        return Err(Denied {
                            reason: Reason::Channel,
                            pos,
                        });
                    }
                }
            }
            Ok(())
        })();
        match denied {
            Ok(()) => return Ok(()),
            Err(d) => {
                if d.reason > worst.reason || (d.reason == worst.reason && d.pos > worst.pos) {
                    worst = d;
                }
            }
        }
    }
    Err(worst)
}

/// The error a command denied at the top level (or while queueing in
/// MULTI) gets.
pub(crate) fn noperm(denied: Denied, fullname: &str) -> Reply {
    Reply::error(match denied.reason {
        Reason::Command => {
            format!("NOPERM this user has no permissions to run the '{fullname}' command")
        }
        Reason::Key => {
            "NOPERM this user has no permissions to access one of the keys used as arguments"
                .to_string()
        }
        Reason::Channel => {
            "NOPERM this user has no permissions to access one of the channels used as arguments"
                .to_string()
        }
        Reason::Auth => "NOPERM no permission".to_string(),
    })
}

/// The error a queued command denied at EXEC time gets (the rules
/// changed since it was queued).
pub(crate) fn noperm_at_exec(denied: Denied) -> Reply {
    let reason = match denied.reason {
        Reason::Command => "no permission to execute the command or subcommand",
        Reason::Key => "no permission to touch the specified keys",
        Reason::Channel => "no permission to access one of the channels used as arguments",
        Reason::Auth => "no permission",
    };
    Reply::error(format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the \
         EXEC call. This command is no longer allowed for the following reason: {reason}"
    ))
}

/// The error `redis.call` raises for a denied command.
#[cfg_attr(not(feature = "scripting"), allow(dead_code))]
pub(crate) fn noperm_in_script(denied: Denied) -> &'static str {
    match denied.reason {
        Reason::Command => "ERR The user executing the script can't run this command or subcommand",
        Reason::Key => {
            "ERR The user executing the script can't access at least one of the keys mentioned \
             in the command arguments"
        }
        Reason::Channel => {
            "ERR The user executing the script can't publish to the channel mentioned in the \
             command"
        }
        Reason::Auth => {
            "ERR The user executing the script is lacking the permissions for the command"
        }
    }
}

impl Engine {
    /// `acl-pubsub-default`: whether new users and selectors start with
    /// `allchannels`.
    pub(crate) fn acl_pubsub_default(&self) -> bool {
        self.config_str("acl-pubsub-default") == Some("allchannels")
    }

    /// Whether new connections start authenticated: the default user is
    /// `nopass` and enabled (Redis's `authRequired` is the negation).
    pub(crate) fn default_user_open(&self) -> bool {
        let u = self.acl.default_user();
        u.nopass() && u.enabled()
    }

    /// Checks a resolved command against the client's user; a denial is
    /// logged (`client_info` builds the client's `CLIENT INFO` line, read
    /// only then).
    pub(crate) fn acl_check(
        &mut self,
        client: &Client,
        spec: &'static CommandSpec,
        parent: Option<&'static CommandSpec>,
        args: &[Bytes],
        context: Context,
        client_info: impl FnOnce(&Engine, &Client) -> String,
    ) -> Result<(), Denied> {
        let Some(user) = self.acl.users.get(&client.user) else {
            return Ok(());
        };
        let Err(denied) = check(user, spec, parent, args) else {
            return Ok(());
        };
        let object = match denied.reason {
            Reason::Command => Bytes::from(super::command::full_name(spec, parent)),
            _ => args[denied.pos].clone(),
        };
        let username = client.user.clone();
        self.acl_log(
            denied.reason,
            context,
            object,
            username,
            client_info(self, client),
        );
        Err(denied)
    }

    /// Adds an event to the ACL log (bounded by `acllog-max-len`).
    pub(crate) fn acl_log(
        &mut self,
        reason: Reason,
        context: Context,
        object: Bytes,
        username: Bytes,
        client_info: String,
    ) {
        let max = self.config_int("acllog-max-len").unwrap_or(128).max(0) as usize;
        let entry = log::Entry {
            count: 1,
            reason,
            context,
            object,
            username,
            ctime: self.now_ms(),
            client_info,
        };
        self.acl.log.add(entry, max);
    }

    /// Sets the default user's password from `requirepass` (empty: `nopass`),
    /// as Redis's `ACLUpdateDefaultUserPassword`.
    pub(crate) fn acl_update_default_password(&mut self, pass: Option<&[u8]>) {
        let allchannels = self.acl_pubsub_default();
        let Some(user) = self.acl.users.get_mut(b"default".as_slice()) else {
            return;
        };
        let _ = user.apply(b"resetpass", allchannels);
        match pass {
            Some(p) => {
                let mut op = Vec::with_capacity(p.len() + 1);
                op.push(b'>');
                op.extend_from_slice(p);
                let _ = user.apply(&op, allchannels);
            }
            None => {
                let _ = user.apply(b"nopass", allchannels);
            }
        }
    }

    /// Closes every connection authenticated as one of `names` (deleted
    /// users, Redis's `ACLFreeUserAndKillClients`): each falls back to the
    /// default user, unauthenticated; `current` (the client running the
    /// command) closes after its reply, the others at once.
    pub(crate) fn acl_kill_clients_of(&mut self, current: &mut Client, names: &[Bytes]) {
        let kill = |c: &mut Client| {
            if names.contains(&c.user) {
                c.user = Bytes::from_static(b"default");
                c.authenticated = false;
                true
            } else {
                false
            }
        };
        if kill(current) {
            current.close_after_reply = true;
        }
        for c in self.clients.values_mut() {
            if kill(c) {
                close_connection(c);
            }
        }
    }

    /// Redis's `ACLKillPubsubClientsIfNeeded`: after `ACL SETUSER` changed
    /// `name`'s channels, closes its subscribed connections whose channels
    /// or patterns the new rules no longer allow.
    pub(crate) fn acl_kill_pubsub_clients(&mut self, current: &mut Client, old: &User, new: &User) {
        if new.selectors.iter().any(|s| s.allchannels) {
            return;
        }
        let upcoming: Vec<Bytes> = new
            .selectors
            .iter()
            .flat_map(|s| s.channels.iter().cloned())
            .collect();
        if old
            .selectors
            .iter()
            .flat_map(|s| s.channels.iter())
            .all(|c| upcoming.contains(c))
        {
            // As in Redis 7.0, a user that had `allchannels` has no channel
            // list to lose: its clients stay.
            return;
        }
        let violates = |c: &Client| {
            c.user == new.name
                && c.subs.total() > 0
                && (c
                    .subs
                    .patterns
                    .iter()
                    .any(|p| !selector::channels_allow(&upcoming, p, true))
                    || c.subs
                        .channels
                        .iter()
                        .chain(&c.subs.shard)
                        .any(|ch| !selector::channels_allow(&upcoming, ch, false)))
        };
        if violates(current) {
            current.close_after_reply = true;
        }
        for c in self.clients.values() {
            if violates(c) {
                close_connection(c);
            }
        }
    }
}

/// Asks a connection's task to close it (the way idle clients are closed).
fn close_connection(c: &Client) {
    if let Some(outbox) = &c.outbox
        && outbox.backlog.close()
    {
        let _ = outbox.sender.send(delivery::OutOfBand {
            bytes: Bytes::new(),
            unblocks: false,
            close: true,
            seq: 0,
        });
    }
}
