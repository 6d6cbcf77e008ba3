//! Scripted responses: mocks, matchers, responders, expectations, the
//! journal and the verification report.
//!
//! This file holds [`Mock`], its builder, the scoped [`MockGuard`] and
//! [`Times`]; `matchers.rs` the matchers, `respond.rs` the responders,
//! `request.rs` the [`Request`] they see, `convert.rs` conversions into
//! [`Reply`](crate::Reply), `registry.rs` the [`MockState`] every connection
//! consults (and the report's findings), `synonyms.rs` the near-identical
//! commands the report hints at, and `verify.rs` the report's layout.
//!
//! The layer depends on `protocol` (replies) and, for command metadata, on
//! `engine::meta` only; it never imports the server. The server mounts
//! mocks (`Mock::mount` lives in `server/mocks.rs`) and consults the
//! registry.

mod convert;
pub mod matchers;
mod registry;
mod request;
pub(crate) mod respond;
mod synonyms;
mod verify;

use std::fmt;
use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};
use std::sync::Arc;

pub use matchers::Match;
pub use request::Request;
pub use respond::{Respond, Response, Sequence};
pub use verify::VerificationReport;

#[cfg(feature = "admin")]
pub(crate) use registry::MockSummary;
#[cfg(feature = "fixtures")]
pub(crate) use registry::StrictHint;
pub(crate) use registry::{ClusterHook, Entry, MockState};

/// A scripted answer: which commands it matches, what it answers, and how
/// many calls it expects.
///
/// Build one with [`Mock::given`], finish it with
/// [`respond_with`](MockBuilder::respond_with), set options, then
/// [`mount`](Mock::mount) it on a server. A mock does nothing until it is
/// mounted: `Mock::given(..).respond_with(..).expect(1);` without `.mount()`
/// checks nothing, and the compiler warns about it (`Mock` is
/// `#[must_use]`, so every setter's result is too). Commands are offered to the mounted
/// mocks by priority (lower first; ties in mount order); the first mock
/// whose matchers all accept answers. Commands no mock answers go to the
/// built-in engine (or get an error in [strict mode](crate::Builder::strict)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> redis::RedisResult<()> {
/// use mock_redis::{Mock, MockRedis, Reply};
/// use mock_redis::matchers::command;
///
/// let server = MockRedis::start().await;
/// Mock::given(command("GET").arg("user:1"))
///     .respond_with(Reply::bulk("alice"))
///     .expect(1)
///     .mount(&server);
///
/// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
/// let name: String = redis::cmd("GET").arg("user:1").query_async(&mut conn).await?;
/// assert_eq!(name, "alice");
/// # Ok(())
/// # }   // dropping the server verifies: GET user:1 was received exactly once
/// ```
#[must_use = "a Mock does nothing until it is mounted: call `.mount(&server)` or `.mount_as_scoped(&server)`"]
pub struct Mock {
    pub(crate) matchers: Vec<Box<dyn Match>>,
    pub(crate) responder: Box<dyn Respond>,
    pub(crate) expectation: Option<Times>,
    pub(crate) max_calls: Option<u64>,
    pub(crate) priority: u8,
    pub(crate) name: Option<String>,
}

/// A mock under construction: matchers so far, no responder yet.
///
/// ```
/// use mock_redis::{Mock, Reply};
/// use mock_redis::matchers::{command, db};
/// let mock = Mock::given(command("GET")).and(db(1)).respond_with(Reply::nil());
/// # drop(mock);
/// ```
#[must_use = "a mock builder does nothing until `respond_with` and `mount`"]
pub struct MockBuilder {
    matchers: Vec<Box<dyn Match>>,
}

impl Mock {
    /// Starts a mock that answers commands `matcher` accepts.
    ///
    /// ```
    /// use mock_redis::{Mock, Reply, Request};
    /// let mock = Mock::given(|req: &Request| req.is_command("PING")).respond_with(Reply::simple("PONG"));
    /// # drop(mock);
    /// ```
    pub fn given(matcher: impl Match) -> MockBuilder {
        MockBuilder {
            matchers: vec![Box::new(matcher)],
        }
    }

