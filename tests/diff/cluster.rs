//! Differential tests of cluster mode against a real Redis 7.0 cluster that
//! the test starts: three `redis-server --cluster-enabled yes` processes on
//! ephemeral loopback ports, joined with `redis-cli --cluster create
//! --cluster-yes`, awaited until every node says `cluster_state:ok`
//! (skipped with a message when redis-server is absent, unless
//! `MOCK_REDIS_REQUIRE_REDIS=1`). mock-redis runs a three-shard
//! `MockRedisCluster`, which splits the slots as `redis-cli` does, so node
//! `i` of one serves the slots of node `i` of the other.
//!
//! Redirections and errors are compared exactly, with each node's port
//! written as `<pN>`; topology replies (CLUSTER SLOTS, SHARDS, NODES, INFO,
//! LINKS, MYID) by shape: parsed, node ids and ports masked by node index,
//! values that only a cluster bus produces (ping/pong times, message
//! counters, link buffers and times, replication offsets) masked, and the
//! listings Redis orders by its node dictionary (NODES lines, SHARDS)
//! sorted. Each comparison runs in RESP2 and RESP3.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mock_redis::MockRedisCluster;

use crate::support::redis_server::{RealRedis, redis_server_binary};
use crate::support::{PATIENCE, RawConn};

/// A decoded reply, for comparisons by shape.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
enum Value {
    Str(char, String),
    Int(i64),
    Nil,
    Agg(char, Vec<Value>),
}

fn parse(buf: &[u8]) -> (Value, usize) {
    let end = buf.windows(2).position(|w| w == b"\r\n").expect("a line");
    let head = String::from_utf8_lossy(&buf[1..end]).into_owned();
    let after = end + 2;
    let kind = buf[0] as char;
    match kind {
        '+' | '-' | ',' | '#' | '(' => (Value::Str(kind, head), after),
        ':' => (Value::Int(head.parse().unwrap()), after),
        '_' => (Value::Nil, after),
        '$' | '=' | '!' => {
            let n: i64 = head.parse().unwrap();
            if n < 0 {
                return (Value::Nil, after);
            }
            let n = n as usize;
            let mut text = String::from_utf8_lossy(&buf[after..after + n]).into_owned();
            if kind == '=' {
                text = text[4..].to_string();
            }
            (Value::Str('$', text), after + n + 2)
        }
        '*' | '%' | '~' | '>' => {
            let n: i64 = head.parse().unwrap();
            if n < 0 {
                return (Value::Nil, after);
            }
            let items = if kind == '%' { 2 * n } else { n } as usize;
            let mut pos = after;
            let mut out = Vec::with_capacity(items);
            for _ in 0..items {
                let (v, len) = parse(&buf[pos..]);
                out.push(v);
                pos += len;
            }
            (Value::Agg(kind, out), pos)
        }
        other => panic!("unexpected RESP type {other:?}"),
    }
}

/// One side's nodes: their ids and ports, by node index.
struct Names {
    ids: Vec<String>,
    ports: Vec<u16>,
}

impl Names {
    fn mask_text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (i, id) in self.ids.iter().enumerate() {
            out = out.replace(id, &format!("<id{i}>"));
        }
        for (i, port) in self.ports.iter().enumerate() {
            // Redis's bus port, the port + 10000; mock-redis shows the port
            // - 10000 where that overflows (an ephemeral port above 55535).
            let bus = port.checked_add(10000).unwrap_or(port.wrapping_sub(10000));
            out = out.replace(&bus.to_string(), &format!("<b{i}>"));
            out = out.replace(&port.to_string(), &format!("<p{i}>"));
        }
        out
    }

    fn mask(&self, v: &Value) -> Value {
        match v {
            Value::Str(k, s) => Value::Str(*k, self.mask_text(s)),
            Value::Int(n) => match self.ports.iter().position(|p| i64::from(*p) == *n) {
                Some(i) => Value::Str('p', format!("<p{i}>")),
                None => Value::Int(*n),
            },
            Value::Nil => Value::Nil,
            Value::Agg(k, items) => Value::Agg(*k, items.iter().map(|i| self.mask(i)).collect()),
        }
    }
}

/// Masks the map values a cluster bus makes (times, offsets, buffers).
fn mask_bus_fields(v: Value) -> Value {
    match v {
        Value::Agg(k, items) => {
            let mut out: Vec<Value> = items.into_iter().map(mask_bus_fields).collect();
            let mut i = 0;
            while i + 1 < out.len() {
                if let Value::Str(_, name) = &out[i] {
                    if [
                        "replication-offset",
                        "create-time",
                        "events",
                        "send-buffer-allocated",
                        "send-buffer-used",
                    ]
                    .contains(&name.as_str())
                    {
                        out[i + 1] = Value::Str('?', "<bus>".into());
                    }
                }
                i += 1;
            }
            Value::Agg(k, out)
        }
        other => other,
    }
}

