//! One connection's request pipeline, without I/O: the [`Session`].
//!
//! A session owns what a connection needs between requests: Redis's
//! request parser, the bytes read but not yet parsed, the reply bytes not
//! yet written, the connection's outbox (frames the engine sends outside
//! the request/reply flow: pub/sub messages, the reply of a blocked
//! command), the count of commands for the close-after-N fault, a mock's
//! response waiting for its delay and the deadline of a blocked command.
//! For each request it consults the mocks (plan, faults, strict mode),
//! executes in the engine and encodes the reply: replies are encoded here
//! and nowhere else. The journal entries of a run are recorded together
//! when the run returns, under one lock of the mock registry, with the
//! request the mocks saw (the parsed arguments move into it; only a delayed
//! response keeps a copy to answer with later).
//!
//! # Limits
//!
//! The session enforces the per-connection limits Redis does (values from
//! the engine's `ClientLimits`, re-read after every CONFIG and EXEC, so a
//! CONFIG SET applies to live connections at their next check):
//! * `client-query-buffer-limit`: input not yet parsed past the limit
//!   (checked after every read, blocked clients included) drops the
//!   connection ([`Session::query_buffer_exceeded`]);
//! * `client-output-buffer-limit`: the unsent output (replies and frames
//!   from the outbox, counted in the shared `Backlog`) is checked after
//!   every command; over the limit, the run stops before the next
//!   pipelined command and the connection drops without writing the rest.
//!   Frames sent by other clients are checked as they are queued
//!   (`delivery::send_to`), and a close frame drops the connection.
//!
//! Everything else belongs to the engine's [`Client`](crate::engine::Client),
//! the single owner of the connection's protocol, authentication state and
//! selected database: the session reads them from there while it runs.
//!
//! The session never locks, sleeps or touches a socket. [`Session::run`]
//! takes the engine (its caller holds the lock, once for a whole pipelined
//! run) and returns an [`Action`] for the I/O layer: read more, close,
//! drop, sleep, hang, or wait for a blocked command's reply. The socket task
//! (`src/server/socket.rs`), the fuzz entry point (`src/fuzzing.rs`) and
//! the unit tests (`tests.rs`) all drive this one type.
//!
//! Layering: `protocol` ← `engine` ← `mock` ← `session` ← `server`.

#[cfg(feature = "scripting")]
mod busy;
#[cfg(feature = "scripting")]
pub(crate) use busy::answer_requests;
#[cfg(test)]
mod limit_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;

use crate::engine::Engine;
use crate::engine::commands::migrate::{MigrateJob, MigrateResult};
use crate::engine::delivery::{self, Backlog, OutOfBand, Outbox};
use crate::mock::respond::Action as Respond;
use crate::mock::{Entry, MockState};
use crate::mock::{Request, Response};
use crate::protocol::{Protocol, Reply, RequestParser};

/// Journal entries a session keeps room for between runs.
const JOURNAL_BATCH: usize = 1024;

/// What the I/O layer does after [`Session::run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Every complete request is answered: write the output, read more.
    NeedInput,
    /// Write the output, then close the connection (QUIT, a protocol error,
    /// a mock's close or `then_close`, the close-after-N fault).
    Close,
    /// Close at once without writing anything more (an HTTP request reached
    /// the server, the client went over its output or query buffer limit,
    /// or the engine closed it: idle timeout).
    Drop,
    /// A mock delays its answer: write the output, sleep this long, then
    /// [`run`](Session::run) again (which answers first).
    Delay(Duration),
    /// A mock hangs: write the output, then answer nothing more (read and
    /// discard until the client or the server closes).
    Hang,
    /// The last command blocked the client: write the output, then wait for
    /// its reply on the outbox ([`Session::deliver`]) or, once the engine
    /// clock is past the deadline if there is one (engine-clock Unix ms:
    /// see `Clock::wall_time_until_past`), call [`Session::time_out_if_due`];
    /// buffer what the client sends meanwhile, and [`run`](Session::run)
    /// again once unblocked. A moved clock may time the command out
    /// earlier: its reply then comes on the outbox.
    Blocked(Option<i64>),
    /// A MIGRATE waits on its target: write the output, run the job
    /// [`Session::take_deferred`] gives without the engine lock, hand the
    /// result to [`Session::deferred_done`], then [`run`](Session::run)
    /// again (which answers first).
    Deferred,
}

