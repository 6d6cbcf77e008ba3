//! Differential tests: REPLCONF's replies and errors (ACK and GETACK answer
//! nothing: the PING after them shows no reply came), PSYNC's and SYNC's
//! refusals, and MIGRATE's argument errors, `+NOKEY` and connection error,
//! byte for byte against a real redis-server in RESP2 and RESP3 (see
//! tests/diff/script.rs). The replication stream itself, and MIGRATE to a
//! live target, are in tests/server/replication.rs.

const REPLCONF: &str = r#"
## replconf options
REPLCONF
REPLCONF listening-port 6380
REPLCONF listening-port x
REPLCONF ip-address 10.0.0.1
REPLCONF capa eof capa psync2
REPLCONF capa bogus
REPLCONF rdb-only 1
REPLCONF rdb-only 0
REPLCONF rdb-only 2
REPLCONF rdb-only x
REPLCONF bogus 1
REPLCONF listening-port
REPLCONF listening-port 1 capa
PING

## psync and sync refusals
PSYNC
PSYNC ? x
MULTI
PSYNC ? -1
SYNC
REPLCONF listening-port 1
EXEC
PING

## command info
COMMAND INFO replconf psync sync migrate
"#;

#[tokio::test]
async fn replconf_and_psync_refusals_match_redis() {
    crate::script::run(REPLCONF).await;
}

/// ACK and GETACK answer nothing to a client that is not a replica: each
/// is sent with a PING, and the PONG is the only reply.
#[tokio::test]
async fn replconf_ack_and_getack_answer_nothing() {
    let Some(differ) = crate::support::Differ::start().await else {
        return;
    };
    let cases: Vec<_> = [
        "REPLCONF ack 100",
        "REPLCONF ACK x",
        "REPLCONF getack *",
        "REPLCONF listening-port 1 ack 5",
    ]
    .iter()
    .map(|line| {
        crate::support::case(line)
            .raw(format!("{line}\r\nPING\r\n").as_bytes(), 1)
            .cmd(["PING"])
    })
    .collect();
    differ.check(&cases).await;
}

const MIGRATE: &str = r#"
## migrate argument errors
MIGRATE
MIGRATE 127.0.0.1 1 k 0
MIGRATE 127.0.0.1 1 k 0 x
MIGRATE 127.0.0.1 1 k x 100
MIGRATE 127.0.0.1 1 k 0 100 bogus
MIGRATE 127.0.0.1 1 k 0 100 AUTH
MIGRATE 127.0.0.1 1 k 0 100 AUTH2 u
MIGRATE 127.0.0.1 1 k 0 100 KEYS a b
MIGRATE 127.0.0.1 1 "" 0 100 COPY REPLACE KEYS
PING

## nothing to migrate
MIGRATE 127.0.0.1 1 k 0 100
MIGRATE 127.0.0.1 1 "" 0 100 KEYS a b c
MIGRATE 127.0.0.1 1 "" 0 0 COPY REPLACE AUTH pw AUTH2 u p KEYS a
PING

## the target cannot be reached
SET k v
MIGRATE 127.0.0.1 1 k 0 100
MIGRATE 127.0.0.1 notaport k 0 100
EXISTS k
"#;

#[tokio::test]
async fn migrate_errors_match_redis() {
    crate::script::run(MIGRATE).await;
}
