//! Matchers: which commands a [`Mock`](crate::Mock) answers.
//!
//! Every matcher implements [`Match`]. Combine them with `.and(..)`, or by
//! listing several in [`Mock::given`](crate::Mock::given) and
//! [`MockBuilder::and`](crate::MockBuilder::and): a mock answers a command
//! only when all of its matchers accept it. Every matcher type here has
//! `.and(..)` as an inherent method, so no trait import is needed; the
//! [`Match`] trait matters only to write a matcher of your own (a closure
//! passed straight to [`Mock::given`](crate::Mock::given) needs its
//! argument type, `|req: &Request|`; wrapped in [`func`] it needs none).
//!
//! | matcher | accepts |
//! |---|---|
//! | [`command("GET")`](command) | the command `GET`, any case; `command("CLIENT SETNAME")` checks the subcommand too |
//! | [`command("GET").arg("k")`](CommandMatcher::arg) | ... whose next arguments are these, in order (more may follow) |
//! | [`args(["SET", "k", "v"])`](args) | exactly these arguments (command name in any case) |
//! | [`arg_at(2, "v")`](arg_at) | argument 2 is `v` (the command name is argument 0) |
//! | [`key("user:*")`](key) | a key argument matches the glob, with Redis's rules |
//! | [`db(1)`](db) | the connection has database 1 selected |
//! | [`writes()`](writes) | any command flagged `write` in Redis's command table (`SET`, `DEL`, `HSET`, `FLUSHDB`, ...) |
//! | [`touches_key("user:*")`](touches_key) | a command with a key argument matching the glob, or one that changes every key (`FLUSHDB`, `FLUSHALL`, `SWAPDB`) |
//! | [`script_sha(sha)`](script_sha) | a Lua script run by SHA1 (`EVALSHA`, `EVALSHA_RO`) or by body (`EVAL`, `EVAL_RO`) whose SHA1 is `sha` |
//! | [`script_body(src)`](script_body) | the same, given the script's source |
//! | [`any()`](any) | every command |
//! | [`func(\|req\| ...)`](func) | whatever the closure says |
//! | `\|req: &Request\| ...` | the same, without `func` (the argument type is then needed) |
//!
//! ```
//! use mock_redis::matchers::{command, db, func, key};
//! use mock_redis::{Match, Request};
//!
//! let m = command("GET").and(key("user:*")).and(db(0)).and(func(|req| req.args().len() == 2));
//! assert!(m.matches(&Request::new(["get", "user:1"], 1, 0)));
//! assert!(!m.matches(&Request::new(["GET", "order:1"], 1, 0)));
//! ```
//!
//! The command families make negative checks meaningful: a spy that lets
//! the engine answer, tried before any other mock, and expects no call.
//!
//! ```
//! use mock_redis::{Mock, Response};
//! use mock_redis::matchers::{touches_key, writes};
//!
//! // "This code path never writes", and "nothing touches the config keys".
//! let read_only = Mock::given(writes())
//!     .respond_with(Response::pass_through())
//!     .with_priority(0)
//!     .expect(0)
//!     .named("read-only path");
//! let hands_off = Mock::given(touches_key("config:*"))
//!     .respond_with(Response::pass_through())
//!     .with_priority(0)
//!     .expect(0);
//! # drop((read_only, hands_off));
//! ```

use std::fmt;

use bytes::Bytes;

use super::request::quote;
use crate::engine::meta;
use crate::glob::glob_match;
use crate::mock::Request;

