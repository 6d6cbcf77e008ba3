//! Differential tests: the SHUTDOWN requests that do not stop the server
//! (ABORT with no shutdown in progress, refused combinations, unknown
//! options, MULTI and scripts), byte for byte against a real redis-server
//! in RESP2 and RESP3 (see tests/diff/script.rs). The ones that stop it are
//! in tests/server/shutdown.rs.

const SCRIPT: &str = r#"
## abort with no shutdown in progress
SHUTDOWN ABORT
SHUTDOWN abort Abort
PING

## refused combinations
SHUTDOWN NOSAVE SAVE
SHUTDOWN save nosave now
SHUTDOWN ABORT NOW
SHUTDOWN NOW ABORT
SHUTDOWN FORCE ABORT
SHUTDOWN SAVE ABORT
SHUTDOWN NOSAVE ABORT ABORT
PING

## unknown options, also after valid ones
SHUTDOWN bogus
SHUTDOWN NOW bogus
SHUTDOWN NOSAVE NOW FORCE x
SHUTDOWN ""
PING

## not in a transaction
MULTI
SHUTDOWN
SHUTDOWN ABORT
EXEC
MULTI
SHUTDOWN NOSAVE NOW
DISCARD
PING

## command info
COMMAND INFO shutdown
"#;

#[tokio::test]
async fn shutdown_refusals_match_redis() {
    crate::script::run(SCRIPT).await;
}

const SCRIPTS: &str = r#"
## not from a script
[masked] EVAL "return redis.pcall('shutdown', 'abort')" 0
EVAL "return redis.pcall('shutdown')" 0
EVAL "return redis.call('shutdown', 'nosave')" 0
PING
"#;

#[cfg(feature = "scripting")]
#[tokio::test]
async fn shutdown_is_refused_in_scripts() {
    crate::script::run(SCRIPTS).await;
}
