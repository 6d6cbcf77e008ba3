//! `mock-redis --cluster` (feature `cli`): a cluster for other languages,
//! checked with `redis-cli -c` following redirections and `redis-cli
//! --cluster check` validating the topology (skipped with a message when
//! redis-cli is absent, unless `MOCK_REDIS_REQUIRE_REDIS=1`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use mock_redis::MockRedisCluster;

use crate::support::RawConn;

const BIN: &str = env!("CARGO_BIN_EXE_mock-redis");

/// The binary serving a cluster, and its nodes' ports in node order.
struct ClusterCli {
    child: Child,
    ports: Vec<u16>,
}

impl Drop for ClusterCli {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `mock-redis --cluster ...` with `args`; returns once every one
/// of `nodes` nodes logged that it listens, or `None` if it exited first.
fn start(args: &[&str], nodes: usize) -> Option<ClusterCli> {
    let mut child = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut ports = Vec::new();
    let mut line = String::new();
    while ports.len() < nodes {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            let _ = child.wait();
            return None;
        }
        if !line.contains("Cluster node ready") {
            continue;
        }
        let i = line.find("127.0.0.1:").expect("the node's address");
        let digits: String = line[i + 10..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        ports.push(digits.parse().unwrap());
    }
    Some(ClusterCli { child, ports })
}

fn redis_cli() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("redis-cli"))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("MOCK_REDIS_REQUIRE_REDIS").as_deref() != Ok("1"),
            "redis-cli not found, but MOCK_REDIS_REQUIRE_REDIS=1"
        );
        eprintln!("SKIPPED: redis-cli not found");
    }
    found
}

fn cli_out(cli: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(cli).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn serves_a_cluster_that_redis_cli_follows_and_checks() {
    let cluster = start(&["--cluster", "3", "--replicas", "1", "--port", "0"], 6)
        .expect("the cluster starts on ephemeral ports");
    assert_eq!(cluster.ports.len(), 6);
    let mut conn = RawConn::open(cluster.ports[3]).await;
    let nodes = String::from_utf8(conn.cmd(["CLUSTER", "NODES"]).await).unwrap();
    let nodes = nodes.split_once("\r\n").unwrap().1.trim_end();
    assert_eq!(nodes.lines().count(), 6, "{nodes}");
    for line in nodes.lines() {
        let bus: u32 = line.split(['@', ' ']).nth(2).unwrap().parse().unwrap();
        assert!(bus <= 65_535, "a valid bus port: {line}");
    }
    let mine = nodes.lines().find(|l| l.contains("myself")).unwrap();
    assert!(
        mine.contains("myself,slave"),
        "node 3 replicates node 0: {mine}"
    );

    let Some(cli) = redis_cli() else { return };
    // A key node 0 does not serve: `-c` follows the MOVED.
    let key = (0..)
        .map(|i| format!("k{i}"))
        .find(|k| MockRedisCluster::key_slot(k) > 5461)
        .unwrap();
    let p0 = cluster.ports[0].to_string();
    assert_eq!(
        cli_out(&cli, &["-c", "-p", &p0, "SET", &key, "v"]),
        (true, "OK\n".into())
    );
    assert_eq!(
        cli_out(&cli, &["-c", "-p", &p0, "GET", &key]),
        (true, "v\n".into())
    );
    let (ok, out) = cli_out(&cli, &["--cluster", "check", &format!("127.0.0.1:{p0}")]);
    assert!(ok, "{out}");
    assert!(
        out.contains("[OK] All nodes agree about slots configuration."),
        "{out}"
    );
    assert!(out.contains("[OK] All 16384 slots covered."), "{out}");
}

#[test]
fn nodes_listen_on_consecutive_ports() {
    // A base with free ports after it: retried when another process holds
    // one of them meanwhile (the binary then exits before listening).
    for _attempt in 0..10 {
        let base = portpicker::pick_unused_port().expect("a free port");
        if base > 65_000 {
            continue;
        }
        let Some(cluster) = start(
            &[
                "--cluster",
                "2",
                "--replicas",
                "1",
                "--port",
                &base.to_string(),
            ],
            4,
        ) else {
            continue;
        };
        assert_eq!(cluster.ports, (0..4).map(|i| base + i).collect::<Vec<_>>());
        return;
    }
    panic!("no four consecutive free ports in 10 attempts");
}

#[test]
fn cluster_options_are_checked() {
    for (args, error) in [
        (&["--cluster", "0"][..], "invalid --cluster '0'"),
        (
            &["--cluster", "3", "--replicas", "11"],
            "invalid --replicas '11'",
        ),
        (&["--replicas", "1"], "--replicas goes with --cluster <n>"),
        (
            &["--cluster", "3", "--requirepass", "x"],
            "--cluster takes --bind, --port and --replicas only",
        ),
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(error), "{args:?}: {stderr}");
    }
}
