//! Differential tests: server commands (DBSIZE, FLUSHDB/FLUSHALL, SWAPDB,
//! TIME, INFO, CONFIG, LASTSAVE, SAVE/BGSAVE, WAIT), byte for byte against
//! a real redis-server, in RESP2 and RESP3 (see tests/diff/script.rs).

const SCRIPT: &str = r#"
## dbsize
DBSIZE
SET a 1
SET b 2
DBSIZE
DBSIZE x
SELECT 1
DBSIZE
SELECT 0

## flushdb flushall
SET a 1
FLUSHDB
DBSIZE
SET a 1
FLUSHDB ASYNC
FLUSHDB sync
FLUSHDB bogus
FLUSHDB SYNC ASYNC
SET a 1
SELECT 1
SET b 1
FLUSHALL
DBSIZE
SELECT 0
DBSIZE
FLUSHALL ASYNC
FLUSHALL sync
FLUSHALL bogus
FLUSHALL SYNC x

## swapdb
SET a 1
SWAPDB 0 1
GET a
SELECT 1
GET a
SELECT 0
SWAPDB 0 x
SWAPDB x 0
SWAPDB 0 16
SWAPDB -1 0
SWAPDB 0 99999999999
SWAPDB 0 0
SWAPDB 1 0
GET a
SWAPDB 0
SWAPDB 0 1 2

## swapdb keeps ttls
SET a 1 EX 100
SWAPDB 0 3
SELECT 3
TTL a
SELECT 0

## wait save bgsave lastsave time
WAIT 0 0
WAIT 0 x
WAIT 0 -1
WAIT x 0
WAIT 1 1
WAIT 0
SAVE
SAVE x
BGSAVE x
BGSAVE SCHEDULE x
[masked] LASTSAVE
LASTSAVE x
[type] TIME
TIME x

## config get
CONFIG GET maxmemory
[sorted] CONFIG GET maxmemory hz
CONFIG GET nosuch
CONFIG GET
CONFIG GET MAXMEMORY
CONFIG GET maxmemory maxmemory
CONFIG GET MAXMEMORY maxmemory
CONFIG GET hash-max-ziplist-entries
[sorted] CONFIG GET maxmemory maxmem*
[sorted] CONFIG GET Maxmem*
[sorted] CONFIG GET maxmemory*
[sorted] CONFIG GET *max-*-entries*
CONFIG GET databases
CONFIG GET save
CONFIG GET appendonly
CONFIG GET notify-keyspace-events
CONFIG GET list-max-listpack-size
CONFIG GET list-max-ziplist-size
CONFIG GET hash-max-listpack-entries
CONFIG GET set-max-intset-entries
CONFIG GET zset-max-listpack-entries
CONFIG GET lazyfree-lazy-user-flush
CONFIG GET proto-max-bulk-len
CONFIG GET timeout
CONFIG GET maxclients

## config set
CONFIG SET maxmemory abc
CONFIG SET maxmemory 10mb
CONFIG GET maxmemory
CONFIG SET maxmemory 1GB
CONFIG GET maxmemory
CONFIG SET maxmemory 100k
CONFIG GET maxmemory
CONFIG SET maxmemory 0
CONFIG SET appendonly maybe
CONFIG SET maxmemory-policy bogus
CONFIG SET maxmemory-policy ALLKEYS-LRU
CONFIG GET maxmemory-policy
CONFIG SET maxmemory-policy noeviction
CONFIG SET nosuch 1
CONFIG SET maxmemory
CONFIG SET hz 10 hz
CONFIG SET hz 10 hz 11
CONFIG SET hz 10 timeout 0
CONFIG SET hash-max-ziplist-entries 100
CONFIG GET hash-max-listpack-entries
CONFIG GET hash-max-ziplist-entries
CONFIG SET hash-max-ziplist-entries 512
CONFIG SET databases 5
CONFIG SET save "3600 1"
CONFIG GET save
CONFIG SET save ""
CONFIG SET notify-keyspace-events KEA
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events Kg$x
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events Elshzxetdgn$
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events bogus!
CONFIG SET notify-keyspace-events ""
CONFIG SET hz abc
CONFIG SET list-max-listpack-size x
CONFIG SET appendonly YES
CONFIG GET appendonly
CONFIG SET appendonly no
CONFIG SET lazyfree-lazy-user-flush yes
CONFIG GET lazyfree-lazy-user-flush
CONFIG SET lazyfree-lazy-user-flush no

## config resetstat help
CONFIG RESETSTAT
CONFIG RESETSTAT x
CONFIG HELP
CONFIG bogus
CONFIG

## info keyspace
INFO keyspace
SET a 1
SET b 2
SELECT 3
SET c 3
SELECT 0
INFO keyspace
INFO KEYSPACE
FLUSHALL
INFO keyspace

## info sections have Redis's shape
[type] INFO
[type] INFO keyspace
[type] INFO stats
[type] INFO memory
[type] INFO replication
[type] INFO everything
"#;

#[tokio::test]
async fn server_commands() {
    crate::script::run(SCRIPT).await;
}

/// `INFO section` over a fresh connection: the bulk payload as text.
async fn info_text(port: u16, section: &str) -> String {
    let reply = crate::support::RawConn::open(port)
        .await
        .cmd(["INFO", section])
        .await;
    let payload = crate::support::resp::bulk_payload(&reply).expect("a bulk reply");
    String::from_utf8_lossy(payload).into_owned()
}

/// The field names of an INFO reply, without the per-command, per-error,
/// per-database and latency lines whose presence depends on history.
fn field_names(info: &str) -> Vec<String> {
    info.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(':').next().unwrap_or("").to_string())
        .filter(|k| {
            !["cmdstat_", "errorstat_", "latency_percentiles_usec_", "db"]
                .iter()
                .any(|p| k.starts_with(p))
        })
        .collect()
}

#[tokio::test]
async fn info_has_redis_fields_in_redis_order() {
    let Some(differ) = crate::support::Differ::start().await else {
        return;
    };
    let mock = mock_redis::MockRedis::start().await;
    for section in [
        "",
        "default",
        "all",
        "everything",
        "memory",
        "stats",
        "persistence",
        "cpu",
    ] {
        let real = field_names(&info_text(differ.real_port(), section).await);
        let ours = field_names(&info_text(mock.port(), section).await);
        assert_eq!(real, ours, "INFO {section}");
    }
}
