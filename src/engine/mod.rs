//! The in-memory Redis engine: connection state, the command table and one
//! module per command group.
//!
//! All state lives in one [`Engine`] behind one lock. A connection locks it
//! for each command (never across an `.await`), so every command runs
//! atomically, as it does in single-threaded Redis.

// `CommandSpec::keys` and `keyspace::Value::String` have no users until the
// keyspace commands land (engine branch); clippy -D warnings needs this.
#[allow(dead_code)]
pub(crate) mod command;
mod connection;
#[allow(dead_code)]
pub(crate) mod keyspace;
mod server;

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use bytes::Bytes;

use crate::protocol::{Protocol, Reply};
use command::{CommandSpec, CommandTable, Resolved, flags, full_name};
use keyspace::Db;

/// Every command group's table, concatenated into the command table.
pub(crate) const COMMAND_GROUPS: &[&[CommandSpec]] = &[connection::COMMANDS, server::COMMANDS];

/// Number of logical databases, as Redis's default `databases 16`.
pub(crate) const DATABASES: usize = 16;

/// Settings fixed when the server is built.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// The version `HELLO` and `INFO` report.
    pub redis_version: String,
    /// `requirepass`: when set, clients must `AUTH` first.
    pub requirepass: Option<Bytes>,
    /// The TCP port `INFO` reports.
    pub tcp_port: u16,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            redis_version: "7.0.15".to_string(),
            requirepass: None,
            tcp_port: 0,
        }
    }
}

impl Config {
    /// Whether the configured version is at least `major.minor`.
    pub fn version_at_least(&self, major: u32, minor: u32) -> bool {
        let mut parts = self
            .redis_version
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let v = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        v >= (major, minor)
    }
}

/// One client connection's state.
#[derive(Debug)]
pub(crate) struct Client {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub name: Option<Bytes>,
    pub lib_name: Option<Bytes>,
    pub lib_ver: Option<Bytes>,
    pub db: usize,
    pub protocol: Protocol,
    pub authenticated: bool,
    pub created: Instant,
    pub last_interaction: Instant,
    pub last_command: String,
    /// Set by QUIT (and protocol errors): write the pending replies, then close.
    pub close_after_reply: bool,
}

/// What a command handler sees: the engine, the calling client and the arguments.
pub(crate) struct Ctx<'a> {
    pub engine: &'a mut Engine,
    pub client: &'a mut Client,
    pub args: &'a [Bytes],
}

impl Ctx<'_> {
    /// Argument `i` (the command name is argument 0).
    pub fn arg(&self, i: usize) -> &Bytes {
        &self.args[i]
    }

    /// The database the client has selected.
    #[allow(dead_code)]
    pub fn db(&mut self) -> &mut Db {
        &mut self.engine.dbs[self.client.db]
    }
}

/// A command's reply and the connection state the connection task needs after it.
pub(crate) struct Outcome {
    pub reply: Reply,
    /// The protocol to encode the reply in (HELLO may just have changed it).
    pub protocol: Protocol,
    /// Write the reply, then close the connection.
    pub close: bool,
    /// Whether the parser must apply the unauthenticated limits.
    pub auth_required: bool,
    /// The database the client has selected after the command.
    #[allow(dead_code)]
    pub db: usize,
}

/// Statistics `INFO stats` reports.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
}

/// The whole server state.
pub(crate) struct Engine {
    pub config: Config,
    pub clients: HashMap<u64, Client>,
    next_client_id: u64,
    pub dbs: Vec<Db>,
    pub started: Instant,
    pub stats: Stats,
    pub run_id: String,
}

impl Engine {
    pub fn new(config: Config) -> Engine {
        let started_wall = SystemTime::now();
        let nanos = started_wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let run_id = format!("{:040x}", nanos ^ (std::process::id() as u128) << 64)
            .chars()
            .rev()
            .take(40)
            .collect();
        Engine {
            config,
            clients: HashMap::new(),
            next_client_id: 1,
            dbs: (0..DATABASES).map(|_| Db::default()).collect(),
            started: Instant::now(),
            stats: Stats::default(),
            run_id,
        }
    }

    /// Whether a client that has not authenticated must do so first.
    pub fn auth_required(&self, client_id: u64) -> bool {
        self.config.requirepass.is_some()
            && !self
                .clients
                .get(&client_id)
                .is_some_and(|c| c.authenticated)
    }

