//! A session's requests while a script is busy past `busy-reply-threshold`:
//! answered without the engine (whose lock the script holds), as
//! `engine/commands/scripting/busy.rs` describes.

use bytes::{Bytes, BytesMut};

use super::{Action, Session, is_security_warning};
use crate::engine::commands::scripting::busy::{Answer, Busy, answer};
use crate::protocol::{Protocol, Reply, RequestParser};

impl Session {
    /// Answers the complete requests in the input while a script is busy.
    /// `Some(action)`: every request is answered (`NeedInput`) or the
    /// connection ends (QUIT, a protocol error). `None`: a request needs
    /// the engine; it is back at the front of the input, to run once the
    /// script ends.
    pub fn answer_busy(&mut self, busy: &Busy) -> Option<Action> {
        if self.closing {
            return Some(Action::Drop);
        }
        let before = self.output.len();
        let (action, answered) = answer_requests(
            &mut self.parser,
            &mut self.input,
            &mut self.output,
            busy,
            self.id,
            self.authenticated,
        );
        self.commands += answered;
        self.own += self.output.len() - before;
        self.count_own();
        action
    }
}

/// Answers the complete requests in `input` onto `output` while a script
/// is busy, for client `id` (0: a connection not registered yet). Returns
/// what [`Session::answer_busy`] does, and how many requests were answered.
pub(crate) fn answer_requests(
    parser: &mut RequestParser,
    input: &mut BytesMut,
    output: &mut BytesMut,
    busy: &Busy,
    id: u64,
    authenticated: bool,
) -> (Option<Action>, u64) {
    // The replies here are simple strings and errors: the same bytes in
    // RESP2 and RESP3.
    let protocol = Protocol::Resp2;
    let mut answered = 0;
    let auth_required = !authenticated && busy.auth_needed();
    loop {
        let args = match parser.parse(input, auth_required) {
            Ok(Some(args)) => args,
            Ok(None) => return (Some(Action::NeedInput), answered),
            Err(err) => {
                Reply::Error(err.reply_text()).encode(protocol, output);
                return (Some(Action::Close), answered);
            }
        };
        if args.is_empty() {
            continue;
        }
        if is_security_warning(&args[0]) {
            return (Some(Action::Drop), answered);
        }
        match answer(busy, id, authenticated, &args) {
            Answer::Reply(reply) => {
                answered += 1;
                reply.encode(protocol, output);
            }
            Answer::Quit => {
                Reply::ok().encode(protocol, output);
                return (Some(Action::Close), answered + 1);
            }
            Answer::Wait => {
                *input = requeue(&args, input);
                return (None, answered);
            }
        }
    }
}

/// `args` as a multibulk request, followed by `rest`.
fn requeue(args: &[Bytes], rest: &[u8]) -> BytesMut {
    let size = args.iter().map(|a| a.len() + 16).sum::<usize>() + 16 + rest.len();
    let mut out = BytesMut::with_capacity(size);
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(rest);
    out
}