/// Decides whether a mock answers a command.
///
/// Implement it for your own matchers, or pass a closure
/// `Fn(&Request) -> bool`, which implements it (or wrap the closure in
/// [`func`], which spares the argument's type annotation). The matchers
/// of this module have `.and(..)` without this trait in scope.
///
/// Keep matchers free of side effects: besides deciding who answers each
/// command, they run again while a verification report is built (to find
/// the closest mock and near-identical commands), except a matcher that
/// has panicked.
///
/// ```
/// use mock_redis::{Match, Request};
///
/// /// Commands with more than `n` arguments after the name.
/// struct LongerThan(usize);
///
/// impl Match for LongerThan {
///     fn matches(&self, request: &Request) -> bool {
///         request.args().len() > self.0 + 1
///     }
///     fn describe(&self) -> String {
///         format!("more than {} arguments", self.0)
///     }
/// }
///
/// assert!(LongerThan(1).matches(&Request::new(["MGET", "a", "b"], 1, 0)));
/// let closure = |r: &Request| r.db() == 2;
/// assert!(closure.matches(&Request::new(["PING"], 1, 2)));
/// ```
pub trait Match: Send + Sync + 'static {
    /// Whether the command is accepted.
    fn matches(&self, request: &Request) -> bool;

    /// How the verification report names this matcher.
    ///
    /// ```
    /// use mock_redis::Match;
    /// use mock_redis::matchers::command;
    /// assert_eq!(command("GET").arg("k").describe(), r#"command("GET").arg("k")"#);
    /// ```
    fn describe(&self) -> String {
        "a custom matcher".to_string()
    }

    /// Both this matcher and `other` must accept the command.
    ///
    /// ```
    /// use mock_redis::{Match, Request};
    /// use mock_redis::matchers::{command, db};
    /// let m = command("PING").and(db(3));
    /// assert!(m.matches(&Request::new(["PING"], 1, 3)));
    /// assert!(!m.matches(&Request::new(["PING"], 1, 0)));
    /// ```
    fn and<M: Match>(self, other: M) -> And<Self, M>
    where
        Self: Sized,
    {
        And(self, other)
    }

    /// Each part of the matcher and whether it accepted `request`, for the
    /// verification report's "closest mock". The default is one part.
    #[doc(hidden)]
    fn checks(&self, request: &Request, out: &mut Vec<Check>) {
        out.push(Check {
            matcher: self.describe(),
            passed: self.matches(request),
            found: None,
            command: false,
        });
    }
}

/// One part of a matcher, checked against one request.
///
/// ```
/// use mock_redis::{Match, Request};
/// use mock_redis::matchers::command;
/// let mut checks = Vec::new();
/// command("GET").arg("a").checks(&Request::new(["GET", "b"], 1, 0), &mut checks);
/// assert!(checks[0].passed && !checks[1].passed);
/// ```
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct Check {
    /// How the report names the part.
    pub matcher: String,
    /// Whether the part accepted the request.
    pub passed: bool,
    /// What the request had instead, when that helps.
    pub found: Option<String>,
    /// The part checks the command name: a mock whose command parts all
    /// accept ranks above one whose command part rejects, whatever their
    /// other parts say.
    pub command: bool,
}

/// Adds the inherent `.and(..)` to matcher types, so combining them needs
/// no trait import.
macro_rules! inherent_and {
    ($($t:ident),*) => {$(
        impl $t {
            /// Both this matcher and `other` must accept the command: the
            /// same as [`Match::and`], without importing the trait (see
            /// the [module](crate::matchers) example).
            pub fn and<M: Match>(self, other: M) -> And<$t, M> {
                And(self, other)
            }
        }
    )*};
}

inherent_and!(
    CommandMatcher,
    ArgsMatcher,
    ArgAt,
    KeyMatcher,
    DbMatcher,
    AnyMatcher,
    WritesMatcher,
    TouchesKey
);

impl<F> Match for F
where
    F: Fn(&Request) -> bool + Send + Sync + 'static,
{
    fn matches(&self, request: &Request) -> bool {
        self(request)
    }

    fn describe(&self) -> String {
        "a closure".to_string()
    }
}

/// Two matchers that must both accept; see [`Match::and`].
///
/// ```
/// use mock_redis::Match;
/// use mock_redis::matchers::{any, db, And};
/// let both: And<_, _> = any().and(db(1));
/// assert_eq!(both.describe(), "any() and db(1)");
/// ```
#[derive(Clone, Debug)]
#[must_use = "a matcher does nothing until a mock is given it"]
pub struct And<A, B>(A, B);

impl<A: Match, B: Match> And<A, B> {
    /// A third matcher (and more) that must accept too: the same as
    /// [`Match::and`], without importing the trait.
    ///
    /// ```
    /// use mock_redis::matchers::{command, db, key};
    /// let m = command("GET").and(key("user:*")).and(db(0));
    /// # drop(m);
    /// ```
    pub fn and<M: Match>(self, other: M) -> And<And<A, B>, M> {
        And(self, other)
    }
}

