//! The dispatch path, Redis's `processCommand` and `call`: a command's
//! lookup in the command table, its checks (arity, authentication,
//! subscribed mode, MULTI), queueing inside a transaction, statistics, and
//! the call of its handler with a [`Ctx`]. [`Engine::execute`] runs one
//! command for a connected client and returns its [`Outcome`]; EXEC runs
//! its queue through [`Engine::call_queued`].

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use bytes::Bytes;

use super::command::{CommandName, CommandSpec, CommandTable, Resolved, flags, full_name};
use super::commands::{pubsub, transactions};
use super::keyspace::Db;
use super::util::errors::{self, unknown_command};
use super::{Client, DATABASES, Engine, blocking, cluster};
use crate::protocol::{Protocol, Reply};

/// What a command handler sees: the engine, the calling client and the arguments.
pub(crate) struct Ctx<'a> {
    pub engine: &'a mut Engine,
    pub client: &'a mut Client,
    pub args: &'a [Bytes],
}

impl<'a> Ctx<'a> {
    /// Argument `i` (the command name is argument 0). The reference
    /// borrows the arguments, not the context: a handler keeps it while it
    /// changes the keyspace, with no copy.
    pub fn arg(&self, i: usize) -> &'a Bytes {
        &self.args[i]
    }

    /// The database the client has selected.
    pub fn db(&mut self) -> &mut Db {
        &mut self.engine.dbs[self.client.db]
    }
}

/// What one command produced, for the session to write.
pub(crate) struct Outcome {
    /// Frames to write before `reply` (the first confirmations of a
    /// multi-channel SUBSCRIBE, ...).
    pub extra: Vec<Reply>,
    /// The reply (a placeholder, not to be written, when `blocked`).
    pub reply: Reply,
    /// The command blocked the client: its reply arrives later on the
    /// client's outbox, unless the deadline (if any; engine-clock Unix ms)
    /// passes first.
    pub blocked: Option<Option<i64>>,
    /// Write the reply, then close the connection (QUIT; or the client is gone).
    pub close: bool,
    /// Do not write the reply (`CLIENT REPLY OFF|SKIP`).
    pub silent: bool,
    /// Frames to write after the reply (tracking invalidations and MONITOR
    /// lines this command caused for its own client).
    pub trailing: Vec<Reply>,
    /// A MIGRATE's network part, to run without the engine lock; its reply
    /// comes from `commands::migrate::complete` (the reply here is silent).
    pub deferred: Option<Box<super::commands::migrate::MigrateJob>>,
}

impl Engine {
    /// Runs one command for a client, the way Redis's `processCommand` does:
    /// lookup, arity, authentication, then the command itself.
    pub fn execute(&mut self, client_id: u64, args: &[Bytes]) -> Outcome {
        let Some(mut client) = self.clients.remove(&client_id) else {
            return Outcome {
                extra: Vec::new(),
                reply: Reply::error("ERR connection is gone"),
                blocked: None,
                close: true,
                silent: false,
                trailing: Vec::new(),
                deferred: None,
            };
        };
        let real_us = super::clock::real_us();
        self.refresh_time_at(real_us);
        self.call_started_us = Some(real_us);
        self.tracking.current = client_id;
        // A panicking handler (a bug) must not take the client's state down
        // with it: the client goes back in the table whatever happens, so
        // its subscriptions, WATCHes and blocking wait are cleaned up when
        // it leaves, and it gets an error reply instead of a dead
        // connection.
        let reply = match panic::catch_unwind(AssertUnwindSafe(|| self.process(&mut client, args)))
        {
            Ok(reply) => reply,
            Err(payload) => self.recover_from_panic(&mut client, args, payload.as_ref()),
        };
        // A command refused before its `call` leaves the reading unused.
        self.call_started_us = None;
        let silent = client.reply.finish_command();
        super::commands::client::after_command(&mut client, args);
        let mut outcome = Outcome {
            extra: std::mem::take(&mut client.extra),
            reply,
            blocked: client.blocked.as_ref().map(|b| b.deadline),
            close: client.close_after_reply,
            silent,
            trailing: Vec::new(),
            deferred: super::commands::migrate::take_job(self, client_id),
        };
        // Back in the table first, so that what the command triggers
        // (keyspace events, serving blocked clients) reaches this client too.
        self.clients.insert(client_id, client);
        self.after_command();
        super::commands::replication::flush(self);
        self.tracking.current = 0;
        outcome.trailing = std::mem::take(&mut self.tracking.trailing);
        outcome
    }

