//! Helpers for comparing replies whose content is random (SRANDMEMBER,
//! SPOP, ZRANDMEMBER): raw replies from one connection, and the elements of
//! a flat aggregate.

#![allow(dead_code)]

use crate::support::{frame_len, multibulk};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends each command on one connection (RESP3 after `HELLO 3` when
/// `resp3`) and returns the raw replies.
pub async fn raw_replies(port: u16, resp3: bool, cmds: &[Vec<&str>]) -> Vec<Vec<u8>> {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let hello = vec!["HELLO", "3"];
    let all: Vec<&Vec<&str>> = resp3.then_some(&hello).into_iter().chain(cmds).collect();
    for (i, cmd) in all.iter().enumerate() {
        conn.write_all(&multibulk(cmd.iter())).await.unwrap();
        loop {
            if let Some(n) = frame_len(&buf) {
                let reply: Vec<u8> = buf.drain(..n).collect();
                if !(resp3 && i == 0) {
                    out.push(reply);
                }
                break;
            }
            let mut chunk = [0u8; 4096];
            let n = conn.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed");
            buf.extend_from_slice(&chunk[..n]);
        }
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