impl<A: Match, B: Match> Match for And<A, B> {
    fn matches(&self, request: &Request) -> bool {
        self.0.matches(request) && self.1.matches(request)
    }

    fn describe(&self) -> String {
        format!("{} and {}", self.0.describe(), self.1.describe())
    }

    fn checks(&self, request: &Request, out: &mut Vec<Check>) {
        self.0.checks(request, out);
        self.1.checks(request, out);
    }
}

/// Matches a command by name, case-insensitively; `"CLIENT SETNAME"` also
/// checks the subcommand. Add arguments with [`CommandMatcher::arg`].
///
/// ```
/// use mock_redis::{Match, Request};
/// use mock_redis::matchers::command;
///
/// assert!(command("get").matches(&Request::new(["GET", "k"], 1, 0)));
/// assert!(command("CLIENT SETNAME").matches(&Request::new(["client", "setname", "x"], 1, 0)));
/// assert!(command("CLIENT").arg("SETNAME").matches(&Request::new(["client", "setname", "x"], 1, 0)));
/// ```
pub fn command(name: impl AsRef<str>) -> CommandMatcher {
    let words: Vec<Bytes> = name
        .as_ref()
        .split_ascii_whitespace()
        .map(|w| Bytes::from(w.to_ascii_uppercase()))
        .collect();
    // `command("CLIENT").arg("SETNAME")`: a container's first argument is a
    // subcommand name, compared case-insensitively as Redis does.
    let container =
        words.len() == 1 && meta::lookup(&words[0]).is_some_and(|c| c.has_subcommands());
    CommandMatcher {
        words,
        args: Vec::new(),
        container,
    }
}

/// The matcher [`command`] builds: a command name (and subcommand) and the
/// arguments that must follow it, in order.
///
/// ```
/// use mock_redis::{Match, Request};
/// use mock_redis::matchers::command;
///
/// let m = command("SET").arg("k");
/// assert!(m.matches(&Request::new(["SET", "k", "v"], 1, 0)));
/// assert!(!m.matches(&Request::new(["SET", "other", "v"], 1, 0)));
/// ```
#[derive(Clone, Debug)]
#[must_use = "a matcher does nothing until a mock is given it"]
pub struct CommandMatcher {
    /// The name and subcommand, upper case; compared case-insensitively.
    words: Vec<Bytes>,
    /// Arguments after the name words, compared exactly.
    args: Vec<Bytes>,
    /// The command has subcommands: the first argument compares case-insensitively.
    container: bool,
}

impl CommandMatcher {
    /// The next argument must be `value` (exact bytes; a subcommand name
    /// right after a container command such as `CLIENT` in any case). Chain
    /// it for more: `command("HGET").arg("h").arg("field")`. Later arguments
    /// are not checked.
    ///
    /// ```
    /// use mock_redis::{Match, Request};
    /// use mock_redis::matchers::command;
    /// let m = command("HGET").arg("h").arg("f");
    /// assert!(m.matches(&Request::new(["HGET", "h", "f"], 1, 0)));
    /// assert!(!m.matches(&Request::new(["HGET", "h"], 1, 0)));
    /// ```
    pub fn arg(mut self, value: impl AsRef<[u8]>) -> CommandMatcher {
        self.args.push(Bytes::copy_from_slice(value.as_ref()));
        self
    }

    fn arg_eq(&self, i: usize, want: &Bytes, got: &Bytes) -> bool {
        if i == 0 && self.container {
            want.eq_ignore_ascii_case(got)
        } else {
            want == got
        }
    }

    fn name_matches(&self, request: &Request) -> bool {
        self.words.len() <= request.args().len()
            && self
                .words
                .iter()
                .zip(request.args())
                .all(|(w, a)| w.eq_ignore_ascii_case(a))
    }
}

impl Match for CommandMatcher {
    fn matches(&self, request: &Request) -> bool {
        if !self.name_matches(request) {
            return false;
        }
        let rest = &request.args()[self.words.len()..];
        rest.len() >= self.args.len()
            && self
                .args
                .iter()
                .zip(rest)
                .enumerate()
                .all(|(i, (want, got))| self.arg_eq(i, want, got))
    }

