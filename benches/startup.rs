//! Start-up cost of a server per test: `MockRedis::start()` → connect →
//! `PING` → `shutdown()`, timed phase by phase.
//!
//! ```text
//! cargo bench --bench startup            # 1,000 iterations per scenario
//! ITERATIONS=10000 cargo bench --bench startup
//! ```
//!
//! Scenarios:
//! - `current-thread`: what a `#[tokio::test]` does (a current-thread
//!   runtime; `start().await`, a tokio `TcpStream`, `shutdown().await`);
//! - `multi-thread`: the same on a 2-worker runtime
//!   (`#[tokio::test(flavor = "multi_thread")]`);
//! - `blocking`: a plain `#[test]` with `start_blocking()`, a std
//!   `TcpStream`, and dropping the handle (which joins the server thread);
//! - `cluster-3` and `cluster-3x1`: a `MockRedisCluster` of three masters
//!   (without and with a replica each) on a current-thread runtime:
//!   `start` is the whole cluster's, `ping` asks node 0 `CLUSTER KEYSLOT`
//!   instead (a cluster node's reply), `shutdown` drops the handle.
//!
//! Each iteration checks the reply bytes, so a broken server cannot look fast.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use mock_redis::MockRedis;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PHASES: [&str; 4] = ["start", "connect", "ping", "shutdown"];

/// Durations of one iteration, per phase.
type Sample = [Duration; 4];

async fn once_async() -> Sample {
    let t0 = Instant::now();
    let server = MockRedis::start().await;
    let t1 = Instant::now();
    let mut conn = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    let t2 = Instant::now();
    conn.write_all(b"*1\r\n$4\r\nPING\r\n")
        .await
        .expect("write");
    let mut reply = [0u8; 7];
    conn.read_exact(&mut reply).await.expect("read");
    assert_eq!(&reply, b"+PONG\r\n");
    let t3 = Instant::now();
    server.shutdown().await;
    let t4 = Instant::now();
    drop(conn);
    [t1 - t0, t2 - t1, t3 - t2, t4 - t3]
}

async fn once_cluster(replicas: usize) -> Sample {
    let t0 = Instant::now();
    let cluster = mock_redis::MockRedisCluster::builder()
        .shards(3)
        .replicas(replicas)
        .start()
        .await;
    let t1 = Instant::now();
    let mut conn = tokio::net::TcpStream::connect(cluster.node(0).addr())
        .await
        .expect("connect");
    let t2 = Instant::now();
    conn.write_all(b"*3\r\n$7\r\nCLUSTER\r\n$7\r\nKEYSLOT\r\n$3\r\nfoo\r\n")
        .await
        .expect("write");
    let mut reply = [0u8; 8];
    conn.read_exact(&mut reply).await.expect("read");
    assert_eq!(&reply, b":12182\r\n");
    let t3 = Instant::now();
    drop(cluster);
    let t4 = Instant::now();
    drop(conn);
    [t1 - t0, t2 - t1, t3 - t2, t4 - t3]
}

fn once_blocking() -> Sample {
    let t0 = Instant::now();
    let server = MockRedis::start_blocking();
    let t1 = Instant::now();
    let mut conn = std::net::TcpStream::connect(server.addr()).expect("connect");
    conn.set_nodelay(true).expect("nodelay");
    let t2 = Instant::now();
    conn.write_all(b"*1\r\n$4\r\nPING\r\n").expect("write");
    let mut reply = [0u8; 7];
    conn.read_exact(&mut reply).expect("read");
    assert_eq!(&reply, b"+PONG\r\n");
    let t3 = Instant::now();
    drop(server);
    let t4 = Instant::now();
    drop(conn);
    [t1 - t0, t2 - t1, t3 - t2, t4 - t3]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn report(name: &str, samples: &[Sample]) {
    let mut totals: Vec<Duration> = samples.iter().map(|s| s.iter().sum()).collect();
    totals.sort();
    let mut phases = String::new();
    for (i, phase) in PHASES.iter().enumerate() {
        let mut v: Vec<Duration> = samples.iter().map(|s| s[i]).collect();
        v.sort();
        phases.push_str(&format!(" {phase} {}", micros(percentile(&v, 0.5))));
    }
    // Iterations over 1 ms, by the phase that took most of their time.
    let mut slow = [0usize; 4];
    for s in samples
        .iter()
        .filter(|s| s.iter().sum::<Duration>() > Duration::from_millis(1))
    {
        let worst = (0..4).max_by_key(|&i| s[i]).unwrap_or(0);
        slow[worst] += 1;
    }
    let slow_total: usize = slow.iter().sum();
    let mut slow_text = slow_total.to_string();
    for (i, phase) in PHASES.iter().enumerate() {
        if slow[i] > 0 {
            slow_text.push_str(&format!(" {phase} {}", slow[i]));
        }
    }
    println!(
        "| {name} | {} | {} | {} | {} | {} |{phases} | {slow_text} |",
        samples.len(),
        micros(percentile(&totals, 0.5)),
        micros(percentile(&totals, 0.99)),
        micros(totals[0]),
        micros(totals[totals.len() - 1]),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter selects scenarios by name.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let selected = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f));
    let iterations: usize = std::env::var("ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let warmup = (iterations / 10).max(10);

    println!("| scenario | iterations | median µs | p99 µs | min µs | max µs | phase medians µs |");
    println!("|---|---:|---:|---:|---:|---:|---|");

    if selected("current-thread") {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let samples = rt.block_on(async {
            for _ in 0..warmup {
                once_async().await;
            }
            let mut samples = Vec::with_capacity(iterations);
            for _ in 0..iterations {
                samples.push(once_async().await);
            }
            samples
        });
        report("current-thread", &samples);
    }

    if selected("multi-thread") {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let samples = rt.block_on(async {
            for _ in 0..warmup {
                once_async().await;
            }
            let mut samples = Vec::with_capacity(iterations);
            for _ in 0..iterations {
                samples.push(once_async().await);
            }
            samples
        });
        report("multi-thread", &samples);
    }

    for (name, replicas) in [("cluster-3", 0), ("cluster-3x1", 1)] {
        // `cluster-3` alone also selects `cluster-3x1`: filter on `x1`.
        if !selected(name) {
            continue;
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let samples = rt.block_on(async {
            for _ in 0..warmup {
                once_cluster(replicas).await;
            }
            let mut samples = Vec::with_capacity(iterations);
            for _ in 0..iterations {
                samples.push(once_cluster(replicas).await);
            }
            samples
        });
        report(name, &samples);
    }

    if selected("blocking") {
        for _ in 0..warmup {
            once_blocking();
        }
        let samples: Vec<Sample> = (0..iterations).map(|_| once_blocking()).collect();
        report("blocking", &samples);
    }
}
