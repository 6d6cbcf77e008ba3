//! FUNCTION DUMP payloads cross between redis-server and mock-redis: a
//! payload dumped by one restores in the other, and FUNCTION LIST WITHCODE
//! (and FCALL) then answer the same bytes on both. Libraries of one
//! function each, so that LIST's order is the same on both servers.

use mock_redis::MockRedis;

use crate::support::conn::RawConn;
use crate::support::differ::Differ;
use crate::support::resp::bulk_payload;

const LIBRARIES: &[&str] = &[
    "#!lua name=plain\nredis.register_function('plain', function(keys, args) return args[1] end)",
    "#!lua name=flagged\nredis.register_function{function_name='flagged', callback=function() return 'ro' end, flags={'no-writes', 'allow-stale'}, description='a read-only one'}",
    "#!lua name=writer\nlocal function set(keys, args) return redis.call('SET', keys[1], args[1]) end\nredis.register_function('writer', set)",
];

/// Loads every library into `from`, dumps them, restores the payload into
/// `into` (FLUSH), and checks both servers list the same libraries and run
/// the same functions. Returns the payload.
async fn cross(from: &mut RawConn, into: &mut RawConn) -> Vec<u8> {
    for conn in [&mut *from, &mut *into] {
        assert_eq!(conn.cmd(["FUNCTION", "FLUSH"]).await, b"+OK\r\n");
    }
    for lib in LIBRARIES {
        let loaded = from.cmd([&b"FUNCTION"[..], b"LOAD", lib.as_bytes()]).await;
        assert!(
            loaded.starts_with(b"$"),
            "{}",
            String::from_utf8_lossy(&loaded)
        );
    }
    let dump = from.cmd(["FUNCTION", "DUMP"]).await;
    let payload = bulk_payload(&dump).expect("a bulk payload").to_vec();
    assert_eq!(
        into.cmd([&b"FUNCTION"[..], b"RESTORE", &payload, b"FLUSH"])
            .await,
        b"+OK\r\n"
    );
    for name in ["plain", "flagged", "writer"] {
        let listing = ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", name];
        let expected = from.cmd(listing).await;
        assert_eq!(
            String::from_utf8_lossy(&into.cmd(listing).await),
            String::from_utf8_lossy(&expected),
            "FUNCTION LIST of {name}"
        );
    }
    for call in [
        &["FCALL", "plain", "0", "hello"][..],
        &["FCALL_RO", "flagged", "0"][..],
        &["FCALL", "writer", "1", "k", "v"][..],
        &["GET", "k"][..],
    ] {
        assert_eq!(into.cmd(call).await, from.cmd(call).await, "{call:?}");
    }
    // Restoring again without FLUSH or REPLACE is refused on both (Redis
    // names the first clash in its hash table's order, seeded at random).
    let again = [&b"FUNCTION"[..], b"RESTORE", &payload];
    for conn in [&mut *into, &mut *from] {
        let refused = String::from_utf8_lossy(&conn.cmd(again).await).into_owned();
        assert!(
            refused.starts_with("-ERR Library ") && refused.ends_with(" already exists\r\n"),
            "{refused}"
        );
    }
    payload
}

#[tokio::test]
async fn function_dump_payloads_restore_across_servers() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mock = MockRedis::start().await;
    let mut real = RawConn::open(differ.real_port()).await;
    let mut fake = RawConn::open(mock.port()).await;
    let from_real = cross(&mut real, &mut fake).await;
    let from_mock = cross(&mut fake, &mut real).await;
    // The payloads hold the same libraries; their order follows each
    // server's library table, so only their sizes must agree.
    assert_eq!(from_real.len(), from_mock.len());
    // A single library dumps the same bytes on both (CRC included).
    for conn in [&mut real, &mut fake] {
        conn.cmd(["FUNCTION", "FLUSH"]).await;
        conn.cmd([&b"FUNCTION"[..], b"LOAD", LIBRARIES[1].as_bytes()])
            .await;
    }
    assert_eq!(
        fake.cmd(["FUNCTION", "DUMP"]).await,
        real.cmd(["FUNCTION", "DUMP"]).await
    );
    real.cmd(["FUNCTION", "FLUSH"]).await;
}