    fn describe(&self) -> String {
        let name = self
            .words
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let mut out = format!("command({})", quote(name.as_bytes()));
        for a in &self.args {
            out.push_str(&format!(".arg({})", quote(a)));
        }
        out
    }

    fn checks(&self, request: &Request, out: &mut Vec<Check>) {
        let name = self
            .words
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let name_ok = self.name_matches(request);
        out.push(Check {
            matcher: format!("command({})", quote(name.as_bytes())),
            command: true,
            passed: name_ok,
            found: (!name_ok).then(|| {
                let shown = request.args().len().min(self.words.len()).max(1);
                request.args()[..shown.min(request.args().len())]
                    .iter()
                    .map(|a| quote(a))
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
        });
        for (i, expected) in self.args.iter().enumerate() {
            let at = self.words.len() + i;
            let got = request.arg(at);
            let passed = name_ok && got.is_some_and(|g| self.arg_eq(i, expected, g));
            out.push(Check {
                matcher: format!("arg({})", quote(expected)),
                command: false,
                passed,
                found: (!passed).then(|| match got {
                    Some(g) => format!("argument {at} is {}", quote(g)),
                    None => format!("no argument {at}"),
                }),
            });
        }
    }
}

/// Matches a command whose arguments, the name included, are exactly these.
/// The name is compared case-insensitively, the rest byte for byte.
///
/// ```
/// use mock_redis::{Match, Request};
/// use mock_redis::matchers::args;
/// let m = args(["SET", "k", "v"]);
/// assert!(m.matches(&Request::new(["set", "k", "v"], 1, 0)));
/// assert!(!m.matches(&Request::new(["SET", "k", "v", "EX", "10"], 1, 0)));
/// ```
pub fn args<A: AsRef<[u8]>>(args: impl IntoIterator<Item = A>) -> ArgsMatcher {
    ArgsMatcher(
        args.into_iter()
            .map(|a| Bytes::copy_from_slice(a.as_ref()))
            .collect(),
    )
}

/// The matcher [`args`] builds.
///
/// ```
/// use mock_redis::Match;
/// let m: mock_redis::matchers::ArgsMatcher = mock_redis::matchers::args(["PING"]);
/// assert_eq!(m.describe(), r#"args(["PING"])"#);
/// ```
#[derive(Clone, Debug)]
#[must_use = "a matcher does nothing until a mock is given it"]
pub struct ArgsMatcher(Vec<Bytes>);

impl Match for ArgsMatcher {
    fn matches(&self, request: &Request) -> bool {
        let got = request.args();
        got.len() == self.0.len()
            && self.0.iter().zip(got).enumerate().all(|(i, (want, got))| {
                if i == 0 {
                    want.eq_ignore_ascii_case(got)
                } else {
                    want == got
                }
            })
    }

    fn describe(&self) -> String {
        let list: Vec<String> = self.0.iter().map(|a| quote(a)).collect();
        format!("args([{}])", list.join(", "))
    }

    /// Two parts: the command name, then the arguments after it.
    fn checks(&self, request: &Request, out: &mut Vec<Check>) {
        let got = request.args();
        let name_ok = match (self.0.first(), got.first()) {
            (Some(want), Some(got)) => want.eq_ignore_ascii_case(got),
            (None, None) => true,
            _ => false,
        };
        let all_ok = self.matches(request);
        out.push(Check {
            matcher: self.describe(),
            command: true,
            passed: name_ok,
            found: (!name_ok).then(|| match got.first() {
                Some(name) => quote(name),
                None => "no command".to_string(),
            }),
        });
        if self.0.len() > 1 {
            out.push(Check {
                matcher: self.describe(),
                command: false,
                passed: all_ok,
                found: (!all_ok).then(|| request.to_string()),
            });
        }
    }
}

/// Matches a command whose argument `index` is `value` (the command name is
/// argument 0).
///
/// ```
/// use mock_redis::{Match, Request};
/// use mock_redis::matchers::arg_at;
/// assert!(arg_at(2, "v").matches(&Request::new(["SET", "k", "v"], 1, 0)));
/// assert!(!arg_at(3, "v").matches(&Request::new(["SET", "k", "v"], 1, 0)));
/// ```
pub fn arg_at(index: usize, value: impl AsRef<[u8]>) -> ArgAt {
    ArgAt {
        index,
        value: Bytes::copy_from_slice(value.as_ref()),
    }
}

/// The matcher [`arg_at`] builds.
///
/// ```
/// use mock_redis::Match;
/// let m: mock_redis::matchers::ArgAt = mock_redis::matchers::arg_at(1, "k");
/// assert_eq!(m.describe(), r#"arg_at(1, "k")"#);
/// ```
#[derive(Clone, Debug)]
#[must_use = "a matcher does nothing until a mock is given it"]
pub struct ArgAt {
    index: usize,
    value: Bytes,
}

impl Match for ArgAt {
    fn matches(&self, request: &Request) -> bool {
        request.arg(self.index) == Some(&self.value)
    }

    fn describe(&self) -> String {
        format!("arg_at({}, {})", self.index, quote(&self.value))
    }

    fn checks(&self, request: &Request, out: &mut Vec<Check>) {
        let got = request.arg(self.index);
        let passed = got == Some(&self.value);
        out.push(Check {
            matcher: self.describe(),
            // Argument 0 is the command name.
            command: self.index == 0,
            passed,
            found: (!passed).then(|| match got {
                Some(g) => format!("argument {} is {}", self.index, quote(g)),
                None => format!("no argument {}", self.index),
            }),
        });
    }
}

/// Matches a command with a key argument that matches the glob `pattern`,
/// with Redis's rules (`*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\` escapes).
/// The keys are found as [`Request::keys`] finds them.
///
/// ```
/// use mock_redis::{Match, Request};
/// use mock_redis::matchers::key;
/// let m = key("user:[0-9]*");
/// assert!(m.matches(&Request::new(["GET", "user:42"], 1, 0)));
/// assert!(!m.matches(&Request::new(["GET", "user:x"], 1, 0)));
/// assert!(!m.matches(&Request::new(["PING"], 1, 0)));
/// ```
pub fn key(pattern: impl AsRef<[u8]>) -> KeyMatcher {
    KeyMatcher(Bytes::copy_from_slice(pattern.as_ref()))
}

/// The matcher [`key`] builds.
///
/// ```
/// use mock_redis::Match;
/// let m: mock_redis::matchers::KeyMatcher = mock_redis::matchers::key("a*");
/// assert_eq!(m.describe(), r#"key("a*")"#);
/// ```
#[derive(Clone, Debug)]
#[must_use = "a matcher does nothing until a mock is given it"]
pub struct KeyMatcher(Bytes);

impl Match for KeyMatcher {
    fn matches(&self, request: &Request) -> bool {
        request.keys().iter().any(|k| glob_match(&self.0, k))
    }

    fn describe(&self) -> String {
        format!("key({})", quote(&self.0))
    }

    fn checks(&self, request: &Request, out: &mut Vec<Check>) {
        let keys = request.keys();
        let passed = keys.iter().any(|k| glob_match(&self.0, k));
        out.push(Check {
            matcher: self.describe(),
            command: false,
            passed,
            found: (!passed).then(|| {
                if keys.is_empty() {
                    "no key arguments".to_string()
                } else {
                    let list: Vec<String> = keys.iter().map(|k| quote(k)).collect();
                    format!("keys {}", list.join(" "))
                }
            }),
        });
    }
}

/// Matches commands sent while database `n` is selected.
///
/// ```
/// use mock_redis::{Match, Request};
/// use mock_redis::matchers::db;
/// assert!(db(1).matches(&Request::new(["GET", "k"], 1, 1)));
/// assert!(!db(1).matches(&Request::new(["GET", "k"], 1, 0)));
/// ```
pub fn db(n: usize) -> DbMatcher {
    DbMatcher(n)
}

/// The matcher [`db`] builds.
///
/// ```
/// use mock_redis::Match;
/// assert_eq!(mock_redis::matchers::db(2).describe(), "db(2)");
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "a matcher does nothing until a mock is given it"]
pub struct DbMatcher(usize);

impl Match for DbMatcher {
    fn matches(&self, request: &Request) -> bool {
        request.db() == self.0
    }

