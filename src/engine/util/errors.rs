//! Redis's error replies: the texts more than one command group (or the
//! dispatcher) answers, and every builder of an error reply (arity,
//! ranges, unknown (sub)commands, errors that quote user input).
//!
//! A text only one handler answers stays next to that handler (as in
//! Redis's own sources); a text a second command group needs moves here,
//! and so does a new builder. Handlers return these as `Err(..)`.
//! Texts are the whole error line without the leading `-` (`ERR ...`,
//! `WRONGTYPE ...`), so [`err`] turns one into a reply without copying.

use bytes::Bytes;

use crate::protocol::Reply;

/// `ERR value is not an integer or out of range`.
pub(crate) const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
/// `ERR value is not a valid float`.
pub(crate) const NOT_FLOAT: &str = "ERR value is not a valid float";
/// `ERR syntax error`.
pub(crate) const SYNTAX: &str = "ERR syntax error";
/// `ERR value is out of range, must be positive`.
pub(crate) const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
/// `ERR value is out of range, value must between -2147483648 and
/// 2147483647` (Redis's `getIntFromObjectOrReply`: SELECT, MOVE, ...).
pub(crate) const OUT_OF_INT_RANGE: &str =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
/// `ERR value is out of range, value must between -9223372036854775807 and
/// 9223372036854775807` (the counts of SRANDMEMBER, HRANDFIELD, ZRANDMEMBER).
pub(crate) const OUT_OF_LONG_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// `ERR value is out of range` (HRANDFIELD, ZRANDMEMBER counts).
pub(crate) const OUT_OF_RANGE: &str = "ERR value is out of range";
/// `ERR increment or decrement would overflow`.
pub(crate) const OVERFLOW: &str = "ERR increment or decrement would overflow";
/// `ERR increment would produce NaN or Infinity` (INCRBYFLOAT, HINCRBYFLOAT).
pub(crate) const NAN_OR_INFINITY: &str = "ERR increment would produce NaN or Infinity";
/// `ERR no such key`.
pub(crate) const NO_SUCH_KEY: &str = "ERR no such key";
/// `ERR DB index is out of range` (SELECT, MOVE, COPY ... DB, SWAPDB).
pub(crate) const DB_INDEX_OUT_OF_RANGE: &str = "ERR DB index is out of range";
/// `ERR invalid cursor` (the SCAN family).
pub(crate) const INVALID_CURSOR: &str = "ERR invalid cursor";
/// `ERR numkeys should be greater than 0` (SINTERCARD, LMPOP, ZMPOP and
/// their blocking variants).
pub(crate) const NUMKEYS_NOT_POSITIVE: &str = "ERR numkeys should be greater than 0";
/// `ERR count should be greater than 0` (LMPOP's and ZMPOP's `COUNT`).
pub(crate) const COUNT_NOT_POSITIVE: &str = "ERR count should be greater than 0";
/// `ERR LIMIT can't be negative` (SINTERCARD, ZINTERCARD, ZRANGE ... LIMIT).
pub(crate) const NEGATIVE_LIMIT: &str = "ERR LIMIT can't be negative";
/// `ERR timeout is negative` (the blocking commands, WAIT).
pub(crate) const NEGATIVE_TIMEOUT: &str = "ERR timeout is negative";
/// The reply to an operation on a key holding another type.
pub(crate) const WRONGTYPE: &str =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
/// `AUTH` and `HELLO ... AUTH` with a wrong password.
pub(crate) const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
/// A command other than AUTH/HELLO/... before authenticating.
pub(crate) const NOAUTH: &str = "NOAUTH Authentication required.";
/// A `no-multi` command inside MULTI.
pub(crate) const NOT_IN_TRANSACTION: &str = "ERR Command not allowed inside a transaction";

/// A static error reply (no allocation beyond the `Bytes` header).
pub(crate) fn err(text: &'static str) -> Reply {
    Reply::Error(Bytes::from_static(text.as_bytes()))
}

/// `-ERR syntax error`.
pub(crate) fn syntax_error() -> Reply {
    err(SYNTAX)
}

/// `-WRONGTYPE Operation against a key holding the wrong kind of value`.
pub(crate) fn wrongtype() -> Reply {
    err(WRONGTYPE)
}

/// `-ERR wrong number of arguments for '<name>' command`: the dispatcher's
/// arity error, and for handlers that check finer arity rules than the
/// command table can (`HSET` pairs, ...). `name` is the lower-case command
/// name (`client|kill` for subcommands).
pub(crate) fn wrong_arity(name: &str) -> Reply {
    rejected(format_args!(
        "wrong number of arguments for '{name}' command"
    ))
}

