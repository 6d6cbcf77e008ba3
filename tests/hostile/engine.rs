//! Hostile requests against the engine: huge LCS tables, RESTORE payloads
//! declaring absurd lengths, repeated sources, huge random counts, DEBUG,
//! out-of-range CONFIG SET, NULs in inline requests and numbers, and a
//! handler that panics. Differential against redis-server where the reply
//! is deterministic; bounded-memory rows check the reply and its size,
//! never the time taken.

use crate::support::{Differ, case};

/// A string of `n` bytes cycling through four letters (an LCS worst case).
fn letters(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| b"abcd"[(i * 7 + seed as usize + i / 3) % 4])
        .collect()
}

#[tokio::test]
async fn lcs_refuses_a_table_past_proto_max_bulk_len() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("two 100 KB values")
                .cmd([b"SET".as_slice(), b"a", &letters(100_000, 0)])
                .cmd([b"SET".as_slice(), b"b", &letters(100_000, 1)])
                .cmd(["LCS", "a", "b"])
                .cmd(["LCS", "a", "b", "LEN"])
                .cmd(["LCS", "a", "b", "IDX", "WITHMATCHLEN"]),
            case("the bound follows proto-max-bulk-len")
                .cmd([b"SET".as_slice(), b"a", &letters(600, 0)])
                .cmd([b"SET".as_slice(), b"b", &letters(600, 1)])
                .cmd(["LCS", "a", "b", "LEN"])
                .cmd(["CONFIG", "SET", "proto-max-bulk-len", "1048576"])
                .cmd(["LCS", "a", "b", "LEN"])
                .cmd([b"SET".as_slice(), b"b", &letters(500, 1)])
                .cmd(["LCS", "a", "b", "LEN"])
                .cmd(["CONFIG", "SET", "proto-max-bulk-len", "536870912"]),
            case("options are checked first")
                .cmd([b"SET".as_slice(), b"a", &letters(100_000, 0)])
                .cmd(["LCS", "a", "a", "IDX", "LEN"])
                .cmd(["LCS", "a", "a", "BOGUS"]),
        ])
        .await;
}