    fn describe(&self) -> String {
        format!("db({})", self.0)
    }

    fn checks(&self, request: &Request, out: &mut Vec<Check>) {
        let passed = self.matches(request);
        out.push(Check {
            matcher: self.describe(),
            command: false,
            passed,
            found: (!passed).then(|| format!("database {} selected", request.db())),
        });
    }
}

/// Matches every command.
///
/// ```
/// use mock_redis::{Match, Request};
/// assert!(mock_redis::matchers::any().matches(&Request::new(["PING"], 1, 0)));
/// ```
pub fn any() -> AnyMatcher {
    AnyMatcher
}

/// The matcher [`any`] builds.
///
/// ```
/// use mock_redis::Match;
/// assert_eq!(mock_redis::matchers::any().describe(), "any()");
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[must_use = "a matcher does nothing until a mock is given it"]
pub struct AnyMatcher;

impl Match for AnyMatcher {
    fn matches(&self, _: &Request) -> bool {
        true
    }

    fn describe(&self) -> String {
        "any()".to_string()
    }
}

impl fmt::Display for CommandMatcher {
    /// The same text as [`Match::describe`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A matcher from a closure, whose argument needs no type annotation:
/// `func(|req| req.db() == 1)` where a bare closure would need
/// `|req: &Request|`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> redis::RedisResult<()> {
/// use mock_redis::{Mock, MockRedis, Reply};
/// use mock_redis::matchers::{command, func};
///
/// let server = MockRedis::start().await;
/// // SET with an expiry: SET k v EX n (or PX, EXAT, ...).
/// Mock::given(command("SET").and(func(|req| req.args().len() == 5)))
///     .respond_with(Reply::ok())
///     .expect(1)
///     .mount(&server);
/// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
/// let _: () = redis::cmd("SET").arg("k").arg("v").arg("EX").arg(60).query_async(&mut conn).await?;
/// # Ok(())
/// # }
/// ```
pub fn func<F>(f: F) -> FuncMatcher<F>
where
    F: Fn(&Request) -> bool + Send + Sync + 'static,
{
    FuncMatcher { f, name: None }
}

/// The matcher [`func`] builds.
///
/// ```
/// use mock_redis::Match;
/// use mock_redis::matchers::func;
/// assert_eq!(func(|_| true).describe(), "func(..)");
/// assert_eq!(func(|_| true).named("always").describe(), "always");
/// ```
#[must_use = "a matcher does nothing until a mock is given it"]
pub struct FuncMatcher<F> {
    f: F,
    name: Option<String>,
}

impl<F> FuncMatcher<F>
where
    F: Fn(&Request) -> bool + Send + Sync + 'static,
{
    /// How the verification report names the matcher (`func(..)` by
    /// default).
    ///
    /// ```
    /// use mock_redis::Match;
    /// use mock_redis::matchers::func;
    /// let m = func(|req| req.args().len() == 5).named("SET with an expiry");
    /// assert_eq!(m.describe(), "SET with an expiry");
    /// ```
    pub fn named(mut self, name: impl Into<String>) -> FuncMatcher<F> {
        self.name = Some(name.into());
        self
    }

    /// Both this matcher and `other` must accept the command: the same as
    /// [`Match::and`], without importing the trait.
    ///
    /// ```
    /// use mock_redis::matchers::{db, func};
    /// let m = func(|req| req.is_command("PING")).and(db(1));
    /// # drop(m);
    /// ```
    pub fn and<M: Match>(self, other: M) -> And<FuncMatcher<F>, M> {
        And(self, other)
    }
}

impl<F> Match for FuncMatcher<F>
where
    F: Fn(&Request) -> bool + Send + Sync + 'static,
{
    fn matches(&self, request: &Request) -> bool {
        (self.f)(request)
    }

    fn describe(&self) -> String {
        self.name.clone().unwrap_or_else(|| "func(..)".to_string())
    }
}

impl<F> fmt::Debug for FuncMatcher<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuncMatcher")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Matches every command Redis's command table flags `write`: `SET`,
/// `DEL`, `HSET`, `LPUSH`, `EXPIRE`, `FLUSHDB`, ... (a subcommand by its
/// own flags). Unknown commands (module commands, say) do not match.
/// With `expect(0)` it checks that a code path never writes; see the
/// [module](crate::matchers) example.
///
/// ```
/// use mock_redis::{Match, Request};
/// use mock_redis::matchers::writes;
/// assert!(writes().matches(&Request::new(["SET", "k", "v"], 1, 0)));
/// assert!(writes().matches(&Request::new(["flushall"], 1, 0)));
/// assert!(!writes().matches(&Request::new(["GET", "k"], 1, 0)));
/// assert!(!writes().matches(&Request::new(["PUBLISH", "ch", "m"], 1, 0)));
/// ```
pub fn writes() -> WritesMatcher {
    WritesMatcher
}

/// The matcher [`writes`] builds.
///
/// ```
/// use mock_redis::Match;
/// assert_eq!(mock_redis::matchers::writes().describe(), "writes()");
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[must_use = "a matcher does nothing until a mock is given it"]
pub struct WritesMatcher;

impl Match for WritesMatcher {
    fn matches(&self, request: &Request) -> bool {
        meta::resolve(request.args()).is_some_and(|c| c.is_write())
    }

