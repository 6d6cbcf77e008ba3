//! Differential tests: CLIENT administration (KILL, PAUSE, UNPAUSE, REPLY,
//! UNBLOCK, NO-EVICT, TRACKING and its companions) and MONITOR, byte for
//! byte against a real redis-server in RESP2 and RESP3: the replies and
//! error texts on one connection, then multi-connection scripts for
//! tracking invalidations, pauses and unblocking.

use crate::support::{Compare, Differ, case, multibulk, script};

#[tokio::test]
async fn client_admin_replies_and_errors() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("client help").cmd(["CLIENT", "HELP"]),
            case("client kill")
                .cmd(["CLIENT", "KILL"])
                .cmd(["CLIENT", "KILL", "1.2.3.4:5"])
                .cmd(["CLIENT", "KILL", "id"])
                .cmd(["CLIENT", "KILL", "ID", "x"])
                .cmd(["CLIENT", "KILL", "ID", "0"])
                .cmd(["CLIENT", "KILL", "ID", "999999"])
                .cmd(["CLIENT", "KILL", "TYPE", "foo"])
                .cmd(["CLIENT", "KILL", "TYPE", "normal"])
                .cmd(["CLIENT", "KILL", "TYPE", "master"])
                .cmd(["CLIENT", "KILL", "TYPE", "pubsub"])
                .cmd(["CLIENT", "KILL", "SKIPME", "maybe"])
                .cmd(["CLIENT", "KILL", "MAXAGE", "x"])
                .cmd(["CLIENT", "KILL", "USER", "nobody"])
                .cmd(["CLIENT", "KILL", "USER", "default"])
                .cmd(["CLIENT", "KILL", "ADDR", "1:2", "foo"])
                .cmd(["CLIENT", "KILL", "LADDR", "x"])
                .cmd(["CLIENT", "KILL", "ID", "1", "SKIPME"])
                .cmd([
                    "CLIENT", "KILL", "USER", "default", "SKIPME", "yes", "ID", "1",
                ]),
            case("client pause errors")
                .cmd(["CLIENT", "PAUSE"])
                .cmd(["CLIENT", "PAUSE", "x"])
                .cmd(["CLIENT", "PAUSE", "1.5"])
                .cmd(["CLIENT", "PAUSE", "99999999999999999999"])
                .cmd(["CLIENT", "PAUSE", "-1"])
                .cmd(["CLIENT", "PAUSE", "10", "foo"])
                .cmd(["CLIENT", "PAUSE", "10", "write", "foo"])
                .cmd(["CLIENT", "UNPAUSE", "x"])
                .cmd(["CLIENT", "UNPAUSE"]),
            case("client pause 0 passes")
                .cmd(["CLIENT", "PAUSE", "0", "WRITE"])
                .cmd(["SET", "k", "v"])
                .cmd(["CLIENT", "PAUSE", "0"])
                .cmd(["GET", "k"])
                .cmd(["CLIENT", "UNPAUSE"]),
            case("client unblock errors")
                .cmd(["CLIENT", "UNBLOCK"])
                .cmd(["CLIENT", "UNBLOCK", "x"])
                .cmd(["CLIENT", "UNBLOCK", "999"])
                .cmd(["CLIENT", "UNBLOCK", "-1"])
                .cmd(["CLIENT", "UNBLOCK", "1", "foo"])
                .cmd(["CLIENT", "UNBLOCK", "1", "ERROR"])
                .cmd(["CLIENT", "UNBLOCK", "1", "timeout", "x"]),
            case("client no-evict")
                .cmd(["CLIENT", "NO-EVICT"])
                .cmd(["CLIENT", "NO-EVICT", "x"])
                .cmd(["CLIENT", "NO-EVICT", "on"])
                .cmd(["CLIENT", "NO-EVICT", "OFF"]),
            case("client reply off and skip in a pipeline").raw(
                &[
                    &multibulk(["CLIENT", "REPLY", "OFF"])[..],
                    &multibulk(["SET", "k", "1"]),
                    &multibulk(["CLIENT", "REPLY", "SKIP"]),
                    &multibulk(["CLIENT", "REPLY", "ON"]),
                    &multibulk(["CLIENT", "REPLY", "SKIP"]),
                    &multibulk(["INCR", "k"]),
                    &multibulk(["GET", "k"]),
                ]
                .concat(),
                2,
            ),
            case("client reply")
                .cmd(["CLIENT", "REPLY"])
                .cmd(["CLIENT", "REPLY", "foo"])
                .cmd(["CLIENT", "REPLY", "ON"])
                .cmd(["CLIENT", "REPLY", "on", "x"]),
            case("client tracking errors")
                .cmd(["CLIENT", "TRACKING"])
                .cmd(["CLIENT", "TRACKING", "foo"])
                .cmd(["CLIENT", "TRACKING", "on", "foo"])
                .cmd(["CLIENT", "TRACKING", "on", "prefix", "a"])
                .cmd(["CLIENT", "TRACKING", "on", "bcast", "optin"])
                .cmd(["CLIENT", "TRACKING", "on", "bcast", "optout"])
                .cmd(["CLIENT", "TRACKING", "on", "optin", "optout"])
                .cmd(["CLIENT", "TRACKING", "on", "redirect", "999999"])
                .cmd(["CLIENT", "TRACKING", "on", "redirect", "x"])
                .cmd(["CLIENT", "TRACKING", "on", "redirect"])
                .cmd([
                    "CLIENT", "TRACKING", "on", "bcast", "prefix", "a", "prefix", "ab",
                ])
                .cmd([
                    "CLIENT", "TRACKING", "on", "bcast", "prefix", "ab", "prefix", "a",
                ])
                .cmd(["CLIENT", "TRACKING", "maybe", "bcast"])
                .cmd(["CLIENT", "TRACKINGINFO"])
                .cmd(["CLIENT", "GETREDIR"])
                .cmd(["CLIENT", "CACHING", "yes"])
                .cmd(["CLIENT", "CACHING", "maybe"])
                .cmd(["CLIENT", "CACHING"]),
            case("client tracking modes")
                .cmd(["CLIENT", "TRACKING", "on", "noloop"])
                .cmd(["CLIENT", "TRACKINGINFO"])
                .cmd(["CLIENT", "GETREDIR"])
                .cmd(["CLIENT", "CACHING", "yes"])
                .cmd(["CLIENT", "CACHING", "no"])
                .cmd(["CLIENT", "TRACKING", "on", "bcast"])
                .cmd(["CLIENT", "TRACKING", "on", "optin"])
                .cmd(["CLIENT", "TRACKINGINFO"])
                .cmd(["CLIENT", "TRACKING", "on", "optout"])
                .cmd(["CLIENT", "CACHING", "maybe"])
                .cmd(["CLIENT", "CACHING", "yes"])
                .cmd(["CLIENT", "TRACKINGINFO"])
                .cmd(["PING"])
                .cmd(["CLIENT", "TRACKINGINFO"])
                .cmd(["CLIENT", "TRACKING", "off"])
                .cmd(["CLIENT", "TRACKING", "off"])
                .cmd(["CLIENT", "TRACKINGINFO"])
                .cmd(["CLIENT", "GETREDIR"])
                .cmd(["CLIENT", "TRACKING", "on", "optout", "noloop"])
                .cmd(["CLIENT", "CACHING", "NO"])
                .cmd(["CLIENT", "TRACKINGINFO"])
                .cmd(["CLIENT", "TRACKING", "off"])
                .cmd([
                    "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b", "PREFIX", "a", "NOLOOP",
                ])
                .cmd(["CLIENT", "TRACKINGINFO"])
                .cmd(["CLIENT", "TRACKING", "on", "bcast", "prefix", "ab"])
                .cmd(["CLIENT", "TRACKING", "on", "bcast", "prefix", "a"])
                .cmd(["CLIENT", "TRACKING", "on", "bcast", "prefix", "c"])
                .cmd(["CLIENT", "TRACKINGINFO"])
                .cmd(["CLIENT", "TRACKING", "off"])
                .cmd(["RESET"])
                .cmd(["CLIENT", "TRACKINGINFO"]),
            case("tracking own writes come after the reply")
                .cmd_with(["HELLO", "3"], Compare::MaskIntegers)
                .cmd(["CLIENT", "TRACKING", "on"])
                .cmd(["GET", "k"])
                .cmd(["SET", "k", "v"])
                .cmd(["MGET", "k", "k2"])
                .cmd(["MSET", "k", "1", "k2", "2"])
                .cmd(["GET", "k"])
                .cmd(["FLUSHDB"])
                // BCAST invalidations are checked in tests/server/tracking.rs:
                // the mock queues them on the outbox, so on a loaded machine
                // they can reach the client after its next reply (README,
                // deliberate differences).
                .cmd(["CLIENT", "TRACKING", "off"])
                .cmd(["PING"]),
            case("monitor in a transaction")
                .cmd(["MULTI"])
                .cmd(["MONITOR"])
                .cmd(["EXEC"]),
        ])
        .await;
}

