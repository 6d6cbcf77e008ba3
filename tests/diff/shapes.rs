//! Helpers for comparing replies whose content is random (SRANDMEMBER,
//! SPOP, ZRANDMEMBER): raw replies from one connection, and the elements of
//! a flat aggregate.

#![allow(dead_code)]

use crate::support::{RawConn, frame_len};

/// Sends each command on one connection (RESP3 after `HELLO 3` when
/// `resp3`) and returns the raw replies.
pub async fn raw_replies(port: u16, resp3: bool, cmds: &[Vec<&str>]) -> Vec<Vec<u8>> {
    let mut conn = RawConn::open(port).await;
    if resp3 {
        conn.cmd(["HELLO", "3"]).await;
    }
    let mut out = Vec::new();
    for cmd in cmds {
        out.push(conn.cmd(cmd).await);
    }
    out
}

/// The type byte and the bulk strings of a flat aggregate reply.
pub fn flat(reply: &[u8]) -> (u8, Vec<Vec<u8>>) {
    let kind = reply[0];
    let end = reply.windows(2).position(|w| w == b"\r\n").unwrap();
    let n: usize = std::str::from_utf8(&reply[1..end])
        .unwrap()
        .parse()
        .unwrap();
    let mut pos = end + 2;
    let mut items = Vec::new();
    for _ in 0..n {
        let len = frame_len(&reply[pos..]).unwrap();
        let frame = &reply[pos..pos + len];
        let hdr = frame.windows(2).position(|w| w == b"\r\n").unwrap();
        items.push(frame[hdr + 2..frame.len() - 2].to_vec());
        pos += len;
    }
    (kind, items)
}
