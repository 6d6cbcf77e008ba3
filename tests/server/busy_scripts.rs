//! Busy scripts over real sockets: past `busy-reply-threshold` other
//! clients get `-BUSY`, `SCRIPT KILL` / `FUNCTION KILL` stop a script that
//! did not write, `-UNKILLABLE` for one that did, `-NOTBUSY` with none.
//! The threshold is set to a few milliseconds and the scripts loop until
//! killed, so every wait ends on a reply, never on a sleep. The server runs
//! on a multi-thread runtime: the looping script holds one worker thread,
//! the other connections are served on the other.

use mock_redis::MockRedis;

use crate::support::conn::{RawConn, Read, eventually};

const BUSY_EVAL: &str =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
const BUSY_FUNCTION: &str =
    "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n";
const NOTBUSY: &str = "-NOTBUSY No scripts in execution right now.\r\n";
const UNKILLABLE: &str = "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n";

fn text(frame: Vec<u8>) -> String {
    String::from_utf8_lossy(&frame).into_owned()
}

/// A server with a 5 ms threshold, a connection that starts `script` (not
/// waiting for its reply) and another connection, once it sees `-BUSY`.
async fn busy_server(script: &[&str]) -> (MockRedis, RawConn, RawConn) {
    let server = MockRedis::start().await;
    let mut other = RawConn::open(server.port()).await;
    assert_eq!(
        text(
            other
                .cmd(["CONFIG", "SET", "busy-reply-threshold", "5"])
                .await
        ),
        "+OK\r\n"
    );
    let mut runner = RawConn::open(server.port()).await;
    runner
        .send(&crate::support::resp::multibulk(script.iter()))
        .await;
    // Before the script starts, or once it ends, GET answers; while it
    // runs past the threshold, BUSY.
    eventually("the script to be busy", async || {
        text(other.cmd(["GET", "k"]).await).starts_with("-BUSY")
    })
    .await;
    (server, runner, other)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_kill_stops_a_read_only_loop_and_others_see_busy_meanwhile() {
    let (server, mut runner, mut other) =
        busy_server(&["EVAL", "local i = 0 while true do i = i + 1 end", "0"]).await;
    assert_eq!(text(other.cmd(["GET", "k"]).await), BUSY_EVAL);
    // Unknown commands and wrong arity are checked first, as in Redis.
    assert!(text(other.cmd(["NOSUCH"]).await).starts_with("-ERR unknown command 'NOSUCH'"));
    assert_eq!(
        text(other.cmd(["GET"]).await),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    // FUNCTION KILL cannot stop an EVAL.
    assert_eq!(text(other.cmd(["FUNCTION", "KILL"]).await), BUSY_EVAL);
    // A connection opened meanwhile is answered too (redis-cli SCRIPT KILL).
    let mut late = RawConn::open(server.port()).await;
    assert_eq!(text(late.cmd(["PING"]).await), BUSY_EVAL);
    assert_eq!(text(late.cmd(["SCRIPT", "KILL"]).await), "+OK\r\n");
    let killed = match runner.read_frame().await {
        Read::Frame(f) => text(f),
        other => panic!("{other:?}"),
    };
    assert!(
        killed.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "),
        "{killed}"
    );
    assert!(killed.ends_with(", on @user_script:1.\r\n"), "{killed}");
    assert_eq!(text(other.cmd(["PING"]).await), "+PONG\r\n");
    assert_eq!(text(late.cmd(["SCRIPT", "KILL"]).await), NOTBUSY);
    assert_eq!(text(runner.cmd(["PING"]).await), "+PONG\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_kill_stops_an_fcall_loop() {
    let lib = "#!lua name=spin\nredis.register_function{function_name='spin', callback=function() while true do end end, flags={'no-writes'}}";
    let (_server, mut runner, mut other) = {
        let server = MockRedis::start().await;
        let mut c = RawConn::open(server.port()).await;
        assert_eq!(
            text(c.cmd(["FUNCTION", "LOAD", lib]).await),
            "$4\r\nspin\r\n"
        );
        drop(c);
        let mut other = RawConn::open(server.port()).await;
        other.cmd(["CONFIG", "SET", "lua-time-limit", "5"]).await;
        let mut runner = RawConn::open(server.port()).await;
        runner
            .send(&crate::support::resp::multibulk(["FCALL", "spin", "0"]))
            .await;
        eventually("the function to be busy", async || {
            text(other.cmd(["GET", "k"]).await).starts_with("-BUSY")
        })
        .await;
        (server, runner, other)
    };
    assert_eq!(text(other.cmd(["GET", "k"]).await), BUSY_FUNCTION);
    assert_eq!(text(other.cmd(["SCRIPT", "KILL"]).await), BUSY_FUNCTION);
    assert_eq!(text(other.cmd(["FUNCTION", "KILL"]).await), "+OK\r\n");
    let killed = match runner.read_frame().await {
        Read::Frame(f) => text(f),
        other => panic!("{other:?}"),
    };
    assert!(
        killed.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
        "{killed}"
    );
    assert_eq!(text(other.cmd(["FUNCTION", "KILL"]).await), NOTBUSY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_that_wrote_is_unkillable() {
    let (server, _runner, mut other) =
        busy_server(&["EVAL", "redis.call('SET', 'k', 'v') while true do end", "0"]).await;
    assert_eq!(text(other.cmd(["SCRIPT", "KILL"]).await), UNKILLABLE);
    assert_eq!(text(other.cmd(["SET", "x", "1"]).await), BUSY_EVAL);
    // Stopping the server ends the script (SHUTDOWN NOSAVE would end the
    // process).
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_refusals_inside_a_transaction_abort_it() {
    let server = MockRedis::start().await;
    let mut tx = RawConn::open(server.port()).await;
    assert_eq!(text(tx.cmd(["MULTI"]).await), "+OK\r\n");
    let mut other = RawConn::open(server.port()).await;
    other
        .cmd(["CONFIG", "SET", "busy-reply-threshold", "5"])
        .await;
    let mut runner = RawConn::open(server.port()).await;
    runner
        .send(&crate::support::resp::multibulk([
            "EVAL",
            "while true do end",
            "0",
        ]))
        .await;
    eventually("the script to be busy", async || {
        text(other.cmd(["GET", "k"]).await).starts_with("-BUSY")
    })
    .await;
    // Refused inside MULTI, and EXEC (not allowed while busy) aborts, as
    // in Redis's rejectCommand.
    assert_eq!(text(tx.cmd(["SET", "k", "v"]).await), BUSY_EVAL);
    assert_eq!(
        text(tx.cmd(["EXEC"]).await),
        format!(
            "-EXECABORT Transaction discarded because of: {}",
            &BUSY_EVAL[1..]
        )
    );
    // MULTI is allowed while busy, but needs the engine: answered once the
    // script ends.
    tx.send(&crate::support::resp::multibulk(["MULTI"])).await;
    assert_eq!(text(other.cmd(["SCRIPT", "KILL"]).await), "+OK\r\n");
    assert!(matches!(runner.read_frame().await, Read::Frame(_)));
    assert_eq!(
        text(match tx.read_frame().await {
            Read::Frame(f) => f,
            other => panic!("{other:?}"),
        }),
        "+OK\r\n",
        "the transaction was discarded: MULTI is not nested"
    );
}

#[tokio::test]
async fn notbusy_without_a_script() {
    let server = MockRedis::start().await;
    let mut conn = RawConn::open(server.port()).await;
    assert_eq!(text(conn.cmd(["SCRIPT", "KILL"]).await), NOTBUSY);
    assert_eq!(text(conn.cmd(["FUNCTION", "KILL"]).await), NOTBUSY);
    assert_eq!(
        text(conn.cmd(["CONFIG", "GET", "lua-time-limit"]).await),
        "*2\r\n$14\r\nlua-time-limit\r\n$4\r\n5000\r\n"
    );
    conn.cmd(["CONFIG", "SET", "lua-time-limit", "7"]).await;
    assert_eq!(
        text(conn.cmd(["CONFIG", "GET", "busy-reply-threshold"]).await),
        "*2\r\n$20\r\nbusy-reply-threshold\r\n$1\r\n7\r\n"
    );
}