/// CLUSTER NODES text: ping/pong times masked, lines sorted.
fn mask_nodes(v: Value) -> Value {
    let Value::Str(k, text) = v else { return v };
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| {
            let mut f: Vec<&str> = line.split(' ').collect();
            if f.len() > 5 {
                f[4] = "<ping>";
                f[5] = "<pong>";
            }
            f.join(" ")
        })
        .collect();
    lines.sort();
    Value::Str(k, lines.join("\n"))
}

/// CLUSTER INFO text: the message counters masked, the per-type counters
/// (present only for message types a bus exchanged) dropped.
fn mask_info(v: Value) -> Value {
    let Value::Str(k, text) = v else { return v };
    let lines: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let (name, _) = line.split_once(':')?;
            if !name.starts_with("cluster_stats_messages_") {
                return Some(line.to_string());
            }
            let total =
                name == "cluster_stats_messages_sent" || name == "cluster_stats_messages_received";
            total.then(|| format!("{name}:<n>"))
        })
        .collect();
    Value::Str(k, lines.join("\n"))
}

/// CLUSTER LINKS by shape: which peers have links and each link's fields
/// (the directions up at a given moment are the real bus's timing).
fn links_shape(v: Value) -> Value {
    let Value::Agg(k, items) = v else { return v };
    let mut items: Vec<Value> = items
        .into_iter()
        .map(|link| match link {
            Value::Agg(lk, mut fields) => {
                if let Some(i) = fields
                    .iter()
                    .position(|f| *f == Value::Str('$', "direction".into()))
                {
                    if i + 1 < fields.len() {
                        fields[i + 1] = Value::Str('?', "<direction>".into());
                    }
                }
                Value::Agg(lk, fields)
            }
            other => other,
        })
        .collect();
    items.sort();
    items.dedup();
    Value::Agg(k, items)
}

fn sorted(v: Value) -> Value {
    match v {
        Value::Agg(k, mut items) => {
            items.sort();
            Value::Agg(k, items)
        }
        other => other,
    }
}

/// The real cluster: three nodes joined by `redis-cli --cluster create`.
struct RealCluster {
    nodes: Vec<RealRedis>,
}

impl RealCluster {
    fn start() -> Option<RealCluster> {
        let extra = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
        ];
        let mut nodes = Vec::new();
        for _ in 0..3 {
            nodes.push(RealRedis::start_with(&extra)?);
        }
        let cli = redis_server_binary()?.with_file_name("redis-cli");
        let cli = if cli.is_file() {
            cli
        } else {
            "redis-cli".into()
        };
        let status = Command::new(&cli)
            .arg("--cluster")
            .arg("create")
            .args(nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)))
            .arg("--cluster-yes")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", cli.display()));
        assert!(status.success(), "redis-cli --cluster create failed");
        Some(RealCluster { nodes })
    }
}

/// Polls every node's CLUSTER INFO until it says the cluster is ok and
/// knows all three nodes (the acknowledgement that gossip converged).
async fn await_ok(ports: &[u16]) {
    let deadline = Instant::now() + PATIENCE;
    for &port in ports {
        let mut conn = RawConn::open(port).await;
        loop {
            let info = String::from_utf8_lossy(&conn.cmd(["CLUSTER", "INFO"]).await).into_owned();
            if info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the real cluster never became ok: {info}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await; // pacing of the poll
        }
    }
}

/// One side of the comparison.
struct Side {
    names: Names,
}

impl Side {
    async fn of(ports: Vec<u16>) -> Side {
        let mut ids = Vec::new();
        for &port in &ports {
            let mut conn = RawConn::open(port).await;
            let (Value::Str(_, id), _) = parse(&conn.cmd(["CLUSTER", "MYID"]).await) else {
                panic!("CLUSTER MYID")
            };
            ids.push(id);
        }
        Side {
            names: Names { ids, ports },
        }
    }

