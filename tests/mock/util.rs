//! Helpers shared by the mock-layer tests (`tests/mock/`): redis-rs
//! connections with generous timeouts, and raw-socket reads that wait for the
//! bytes a test expects (or the close), never for a fixed time.
#![allow(dead_code)]

use std::time::Duration;

use mock_redis::MockRedis;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use crate::support::PATIENCE;

/// A multiplexed redis-rs connection to `server` (generous timeouts).
pub async fn conn(server: &MockRedis) -> redis::aio::MultiplexedConnection {
    crate::support::clients::connect(server).await
}

/// A multiplexed redis-rs connection to `url` (generous timeouts).
pub async fn conn_url(url: &str) -> redis::aio::MultiplexedConnection {
    crate::support::clients::connect_url(url).await
}

/// Sends raw bytes on a fresh TCP connection and reads until `expected_len`
/// bytes arrived or the server closed the connection.
pub async fn raw(server: &MockRedis, request: &[u8], expected_len: usize) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_some(&mut stream, expected_len).await
}

/// Reads until at least `expected_len` bytes arrived or the server closed
/// the connection; panics with what arrived if [`PATIENCE`] passes first.
pub async fn read_some(stream: &mut tokio::net::TcpStream, expected_len: usize) -> Vec<u8> {
    let deadline = Instant::now() + PATIENCE;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while out.len() < expected_len {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "{expected_len} bytes expected, {} arrived: {:?}",
                out.len(),
                String::from_utf8_lossy(&out)
            ),
        }
    }
    out
}

/// Reads until the server closes the connection (`None` if it did not
/// within [`PATIENCE`]).
pub async fn read_to_eof(stream: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match tokio::time::timeout(PATIENCE, stream.read_to_end(&mut out)).await {
        Ok(_) => Some(out),
        Err(_) => None,
    }
}

/// Checks that nothing arrives, not even the close, for `window`: a check
/// of silence, which a slow machine can only make easier to pass.
pub async fn assert_silent(stream: &mut tokio::net::TcpStream, window: Duration) {
    let mut buf = [0u8; 64];
    if let Ok(read) = tokio::time::timeout(window, stream.read(&mut buf)).await {
        match read {
            Ok(0) => panic!("the connection closed"),
            Ok(n) => panic!("unexpected bytes: {:?}", String::from_utf8_lossy(&buf[..n])),
            Err(e) => panic!("read failed: {e}"),
        }
    }
}