/// The session's buffers and outbox, borrowed apart so that the I/O layer
/// can read, write and wait on the outbox at the same time.
pub(crate) struct Io<'a> {
    /// Read into this; [`Session::run`] parses from its front.
    pub input: &'a mut BytesMut,
    /// Write from this; the session appends replies at its end.
    pub output: &'a mut BytesMut,
    /// Frames the engine sends this connection; hand each to
    /// [`Session::deliver`].
    pub outbox: &'a mut mpsc::UnboundedReceiver<OutOfBand>,
}

/// A mock's response whose delay is running.
struct Delayed {
    args: Vec<Bytes>,
    response: Response,
    /// The close-after-N fault fired on this command.
    close: bool,
}

/// The client state a run reads from the engine: fresh after each command,
/// never kept once the run returns (the engine lock is held meanwhile).
#[derive(Clone, Copy)]
struct View {
    protocol: Protocol,
    authenticated: bool,
    db: usize,
    /// Has a subscription (the `pubsub` output limit class).
    subscribed: bool,
}

impl View {
    fn of(engine: &Engine, id: u64) -> View {
        match engine.client(id) {
            Some(c) => View {
                protocol: c.protocol,
                // Redis's `authRequired`: a password is set and this client
                // has not given it (after `CONFIG SET requirepass ""` every
                // client passes, and gets the authenticated parser limits).
                authenticated: c.authenticated || engine.config.requirepass.is_none(),
                db: c.db,
                subscribed: c.subs.total() > 0,
            },
            // Gone: `Engine::execute` answers an error and closes.
            None => View {
                protocol: Protocol::Resp2,
                authenticated: false,
                db: 0,
                subscribed: false,
            },
        }
    }
}

/// One connection's request pipeline. See the [module docs](self).
pub(crate) struct Session {
    id: u64,
    parser: RequestParser,
    input: BytesMut,
    output: BytesMut,
    outbox: mpsc::UnboundedReceiver<OutOfBand>,
    /// Commands received so far (the close-after-N fault counts them).
    commands: u64,
    delayed: Option<Delayed>,
    /// A MIGRATE's network part, waiting for the I/O layer to run it.
    deferred: Option<Box<MigrateJob>>,
    /// Its result, waiting for the next run to complete it.
    deferred_result: Option<MigrateResult>,
    /// This run's requests and who answered them, for the journal: recorded
    /// under one lock when the run returns.
    journal: Vec<Entry>,
    /// The last command blocked the client: its reply comes on the outbox,
    /// or is the timeout reply at the deadline (if any, engine-clock ms).
    blocked: Option<Option<i64>>,
    /// A command parked by CLIENT PAUSE (and its `close`), run once the
    /// pause ends.
    postponed: Option<(Vec<Bytes>, bool)>,
    /// Unsent bytes (outbox and output), shared with the engine.
    backlog: Arc<Backlog>,
    /// The last outbox frame moved into the output, acknowledged once the
    /// I/O layer tried to write it ([`ack_frames`](Session::ack_frames)).
    frames_pushed: u64,
    /// Frames this session's commands sent to other connections, to be
    /// written before this session's replies ([`take_awaited`](Session::take_awaited)).
    awaited: Vec<(Arc<Backlog>, u64)>,
    /// Reply bytes this session encoded and not yet counted in `backlog`.
    own: usize,
    /// The engine closed the connection (output limit, idle timeout).
    closing: bool,
    /// Authenticated as of the last run (for the requests answered while
    /// a script is busy, without the engine).
    authenticated: bool,
    /// Also encodes every reply in the other protocol, into this buffer
    /// (the fuzz target checks both encoders accept every reply).
    #[cfg(feature = "fuzzing")]
    pub(crate) cross_encode: Option<BytesMut>,
}