    /// The masked replies of `commands` sent on one connection to node
    /// `node`, in RESP `protocol`.
    async fn run(&self, node: usize, protocol: u8, commands: &[Vec<String>]) -> Vec<Value> {
        let mut conn = RawConn::open(self.names.ports[node]).await;
        if protocol == 3 {
            conn.cmd(["HELLO", "3"]).await;
        }
        let mut out = Vec::new();
        for cmd in commands {
            let (v, _) = parse(&conn.cmd(cmd).await);
            let v = self.names.mask(&v);
            let name = cmd.join(" ").to_ascii_uppercase();
            let v = match name.as_str() {
                "CLUSTER NODES" => mask_nodes(v),
                "CLUSTER INFO" => mask_info(v),
                "CLUSTER SHARDS" => sorted(mask_bus_fields(v)),
                "CLUSTER LINKS" => links_shape(mask_bus_fields(v)),
                // Redis lists a slot's keys newest first from a per-slot
                // list; mock-redis from its keyspace table (the newest
                // first too until a key of the database is deleted).
                _ if name.starts_with("CLUSTER GETKEYSINSLOT") => sorted(v),
                _ => v,
            };
            out.push(v);
        }
        out
    }
}

/// Commands from lines: arguments split at `|` when the line has one
/// (scripts hold spaces), else at spaces.
fn cmds(lines: &[&str]) -> Vec<Vec<String>> {
    lines
        .iter()
        .map(|l| {
            let sep = if l.contains('|') { '|' } else { ' ' };
            l.split(sep).map(str::to_string).collect()
        })
        .collect()
}

