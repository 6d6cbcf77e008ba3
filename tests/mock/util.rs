//! Helpers shared by the mock-layer tests (`tests/mock/`).
#![allow(dead_code)]

use std::time::Duration;

use mock_redis::MockRedis;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A multiplexed redis-rs connection to `server`.
pub async fn conn(server: &MockRedis) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// A multiplexed redis-rs connection to `url`.
pub async fn conn_url(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Sends raw bytes on a fresh TCP connection and reads until `expected_len`
/// bytes arrived, the server closed the connection, or a second passed.
pub async fn raw(server: &MockRedis, request: &[u8], expected_len: usize) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_some(&mut stream, expected_len).await
}

/// Reads until `expected_len` bytes arrived, EOF, or a second passed.
pub async fn read_some(stream: &mut tokio::net::TcpStream, expected_len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while out.len() < expected_len {
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    out
}

/// Reads until the server closes the connection (or 2 s pass: then `None`).
pub async fn read_to_eof(stream: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut out)).await {
        Ok(_) => Some(out),
        Err(_) => None,
    }
}
