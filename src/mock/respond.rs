//! Responders: what a [`Mock`](crate::Mock) does with the commands it matches.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;

use crate::Reply;
use crate::mock::Request;

/// Produces the [`Response`] to a matched command.
///
/// A [`Reply`] and a [`Response`] implement it (answering the same every
/// time), as does a [`Sequence`] and any closure `Fn(&Request) -> R` where
/// `R` is a `Reply` or a `Response`.
///
/// Responders run while the server's mock list is locked: a responder must
/// not call back into the [`MockRedis`](crate::MockRedis) handle. A
/// responder (or matcher) that panics makes the command answer
/// `-ERR mock-redis: a matcher or responder panicked: ...` and fails
/// verification.
///
/// ```
/// use mock_redis::{Reply, Request, Respond};
///
/// /// Echoes the key back as the value.
/// struct EchoKey;
///
/// impl Respond for EchoKey {
///     fn respond(&self, request: &Request) -> mock_redis::Response {
///         Reply::bulk(request.arg(1).cloned().unwrap_or_default()).into()
///     }
/// }
///
/// let closure = |req: &Request| Reply::int(req.args().len() as i64);
/// let req = Request::new(["GET", "k"], 1, 0);
/// assert_eq!(EchoKey.respond(&req).as_reply(), Some(&Reply::bulk("k")));
/// assert_eq!(closure.respond(&req).as_reply(), Some(&Reply::int(2)));
/// ```
pub trait Respond: Send + Sync + 'static {
    /// The response to `request`.
    fn respond(&self, request: &Request) -> Response;
}

impl Respond for Reply {
    fn respond(&self, _: &Request) -> Response {
        Response::reply(self.clone())
    }
}

impl Respond for Response {
    fn respond(&self, _: &Request) -> Response {
        self.clone()
    }
}

impl<F, R> Respond for F
where
    F: Fn(&Request) -> R + Send + Sync + 'static,
    R: Into<Response>,
{
    fn respond(&self, request: &Request) -> Response {
        self(request).into()
    }
}

/// What the server does with one matched command: a reply, raw bytes, the
/// engine's own answer (spying), a hang or a closed connection, optionally
/// after a delay and optionally closing the connection afterwards.
///
/// ```
/// use std::time::Duration;
/// use mock_redis::{Reply, Response};
///
/// let slow = Response::reply(Reply::ok()).delay(Duration::from_millis(50));
/// let flaky = Response::reply(Reply::bulk("v")).then_close();
/// let broken = Response::raw("$5\r\nab"); // a truncated bulk string
/// # let _ = (slow, flaky, broken);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use = "a Response does nothing until a mock responds with it"]
pub struct Response {
    pub(crate) action: Action,
    pub(crate) delay: Option<Duration>,
    pub(crate) close_after: bool,
}

/// The main part of a [`Response`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Action {
    Reply(Reply),
    Raw(Bytes),
    PassThrough,
    Hang,
    Close,
    FallThrough,
}

impl Response {
    fn of(action: Action) -> Response {
        Response {
            action,
            delay: None,
            close_after: false,
        }
    }

    /// Answer with `reply`, encoded in the connection's protocol.
    ///
    /// ```
    /// let r = mock_redis::Response::reply(mock_redis::Reply::nil());
    /// assert_eq!(r.as_reply(), Some(&mock_redis::Reply::Nil));
    /// ```
    pub fn reply(reply: impl Into<Reply>) -> Response {
        Response::of(Action::Reply(reply.into()))
    }

    /// Write these bytes as they are, in place of a reply: a malformed or
    /// partial frame, or several replies at once.
    ///
    /// ```
    /// let truncated = mock_redis::Response::raw("*2\r\n$1\r\na\r\n");
    /// assert!(truncated.as_reply().is_none());
    /// ```
    pub fn raw(bytes: impl Into<Bytes>) -> Response {
        Response::of(Action::Raw(bytes.into()))
    }

    /// Let the built-in engine answer, while the mock counts the call and
    /// can delay or close: spying on real behaviour.
    ///
    /// ```
    /// use mock_redis::{Mock, Response};
    /// use mock_redis::matchers::command;
    /// let spy = Mock::given(command("SET")).respond_with(Response::pass_through()).expect(2);
    /// # drop(spy);
    /// ```
    pub fn pass_through() -> Response {
        Response::of(Action::PassThrough)
    }

    /// Never answer: the connection stays open, and later commands on it
    /// are not answered either, until the client gives up and closes it or
    /// the server stops. Use it to test client timeouts.
    ///
    /// ```
    /// let hang = mock_redis::Response::hang();
    /// # drop(hang);
    /// ```
    pub fn hang() -> Response {
        Response::of(Action::Hang)
    }

    /// Close the connection without answering this command (the replies to
    /// earlier commands are written first).
    ///
    /// ```
    /// let drop_it = mock_redis::Response::close();
    /// # drop(drop_it);
    /// ```
    pub fn close() -> Response {
        Response::of(Action::Close)
    }

