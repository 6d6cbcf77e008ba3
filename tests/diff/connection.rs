//! Differential tests: connection commands, dispatch errors and protocol
//! errors, byte for byte against a real redis-server, in RESP2 and RESP3.

use crate::support::{Compare, Differ, case};

#[tokio::test]
async fn connection_commands() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("ping")
                .cmd(["PING"])
                .cmd(["ping", "hello"])
                .cmd(["PING", ""])
                .cmd(["PING", "a", "b"]),
            case("echo")
                .cmd(["ECHO", "x y"])
                .cmd(["ECHO"])
                .cmd(["ECHO", "a", "b"])
                .cmd(["echo", "\r\n\0"]),
            case("select")
                .cmd(["SELECT", "1"])
                .cmd(["SELECT", "15"])
                .cmd(["SELECT", "16"])
                .cmd(["SELECT", "-1"])
                .cmd(["SELECT", "x"])
                .cmd(["SELECT", "01"])
                .cmd(["SELECT", "99999999999"])
                .cmd(["SELECT"]),
            case("hello 2")
                .cmd_with(["HELLO", "2"], Compare::MaskIntegers)
                .cmd_with(["HELLO"], Compare::MaskIntegers),
            case("hello 3 then 2")
                .cmd_with(["HELLO", "3"], Compare::MaskIntegers)
                .cmd(["PING"])
                .cmd_with(["HELLO", "2"], Compare::MaskIntegers),
            case("hello errors")
                .cmd(["HELLO", "4"])
                .cmd(["HELLO", "1"])
                .cmd(["HELLO", "x"])
                .cmd(["HELLO", "3", "FOO"])
                .cmd(["HELLO", "3", "AUTH", "default"])
                .cmd(["HELLO", "3", "SETNAME", "a b"])
                .cmd(["HELLO", "3", "AUTH", "bob", "pw"]),
            case("hello setname")
                .cmd_with(["HELLO", "3", "SETNAME", "worker"], Compare::MaskIntegers)
                .cmd(["CLIENT", "GETNAME"]),
            case("hello auth default nopass").cmd_with(
                ["HELLO", "3", "AUTH", "default", "anything"],
                Compare::MaskIntegers,
            ),
            case("auth without password configured")
                .cmd(["AUTH", "secret"])
                .cmd(["AUTH", "default", "x"])
                .cmd(["AUTH", "alice", "x"])
                .cmd(["AUTH", "a", "b", "c"])
                .cmd(["AUTH"]),
            case("client names")
                .cmd(["CLIENT", "GETNAME"])
                .cmd(["CLIENT", "SETNAME", "app-1"])
                .cmd(["CLIENT", "GETNAME"])
                .cmd(["CLIENT", "SETNAME", "has space"])
                .cmd(["CLIENT", "SETNAME", "new\nline"])
                .cmd(["CLIENT", "SETNAME", ""])
                .cmd(["CLIENT", "GETNAME"])
                .cmd(["client", "setname"])
                .cmd(["CLIENT", "SETNAME", "a", "b"]),
            case("client misc")
                .cmd_with(["CLIENT", "ID"], Compare::MaskIntegers)
                .cmd(["CLIENT"])
                .cmd(["CLIENT", "NOPE"])
                .cmd(["CLIENT", "SETINFO", "lib-name", "redis-rs"])
                .cmd(["CLIENT", "ID", "extra"])
                .cmd_with(["CLIENT", "INFO"], Compare::TypeOnly)
                .cmd_with(["CLIENT", "LIST"], Compare::TypeOnly)
                .cmd(["CLIENT", "LIST", "TYPE", "nope"])
                .cmd(["CLIENT", "LIST", "FOO"]),
            case("reset")
                .cmd(["SELECT", "3"])
                .cmd(["CLIENT", "SETNAME", "n"])
                .cmd_with(["HELLO", "3"], Compare::MaskIntegers)
                .cmd(["RESET"])
                .cmd(["CLIENT", "GETNAME"])
                .cmd(["PING"])
                .cmd(["RESET", "x"]),
            case("quit closes").cmd(["PING"]).cmd(["QUIT"]),
            case("quit with args").cmd(["QUIT", "now"]),
            case("unknown commands")
                .cmd(["FOO"])
                .cmd(["foo", "bar", "baz"])
                .cmd(["NOPE", "a\r\nb"])
                .cmd(["NOPE", &"x".repeat(200), "y"])
                .cmd(["NOPE", "a\0b", "c"])
                .cmd([&"c".repeat(200)])
                .cmd(["", "x"]),
            case("arity of known commands")
                .cmd(["PING", "a", "b", "c"])
                .cmd(["SELECT", "1", "2"])
                .cmd(["HELLO", "3", "AUTH"]),
            case("command introspection")
                .cmd([
                    "COMMAND", "INFO", "ping", "echo", "hello", "quit", "reset", "auth", "select",
                ])
                .cmd(["COMMAND", "INFO", "nosuchcommand"])
                .cmd([
                    "COMMAND",
                    "INFO",
                    "client|setname",
                    "client|id",
                    "client|getname",
                ])
                .cmd(["COMMAND", "DOCS", "nosuchcommand"])
                .cmd(["COMMAND", "FOO"])
                .cmd(["COMMAND", "COUNT", "x"])
                .cmd(["COMMAND", "GETKEYS", "ping"])
                .cmd(["COMMAND", "GETKEYS", "nosuch", "a"])
                .cmd(["COMMAND", "GETKEYS"])
                .cmd_with(["COMMAND", "COUNT"], Compare::TypeOnly),
            case("info shape")
                .cmd_with(["INFO"], Compare::TypeOnly)
                .cmd_with(["INFO", "server"], Compare::TypeOnly)
                .cmd(["INFO", "nosuchsection"]),
            case("inline commands")
                .inline("PING")
                .inline("ECHO \"a b\"")
                .inline("ECHO 'it\\'s'")
                .inline("ECHO \"\\x41\\x42\\n\"")
                .inline("  ECHO   spaced  ")
                .raw(b"\r\n", 0)
                .raw(b"\n", 0)
                .inline("ECHO a\tb")
                .inline("ECHO \"\"")
                .inline("ping"),
            case("pipelined inline and multibulk").raw(
                b"PING\r\n*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\nECHO x\n*1\r\n$4\r\nPING\r\n",
                4,
            ),
            case("empty multibulk is ignored")
                .raw(b"*0\r\n", 0)
                .raw(b"*-1\r\n", 0)
                .raw(b"*-100\r\n", 0)
                .cmd(["PING"]),
            case("bulk terminator bytes are not checked").raw(b"*1\r\n$4\r\nPINGxx", 1),
        ])
        .await;
}

