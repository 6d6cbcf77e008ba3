//! Unit tests of the connection limits as the session and the engine
//! enforce them, byte for byte (no socket: nothing is ever written, so the
//! whole output stays queued): the output buffer limit of a pipelined
//! client and of a subscriber (hard, soft by the engine clock, the safety
//! cap), the query buffer limit, the idle timeout, admission (`maxclients`,
//! protected mode), and CONFIG SET reaching live connections.

use std::time::Duration;

use bytes::BytesMut;

use super::{Action, Session};
use crate::engine::client::{MAX_CLIENTS_REACHED, PROTECTED_MODE_DENIED};
use crate::engine::delivery::{Backlog, OutOfBand, OutputLimit, SAFETY_OUTPUT_CAP};
use crate::engine::{Config, Engine};
use crate::mock::MockState;

fn multibulk(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

struct Server {
    engine: Engine,
    mocks: MockState,
}

impl Server {
    fn new() -> Server {
        let mut engine = Engine::new(Config::default());
        engine.clock.freeze();
        Server {
            engine,
            mocks: MockState::new(false, false),
        }
    }

    fn connect(&mut self) -> Session {
        Session::new(&mut self.engine, "127.0.0.1:1".into(), "127.0.0.1:2".into())
    }

    /// Runs one command on `session`; the action and what it wrote (taken,
    /// so counted as sent).
    fn cmd(&mut self, session: &mut Session, args: &[&str]) -> (Action, BytesMut) {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        session.feed(&multibulk(&args));
        let action = session.run(&mut self.engine, &self.mocks);
        (action, session.take_output())
    }

    fn ok(&mut self, session: &mut Session, args: &[&str]) -> String {
        let (action, out) = self.cmd(session, args);
        assert_eq!(action, Action::NeedInput, "{args:?}");
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Every frame waiting in `session`'s outbox.
fn frames(session: &mut Session) -> Vec<OutOfBand> {
    let mut out = Vec::new();
    while let Ok(frame) = session.io().outbox.try_recv() {
        out.push(frame);
    }
    out
}

#[test]
fn a_pipeline_stops_at_the_normal_hard_limit() {
    let mut s = Server::new();
    let mut client = s.connect();
    s.ok(
        &mut client,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1kb 0 0",
        ],
    );
    // Each ECHO reply is $50\r\n + 50 bytes + \r\n = 57 bytes: the 18th
    // takes the unsent output to 1026 >= 1024.
    let value = "v".repeat(50);
    let mut pipeline = Vec::new();
    for _ in 0..100 {
        pipeline.extend_from_slice(&multibulk(&[b"ECHO", value.as_bytes()]));
    }
    client.feed(&pipeline);
    let before = client.commands();
    assert_eq!(client.run(&mut s.engine, &s.mocks), Action::Drop);
    assert_eq!(
        client.commands() - before,
        18,
        "no command runs past the limit"
    );
    assert_eq!(client.take_output().len(), 18 * 57);
}

#[test]
fn a_config_set_in_a_transaction_applies_to_live_connections() {
    let mut s = Server::new();
    let mut admin = s.connect();
    let mut other = s.connect();
    s.ok(&mut admin, &["MULTI"]);
    s.ok(
        &mut admin,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 100 0 0",
        ],
    );
    s.ok(&mut admin, &["EXEC"]);
    let value = "v".repeat(200);
    let (action, _) = s.cmd(&mut other, &["ECHO", &value]);
    assert_eq!(
        action,
        Action::Drop,
        "the other connection has the new limit"
    );
}

#[test]
fn the_safety_cap_spares_a_single_reply() {
    let backlog = Backlog::new();
    let unlimited = OutputLimit::default();
    let cap = SAFETY_OUTPUT_CAP as usize;
    assert!(
        !backlog.exceeds(&unlimited, cap + 1, 0, 0),
        "one big reply alone"
    );
    assert!(!backlog.exceeds(&unlimited, cap, 10, 0));
    assert!(!backlog.is_over());
    assert!(backlog.exceeds(&unlimited, cap + 1, 10, 0));
    assert!(backlog.is_over());
}

/// A subscriber on channel `c`, its confirmation taken.
fn subscriber(s: &mut Server) -> Session {
    let mut sub = s.connect();
    s.ok(&mut sub, &["SUBSCRIBE", "c"]);
    sub
}

#[test]
fn a_subscriber_is_closed_at_the_pubsub_hard_limit() {
    let mut s = Server::new();
    let mut publisher = s.connect();
    let mut sub = subscriber(&mut s);
    s.ok(
        &mut publisher,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1kb 0 0",
        ],
    );
    // *3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$100\r\n<100>\r\n: 132 bytes; the
    // 8th message would take the backlog to 1056 >= 1024.
    let message = "m".repeat(100);
    for _ in 0..10 {
        assert_eq!(s.ok(&mut publisher, &["PUBLISH", "c", &message]), ":1\r\n");
    }
    let got = frames(&mut sub);
    assert_eq!(got.len(), 8, "seven messages, then the close frame");
    assert!(got[..7].iter().all(|f| f.bytes.len() == 132 && !f.close));
    assert!(got[7].close && got[7].bytes.is_empty());
    for frame in got {
        sub.deliver(frame);
    }
    assert!(sub.is_closing());
}