#[tokio::test]
async fn tracking_invalidations_across_clients() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let scripts = [
        // In RESP2 nothing reaches the tracking client (no push frames
        // without a redirect); in RESP3 it gets `>invalidate` pushes.
        script("default mode: a read key invalidated by another's write", 2)
            .send(0, "CLIENT TRACKING on")
            .send(0, "GET k")
            .send(0, "MGET k k2 k3")
            .send(1, "SET k v")
            .send(1, "SET k v2")
            .send(1, "DEL k2")
            .drain(0)
            .send(0, "GET k")
            .send(1, "APPEND k x")
            .send(0, "HGETALL h")
            .send(1, "HSET h f v")
            .send(1, "FLUSHALL")
            .drain(0),
        script("expiry invalidates", 2)
            .send(0, "CLIENT TRACKING on")
            .send(1, "SET e v PX 1500")
            .send(0, "GET e")
            .elapse(1600)
            .send(1, "GET e")
            .drain(0),
        script("noloop and bcast", 2)
            .send(0, "CLIENT TRACKING on noloop")
            .send(0, "GET k")
            .send(0, "SET k 1")
            .send(1, "SET k 2")
            .drain(0)
            .send(0, "GET k")
            .send(1, "SET k 3")
            .drain(0)
            .send(0, "CLIENT TRACKING off")
            .send(0, "CLIENT TRACKING on bcast prefix foo prefix bar")
            .send(1, "MSET foo1 a bar2 b baz c foo0 d")
            .drain(0)
            .send(1, "SET other x")
            .send(0, "CLIENT TRACKING off")
            .send(0, "CLIENT TRACKING on bcast")
            .send(1, "SET anything 1")
            .drain(0),
        script("optin and optout", 2)
            .send(0, "CLIENT TRACKING on optin")
            .send(0, "GET o")
            .send(1, "SET o 1")
            .send(0, "CLIENT CACHING yes")
            .send(0, "GET o")
            .send(1, "SET o 2")
            .drain(0)
            .send(0, "CLIENT CACHING yes")
            .send(0, "PING")
            .send(0, "GET o")
            .send(1, "SET o 3")
            .drain(0)
            .send(0, "CLIENT TRACKING off")
            .send(0, "CLIENT TRACKING on optout")
            .send(0, "CLIENT CACHING no")
            .send(0, "GET p")
            .send(1, "SET p 1")
            .send(0, "GET p")
            .send(1, "SET p 2")
            .drain(0),
    ];
    differ.check_scripts(&scripts).await;
}

