//! MONITOR and the monitor feed, in Redis 7.0's line format:
//! `+<seconds>.<micros> [<db> <addr>] "arg" "arg"` with each argument
//! quoted as Redis's `sdscatrepr`, `lua` as the address of the commands a
//! script runs, `unix:<path>` for Unix sockets, and the secrets of AUTH,
//! HELLO ... AUTH and MIGRATE ... AUTH|AUTH2 shown as `(redacted)`.
//!
//! The dispatcher calls [`feed_monitors`] once a command ran (not admin
//! commands, nor commands refused before running: unknown, wrong arity,
//! NOAUTH), and before a script command (flagged `skip_monitor`) so that
//! it shows before the commands it runs; queued commands show when EXEC
//! runs them, before EXEC itself. A monitor sees its own commands too,
//! after their reply.

use bytes::Bytes;

use crate::engine::command::CmdResult;
use crate::engine::util::errors::err;
use crate::engine::{Client, Ctx, Engine, tracking};
use crate::protocol::Reply;

pub(super) fn monitor(ctx: &mut Ctx<'_>) -> CmdResult {
    // Inside EXEC (Redis's CLIENT_DENY_BLOCKING).
    if ctx.client.multi.is_some() {
        return Err(err("ERR MONITOR isn't allowed for DENY BLOCKING client"));
    }
    // A second MONITOR is ignored, without a reply.
    if ctx.client.monitor {
        ctx.client.reply.none = true;
        return Ok(Reply::Nil);
    }
    ctx.client.monitor = true;
    ctx.engine.client_admin.monitors.push(ctx.client.id);
    Ok(Reply::ok())
}

/// Sends the monitor line of `args`, run by `client`, to every monitor.
pub(crate) fn feed_monitors(engine: &mut Engine, client: &Client, args: &[Bytes]) {
    let line = monitor_line(engine.clock.now_us(), client, args);
    let frame = Reply::Simple(Bytes::from(line));
    for id in engine.client_admin.monitors.clone() {
        tracking::deliver(engine, id, frame.clone());
    }
}

fn monitor_line(now_us: i64, client: &Client, args: &[Bytes]) -> Vec<u8> {
    let mut line = format!(
        "{}.{:06} [{} ",
        now_us.div_euclid(1_000_000),
        now_us.rem_euclid(1_000_000),
        client.db
    )
    .into_bytes();
    if client.id == 0 {
        line.extend_from_slice(b"lua");
    } else if client.is_unix() {
        line.extend_from_slice(b"unix:");
        let path = client.addr.strip_suffix(":0").unwrap_or(&client.addr);
        line.extend_from_slice(path.as_bytes());
    } else {
        line.extend_from_slice(client.addr.as_bytes());
    }
    line.push(b']');
    let redacted = redacted_positions(args);
    for (i, arg) in args.iter().enumerate() {
        line.push(b' ');
        if redacted.contains(&i) {
            repr(&mut line, b"(redacted)");
        } else {
            repr(&mut line, arg);
        }
    }
    line
}

/// The arguments Redis 7.0 redacts (`redactClientCommandArgument`):
/// every argument of AUTH, the user and password after HELLO's AUTH, the
/// password after MIGRATE's AUTH and the user and password after AUTH2.
fn redacted_positions(args: &[Bytes]) -> Vec<usize> {
    let name = &args[0];
    if name.eq_ignore_ascii_case(b"auth") {
        return (1..args.len()).collect();
    }
    let (option, after): (&[&[u8]], usize) = if name.eq_ignore_ascii_case(b"hello") {
        (&[b"auth"], 2)
    } else if name.eq_ignore_ascii_case(b"migrate") {
        (&[b"auth", b"auth2"], 0)
    } else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut j = 1;
    while j < args.len() {
        let arg = &args[j];
        if let Some(opt) = option.iter().find(|o| arg.eq_ignore_ascii_case(o)) {
            let n = if after > 0 {
                after
            } else if opt == b"auth" {
                1
            } else {
                2
            };
            out.extend((j + 1..=j + n).filter(|&i| i < args.len()));
            j += n;
            // MIGRATE's KEYS ends its options.
        } else if name.eq_ignore_ascii_case(b"migrate") && arg.eq_ignore_ascii_case(b"keys") {
            break;
        }
        j += 1;
    }
    out
}

/// Redis's `sdscatrepr`: the bytes in double quotes, `\` and `"` escaped,
/// `\n \r \t \a \b` by name, other unprintable bytes as `\xHH`.
fn repr(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for &b in bytes {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(items: &[&[u8]]) -> Vec<Bytes> {
        items.iter().map(|a| Bytes::copy_from_slice(a)).collect()
    }

    #[test]
    fn lines_quote_and_redact_as_redis() {
        let mut client = Client::detached(3);
        client.id = 5;
        client.addr = "127.0.0.1:4000".into();
        let line = monitor_line(
            1_701_234_567_123_456,
            &client,
            &args(&[b"set", b"k\x01\n\\\"q", b"a\tb\r\x07\x08\xc3\xbf\x00z"]),
        );
        assert_eq!(
            String::from_utf8(line).unwrap(),
            r#"1701234567.123456 [3 127.0.0.1:4000] "set" "k\x01\n\\\"q" "a\tb\r\a\b\xc3\xbf\x00z""#
        );
        let line = monitor_line(7, &client, &args(&[b"hello", b"3", b"AUTH", b"u", b"p"]));
        assert_eq!(
            String::from_utf8(line).unwrap(),
            r#"0.000007 [3 127.0.0.1:4000] "hello" "3" "AUTH" "(redacted)" "(redacted)""#
        );
        assert_eq!(
            redacted_positions(&args(&[b"auth", b"u", b"p"])),
            vec![1, 2]
        );
        assert_eq!(
            redacted_positions(&args(&[
                b"migrate", b"h", b"1", b"", b"0", b"5", b"AUTH2", b"u", b"p", b"KEYS", b"auth"
            ])),
            vec![7, 8]
        );
        client.addr = "/tmp/r.sock:0".into();
        let line = monitor_line(0, &client, &args(&[b"ping"]));
        assert_eq!(
            String::from_utf8(line).unwrap(),
            r#"0.000000 [3 unix:/tmp/r.sock] "ping""#
        );
        client.id = 0;
        let line = monitor_line(0, &client, &args(&[b"get", b"k"]));
        assert_eq!(
            String::from_utf8(line).unwrap(),
            r#"0.000000 [3 lua] "get" "k""#
        );
    }
}