/// A key whose slot node `node` serves (the same on both sides).
fn key_on(node: usize) -> String {
    (0..)
        .map(|i| format!("key:{i}"))
        .find(|k| usize::from(MockRedisCluster::key_slot(k)) * 3 / 16384 == node)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_replies_match_a_real_cluster() {
    let Some(real) = RealCluster::start() else {
        return;
    };
    let real_ports: Vec<u16> = real.nodes.iter().map(|n| n.port).collect();
    await_ok(&real_ports).await;
    let mock = MockRedisCluster::start(3).await;
    let real_side = Side::of(real_ports).await;
    let mock_side = Side::of((0..3).map(|i| mock.node(i).port()).collect()).await;

    let (k0, k1, k2) = (key_on(0), key_on(1), key_on(2));
    let tagged = format!("{{{k0}}}x");
    // Another key of node 0, in another slot.
    let other0 = (0..)
        .map(|i| format!("other:{i}"))
        .find(|k| {
            usize::from(MockRedisCluster::key_slot(k)) * 3 / 16384 == 0
                && MockRedisCluster::key_slot(k) != MockRedisCluster::key_slot(&k0)
        })
        .unwrap();
    // Scripts' key checks (with the `scripting` feature).
    let scripts: Vec<String> = [
        format!("EVAL|return redis.call('get', KEYS[1])|1|{k0}"),
        format!("EVAL|return redis.call('get', ARGV[1])|0|{k1}"),
        format!("EVAL|redis.call('set', KEYS[1], 1) return redis.call('set', ARGV[1], 1)|1|{k0}|{other0}"),
        format!("EVAL|#!lua\nredis.call('set', KEYS[1], 1) return redis.call('set', ARGV[1], 1)|1|{k0}|{other0}"),
        format!("EVAL|#!lua flags=allow-cross-slot-keys\nredis.call('set', KEYS[1], 1) return redis.call('set', ARGV[1], 1)|1|{k0}|{other0}"),
        format!("EVAL|#!lua\nreturn redis.call('get', ARGV[1])|0|{k2}"),
        "EVAL|#!lua flags=no-cluster\nreturn 1|0".into(),
        format!("EVAL|return 1|2|{k0}|{other0}"),
    ]
    .into_iter()
    .filter(|_| cfg!(feature = "scripting"))
    .collect();
    let lines: Vec<String> = scripts
        .into_iter()
        .chain([
            format!("SET {k0} v"),
            format!("GET {k1}"),
            format!("SET {k2} v"),
            format!("MSET {k0} 1 {k1} 2"),
            format!("MSET {k0} 1 {tagged} 2"),
            format!("MGET {k0} {tagged}"),
            "SELECT 1".into(),
            "SELECT 0".into(),
            "SELECT 99".into(),
            "SWAPDB 0 1".into(),
            format!("MOVE {k0} 1"),
            format!("COPY {k0} {tagged} DB 1"),
            "READONLY".into(),
            "READWRITE".into(),
            "ROLE".into(),
            "ASKING".into(),
            format!("CLUSTER KEYSLOT {k2}"),
            format!(
                "CLUSTER COUNTKEYSINSLOT {}",
                MockRedisCluster::key_slot(&k0)
            ),
            format!(
                "CLUSTER GETKEYSINSLOT {} 10",
                MockRedisCluster::key_slot(&k0)
            ),
            "CLUSTER COUNTKEYSINSLOT 16384".into(),
            "CLUSTER GETKEYSINSLOT 1 -1".into(),
            "CLUSTER REPLICAS nosuchnode".into(),
            "CLUSTER COUNT-FAILURE-REPORTS nosuchnode".into(),
            "CLUSTER FAILOVER".into(),
            "CLUSTER FAILOVER FORCE".into(),
            "CLUSTER FAILOVER NOW".into(),
            "CLUSTER SETSLOT 1 BOGUS".into(),
            "CLUSTER SETSLOT 99999 STABLE".into(),
            "CLUSTER SETSLOT 1 NODE nosuchnode".into(),
            "CLUSTER ADDSLOTS 1".into(),
            "CLUSTER DELSLOTSRANGE 3 1".into(),
            "CLUSTER ADDSLOTSRANGE 1".into(),
            "CLUSTER ADDSLOTS 1 1".into(),
            "CLUSTER ADDSLOTS 5 x".into(),
            "CLUSTER DELSLOTS 20000".into(),
            "CLUSTER DELSLOTSRANGE 1 2 2".into(),
            "CLUSTER DELSLOTSRANGE 16000 16001 16001 16001".into(),
            "CLUSTER DELSLOTS 7 x".into(),
            "CLUSTER SET-CONFIG-EPOCH 5".into(),
            "CLUSTER SET-CONFIG-EPOCH -1".into(),
            "CLUSTER MEET 127.0.0.1 notaport".into(),
            "CLUSTER MEET 127.0.0.1 1 notaport".into(),
            "CLUSTER RESET BOGUS".into(),
            "CLUSTER SLOTS".into(),
            "CLUSTER SHARDS".into(),
            "CLUSTER NODES".into(),
            "CLUSTER INFO".into(),
            "CLUSTER LINKS".into(),
            "MULTI".into(),
            format!("SET {k0} 1"),
            format!("GET {k1}"),
            "EXEC".into(),
            "MULTI".into(),
            format!("SET {k0} 1"),
            format!("SET {tagged} 1"),
            "EXEC".into(),
            "FLUSHALL".into(),
        ])
        .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let commands = cmds(&lines);
    for node in 0..3 {
        for protocol in [2, 3] {
            let want = real_side.run(node, protocol, &commands).await;
            let got = mock_side.run(node, protocol, &commands).await;
            for ((cmd, w), g) in lines.iter().zip(&want).zip(&got) {
                assert_eq!(g, w, "node {node}, RESP{protocol}: {cmd}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_redirects_as_a_real_cluster() {
    let Some(real) = RealCluster::start() else {
        return;
    };
    let real_ports: Vec<u16> = real.nodes.iter().map(|n| n.port).collect();
    await_ok(&real_ports).await;
    let mock = MockRedisCluster::start(3).await;
    let real_side = Side::of(real_ports).await;
    let mock_side = Side::of((0..3).map(|i| mock.node(i).port()).collect()).await;
    let key = key_on(2);
    let other = format!("{{{key}}}other");
    let slot = MockRedisCluster::key_slot(&key);
    for side in [&real_side, &mock_side] {
        // The same steps on both: SETSLOT IMPORTING on node 0, MIGRATING on
        // node 2, as `redis-cli --cluster reshard` sends them.
        let (src, dst) = (side.names.ids[2].clone(), side.names.ids[0].clone());
        let setup = cmds(&[
            &format!("SET {key} v"),
            &format!("CLUSTER SETSLOT {slot} MIGRATING {dst}"),
        ]);
        side.run(2, 2, &setup).await;
        side.run(
            0,
            2,
            &cmds(&[&format!("CLUSTER SETSLOT {slot} IMPORTING {src}")]),
        )
        .await;
    }
    let on_source = cmds(&[
        &format!("GET {key}"),
        &format!("GET {other}"),
        &format!("MGET {key} {other}"),
        &format!("SET {other} x"),
        &format!("DEL {other}"),
    ]);
    let on_target = cmds(&[
        &format!("GET {other}"),
        "ASKING",
        &format!("GET {other}"),
        "ASKING",
        &format!("MGET {key} {other}"),
        &format!("GET {other}"),
    ]);
    for protocol in [2, 3] {
        assert_eq!(
            mock_side.run(2, protocol, &on_source).await,
            real_side.run(2, protocol, &on_source).await,
            "source, RESP{protocol}"
        );
        assert_eq!(
            mock_side.run(0, protocol, &on_target).await,
            real_side.run(0, protocol, &on_target).await,
            "target, RESP{protocol}"
        );
    }
    let nodes = cmds(&["CLUSTER NODES"]);
    assert_eq!(
        mock_side.run(2, 2, &nodes).await,
        real_side.run(2, 2, &nodes).await
    );
    assert_eq!(
        mock_side.run(0, 2, &nodes).await,
        real_side.run(0, 2, &nodes).await
    );
}