    /// Expects this many calls, checked by [`MockRedis::verify`](crate::MockRedis::verify), when the
    /// server is dropped, or when a [scoped guard](Mock::mount_as_scoped) is
    /// dropped: a number (`1`) or a range (`1..`, `..=3`, `2..5`). Without
    /// it, any number of calls is fine.
    ///
    /// ```
    /// use mock_redis::{Mock, Reply};
    /// use mock_redis::matchers::command;
    /// let once = Mock::given(command("GET")).respond_with(Reply::nil()).expect(1);
    /// let some = Mock::given(command("SET")).respond_with(Reply::ok()).expect(1..);
    /// let few = Mock::given(command("DEL")).respond_with(Reply::int(1)).expect(..=3);
    /// # drop((once, some, few));
    /// ```
    pub fn expect(mut self, times: impl Into<Times>) -> Mock {
        self.expectation = Some(times.into());
        self
    }

    /// Answers at most `n` calls; later commands go on to other mocks or the
    /// engine.
    ///
    /// ```
    /// use mock_redis::{Mock, Reply};
    /// use mock_redis::matchers::command;
    /// let first_only = Mock::given(command("GET")).respond_with(Reply::nil()).up_to_n_times(1);
    /// # drop(first_only);
    /// ```
    pub fn up_to_n_times(mut self, n: u64) -> Mock {
        self.max_calls = Some(n);
        self
    }

    /// The mock's priority: lower is tried first, ties go to the mock
    /// mounted first. The default is 5.
    ///
    /// ```
    /// use mock_redis::{Mock, Reply};
    /// use mock_redis::matchers::any;
    /// let fallback = Mock::given(any()).respond_with(Reply::error("ERR down")).with_priority(10);
    /// # drop(fallback);
    /// ```
    pub fn with_priority(mut self, priority: u8) -> Mock {
        self.priority = priority;
        self
    }

    /// A name for the verification report.
    ///
    /// ```
    /// use mock_redis::{Mock, Reply};
    /// use mock_redis::matchers::command;
    /// let m = Mock::given(command("GET")).respond_with(Reply::nil()).named("cache miss");
    /// # drop(m);
    /// ```
    pub fn named(mut self, name: impl Into<String>) -> Mock {
        self.name = Some(name.into());
        self
    }

    pub(crate) fn describe(&self) -> String {
        self.matchers
            .iter()
            .map(|m| m.describe())
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

impl fmt::Debug for Mock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mock")
            .field("matchers", &self.describe())
            .field("expectation", &self.expectation)
            .field("max_calls", &self.max_calls)
            .field("priority", &self.priority)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl MockBuilder {
    /// Adds a matcher: the mock answers only commands all its matchers accept.
    ///
    /// ```
    /// use mock_redis::{Mock, Reply};
    /// use mock_redis::matchers::{command, key};
    /// let m = Mock::given(command("GET")).and(key("session:*")).respond_with(Reply::nil());
    /// # drop(m);
    /// ```
    pub fn and(mut self, matcher: impl Match) -> MockBuilder {
        self.matchers.push(Box::new(matcher));
        self
    }

    /// What the mock answers: a [`Reply`](crate::Reply), a [`Response`], a
    /// [`Sequence`], a closure `Fn(&Request) -> Reply` (or `-> Response`),
    /// or any [`Respond`] implementation.
    ///
    /// ```
    /// use mock_redis::{Mock, Reply, Request};
    /// use mock_redis::matchers::command;
    /// let echo = Mock::given(command("GET"))
    ///     .respond_with(|req: &Request| Reply::bulk(req.arg(1).cloned().unwrap_or_default()));
    /// # drop(echo);
    /// ```
    pub fn respond_with(self, responder: impl Respond) -> Mock {
        Mock {
            matchers: self.matchers,
            responder: Box::new(responder),
            expectation: None,
            max_calls: None,
            priority: 5,
            name: None,
        }
    }
}

/// Keeps a mock mounted until dropped; see [`Mock::mount_as_scoped`].
///
/// ```
/// use mock_redis::{Mock, MockRedis, Reply};
/// use mock_redis::matchers::command;
///
/// let server = MockRedis::start_blocking();
/// let guard = Mock::given(command("PING")).respond_with(Reply::simple("MOCKED")).mount_as_scoped(&server);
/// let mut conn = redis::Client::open(server.url()).unwrap().get_connection().unwrap();
/// let pong: String = redis::cmd("PING").query(&mut conn).unwrap();
/// assert_eq!(pong, "MOCKED");
/// assert_eq!(guard.received_commands().len(), 1);
/// ```
#[must_use = "the mock is unmounted as soon as the guard is dropped"]
pub struct MockGuard {
    /// The registry the mock is mounted in; the guard needs nothing else
    /// of the server.
    registry: Arc<MockState>,
    id: u64,
}

impl MockGuard {
    /// Mounts `mock` in `registry` until the guard is dropped.
    pub(crate) fn mount(registry: &Arc<MockState>, mock: Mock) -> MockGuard {
        MockGuard {
            id: registry.mount(mock),
            registry: Arc::clone(registry),
        }
    }

    /// How many commands the mock has answered.
    ///
    /// ```
    /// use mock_redis::{Mock, MockRedis, Reply};
    /// use mock_redis::matchers::any;
    /// let server = MockRedis::start_blocking();
    /// let guard = Mock::given(any()).respond_with(Reply::ok()).mount_as_scoped(&server);
    /// assert_eq!(guard.calls(), 0);
    /// ```
    pub fn calls(&self) -> u64 {
        self.registry.calls(self.id)
    }

    /// The commands the mock has answered, in arrival order.
    ///
    /// ```
    /// use mock_redis::{Mock, MockRedis, Reply};
    /// use mock_redis::matchers::any;
    /// let server = MockRedis::start_blocking();
    /// let guard = Mock::given(any()).respond_with(Reply::ok()).mount_as_scoped(&server);
    /// assert!(guard.received_commands().is_empty());
    /// ```
    pub fn received_commands(&self) -> Vec<Request> {
        self.registry.answered(self.id)
    }
}

impl fmt::Debug for MockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockGuard").field("id", &self.id).finish()
    }
}