impl Session {
    /// Connects a client to the engine (`peer` and `local` are the
    /// addresses `CLIENT LIST` shows) and registers its outbox.
    pub fn new(engine: &mut Engine, peer: String, local: String) -> Session {
        let (sender, outbox) = mpsc::unbounded_channel();
        let backlog = Arc::new(Backlog::new());
        let id = engine.connect(peer, local);
        delivery::set_outbox(
            engine,
            id,
            Outbox {
                sender,
                backlog: backlog.clone(),
            },
        );
        Session {
            id,
            parser: RequestParser::new(),
            // Allocated by the I/O layer as the traffic needs (an idle
            // connection keeps little: `server/socket.rs`).
            input: BytesMut::new(),
            output: BytesMut::new(),
            outbox,
            commands: 0,
            delayed: None,
            deferred: None,
            deferred_result: None,
            journal: Vec::new(),
            blocked: None,
            postponed: None,
            backlog,
            frames_pushed: 0,
            awaited: Vec::new(),
            own: 0,
            closing: false,
            authenticated: false,
            #[cfg(feature = "fuzzing")]
            cross_encode: None,
        }
    }

    /// The engine's id for this connection's client.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Commands received so far (empty requests and the ones that closed
    /// the connection unanswered not included).
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn commands(&self) -> u64 {
        self.commands
    }

    /// Whether a blocked command's reply is awaited.
    pub fn is_blocked(&self) -> bool {
        self.blocked.is_some()
    }

    /// Whether the engine closed the connection (a close frame came: the
    /// output limit or the idle timeout): drop it without writing more.
    pub fn is_closing(&self) -> bool {
        self.closing
    }

    /// Counts `n` output bytes as written (the I/O layer wrote them from
    /// the front of the output).
    pub fn wrote(&self, n: usize) {
        self.backlog.wrote(n);
    }

    /// Whether the input not yet parsed is over `client-query-buffer-limit`
    /// (Redis closes such a client: "Closing client that reached max query
    /// buffer length"); logs it when so. The I/O layer checks after each
    /// read while the client is blocked; [`run`](Session::run) checks at
    /// its start.
    pub fn query_buffer_exceeded(&self, engine: &Engine) -> bool {
        let limit = engine.limits.query_buffer;
        if self.input.len() <= limit {
            return false;
        }
        tracing::warn!(
            client = self.id,
            qbuf = self.input.len(),
            limit,
            "Closing client that reached max query buffer length"
        );
        true
    }