    /// Decline: the command goes on to the next matching mock, or to the
    /// engine (or the strict-mode error) when there is none. The call is not
    /// counted. A [`Sequence`] that has run out can end this way.
    ///
    /// ```
    /// use mock_redis::{Reply, Request, Response};
    /// // Answer only the first argument "a", decline the rest.
    /// let pick = |req: &Request| {
    ///     if req.arg(1).is_some_and(|a| a == "a") { Response::reply(Reply::ok()) } else { Response::fall_through() }
    /// };
    /// # let _ = pick;
    /// ```
    pub fn fall_through() -> Response {
        Response::of(Action::FallThrough)
    }

    /// Wait this long before acting. Replies to earlier commands on the
    /// connection are written first, and replies stay in order.
    ///
    /// ```
    /// use std::time::Duration;
    /// let slow = mock_redis::Response::pass_through().delay(Duration::from_millis(20));
    /// # drop(slow);
    /// ```
    pub fn delay(mut self, delay: Duration) -> Response {
        self.delay = Some(delay);
        self
    }

    /// Close the connection after writing this response.
    ///
    /// ```
    /// let r = mock_redis::Response::reply(mock_redis::Reply::ok()).then_close();
    /// # drop(r);
    /// ```
    pub fn then_close(mut self) -> Response {
        self.close_after = true;
        self
    }

    /// The reply this response writes, when it is a plain reply.
    ///
    /// ```
    /// use mock_redis::{Reply, Response};
    /// assert_eq!(Response::reply(Reply::ok()).as_reply(), Some(&Reply::ok()));
    /// assert_eq!(Response::hang().as_reply(), None);
    /// ```
    pub fn as_reply(&self) -> Option<&Reply> {
        match &self.action {
            Action::Reply(r) => Some(r),
            _ => None,
        }
    }
}

impl From<Reply> for Response {
    fn from(reply: Reply) -> Response {
        Response::reply(reply)
    }
}

/// Answers call 1, 2, 3, ... with successive responses; once they run out,
/// repeats the last (the default) or falls through
/// ([`Sequence::then_fall_through`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> redis::RedisResult<()> {
/// use mock_redis::{Mock, MockRedis, Reply, Sequence};
/// use mock_redis::matchers::command;
///
/// let server = MockRedis::start().await;
/// Mock::given(command("INCR").arg("n"))
///     .respond_with(Sequence::new([
///         Reply::error("LOADING Redis is loading the dataset in memory"),
///         Reply::int(1),
///     ]))
///     .mount(&server);
/// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
/// let first: redis::RedisResult<i64> = redis::cmd("INCR").arg("n").query_async(&mut conn).await;
/// assert!(first.is_err());
/// let second: i64 = redis::cmd("INCR").arg("n").query_async(&mut conn).await?;
/// let third: i64 = redis::cmd("INCR").arg("n").query_async(&mut conn).await?;
/// assert_eq!((second, third), (1, 1));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a Sequence does nothing until a mock responds with it"]
pub struct Sequence {
    responses: Vec<Response>,
    next: AtomicUsize,
    fall_through: bool,
}

impl Sequence {
    /// A sequence of responses (replies convert).
    ///
    /// ```
    /// use mock_redis::{Reply, Request, Respond, Sequence};
    /// let seq = Sequence::new([Reply::int(1), Reply::int(2)]);
    /// let req = Request::new(["INCR", "n"], 1, 0);
    /// assert_eq!(seq.respond(&req).as_reply(), Some(&Reply::int(1)));
    /// assert_eq!(seq.respond(&req).as_reply(), Some(&Reply::int(2)));
    /// assert_eq!(seq.respond(&req).as_reply(), Some(&Reply::int(2)));
    /// ```
    pub fn new<R: Into<Response>>(responses: impl IntoIterator<Item = R>) -> Sequence {
        Sequence {
            responses: responses.into_iter().map(Into::into).collect(),
            next: AtomicUsize::new(0),
            fall_through: false,
        }
    }

    /// Once the responses run out, decline (see [`Response::fall_through`]):
    /// the command goes on to other mocks or the engine.
    ///
    /// ```
    /// use mock_redis::{Reply, Request, Respond, Response, Sequence};
    /// let seq = Sequence::new([Reply::ok()]).then_fall_through();
    /// let req = Request::new(["SET", "k", "v"], 1, 0);
    /// assert_eq!(seq.respond(&req), Response::reply(Reply::ok()));
    /// assert_eq!(seq.respond(&req), Response::fall_through());
    /// ```
    pub fn then_fall_through(mut self) -> Sequence {
        self.fall_through = true;
        self
    }

    /// Once the responses run out, repeat the last one (the default).
    ///
    /// ```
    /// let seq = mock_redis::Sequence::new([mock_redis::Reply::ok()]).then_repeat_last();
    /// # drop(seq);
    /// ```
    pub fn then_repeat_last(mut self) -> Sequence {
        self.fall_through = false;
        self
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> Response {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        match self.responses.get(n) {
            Some(r) => r.clone(),
            None if self.fall_through => Response::fall_through(),
            None => self
                .responses
                .last()
                .cloned()
                .unwrap_or_else(Response::fall_through),
        }
    }
}
