//! The [`Request`] type matchers, responders and the journal see.

use std::fmt;
use std::time::SystemTime;

use bytes::Bytes;

use crate::engine::meta;

/// One command a client sent, as matchers, responders and the journal see it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> redis::RedisResult<()> {
/// use mock_redis::MockRedis;
///
/// let server = MockRedis::start().await;
/// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
/// let _: () = redis::cmd("SET").arg("k").arg("v").query_async(&mut conn).await.unwrap_or(());
/// let set = server.received_commands().unwrap().into_iter().find(|r| r.is_command("SET")).unwrap();
/// assert_eq!(set.to_string(), r#""SET" "k" "v""#);
/// assert_eq!(set.arg(1).unwrap(), "k");
/// assert_eq!(set.db(), 0);
/// # Ok(())
/// # }
/// ```
///
/// Two requests are equal when they carry the same arguments on the same
/// connection and database; the [arrival time](Request::time) is not
/// compared, so a journal entry equals the request a test builds for it:
///
/// ```
/// use mock_redis::Request;
/// let sent = Request::new(["GET", "k"], 1, 0);
/// std::thread::sleep(std::time::Duration::from_millis(2));
/// assert_eq!(sent, Request::new(["GET", "k"], 1, 0)); // later, still equal
/// assert_ne!(sent, Request::new(["GET", "k"], 2, 0)); // another connection
/// assert_ne!(sent, Request::new(["get", "k"], 1, 0)); // arguments byte for byte
/// ```
#[derive(Clone, Debug)]
pub struct Request {
    args: Vec<Bytes>,
    connection: u64,
    db: usize,
    time: SystemTime,
    /// The commands a script ran (`redis.call`/`redis.pcall`), in order.
    script_commands: Vec<Vec<Bytes>>,
}

impl Request {
    /// A request as connection `connection` on database `db` sends it now.
    /// Useful to unit-test a custom [`Match`](crate::Match) or
    /// [`Respond`](crate::Respond).
    ///
    /// ```
    /// use mock_redis::Request;
    /// let req = Request::new(["GET", "user:1"], 7, 0);
    /// assert_eq!(req.connection_id(), 7);
    /// assert_eq!(req.name(), "GET");
    /// ```
    pub fn new<A: Into<Bytes>>(
        args: impl IntoIterator<Item = A>,
        connection: u64,
        db: usize,
    ) -> Request {
        Request::from_parts(args.into_iter().map(Into::into).collect(), connection, db)
    }

    pub(crate) fn from_parts(args: Vec<Bytes>, connection: u64, db: usize) -> Request {
        Request {
            args,
            connection,
            db,
            time: SystemTime::now(),
            script_commands: Vec::new(),
        }
    }