impl Drop for MockGuard {
    /// Unmounts and verifies. The panic's location is this file: `Drop`
    /// has no caller location to point at.
    fn drop(&mut self) {
        let Some(mounted) = self.registry.unmount(self.id) else {
            return;
        };
        if std::thread::panicking() {
            return;
        }
        if let Err(report) = self.registry.verify_one(&mounted) {
            panic!("{report}");
        }
    }
}

/// How many calls a mock expects: an exact number or a range of `u64`.
///
/// ```
/// use mock_redis::Times;
/// assert_eq!(Times::from(2).to_string(), "exactly 2 calls");
/// assert_eq!(Times::from(1..).to_string(), "at least 1 call");
/// assert_eq!(Times::from(..=3).to_string(), "at most 3 calls");
/// assert_eq!(Times::from(2..5).to_string(), "between 2 and 4 calls");
/// assert!(Times::from(1..).contains(7));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Times {
    min: u64,
    /// Inclusive; `None` is unbounded.
    max: Option<u64>,
}

impl Times {
    /// Whether `calls` calls meet the expectation.
    ///
    /// ```
    /// assert!(!mock_redis::Times::from(0).contains(1));
    /// ```
    pub fn contains(&self, calls: u64) -> bool {
        calls >= self.min && self.max.is_none_or(|max| calls <= max)
    }

    /// Whether `calls` falls short of the expectation (rather than
    /// exceeding it).
    pub(crate) fn wants_more(&self, calls: u64) -> bool {
        calls < self.min
    }
}

impl fmt::Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: u64| if n == 1 { "call" } else { "calls" };
        match (self.min, self.max) {
            (min, Some(max)) if min == max => write!(f, "exactly {min} {}", plural(min)),
            (0, None) => write!(f, "any number of calls"),
            (min, None) => write!(f, "at least {min} {}", plural(min)),
            (0, Some(max)) => write!(f, "at most {max} {}", plural(max)),
            (min, Some(max)) if min > max => write!(f, "an empty range of calls"),
            (min, Some(max)) => write!(f, "between {min} and {max} calls"),
        }
    }
}

impl From<u64> for Times {
    fn from(n: u64) -> Times {
        Times {
            min: n,
            max: Some(n),
        }
    }
}

impl From<RangeFrom<u64>> for Times {
    fn from(r: RangeFrom<u64>) -> Times {
        Times {
            min: r.start,
            max: None,
        }
    }
}

impl From<Range<u64>> for Times {
    fn from(r: Range<u64>) -> Times {
        Times {
            min: r.start,
            max: Some(r.end.saturating_sub(1)),
        }
    }
}

impl From<RangeInclusive<u64>> for Times {
    fn from(r: RangeInclusive<u64>) -> Times {
        Times {
            min: *r.start(),
            max: Some(*r.end()),
        }
    }
}

impl From<RangeTo<u64>> for Times {
    fn from(r: RangeTo<u64>) -> Times {
        Times {
            min: 0,
            max: Some(r.end.saturating_sub(1)),
        }
    }
}

impl From<RangeToInclusive<u64>> for Times {
    fn from(r: RangeToInclusive<u64>) -> Times {
        Times {
            min: 0,
            max: Some(r.end),
        }
    }
}

impl From<RangeFull> for Times {
    fn from(_: RangeFull) -> Times {
        Times { min: 0, max: None }
    }
}