    fn describe(&self) -> String {
        "writes()".to_string()
    }

    fn checks(&self, request: &Request, out: &mut Vec<Check>) {
        let passed = self.matches(request);
        out.push(Check {
            matcher: self.describe(),
            command: true,
            passed,
            found: (!passed).then(|| {
                format!(
                    "{} does not write",
                    quote(request.command_words().as_bytes())
                )
            }),
        });
    }
}

/// Matches a command that touches a key matching the glob `pattern`
/// (Redis's rules, as [`key`]): one of its key arguments matches, or it
/// changes every key of a database at once (`FLUSHDB`, `FLUSHALL`,
/// `SWAPDB`). That second part is the difference from [`key`]: with
/// `expect(0)`, `touches_key("config:*")` also catches a `FLUSHALL`. To
/// name one key exactly, escape the glob's special characters
/// (`touches_key("a\\*b")` for the key `a*b`).
///
/// ```
/// use mock_redis::{Match, Request};
/// use mock_redis::matchers::touches_key;
/// let m = touches_key("config:*");
/// assert!(m.matches(&Request::new(["DEL", "config:db"], 1, 0)));
/// assert!(m.matches(&Request::new(["RENAME", "tmp", "config:db"], 1, 0)));
/// assert!(m.matches(&Request::new(["FLUSHDB"], 1, 0)));
/// assert!(!m.matches(&Request::new(["DEL", "user:1"], 1, 0)));
/// assert!(!m.matches(&Request::new(["PING"], 1, 0)));
/// ```
pub fn touches_key(pattern: impl AsRef<[u8]>) -> TouchesKey {
    TouchesKey(key(pattern))
}

/// The matcher [`touches_key`] builds.
///
/// ```
/// use mock_redis::Match;
/// let m = mock_redis::matchers::touches_key("a*");
/// assert_eq!(m.describe(), r#"touches_key("a*")"#);
/// ```
#[derive(Clone, Debug)]
#[must_use = "a matcher does nothing until a mock is given it"]
pub struct TouchesKey(KeyMatcher);

impl TouchesKey {
    /// A write command without key arguments: it changes every key of a
    /// database (`FLUSHDB`, `FLUSHALL`, `SWAPDB`).
    fn keyspace_wide(request: &Request) -> bool {
        request.keys().is_empty() && WritesMatcher.matches(request)
    }
}

impl Match for TouchesKey {
    fn matches(&self, request: &Request) -> bool {
        self.0.matches(request) || TouchesKey::keyspace_wide(request)
    }