    /// The buffers and the outbox, for the I/O layer.
    pub fn io(&mut self) -> Io<'_> {
        Io {
            input: &mut self.input,
            output: &mut self.output,
            outbox: &mut self.outbox,
        }
    }

    /// Appends bytes to the input (what a read does, for callers without a
    /// socket).
    #[cfg(test)]
    pub fn feed(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// Takes the reply bytes produced so far.
    #[cfg(test)]
    pub fn take_output(&mut self) -> BytesMut {
        self.backlog.sub(self.output.len());
        self.output.split()
    }

    /// Answers every complete request in the input, until one needs the I/O
    /// layer: see [`Action`]. Synchronous, so the engine lock the caller
    /// holds for the whole run is never held across an `.await`; a
    /// pipelined run costs one lock, not one per command.
    ///
    /// With no mock, no journal and no fault active, a command costs one
    /// atomic load ([`MockState::is_active`]) more than the engine alone,
    /// besides reading the client's protocol and authentication from the
    /// engine (one client-table lookup).
    pub fn run(&mut self, engine: &mut Engine, mocks: &MockState) -> Action {
        if let Some(client) = engine.clients.get_mut(&self.id) {
            // Redis's `lastinteraction`: set when a read is processed.
            client.last_read_ms = engine.clock.now_ms();
            client.last_interaction = std::time::Instant::now();
        }
        self.report_buffers();
        engine.awaited_frames.clear();
        let action = self.serve::<false>(engine, mocks);
        self.count_own();
        self.record(mocks);
        self.report_buffers();
        let awaited = engine.awaited_frames.take();
        if !awaited.is_empty() {
            self.awaited.extend(awaited);
        }
        action
    }

    /// The frames the last runs sent to other connections (see
    /// [`AwaitedFrames`](crate::engine::delivery::AwaitedFrames)): the I/O
    /// layer waits until each was acknowledged before writing the replies.
    pub fn take_awaited(&mut self) -> Vec<(Arc<Backlog>, u64)> {
        std::mem::take(&mut self.awaited)
    }

    /// The I/O layer tried to write the output: acknowledges the outbox
    /// frames in it to the connections waiting on them.
    pub fn ack_frames(&self) {
        if self.frames_pushed > 0 {
            self.backlog.frames_taken(self.frames_pushed);
        }
    }

    /// [`run`](Session::run), but stops after one request is answered,
    /// returning [`Action::NeedInput`]: compare [`commands`](Session::commands)
    /// to tell whether it answered one.
    #[cfg(feature = "fuzzing")]
    pub fn run_one(&mut self, engine: &mut Engine, mocks: &MockState) -> Action {
        let action = self.serve::<true>(engine, mocks);
        self.count_own();
        self.record(mocks);
        action
    }

    fn serve<const ONE: bool>(&mut self, engine: &mut Engine, mocks: &MockState) -> Action {
        if self.closing || self.query_buffer_exceeded(engine) {
            return Action::Drop;
        }
        if let Some(Delayed {
            args,
            response,
            close,
        }) = self.delayed.take()
        {
            if let Err(action) = self.respond(engine, &args, response, close) {
                return action;
            }
        }
        if let Some(result) = self.deferred_result.take() {
            let reply = crate::engine::commands::migrate::complete(engine, result);
            let client = View::of(engine, self.id);
            self.drain_outbox();
            self.encode(client.protocol, &reply);
            if let Err(action) = self.settle(engine, client.subscribed) {
                return action;
            }
        }
        if self.deferred.is_some() {
            return Action::Deferred;
        }
        if let Some(deadline) = self.blocked {
            return Action::Blocked(deadline);
        }
        if let Some((args, close)) = self.postponed.take() {
            if let Err(action) = self.execute(engine, &args, close) {
                return action;
            }
        }
        let mut client = View::of(engine, self.id);
        self.authenticated = client.authenticated;
        self.parser.set_max_bulk_len(engine.limits.proto_max_bulk);
        loop {
            let args = match self.parser.parse(&mut self.input, !client.authenticated) {
                Ok(Some(args)) => args,
                Ok(None) => return Action::NeedInput,
                Err(err) => {
                    tracing::debug!(client = self.id, %err, "protocol error, closing the connection");
                    self.encode(client.protocol, &Reply::Error(err.reply_text()));
                    return Action::Close;
                }
            };
            if args.is_empty() {
                continue;
            }
            if is_security_warning(&args[0]) {
                tracing::warn!(
                    client = self.id,
                    "possible cross-protocol attack: closing the connection"
                );
                return Action::Drop;
            }
            self.commands += 1;
            let answered = if mocks.is_active() {
                self.consult(engine, mocks, args, client.db)
            } else {
                let answered = self.execute(engine, &args, false);
                self.parser.recycle(args);
                answered
            };
            match answered {
                Ok(_) if ONE => return Action::NeedInput,
                Ok(view) => {
                    client = view;
                    self.authenticated = view.authenticated;
                }
                Err(action) => {
                    self.authenticated = View::of(engine, self.id).authenticated;
                    return action;
                }
            }
        }
    }

    /// Asks the mocks how to answer `args`, then answers. `Err` stops the
    /// run with an action.
    fn consult(
        &mut self,
        engine: &mut Engine,
        mocks: &MockState,
        args: Vec<Bytes>,
        db: usize,
    ) -> Result<View, Action> {
        let request = Request::from_parts(args, self.id, db);
        let plan = mocks.plan(&request, self.commands);
        let answered = match plan.response {
            None => self.execute(engine, request.args(), plan.close),
            Some(response) => match response.delay {
                Some(delay) => {
                    self.delayed = Some(Delayed {
                        args: request.args().to_vec(),
                        response,
                        close: plan.close,
                    });
                    Err(Action::Delay(delay))
                }
                None => self.respond(engine, request.args(), response, plan.close),
            },
        };
        let mut request = request;
        if let Some(client) = engine.clients.get_mut(&self.id) {
            if !client.script_calls.is_empty() {
                request.set_script_commands(std::mem::take(&mut client.script_calls));
            }
        }
        self.journal.push(Entry {
            request,
            outcome: plan.outcome,
            handshake: plan.handshake,
        });
        answered
    }

    /// Answers with a mock's response (its delay, if any, has passed).
    fn respond(
        &mut self,
        engine: &mut Engine,
        args: &[Bytes],
        response: Response,
        close: bool,
    ) -> Result<View, Action> {
        let close = close || response.close_after;
        match response.action {
            Respond::Reply(reply) => {
                let client = View::of(engine, self.id);
                self.encode(client.protocol, &reply);
                self.settle(engine, client.subscribed)?;
            }
            Respond::Raw(bytes) => {
                self.output.extend_from_slice(&bytes);
                self.own += bytes.len();
                let client = View::of(engine, self.id);
                self.settle(engine, client.subscribed)?;
            }
            Respond::PassThrough | Respond::FallThrough => {
                return self.execute(engine, args, close);
            }
            Respond::Close => return Err(Action::Close),
            Respond::Hang => return Err(Action::Hang),
        }
        if close {
            return Err(Action::Close);
        }
        Ok(View::of(engine, self.id))
    }

    /// Journals this run's requests: one lock for the whole run, taken
    /// while the caller still holds the engine's, so the journal keeps the
    /// order in which commands ran, across connections too.
    fn record(&mut self, mocks: &MockState) {
        if self.journal.is_empty() {
            return;
        }
        mocks.record(self.journal.drain(..));
        if self.journal.capacity() > JOURNAL_BATCH {
            self.journal = Vec::new();
        }
    }

    /// Lets the engine answer. `close`: close after this reply whatever the
    /// command does (a fault or a mock said so; it wins over blocking).
    fn execute(
        &mut self,
        engine: &mut Engine,
        args: &[Bytes],
        close: bool,
    ) -> Result<View, Action> {
        // CLIENT PAUSE: park the client with its command until the pause ends.
        if let Some(end) = crate::engine::commands::client::postpone(engine, self.id, args) {
            self.postponed = Some((args.to_vec(), close));
            self.blocked = Some(Some(end));
            return Err(Action::Blocked(Some(end)));
        }
        let outcome = engine.execute(self.id, args);
        if args.first().is_some_and(|name| may_change_limits(name)) {
            engine.apply_client_limits();
        }
        let client = View::of(engine, self.id);
        // What the engine sent before the reply was built goes first
        // (messages this very command caused included).
        self.drain_outbox();
        for frame in &outcome.extra {
            self.encode(client.protocol, frame);
        }
        match outcome.blocked {
            Some(deadline) => self.blocked = Some(deadline),
            None if outcome.silent => {}
            None => self.encode(client.protocol, &outcome.reply),
        }
        for frame in &outcome.trailing {
            self.encode(client.protocol, frame);
        }
        self.settle(engine, client.subscribed)?;
        if close || outcome.close {
            return Err(Action::Close);
        }
        if let Some(job) = outcome.deferred {
            self.deferred = Some(job);
            return Err(Action::Deferred);
        }
        if let Some(deadline) = self.blocked {
            return Err(Action::Blocked(deadline));
        }
        Ok(client)
    }

    /// Counts the reply bytes encoded since the last call in the backlog
    /// and checks the client's output buffer limit: `Err(Drop)` when over
    /// it (or when the engine closed the connection meanwhile), so that no
    /// further pipelined command runs.
    fn settle(&mut self, engine: &Engine, subscribed: bool) -> Result<(), Action> {
        if self.closing {
            return Err(Action::Drop);
        }
        let own = std::mem::take(&mut self.own);
        if own == 0 {
            return Ok(());
        }
        let total = self.backlog.add(own);
        let limits = &engine.limits;
        let limit = if subscribed {
            &limits.pubsub
        } else {
            &limits.normal
        };
        if self
            .backlog
            .exceeds(limit, total, total - own, engine.now_ms())
        {
            tracing::warn!(
                client = self.id,
                queued = total,
                "Client scheduled to be closed ASAP for overcoming of output buffer limits."
            );
            self.closing = true;
            return Err(Action::Drop);
        }
        Ok(())
    }

    /// The MIGRATE job to run without the engine lock (after
    /// [`Action::Deferred`]).
    pub fn take_deferred(&mut self) -> Option<Box<MigrateJob>> {
        self.deferred.take()
    }

    /// The MIGRATE job's result: the next [`run`](Session::run) completes
    /// it under the engine lock and answers.
    pub fn deferred_done(&mut self, result: MigrateResult) {
        self.deferred_result = Some(result);
    }

    /// Appends a frame from the outbox, and every other frame waiting
    /// there. A blocked command's reply unblocks the session: [`run`](Session::run) again.
    pub fn deliver(&mut self, frame: OutOfBand) {
        self.push_frame(frame);
        self.drain_outbox();
    }

    /// Times the blocked command out now, whatever its deadline: answers the
    /// timeout reply unless the command was served meanwhile (its reply is
    /// on the outbox, and goes first). [`run`](Session::run) again afterwards.
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn time_out(&mut self, engine: &mut Engine) {
        if self.postponed.is_some() {
            // Held by CLIENT PAUSE: end the pause now.
            crate::engine::commands::client::end_pause(engine);
            self.drain_outbox();
            self.blocked = None;
            return;
        }
        let reply = crate::engine::blocking::timed_out(engine, self.id);
        self.finish_time_out(engine, reply);
        self.blocked = None;
    }

    /// The wall-clock wait for the blocked command's deadline is over:
    /// answers the timeout reply if the engine clock is past the deadline
    /// (a frozen or moved-back clock may not be), or the reply that served
    /// the command meanwhile. Still [`is_blocked`](Session::is_blocked)
    /// when neither: wait again. [`run`](Session::run) again once unblocked.
    pub fn time_out_if_due(&mut self, engine: &mut Engine) {
        if self.postponed.is_some() {
            // A pause's end: the engine releases its clients (this one
            // through its outbox) once its clock is past it.
            engine.refresh_time();
            crate::engine::commands::client::end_pause_if_due(engine);
            self.drain_outbox();
            self.count_own();
            return;
        }
        let reply = crate::engine::blocking::time_out_if_due(engine, self.id);
        let timed_out = reply.is_some();
        self.finish_time_out(engine, reply);
        if timed_out {
            self.blocked = None;
        }
    }

    /// Writes what the outbox holds, then the timeout reply if any.
    fn finish_time_out(&mut self, engine: &Engine, reply: Option<Reply>) {
        self.drain_outbox();
        if let Some(reply) = reply {
            let client = View::of(engine, self.id);
            self.encode(client.protocol, &reply);
        }
        self.count_own();
    }

    /// Tells the engine the sizes of the buffers (`CLIENT LIST` fields).
    fn report_buffers(&self) {
        self.backlog.report_buffers(
            self.input.len(),
            self.input.capacity(),
            self.output.capacity(),
            self.output.len(),
        );
    }

    /// Counts the reply bytes encoded since the last count in the backlog,
    /// without checking the limit (a reply written on the way out).
    fn count_own(&mut self) {
        let own = std::mem::take(&mut self.own);
        if own > 0 {
            self.backlog.add(own);
        }
    }

    /// Appends every frame waiting in the outbox.
    fn drain_outbox(&mut self) {
        // `is_empty` is a few loads; `try_recv` on an empty channel costs
        // several times more, and runs after every command.
        while !self.outbox.is_empty() {
            match self.outbox.try_recv() {
                Ok(frame) => self.push_frame(frame),
                Err(_) => break,
            }
        }
    }

    fn push_frame(&mut self, frame: OutOfBand) {
        // Out-of-band frames are encoded when sent, in the protocol the
        // client spoke then, as Redis writes them into its buffer at once.
        self.output.extend_from_slice(&frame.bytes);
        self.frames_pushed = self.frames_pushed.max(frame.seq);
        if frame.unblocks {
            self.blocked = None;
        }
        if frame.close {
            self.closing = true;
        }
    }

    /// Encodes a reply onto the output: the one place replies become bytes.
    fn encode(&mut self, protocol: Protocol, reply: &Reply) {
        let before = self.output.len();
        reply.encode(protocol, &mut self.output);
        self.own += self.output.len() - before;
        #[cfg(feature = "fuzzing")]
        if let Some(other) = &mut self.cross_encode {
            let protocol = match protocol {
                Protocol::Resp2 => Protocol::Resp3,
                Protocol::Resp3 => Protocol::Resp2,
            };
            other.clear();
            reply.encode(protocol, other);
        }
    }
}

/// Commands after which the connection limits are read again from the
/// configuration: CONFIG (SET) and EXEC (a queued CONFIG SET).
fn may_change_limits(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"config") || name.eq_ignore_ascii_case(b"exec")
}

/// `POST` and `Host:` as a command name mean an HTTP request reached the
/// server; Redis closes such connections without replying.
fn is_security_warning(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"post") || name.eq_ignore_ascii_case(b"host:")
}

impl Drop for Session {
    /// Connections waiting for this one's frames to be written stop
    /// waiting.
    fn drop(&mut self) {
        self.backlog.frames_taken(u64::MAX);
    }
}