    /// Registers a new connection and returns its id.
    pub fn connect(&mut self, addr: String, laddr: String) -> u64 {
        let id = self.next_client_id;
        self.next_client_id += 1;
        self.stats.total_connections_received += 1;
        let now = Instant::now();
        self.clients.insert(
            id,
            Client {
                id,
                addr,
                laddr,
                name: None,
                lib_name: None,
                lib_ver: None,
                db: 0,
                protocol: Protocol::Resp2,
                authenticated: self.config.requirepass.is_none(),
                created: now,
                last_interaction: now,
                last_command: "NULL".to_string(),
                close_after_reply: false,
            },
        );
        id
    }

    /// Forgets a closed connection.
    pub fn disconnect(&mut self, client_id: u64) {
        self.clients.remove(&client_id);
    }

    /// Runs one command for a client, the way Redis's `processCommand` does:
    /// lookup, arity, authentication, then the command itself.
    pub fn execute(&mut self, client_id: u64, args: &[Bytes]) -> Outcome {
        let Some(mut client) = self.clients.remove(&client_id) else {
            return Outcome {
                reply: Reply::error("ERR connection is gone"),
                protocol: Protocol::Resp2,
                close: true,
                auth_required: true,
                db: 0,
            };
        };
        let reply = self.process(&mut client, args);
        let outcome = Outcome {
            reply,
            protocol: client.protocol,
            close: client.close_after_reply,
            auth_required: !client.authenticated,
            db: client.db,
        };
        self.clients.insert(client_id, client);
        outcome
    }

    fn process(&mut self, client: &mut Client, args: &[Bytes]) -> Reply {
        client.last_interaction = Instant::now();
        self.stats.total_commands_processed += 1;
        let table = CommandTable::get();
        let (spec, parent) = match table.resolve(args) {
            Resolved::Found(spec, parent) => (spec, parent),
            Resolved::UnknownSubcommand(base) => {
                let mut text = b"ERR unknown subcommand '".to_vec();
                text.extend_from_slice(c_bytes(&args[1], 128));
                text.extend_from_slice(b"'. Try ");
                text.extend_from_slice(base.name.to_ascii_uppercase().as_bytes());
                text.extend_from_slice(b" HELP.");
                return one_line_error(text);
            }
            Resolved::Unknown => return unknown_command(args),
        };
        let name = full_name(spec, parent);
        if !spec.arity_ok(args.len()) {
            return rejected(format_args!(
                "wrong number of arguments for '{name}' command"
            ));
        }
        if !client.authenticated && spec.flags & flags::NO_AUTH == 0 {
            return Reply::error("NOAUTH Authentication required.");
        }
        client.last_command = name;
        let Some(handler) = spec.handler else {
            // Containers always resolve to a subcommand once arity passed.
            return Reply::error("ERR command has no implementation");
        };
        handler(&mut Ctx {
            engine: self,
            client,
            args,
        })
    }
}

/// An error built from user input: line breaks become spaces, as Redis ensures.
fn rejected(msg: std::fmt::Arguments<'_>) -> Reply {
    one_line_error(format!("ERR {msg}").into_bytes())
}

/// An error reply from raw text, with `\r` and `\n` mapped to spaces.
pub(crate) fn one_line_error(mut text: Vec<u8>) -> Reply {
    for b in &mut text {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    Reply::Error(Bytes::from(text))
}

/// Redis 7.0's reply to an unknown command: the name and the first arguments,
/// each cut at a NUL byte and 128 bytes in all, as its `sdscatprintf` does.
fn unknown_command(args: &[Bytes]) -> Reply {
    let mut listed = Vec::new();
    for arg in &args[1..] {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        listed.push(b'\'');
        listed.extend_from_slice(c_bytes(arg, room));
        listed.extend_from_slice(b"' ");
    }
    let mut text = b"ERR unknown command '".to_vec();
    text.extend_from_slice(c_bytes(&args[0], 128));
    text.extend_from_slice(b"', with args beginning with: ");
    text.extend_from_slice(&listed);
    one_line_error(text)
}

/// `%.<max>s` of a C string: up to the first NUL, at most `max` bytes.
fn c_bytes(arg: &[u8], max: usize) -> &[u8] {
    let end = arg
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(arg.len())
        .min(max);
    &arg[..end]
}
