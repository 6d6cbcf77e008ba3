//! In-process entry points for the fuzz targets in `fuzz/`, compiled only
//! with the `fuzzing` feature. Not a public API: it may change at any time.
//!
//! [`dispatch`] feeds bytes to a fresh engine through the same session a
//! connection task drives (Redis's request parser, the mock layer,
//! `Engine::execute` for each request, the reply encoder), without sockets,
//! so a fuzzer can run it hundreds of thousands of times a second.

use bytes::BytesMut;

use crate::engine::{Config, Engine};
use crate::mock::MockState;
use crate::session::{Action, Session};

/// Replies kept before the output buffer is dropped, so a long input
/// cannot grow memory the way a real client that never reads cannot either.
const OUTPUT_CAP: usize = 1 << 20;

/// Runs `data` as the byte stream of one or two clients against a fresh
/// engine and returns the number of requests executed.
///
/// The first byte picks the set-up: bit 0 sets `requirepass` to `secret`,
/// bit 1 makes two clients take turns (so `CLIENT LIST`, `CLIENT KILL` and
/// friends see each other). The rest is parsed as requests. Every reply is
/// encoded in the client's protocol and in the other one, since both
/// encoders must accept every reply. A client whose command blocks (BLPOP
/// and friends) gives the turn to the other, which may serve it; it times
/// out when its turn comes back.
///
/// ```
/// let executed = mock_redis::fuzzing::dispatch(b"\x00PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n");
/// assert_eq!(executed, 2);
/// ```
pub fn dispatch(data: &[u8]) -> usize {
    let Some((&setup, stream)) = data.split_first() else {
        return 0;
    };
    let config = Config {
        requirepass: (setup & 1 == 1).then(|| bytes::Bytes::from_static(b"secret")),
        ..Config::default()
    };
    let mut engine = Engine::new(config);
    let mocks = MockState::new(false, false);
    let mut sessions = vec![new_session(&mut engine)];
    if setup & 2 == 2 {
        sessions.push(new_session(&mut engine));
    }
    // One stream, taken by whichever client's turn it is.
    let mut input = BytesMut::from(stream);
    let mut turn = 0;
    loop {
        let count = sessions.len();
        let session = &mut sessions[turn % count];
        if session.is_blocked() {
            session.time_out(&mut engine);
        }
        std::mem::swap(&mut input, session.io().input);
        let before = session.commands();
        let action = session.run_one(&mut engine, &mocks);
        std::mem::swap(&mut input, session.io().input);
        let output = session.io().output;
        if output.len() > OUTPUT_CAP {
            output.clear();
        }
        match action {
            Action::NeedInput if session.commands() > before => turn += 1,
            Action::Blocked(_) => turn += 1,
            // No complete request left, or the connection closed (without
            // mocks, nothing delays or hangs).
            _ => break,
        }
    }
    let executed = sessions.iter().map(Session::commands).sum::<u64>();
    for session in &sessions {
        engine.disconnect(session.id());
    }
    executed as usize
}

/// One simulated connection, checking both encoders on every reply.
fn new_session(engine: &mut Engine) -> Session {
    let mut session = Session::new(engine, "127.0.0.1:40000".into(), "127.0.0.1:6379".into());
    session.cross_encode = Some(BytesMut::new());
    session
}

/// Lua scripting: a random script body run with EVAL (an instruction
/// budget ends loops), or a random reply converted to Lua and back, in
/// RESP2 and RESP3. The first byte picks the mode (see the crate's
/// `commands/scripting/mod.rs`); returns 1 when something ran.
///
/// ```
/// assert_eq!(mock_redis::fuzzing::lua(b"\x00return {1, 'a', {ok='x'}}"), 1);
/// assert_eq!(mock_redis::fuzzing::lua(b"\x00while true do end"), 1);
/// assert_eq!(mock_redis::fuzzing::lua(b"\x02\x0a\x03\x03\x02abc\x07\x01\x04\x00"), 1);
/// ```
#[cfg(feature = "scripting")]
pub fn lua(data: &[u8]) -> usize {
    crate::engine::commands::scripting::fuzz(data)
}