    /// Restores the invariants a handler that panicked may have left
    /// broken, and builds the error the client gets: a transaction half
    /// run (EXEC keeps the client in MULTI while its queue runs) is
    /// discarded with its WATCHes, a blocking wait half registered is
    /// dropped, and a key the command named that was left holding an empty
    /// aggregate is deleted (Redis never keeps one).
    fn recover_from_panic(
        &mut self,
        client: &mut Client,
        args: &[Bytes],
        payload: &(dyn Any + Send),
    ) -> Reply {
        if client.multi.is_some() {
            transactions::discard_transaction(self, client);
        }
        if client.blocked.is_some() {
            blocking::unblock(self, client);
        }
        client.extra.clear();
        let db = &mut self.dbs[client.db.min(DATABASES - 1)];
        for key in args.iter().skip(1) {
            db.remove_if_empty(key);
        }
        self.stats.failed_calls += 1;
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic");
        let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
        let text = format!("ERR mock-redis failed running '{name}' (a bug): {what}")
            .replace(['\r', '\n', '\0'], " ");
        Reply::error(text)
    }

    fn process(&mut self, client: &mut Client, args: &[Bytes]) -> Reply {
        let reply = self.dispatch(client, args);
        // ASKING lasts one command, or a transaction until its EXEC
        // (Redis's resetClient).
        if client.asking && client.multi.is_none() && !args[0].eq_ignore_ascii_case(b"asking") {
            client.asking = false;
        }
        if let Reply::Error(e) = &reply {
            self.stats.total_error_replies += 1;
            let code = e.split(|&b| b == b' ').next().unwrap_or_default();
            let code = String::from_utf8_lossy(code).into_owned();
            if self.stats.errors.len() < 128 || self.stats.errors.contains_key(&code) {
                *self.stats.errors.entry(code).or_default() += 1;
            }
        }
        reply
    }

    fn dispatch(&mut self, client: &mut Client, args: &[Bytes]) -> Reply {
        let checked = match self.check(client, args) {
            Ok((spec, parent)) => self
                .acl_gate(client, spec, parent, args)
                .map(|()| (spec, parent)),
            Err(reply) => Err(reply),
        };
        let (spec, parent) = match checked {
            Ok(found) => found,
            Err(reply) => {
                // Redis's rejectCommand: a queue-time error dooms the transaction.
                if client.multi.is_some() {
                    client.multi_dirty = true;
                }
                self.stats.rejected_calls += 1;
                if let Resolved::Found(spec, parent) = CommandTable::get().resolve(args) {
                    self.stats
                        .commands
                        .entry(CommandName::of(spec, parent))
                        .or_default()
                        .rejected += 1;
                }
                if args[0].eq_ignore_ascii_case(b"exec") {
                    // ... and a rejected EXEC aborts it (`execCommandAbort`).
                    transactions::discard_transaction(self, client);
                    return errors::exec_abort(&reply);
                }
                return reply;
            }
        };
        client.last_command = CommandName::of(spec, parent);
        let top = parent.unwrap_or(spec);
        if self.cluster.is_some() {
            if let Err(reply) = self.cluster_route(client, spec, parent, args) {
                return reply;
            }
        }
        if client.multi.is_some() && !transactions::runs_in_multi(top.name) {
            if let Some(queue) = &mut client.multi {
                queue.push(args.to_vec());
            }
            return Reply::simple("QUEUED");
        }
        self.call(client, spec, parent, args)
    }