#[tokio::test]
async fn pause_across_clients() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    // ALL mode would hold the harness's own control connection too: it is
    // tested in `tests/server/client_admin.rs`.
    let scripts = [
        script("a write waits for CLIENT UNPAUSE, a read passes", 3)
            .send(0, "CLIENT PAUSE 100000 WRITE")
            .send(1, "GET x")
            .block(1, "SET x 1")
            .send(2, "GET x")
            .block(2, "PUBLISH ch m")
            .send(0, "GET x")
            .send(0, "CLIENT UNPAUSE")
            .drain(1)
            .drain(2)
            .send(0, "GET x"),
        script(
            "EVAL, PFCOUNT and queued writes wait in WRITE mode, EVAL_RO passes",
            3,
        )
        .send(0, "CLIENT PAUSE 100000 WRITE")
        .send(1, "EVAL_RO return(1) 0")
        .block(1, "EVAL return(3) 0")
        .send(2, "MULTI")
        .send(2, "GET x")
        .block(2, "INCR x")
        .send(0, "CLIENT PAUSE 10 WRITE")
        .send(0, "CLIENT UNPAUSE")
        .drain(1)
        .drain(2)
        .send(2, "EXEC")
        .drain(0)
        .send(0, "CLIENT PAUSE 100000 WRITE")
        .block(1, "PFCOUNT h")
        .send(0, "CLIENT UNPAUSE"),
    ];
    differ.check_scripts(&scripts).await;
}