#[test]
fn the_soft_limit_counts_continuous_seconds_on_the_engine_clock() {
    let mut s = Server::new();
    let mut publisher = s.connect();
    let mut sub = subscriber(&mut s);
    s.ok(
        &mut publisher,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 0 1kb 10",
        ],
    );
    let message = "m".repeat(100);
    let mut publish = |s: &mut Server, n: usize| {
        for _ in 0..n {
            s.ok(&mut publisher, &["PUBLISH", "c", &message]);
        }
    };
    // 8 messages: 1056 bytes, over the soft limit: the streak starts.
    publish(&mut s, 8);
    s.engine.clock.fast_forward(Duration::from_secs(10));
    publish(&mut s, 1);
    assert!(
        frames(&mut sub).iter().all(|f| !f.close),
        "10 s is not more than 10 s"
    );
    // Reading ends the streak: the next check finds it under the limit.
    sub.wrote(9 * 132);
    publish(&mut s, 1);
    s.engine.clock.fast_forward(Duration::from_secs(11));
    publish(&mut s, 8);
    assert!(
        frames(&mut sub).iter().all(|f| !f.close),
        "a new streak began"
    );
    s.engine.clock.fast_forward(Duration::from_millis(10_001));
    publish(&mut s, 1);
    let got = frames(&mut sub);
    assert!(
        got.last().is_some_and(|f| f.close),
        "over the soft limit for more than 10 s"
    );
}

#[test]
fn the_query_buffer_limit_closes_a_client_with_a_partial_request() {
    let mut s = Server::new();
    let mut client = s.connect();
    s.ok(
        &mut client,
        &["CONFIG", "SET", "client-query-buffer-limit", "1mb"],
    );
    client.feed(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n");
    client.feed(&vec![b'x'; 1024 * 1024 - 100]);
    assert_eq!(
        client.run(&mut s.engine, &s.mocks),
        Action::NeedInput,
        "under the limit"
    );
    client.feed(&[b'x'; 200]);
    assert_eq!(client.run(&mut s.engine, &s.mocks), Action::Drop);
}

#[test]
fn a_blocked_client_is_held_to_the_query_buffer_limit() {
    let mut s = Server::new();
    let mut client = s.connect();
    s.ok(
        &mut client,
        &["CONFIG", "SET", "client-query-buffer-limit", "1mb"],
    );
    let (action, _) = s.cmd(&mut client, &["BLPOP", "q", "0"]);
    assert_eq!(action, Action::Blocked(None));
    client.feed(&vec![b'x'; 1024 * 1024]);
    assert!(!client.query_buffer_exceeded(&s.engine));
    client.feed(b"x");
    assert!(client.query_buffer_exceeded(&s.engine));
    assert_eq!(client.run(&mut s.engine, &s.mocks), Action::Drop);
}

#[test]
fn idle_clients_time_out_but_subscribers_and_blocked_clients_do_not() {
    let mut s = Server::new();
    let mut idle = s.connect();
    let mut sub = subscriber(&mut s);
    let mut blocked = s.connect();
    let (action, _) = s.cmd(&mut blocked, &["BLPOP", "q", "0"]);
    assert_eq!(action, Action::Blocked(None));
    s.ok(&mut idle, &["CONFIG", "SET", "timeout", "1"]);
    s.engine.clock.fast_forward(Duration::from_millis(1000));
    s.engine.active_expire_cycle();
    assert!(
        frames(&mut idle).is_empty(),
        "idle for 1 s is not more than 1 s"
    );
    s.engine.clock.fast_forward(Duration::from_millis(1));
    s.engine.active_expire_cycle();
    let got = frames(&mut idle);
    assert!(got.len() == 1 && got[0].close, "{got:?}");
    assert!(frames(&mut sub).is_empty());
    assert!(frames(&mut blocked).is_empty());
    // A read restarts the count.
    let mut active = s.connect();
    s.engine.clock.fast_forward(Duration::from_millis(900));
    s.ok(&mut active, &["PING"]);
    s.engine.clock.fast_forward(Duration::from_millis(900));
    s.engine.active_expire_cycle();
    assert!(frames(&mut active).is_empty());
}

#[test]
fn admission_follows_maxclients_then_protected_mode() {
    let mut s = Server::new();
    let mut first = s.connect();
    s.ok(&mut first, &["CONFIG", "SET", "maxclients", "2"]);
    assert_eq!(s.engine.admit(true), Ok(()));
    let _second = s.connect();
    assert_eq!(s.engine.admit(true), Err(MAX_CLIENTS_REACHED));
    s.ok(&mut first, &["CONFIG", "SET", "maxclients", "10"]);
    assert_eq!(s.engine.admit(false), Err(PROTECTED_MODE_DENIED));
    assert_eq!(s.engine.stats.rejected_connections, 2);
    s.ok(&mut first, &["CONFIG", "SET", "requirepass", "secret"]);
    assert_eq!(
        s.engine.admit(false),
        Ok(()),
        "a password lifts protected mode"
    );
}