    /// For a Lua script the engine ran (EVAL, EVALSHA, FCALL and their
    /// `_RO` forms), the commands it ran with `redis.call` and
    /// `redis.pcall`, in order; empty for any other request, or when a
    /// mock answered. The journal records them under the script command,
    /// so a test can assert what a script did.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::start().await;
    /// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
    /// let _: () = redis::cmd("EVAL")
    ///     .arg("redis.call('SET', KEYS[1], 'v'); redis.call('EXPIRE', KEYS[1], 10)")
    ///     .arg(1).arg("k")
    ///     .query_async(&mut conn).await?;
    /// let eval = server.received_commands().unwrap().into_iter().find(|r| r.is_command("EVAL")).unwrap();
    /// assert_eq!(eval.script_commands_as_strings(), [vec!["SET", "k", "v"], vec!["EXPIRE", "k", "10"]]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn script_commands(&self) -> &[Vec<Bytes>] {
        &self.script_commands
    }

    /// [`script_commands`](Request::script_commands) as strings (invalid
    /// UTF-8 replaced by `U+FFFD`).
    ///
    /// ```
    /// let req = mock_redis::Request::new(["GET", "k"], 1, 0);
    /// assert!(req.script_commands_as_strings().is_empty());
    /// ```
    pub fn script_commands_as_strings(&self) -> Vec<Vec<String>> {
        self.script_commands
            .iter()
            .map(|c| {
                c.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .collect()
    }

    /// Records what a script ran (the session, after the engine answered).
    pub(crate) fn set_script_commands(&mut self, commands: Vec<Vec<Bytes>>) {
        self.script_commands = commands;
    }

    /// Every argument, the command name first, as the client sent them.
    ///
    /// ```
    /// let req = mock_redis::Request::new(["set", "k", "v"], 1, 0);
    /// assert_eq!(req.args().len(), 3);
    /// assert_eq!(req.args()[0], "set");
    /// ```
    pub fn args(&self) -> &[Bytes] {
        &self.args
    }

    /// Every argument as a `String`, invalid UTF-8 replaced by `U+FFFD`
    /// (see [`String::from_utf8_lossy`]): handy for `assert_eq!` without
    /// the `bytes` crate.
    ///
    /// ```
    /// let req = mock_redis::Request::new(["SET", "k", "v"], 1, 0);
    /// assert_eq!(req.args_as_strings(), ["SET", "k", "v"]);
    /// ```
    pub fn args_as_strings(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    /// Argument `i` (the command name is argument 0).
    ///
    /// ```
    /// let req = mock_redis::Request::new(["GET", "k"], 1, 0);
    /// assert_eq!(req.arg(1).unwrap(), "k");
    /// assert!(req.arg(2).is_none());
    /// ```
    pub fn arg(&self, i: usize) -> Option<&Bytes> {
        self.args.get(i)
    }

    /// The command name in upper case (lossy for non-UTF-8 names).
    ///
    /// ```
    /// assert_eq!(mock_redis::Request::new(["get", "k"], 1, 0).name(), "GET");
    /// ```
    pub fn name(&self) -> String {
        self.args
            .first()
            .map(|a| String::from_utf8_lossy(a).to_ascii_uppercase())
            .unwrap_or_default()
    }

    /// Whether the command is `name`, case-insensitively. A name with a space
    /// (`"CLIENT SETNAME"`) also checks the subcommand.
    ///
    /// ```
    /// let req = mock_redis::Request::new(["client", "setname", "app"], 1, 0);
    /// assert!(req.is_command("CLIENT"));
    /// assert!(req.is_command("client setname"));
    /// assert!(!req.is_command("CLIENT GETNAME"));
    /// ```
    pub fn is_command(&self, name: &str) -> bool {
        let mut words = name.split_ascii_whitespace();
        let mut i = 0;
        for word in words.by_ref() {
            match self.args.get(i) {
                Some(a) if a.eq_ignore_ascii_case(word.as_bytes()) => i += 1,
                _ => return false,
            }
        }
        i > 0
    }

    /// The command name, with the subcommand of a container command
    /// (`CLIENT SETINFO`), upper case: how the report names a folded
    /// handshake command.
    pub(crate) fn command_words(&self) -> String {
        let mut out = self.name();
        let container = self
            .args
            .first()
            .and_then(|name| meta::lookup(name))
            .is_some_and(|c| c.has_subcommands());
        if let Some(sub) = self.args.get(1).filter(|_| container) {
            out.push(' ');
            out.push_str(&String::from_utf8_lossy(sub).to_ascii_uppercase());
        }
        out
    }

    /// The id of the connection that sent the command: the number `CLIENT ID`
    /// answers on that connection.
    ///
    /// ```
    /// assert_eq!(mock_redis::Request::new(["PING"], 3, 0).connection_id(), 3);
    /// ```
    pub fn connection_id(&self) -> u64 {
        self.connection
    }

    /// The database the connection had selected when the command arrived.
    ///
    /// ```
    /// assert_eq!(mock_redis::Request::new(["GET", "k"], 1, 2).db(), 2);
    /// ```
    pub fn db(&self) -> usize {
        self.db
    }

    /// When the command arrived.
    ///
    /// ```
    /// let req = mock_redis::Request::new(["PING"], 1, 0);
    /// assert!(req.time() <= std::time::SystemTime::now());
    /// ```
    pub fn time(&self) -> SystemTime {
        self.time
    }

    /// The key arguments, found the way Redis finds them (`COMMAND GETKEYS`).
    /// For a command the engine does not know (a module command, say), the
    /// first argument is taken as the key.
    ///
    /// ```
    /// let req = mock_redis::Request::new(["CLIENT", "SETNAME", "app"], 1, 0);
    /// assert!(req.keys().is_empty());
    /// let req = mock_redis::Request::new(["JSON.GET", "doc:1", "$"], 1, 0);
    /// assert_eq!(req.keys(), vec![&bytes::Bytes::from("doc:1")]);
    /// ```
    pub fn keys(&self) -> Vec<&Bytes> {
        if self.args.is_empty() {
            return Vec::new();
        }
        if meta::lookup(&self.args[0]).is_none() {
            return self.args.get(1).into_iter().collect();
        }
        meta::key_positions(&self.args)
            .into_iter()
            .filter_map(|i| self.args.get(i))
            .collect()
    }
}

impl PartialEq for Request {
    /// Arguments, connection and database; not the arrival time.
    fn eq(&self, other: &Request) -> bool {
        self.args == other.args && self.connection == other.connection && self.db == other.db
    }
}

impl Eq for Request {}

impl fmt::Display for Request {
    /// The arguments quoted as `redis-cli` and `MONITOR` print them:
    /// `"SET" "k" "a\x00b"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&quote(arg))?;
        }
        Ok(())
    }
}

/// Quotes bytes as Redis's `sdscatrepr` does (what `MONITOR` and
/// `redis-cli` print): `"a\"b\n\x00"`.
pub(crate) fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_sdscatrepr() {
        assert_eq!(quote(b"plain"), r#""plain""#);
        assert_eq!(quote(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote(b"\r\n\t\x07\x08"), r#""\r\n\t\a\b""#);
        assert_eq!(quote(b"\x00\xff"), r#""\x00\xff""#);
        assert_eq!(quote("é".as_bytes()), r#""\xc3\xa9""#);
    }
}