    /// A cluster node's redirection (Redis's processCommand, after the
    /// ACL check): a command for another node's slot is refused with
    /// MOVED/ASK/CROSSSLOT/TRYAGAIN/CLUSTERDOWN; a refused command dooms
    /// the transaction it was queued in, a refused EXEC discards it. Runs
    /// after the other checks (subscribed mode, `no_multi`), which Redis
    /// makes after it: a client can tell only by breaking both rules.
    fn cluster_route(
        &mut self,
        client: &mut Client,
        spec: &'static CommandSpec,
        parent: Option<&'static CommandSpec>,
        args: &[Bytes],
    ) -> Result<(), Reply> {
        let routed = cluster::route::check(self, client, spec, parent, args);
        if routed.is_err() {
            if parent.unwrap_or(spec).name == "exec" {
                transactions::discard_transaction(self, client);
            } else if client.multi.is_some() {
                client.multi_dirty = true;
            }
            self.stats.rejected_calls += 1;
            self.stats
                .commands
                .entry(CommandName::of(spec, parent))
                .or_default()
                .rejected += 1;
        }
        routed
    }

    /// Redis's processCommand checks, in its order: unknown command or
    /// subcommand, arity, authentication.
    fn check(
        &mut self,
        client: &mut Client,
        args: &[Bytes],
    ) -> Result<(&'static CommandSpec, Option<&'static CommandSpec>), Reply> {
        let table = CommandTable::get();
        let (spec, parent) = match table.resolve(args) {
            Resolved::Found(spec, parent) => (spec, parent),
            Resolved::UnknownSubcommand(base) => {
                return Err(errors::unknown_subcommand(&args[1], base.name));
            }
            Resolved::Unknown => return Err(unknown_command(args)),
        };
        if !spec.arity_ok(args.len()) {
            return Err(errors::wrong_arity(&full_name(spec, parent)));
        }
        // Redis's protected commands, before authentication as in Redis.
        if parent.unwrap_or(spec).name == "debug"
            && !self.protected_action_allowed("enable-debug-command", client)
        {
            return Err(errors::err(
                "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
            ));
        }
        // Redis's `authRequired`: only while the default user has a
        // password; a client that connected under one passes once it is
        // emptied (HELLO alone still checks the client's own flag).
        if !client.authenticated && !self.default_user_open() && spec.flags & flags::NO_AUTH == 0 {
            return Err(errors::err(errors::NOAUTH));
        }
        if client.monitor
            && spec.flags & (flags::WRITE | flags::READONLY | flags::MAY_REPLICATE) != 0
        {
            return Err(errors::err("ERR Replica can't interact with the keyspace"));
        }
        if client.multi.is_none()
            && client.protocol == Protocol::Resp2
            && client.subs.total() > 0
            && !pubsub::allowed_in_subscribed_mode(parent.unwrap_or(spec).name)
        {
            let name = full_name(spec, parent);
            return Err(errors::rejected(format_args!(
                "Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            )));
        }
        if client.multi.is_some() && spec.flags & flags::NO_MULTI != 0 {
            return Err(errors::err(errors::NOT_IN_TRANSACTION));
        }
        Ok((spec, parent))
    }

    /// Redis's `allowProtectedAction`: the parameter (`enable-debug-command`)
    /// says `yes`, or `local` and the client is local (Redis's
    /// `islocalClient`: a Unix socket, or a peer at exactly `127.0.0.1` or
    /// `::1`).
    pub(crate) fn protected_action_allowed(&self, parameter: &str, client: &Client) -> bool {
        match self.config_str(parameter) {
            Some("yes") => true,
            Some("local") => match client.addr.parse::<std::net::SocketAddr>() {
                Ok(peer) => match peer.ip() {
                    std::net::IpAddr::V4(ip) => ip == std::net::Ipv4Addr::LOCALHOST,
                    std::net::IpAddr::V6(ip) => ip == std::net::Ipv6Addr::LOCALHOST,
                },
                // A Unix socket's `path:0`, or a client with no connection.
                Err(_) => true,
            },
            _ => false,
        }
    }

    /// Runs a resolved command (Redis's `call`), directly or from EXEC.
    fn call(
        &mut self,
        client: &mut Client,
        spec: &'static CommandSpec,
        parent: Option<&'static CommandSpec>,
        args: &[Bytes],
    ) -> Reply {
        self.stats.total_commands_processed += 1;
        let name = CommandName::of(spec, parent);
        let Some(handler) = spec.handler else {
            // Containers always resolve to a subcommand once arity passed.
            return Reply::error("ERR command has no implementation");
        };
        // Scripts show before the commands they run (Redis's scripting
        // feeds them itself); other commands once they ran, but admin ones.
        let monitored = !self.client_admin.monitors.is_empty();
        if monitored && spec.flags & flags::SKIP_MONITOR != 0 {
            super::commands::client::feed_monitors(self, client, args);
        }
        // An error reply counts as a failed call, returned as `Err` (the
        // usual way) or as `Ok(Reply::Error)`.
        // The top-level command's clock reading (`execute`), or a new one
        // for a command EXEC or a script runs.
        let started_us = self
            .call_started_us
            .take()
            .unwrap_or_else(super::clock::real_us);
        let dirty_before = super::commands::replication::before_call(self);
        let reply = match handler(&mut Ctx {
            engine: self,
            client,
            args,
        }) {
            Ok(reply) | Err(reply) => reply,
        };
        if let Some(before) = dirty_before {
            super::commands::replication::after_call(self, client, spec, args, before, &reply);
        }
        // SLOWLOG, LATENCY and the latency histogram (`introspection/slowlog.rs`).
        let elapsed_us = super::clock::real_us().saturating_sub(started_us).max(0);
        let failed = matches!(reply, Reply::Error(_));
        self.record_call(
            client,
            spec,
            name,
            args,
            Duration::from_micros(elapsed_us as u64),
            failed,
        );
        if monitored && spec.flags & (flags::SKIP_MONITOR | flags::ADMIN) == 0 {
            super::commands::client::feed_monitors(self, client, args);
        }
        if spec.flags & flags::READONLY != 0 && client.tracking.is_some() {
            super::tracking::remember_keys(self, client, spec, args);
        }
        if failed {
            self.stats.failed_calls += 1;
        }
        reply
    }

    /// Runs one command's handler for the direct state API
    /// (`server/db_handle/`), on database `db`, with a [`Client::detached`]
    /// client: the same handler, keyspace events, WATCH invalidation and
    /// touched keys a connection's command gets, without the connection
    /// checks (the caller builds well-formed arguments) and without counting
    /// in `INFO commandstats`. The caller holds the engine as for any
    /// command: clock refreshed before, [`Engine::after_command`] after.
    ///
    /// # Panics
    ///
    /// When `args` names no command, or fails its arity: both are bugs in
    /// the caller.
    pub(crate) fn call_detached(&mut self, db: usize, args: &[Bytes]) -> Reply {
        let Resolved::Found(spec, _) = CommandTable::get().resolve(args) else {
            panic!(
                "mock-redis: no command {:?}",
                String::from_utf8_lossy(&args[0])
            );
        };
        assert!(
            spec.arity_ok(args.len()),
            "mock-redis: bad arity for {}",
            spec.name
        );
        let handler = spec.handler.expect("a command with a handler");
        let mut client = Client::detached(db);
        handler(&mut Ctx {
            engine: self,
            client: &mut client,
            args,
        })
        .unwrap_or_else(|error| error)
    }

    /// Runs a command a script called (`redis.call`), for the script's own
    /// client: the caller checked name, arity and the script rules; this is
    /// Redis's `call` (statistics included).
    #[cfg(feature = "scripting")]
    pub(crate) fn call_from_script(
        &mut self,
        client: &mut Client,
        spec: &'static CommandSpec,
        parent: Option<&'static CommandSpec>,
        args: &[Bytes],
    ) -> Reply {
        self.call(client, spec, parent, args)
    }

    /// Runs one queued command inside EXEC: resolved again (the table is
    /// static, so it cannot fail differently than at queue time).
    pub(crate) fn call_queued(&mut self, client: &mut Client, args: &[Bytes]) -> Reply {
        // `last_command` stays `exec` (CLIENT LIST shows `cmd=exec`), as in Redis.
        match self.check(client, args) {
            Ok((spec, parent)) => match self.acl_gate_at_exec(client, spec, parent, args) {
                Ok(()) => self.call(client, spec, parent, args),
                Err(reply) => reply,
            },
            Err(reply) => reply,
        }
    }
}