/// `ERR value is out of range, must be between <min> and <max>` (Redis's
/// `getRangeLongFromObjectOrReply` without a custom message).
pub(crate) fn not_between(min: i64, max: i64) -> Reply {
    Reply::Error(Bytes::from(format!(
        "ERR value is out of range, must be between {min} and {max}"
    )))
}

/// The text of CONFIG SET's error for a parameter it refuses (`name` as
/// the client spelled it, lower-cased; `why` Redis's reason).
pub(crate) fn config_set_failed(name: &str, why: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")
}

/// `ERR invalid expire time in '<name>' command` (SET's and GETEX's
/// expiry options, EXPIRE & co.; `name` is the command as Redis names it).
pub(crate) fn invalid_expire_time(name: impl std::fmt::Display) -> Reply {
    Reply::Error(Bytes::from(format!(
        "ERR invalid expire time in '{name}' command"
    )))
}

/// An error quoting raw user input: `before`, the input, `after`, on one
/// line (`ERR Unknown client type 'x'`, ...).
pub(crate) fn error_quoting(before: &str, input: &[u8], after: &str) -> Reply {
    let mut text = Vec::with_capacity(before.len() + input.len() + after.len());
    text.extend_from_slice(before.as_bytes());
    text.extend_from_slice(input);
    text.extend_from_slice(after.as_bytes());
    one_line_error(text)
}

/// An error built from user input: line breaks become spaces, as Redis ensures.
pub(crate) fn rejected(msg: std::fmt::Arguments<'_>) -> Reply {
    one_line_error(format!("ERR {msg}").into_bytes())
}

/// An error reply from raw text, with `\r` and `\n` mapped to spaces (Redis's
/// `addReplyErrorLength` does the same so an error stays one line).
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
pub(crate) fn unknown_command(args: &[Bytes]) -> Reply {
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

/// `ERR unknown subcommand '<sub>'. Try <CONTAINER> HELP.`, the subcommand
/// cut at a NUL byte and 128 bytes.
pub(crate) fn unknown_subcommand(sub: &[u8], container: &str) -> Reply {
    let after = format!("'. Try {} HELP.", container.to_ascii_uppercase());
    error_quoting("ERR unknown subcommand '", c_bytes(sub, 128), &after)
}

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try
/// <CONTAINER> HELP.` (Redis's `addReplySubcommandSyntaxError`, for a
/// subcommand that checks its own arity: `PUBSUB CHANNELS a b`), the
/// subcommand quoted as typed.
pub(crate) fn subcommand_syntax_error(sub: &[u8], container: &str) -> Reply {
    let after = format!("'. Try {} HELP.", container.to_ascii_uppercase());
    error_quoting(
        "ERR unknown subcommand or wrong number of arguments for '",
        sub,
        &after,
    )
}

/// EXEC's reply when the transaction was doomed at queue time
/// (`execCommandAbort`): the rejection's text after `EXECABORT ...`.
pub(crate) fn exec_abort(reason: &Reply) -> Reply {
    let text = match reason {
        Reply::Error(e) => e.strip_prefix(b"ERR ").unwrap_or(e).to_vec(),
        _ => Vec::new(),
    };
    let mut out = b"EXECABORT Transaction discarded because of: ".to_vec();
    out.extend_from_slice(&text);
    one_line_error(out)
}

/// `%.<max>s` of a C string: up to the first NUL, at most `max` bytes.
pub(crate) fn c_bytes(arg: &[u8], max: usize) -> &[u8] {
    let end = arg
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(arg.len())
        .min(max);
    &arg[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(r: Reply) -> String {
        match r {
            Reply::Error(e) => String::from_utf8(e.to_vec()).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn user_input_stays_on_one_line() {
        assert_eq!(
            text(unknown_command(&[
                Bytes::from("fo\r\no"),
                Bytes::from("a\0b")
            ])),
            "ERR unknown command 'fo  o', with args beginning with: 'a' "
        );
        assert_eq!(
            text(unknown_subcommand(b"x\ny", "client")),
            "ERR unknown subcommand 'x y'. Try CLIENT HELP."
        );
        assert_eq!(
            text(subcommand_syntax_error(b"chan\nnels", "pubsub")),
            "ERR unknown subcommand or wrong number of arguments for 'chan nels'. Try PUBSUB HELP."
        );
        assert_eq!(
            text(error_quoting("ERR Unknown client type '", b"a\0\rb", "'")),
            "ERR Unknown client type 'a\0 b'"
        );
        assert_eq!(
            text(wrong_arity("get")),
            "ERR wrong number of arguments for 'get' command"
        );
        assert_eq!(
            text(exec_abort(&Reply::error("ERR unknown command 'x'"))),
            "EXECABORT Transaction discarded because of: unknown command 'x'"
        );
    }
}