#[tokio::test]
async fn protocol_errors_close_the_connection() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let big_inline = vec![b'a'; 70 * 1024];
    let mut big_count = b"*".to_vec();
    big_count.extend(vec![b'1'; 70 * 1024]);
    let mut big_bulk_count = b"*1\r\n$".to_vec();
    big_bulk_count.extend(vec![b'1'; 70 * 1024]);
    differ
        .check(&[
            case("expected $ got :")
                .cmd(["PING"])
                .raw(b"*1\r\n:4\r\n", 1)
                .cmd(["PING"]),
            case("expected $ got +").raw(b"*2\r\n$4\r\nECHO\r\n+x\r\n", 1),
            case("expected $ got newline").raw(b"*1\r\n\r\n", 1),
            case("invalid multibulk length").raw(b"*x\r\n", 1),
            case("multibulk length too big").raw(b"*2147483648\r\n", 1),
            case("multibulk length with plus").raw(b"*+1\r\n", 1),
            case("multibulk leading zero").raw(b"*01\r\n", 1),
            case("invalid bulk length").raw(b"*1\r\n$x\r\n", 1),
            case("negative bulk length").raw(b"*1\r\n$-1\r\n", 1),
            case("bulk length over 512MB").raw(b"*1\r\n$536870913\r\n", 1),
            case("bulk length empty").raw(b"*1\r\n$\r\n", 1),
            case("unbalanced double quote").raw(b"ECHO \"abc\r\n", 1),
            case("unbalanced single quote").raw(b"ECHO 'abc\r\n", 1),
            case("closing quote followed by text").raw(b"ECHO \"a\"b\r\n", 1),
            case("too big inline request").raw(&big_inline, 1),
            case("too big mbulk count string").raw(&big_count, 1),
            case("too big bulk count string").raw(&big_bulk_count, 1),
            case("commands before the error are answered")
                .raw(b"PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n:1\r\n", 3),
            // The PING shows the connection is gone: a case ends with a step
            // that expects a reply (see tests/support/differ.rs).
            case("http post is dropped silently")
                .raw(b"POST / HTTP/1.1\r\n", 0)
                .inline("PING"),
            case("host header is dropped silently")
                .raw(b"Host: example.com\r\n", 0)
                .inline("PING"),
        ])
        .await;
}