    fn describe(&self) -> String {
        format!("touches_key({})", quote(&self.0.0))
    }

    fn checks(&self, request: &Request, out: &mut Vec<Check>) {
        let mut inner = Vec::new();
        self.0.checks(request, &mut inner);
        let passed = self.matches(request);
        out.push(Check {
            matcher: self.describe(),
            command: false,
            passed,
            found: if passed {
                None
            } else {
                inner.pop().and_then(|c| c.found)
            },
        });
    }
}

/// Matches a Lua script by its SHA1 (40 hexadecimal digits, any case):
/// `EVALSHA` and `EVALSHA_RO` naming it, and `EVAL` and `EVAL_RO` whose
/// body hashes to it, so one mock catches a script whichever way a client
/// sends it (redis-rs's `Script` sends EVALSHA, then EVAL on NOSCRIPT).
///
/// A mock answers the script command itself; the commands a script runs
/// with `redis.call` are not requests and never meet the mocks (they run
/// in the engine, like the script).
///
/// ```
/// use mock_redis::{Match, Request};
/// use mock_redis::matchers::{script_body, script_sha};
/// let sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"; // SHA1 of "return 1"
/// assert!(script_sha(sha).matches(&Request::new(["EVALSHA", sha, "0"], 1, 0)));
/// assert!(script_sha(sha.to_uppercase()).matches(&Request::new(["evalsha_ro", sha, "0"], 1, 0)));
/// assert!(script_sha(sha).matches(&Request::new(["EVAL", "return 1", "0"], 1, 0)));
/// assert!(script_body("return 1").matches(&Request::new(["EVALSHA", sha, "0"], 1, 0)));
/// assert!(!script_body("return 2").matches(&Request::new(["EVAL", "return 1", "0"], 1, 0)));
/// assert!(!script_sha(sha).matches(&Request::new(["GET", sha], 1, 0)));
/// ```
pub fn script_sha(sha: impl AsRef<str>) -> ScriptMatcher {
    ScriptMatcher {
        sha: sha.as_ref().to_ascii_lowercase(),
        body: None,
    }
}

/// Matches a Lua script given its source: `EVAL`/`EVAL_RO` with this body,
/// `EVALSHA`/`EVALSHA_RO` with its SHA1. See [`script_sha`].
///
/// ```
/// use mock_redis::{Match, Request};
/// use mock_redis::matchers::script_body;
/// let m = script_body("return redis.call('GET', KEYS[1])");
/// assert!(m.matches(&Request::new(["EVAL", "return redis.call('GET', KEYS[1])", "1", "k"], 1, 0)));
/// assert_eq!(m.describe(), "script_body(\"return redis.call('GET', KEYS[1])\")");
/// ```
pub fn script_body(source: impl AsRef<[u8]>) -> ScriptMatcher {
    let body = Bytes::copy_from_slice(source.as_ref());
    ScriptMatcher {
        sha: sha1_smol::Sha1::from(&body[..]).digest().to_string(),
        body: Some(body),
    }
}

/// The matcher [`script_sha`] and [`script_body`] build.
///
/// ```
/// use mock_redis::Match;
/// let m: mock_redis::matchers::ScriptMatcher = mock_redis::matchers::script_sha("AB");
/// assert_eq!(m.describe(), "script_sha(\"ab\")");
/// ```
#[derive(Clone, Debug)]
#[must_use = "a matcher does nothing until a mock is given it"]
pub struct ScriptMatcher {
    /// Lower-case.
    sha: String,
    body: Option<Bytes>,
}

impl ScriptMatcher {
    /// Also requires `other` (see [`Match::and`]).
    pub fn and<M: Match>(self, other: M) -> And<ScriptMatcher, M> {
        And(self, other)
    }
}

impl Match for ScriptMatcher {
    fn matches(&self, request: &Request) -> bool {
        let Some(first) = request.arg(1) else {
            return false;
        };
        if request.is_command("EVALSHA") || request.is_command("EVALSHA_RO") {
            first.eq_ignore_ascii_case(self.sha.as_bytes())
        } else if request.is_command("EVAL") || request.is_command("EVAL_RO") {
            match &self.body {
                Some(body) => first == body,
                None => sha1_smol::Sha1::from(&first[..]).digest().to_string() == self.sha,
            }
        } else {
            false
        }
    }

    fn describe(&self) -> String {
        match &self.body {
            Some(body) => format!("script_body({})", quote(body)),
            None => format!("script_sha({})", quote(self.sha.as_bytes())),
        }
    }
}
