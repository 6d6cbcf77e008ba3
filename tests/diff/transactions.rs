//! Differential tests: MULTI/EXEC/DISCARD/WATCH/UNWATCH, byte for byte
//! against a real redis-server, in RESP2 and RESP3 (see tests/diff/script.rs).

const SCRIPT: &str = r#"
## exec runs queued commands, runtime errors do not roll back
MULTI
SET a 1
INCR a
SET s x
INCR s
GET a
EXEC
GET a
GET s

## queue-time errors abort: arity
MULTI
SET a 1
SET a
EXEC
GET a

## queue-time errors abort: unknown command and subcommand
MULTI
nosuchcmd x
SET a 1
EXEC
GET a
MULTI
OBJECT bogus x
EXEC
MULTI
CONFIG SET
EXEC

## nesting and misplaced commands
MULTI
MULTI
WATCH a
SET a 1
EXEC
GET a
DISCARD
EXEC
MULTI
DISCARD
DISCARD
MULTI x
EXEC x
DISCARD x
UNWATCH x
WATCH

## watch broken by a write from the same connection
SET a 1
WATCH a b
SET a 2
MULTI
GET a
EXEC
WATCH a
MULTI
SET a 3
EXEC
GET a

## watch of a missing key broken by its creation
WATCH nokey
SET nokey 1
MULTI
PING
EXEC

## watch of a key that stays missing
WATCH nokey2
MULTI
PING
EXEC

## a no-op write does not break watch
SET a 1
WATCH a nokey
DEL nokey
EXPIRE nokey 10
PERSIST a
MULTI
PING
EXEC

## a same-value write breaks watch
SET a 1
WATCH a
SET a 1
MULTI
PING
EXEC

## flushdb and flushall break watch on existing keys
SET a 1
WATCH a
FLUSHDB
MULTI
PING
EXEC
SET a 1
WATCH a
FLUSHALL
MULTI
PING
EXEC
WATCH a
FLUSHALL
MULTI
PING
EXEC

## swapdb breaks watch
SET a 1
WATCH a
SWAPDB 0 1
MULTI
PING
EXEC
WATCH a
SWAPDB 0 1
MULTI
PING
EXEC

## a rejected exec aborts the transaction
EXEC x
MULTI
SET a 1
EXEC x
EXEC
GET a

## unwatch and discard clear watches
SET a 1
WATCH a
UNWATCH
SET a 2
MULTI
PING
EXEC
WATCH a
MULTI
DISCARD
SET a 3
MULTI
PING
EXEC

## watch inside multi is rejected without aborting
MULTI
WATCH a
SET a 1
EXEC

## select and db-scoped watch
SET a 1
WATCH a
SELECT 1
SET a 2
SELECT 0
MULTI
GET a
EXEC
MULTI
SELECT 1
SET b 1
SELECT 0
EXEC
SELECT 1
GET b
SELECT 0

## subcommands are queued too
MULTI
CONFIG SET maxmemory 1mb
OBJECT ENCODING nokey
CONFIG GET maxmemory
CONFIG SET maxmemory 0
EXEC
CONFIG GET maxmemory

## no-multi commands are rejected while queueing
MULTI
SAVE
SET a 1
EXEC
GET a

## empty exec and unwatch inside multi
MULTI
EXEC
MULTI
UNWATCH
EXEC

## errors inside exec keep their text
MULTI
INCRBY a x
SET a v EX 0
LCS a
GETRANGE a
EXEC
"#;

#[tokio::test]
async fn transactions() {
    crate::script::run(SCRIPT).await;
}
