//! `MockRedisCluster` over real sockets: the redirections a node answers
//! (MOVED, ASK, CROSSSLOT, CLUSTERDOWN, READONLY replicas), SELECT refused,
//! transactions within one slot, sharded pub/sub, and redis-rs's cluster
//! clients (sync and async) following ASK then MOVED across a migration
//! driven from the test and surviving a failover.

use mock_redis::MockRedisCluster;
use redis::AsyncCommands;

use crate::support::conn::{PATIENCE, RawConn, Read};

/// A key whose slot node `node` serves, drawn from `prefix0`, `prefix1`...
fn key_on(cluster: &MockRedisCluster, node: usize, prefix: &str) -> String {
    (0..10_000)
        .map(|i| format!("{prefix}{i}"))
        .find(|k| cluster.node_for_key(k) == node)
        .expect("some key hashes to every node")
}

fn error(kind: &str, slot: u16, port: u16) -> Vec<u8> {
    format!("-{kind} {slot} 127.0.0.1:{port}\r\n").into_bytes()
}

#[tokio::test]
async fn a_node_redirects_keys_it_does_not_serve() {
    let cluster = MockRedisCluster::start(3).await;
    let mut conn = RawConn::open(cluster.node(0).port()).await;
    let there = key_on(&cluster, 2, "k");
    let here = key_on(&cluster, 0, "k");
    let slot = MockRedisCluster::key_slot(&there);
    assert_eq!(
        conn.cmd(["SET", &there, "v"]).await,
        error("MOVED", slot, cluster.node(2).port())
    );
    assert_eq!(conn.cmd(["SET", &here, "v"]).await, b"+OK\r\n");
    assert_eq!(
        conn.cmd(["MSET", &here, "1", &there, "2"]).await,
        b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"
    );
    // Hash tags keep keys together.
    let tag = format!("{{{here}}}");
    assert_eq!(
        conn.cmd(["MSET", &format!("{tag}a"), "1", &format!("{tag}b"), "2"])
            .await,
        b"+OK\r\n"
    );
    // Keyless commands run anywhere.
    assert_eq!(conn.cmd(["PING"]).await, b"+PONG\r\n");
    assert_eq!(
        conn.cmd(["CLUSTER", "KEYSLOT", &there]).await,
        format!(":{slot}\r\n").into_bytes()
    );
}

#[tokio::test]
async fn select_and_other_databases_are_refused() {
    let cluster = MockRedisCluster::start(1).await;
    let mut conn = RawConn::open(cluster.node(0).port()).await;
    assert_eq!(
        conn.cmd(["SELECT", "1"]).await,
        b"-ERR SELECT is not allowed in cluster mode\r\n"
    );
    assert_eq!(
        conn.cmd(["SELECT", "99"]).await,
        b"-ERR SELECT is not allowed in cluster mode\r\n"
    );
    assert_eq!(conn.cmd(["SELECT", "0"]).await, b"+OK\r\n");
    assert_eq!(
        conn.cmd(["SWAPDB", "0", "1"]).await,
        b"-ERR SWAPDB is not allowed in cluster mode\r\n"
    );
    assert_eq!(
        conn.cmd(["MOVE", "k", "1"]).await,
        b"-ERR MOVE is not allowed in cluster mode\r\n"
    );
    assert_eq!(
        conn.cmd(["COPY", "{t}a", "{t}b", "DB", "1"]).await,
        b"-ERR Copying to another database is not allowed in cluster mode\r\n"
    );
}

#[tokio::test]
async fn a_transaction_must_stay_in_one_slot() {
    let cluster = MockRedisCluster::start(2).await;
    let mut conn = RawConn::open(cluster.node(0).port()).await;
    let a = key_on(&cluster, 0, "a");
    let b = (0..10_000)
        .map(|i| format!("b{i}"))
        .find(|k| {
            cluster.node_for_key(k) == 0
                && MockRedisCluster::key_slot(k) != MockRedisCluster::key_slot(&a)
        })
        .unwrap();
    assert_eq!(conn.cmd(["MULTI"]).await, b"+OK\r\n");
    assert_eq!(conn.cmd(["SET", &a, "1"]).await, b"+QUEUED\r\n");
    assert_eq!(conn.cmd(["SET", &b, "2"]).await, b"+QUEUED\r\n");
    assert_eq!(
        conn.cmd(["EXEC"]).await,
        b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"
    );
    assert!(!cluster.node(0).db(0).exists(&a), "nothing ran");
    // The transaction was discarded: a new one in one slot runs.
    let tagged = format!("{{{a}}}x");
    assert_eq!(conn.cmd(["MULTI"]).await, b"+OK\r\n");
    assert_eq!(conn.cmd(["SET", &a, "1"]).await, b"+QUEUED\r\n");
    assert_eq!(conn.cmd(["SET", &tagged, "2"]).await, b"+QUEUED\r\n");
    assert_eq!(conn.cmd(["EXEC"]).await, b"*2\r\n+OK\r\n+OK\r\n");
    // A command for another node dooms the transaction.
    let there = key_on(&cluster, 1, "t");
    assert_eq!(conn.cmd(["MULTI"]).await, b"+OK\r\n");
    assert_eq!(
        conn.cmd(["GET", &there]).await,
        error(
            "MOVED",
            MockRedisCluster::key_slot(&there),
            cluster.node(1).port()
        )
    );
    assert_eq!(
        conn.cmd(["EXEC"]).await,
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
}

#[tokio::test]
async fn a_migration_answers_ask_then_moved() {
    let cluster = MockRedisCluster::start(3).await;
    let key = key_on(&cluster, 2, "m");
    let slot = MockRedisCluster::key_slot(&key);
    cluster.node(2).db(0).set(&key, "v");
    let (p0, p2) = (cluster.node(0).port(), cluster.node(2).port());
    let mut source = RawConn::open(p2).await;
    let mut target = RawConn::open(p0).await;

    let migration = cluster.migrate_slot(slot, 0);
    // The key is still on the source: served there.
    assert_eq!(source.cmd(["GET", &key]).await, b"$1\r\nv\r\n");
    assert_eq!(migration.move_keys(), 1);
    assert_eq!(source.cmd(["GET", &key]).await, error("ASK", slot, p0));
    // The target serves the slot only after ASKING, for one command.
    assert_eq!(target.cmd(["GET", &key]).await, error("MOVED", slot, p2));
    assert_eq!(target.cmd(["ASKING"]).await, b"+OK\r\n");
    assert_eq!(target.cmd(["GET", &key]).await, b"$1\r\nv\r\n");
    assert_eq!(target.cmd(["GET", &key]).await, error("MOVED", slot, p2));
    let nodes = String::from_utf8(source.cmd(["CLUSTER", "NODES"]).await).unwrap();
    assert!(
        nodes.contains(&format!("[{slot}->-{}]", cluster.node_id(0))),
        "{nodes}"
    );

    migration.finish();
    assert_eq!(source.cmd(["GET", &key]).await, error("MOVED", slot, p0));
    assert_eq!(target.cmd(["GET", &key]).await, b"$1\r\nv\r\n");
}

#[tokio::test]
async fn a_replica_serves_reads_after_readonly() {
    let cluster = MockRedisCluster::builder()
        .shards(2)
        .replicas(1)
        .start()
        .await;
    let key = key_on(&cluster, 0, "r");
    let slot = MockRedisCluster::key_slot(&key);
    let replica = cluster.replicas_of(0)[0];
    cluster.node(0).db(0).set(&key, "v");
    let mut conn = RawConn::open(cluster.node(replica).port()).await;
    let moved = error("MOVED", slot, cluster.node(0).port());
    assert_eq!(conn.cmd(["GET", &key]).await, moved);
    assert_eq!(conn.cmd(["READONLY"]).await, b"+OK\r\n");
    assert_eq!(conn.cmd(["GET", &key]).await, b"$1\r\nv\r\n");
    assert_eq!(
        conn.cmd(["SET", &key, "w"]).await,
        moved,
        "writes go to the master"
    );
    assert_eq!(
        conn.cmd(["FLUSHALL"]).await,
        b"-READONLY You can't write against a read only replica.\r\n"
    );
    assert_eq!(conn.cmd(["READWRITE"]).await, b"+OK\r\n");
    assert_eq!(conn.cmd(["GET", &key]).await, moved);
    // The replica's own journal saw its commands, the master's did not.
    let seen = cluster.node(replica).received_commands_as_strings();
    assert!(seen.iter().any(|c| c[0] == "READONLY"), "{seen:?}");
    assert!(
        !cluster
            .node(0)
            .received_commands_as_strings()
            .iter()
            .any(|c| c[0] == "READONLY")
    );

    let nodes = String::from_utf8(conn.cmd(["CLUSTER", "NODES"]).await).unwrap();
    let mine = nodes.lines().find(|l| l.contains("myself")).unwrap();
    let fields: Vec<&str> = mine.split(' ').collect();
    assert_eq!(fields[2], "myself,slave");
    assert_eq!(fields[3], cluster.node_id(0));
    assert_eq!(fields[6], "1", "a replica shows its master's epoch");
}

/// Node ids and ports of a `CLUSTER SLOTS` reply, in order.
fn slots_nodes(reply: &redis::Value) -> Vec<Vec<(i64, String)>> {
    let redis::Value::Array(ranges) = reply else {
        panic!("{reply:?}")
    };
    ranges
        .iter()
        .map(|range| {
            let redis::Value::Array(items) = range else {
                panic!("{range:?}")
            };
            items[2..]
                .iter()
                .map(|node| {
                    let redis::Value::Array(n) = node else {
                        panic!("{node:?}")
                    };
                    let port: i64 = redis::from_redis_value_ref(&n[1]).unwrap();
                    let id: String = redis::from_redis_value_ref(&n[2]).unwrap();
                    (port, id)
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn topology_lists_masters_with_their_replicas() {
    let cluster = MockRedisCluster::builder()
        .shards(3)
        .replicas(1)
        .start()
        .await;
    let mut conn = crate::support::clients::connect(cluster.node(4)).await;
    let reply: redis::Value = redis::cmd("CLUSTER")
        .arg("SLOTS")
        .query_async(&mut conn)
        .await
        .unwrap();
    let expected: Vec<Vec<(i64, String)>> = (0..3)
        .map(|m| {
            [m, cluster.replicas_of(m)[0]]
                .into_iter()
                .map(|n| (i64::from(cluster.node(n).port()), cluster.node_id(n)))
                .collect()
        })
        .collect();
    assert_eq!(slots_nodes(&reply), expected);
    let info: String = redis::cmd("CLUSTER")
        .arg("INFO")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(info.contains("cluster_state:ok\r\n"), "{info}");
    assert!(info.contains("cluster_known_nodes:6\r\n"), "{info}");
    assert!(info.contains("cluster_size:3\r\n"), "{info}");
    let replicas: Vec<String> = redis::cmd("CLUSTER")
        .arg("REPLICAS")
        .arg(cluster.node_id(1))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(replicas.len(), 1);
    assert!(replicas[0].starts_with(&cluster.node_id(cluster.replicas_of(1)[0])));
    let myid: String = redis::cmd("CLUSTER")
        .arg("MYID")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(myid, cluster.node_id(4));
}

#[tokio::test]
async fn sharded_pubsub_stays_in_its_shard() {
    let cluster = MockRedisCluster::builder()
        .shards(2)
        .replicas(1)
        .start()
        .await;
    let channel = key_on(&cluster, 1, "ch");
    let slot = MockRedisCluster::key_slot(&channel);
    let replica = cluster.replicas_of(1)[0];
    // A subscriber on the shard's replica hears the master's SPUBLISH.
    let mut sub = RawConn::open(cluster.node(replica).port()).await;
    let reply = sub.cmd(["SSUBSCRIBE", &channel]).await;
    assert!(
        reply.starts_with(b"*3\r\n$10\r\nssubscribe\r\n"),
        "{reply:?}"
    );
    let mut other = RawConn::open(cluster.node(0).port()).await;
    assert_eq!(
        other.cmd(["SPUBLISH", &channel, "x"]).await,
        error("MOVED", slot, cluster.node(1).port())
    );
    let mut publisher = RawConn::open(cluster.node(1).port()).await;
    assert_eq!(publisher.cmd(["SPUBLISH", &channel, "hi"]).await, b":1\r\n");
    let expected = format!(
        "*3\r\n$8\r\nsmessage\r\n${}\r\n{channel}\r\n$2\r\nhi\r\n",
        channel.len()
    );
    assert_eq!(sub.read_frame().await, Read::Frame(expected.into_bytes()));
}

#[tokio::test]
async fn a_failed_master_without_replica_takes_the_cluster_down() {
    let mut cluster = MockRedisCluster::start(3).await;
    let key = key_on(&cluster, 0, "d");
    assert_eq!(cluster.fail_node(1), None);
    let mut conn = RawConn::open(cluster.node(0).port()).await;
    assert_eq!(
        conn.cmd(["GET", &key]).await,
        b"-CLUSTERDOWN The cluster is down\r\n"
    );
    let info = String::from_utf8(conn.cmd(["CLUSTER", "INFO"]).await).unwrap();
    assert!(info.contains("cluster_state:fail"), "{info}");
    cluster.recover_node(1).unwrap();
    assert_eq!(conn.cmd(["GET", &key]).await, b"$-1\r\n");
}

#[tokio::test]
async fn failing_a_master_drops_its_clients_and_promotes_its_replica() {
    let mut cluster = MockRedisCluster::builder()
        .shards(3)
        .replicas(1)
        .start()
        .await;
    let key = key_on(&cluster, 0, "f");
    let slot = MockRedisCluster::key_slot(&key);
    cluster.node(0).db(0).set(&key, "kept");
    let mut old = RawConn::open(cluster.node(0).port()).await;
    assert_eq!(old.cmd(["PING"]).await, b"+PONG\r\n");
    let heir = cluster.fail_node(0).unwrap();
    assert_eq!(heir, 3, "node 3 is master 0's replica");
    assert!(
        old.read_to_eof().await,
        "the failed node's connection closes"
    );
    let mut other = RawConn::open(cluster.node(1).port()).await;
    assert_eq!(
        other.cmd(["GET", &key]).await,
        error("MOVED", slot, cluster.node(heir).port())
    );
    let mut new = RawConn::open(cluster.node(heir).port()).await;
    assert_eq!(new.cmd(["GET", &key]).await, b"$4\r\nkept\r\n");
    let nodes = String::from_utf8(new.cmd(["CLUSTER", "NODES"]).await).unwrap();
    let line = nodes
        .lines()
        .find(|l| l.starts_with(&cluster.node_id(0)))
        .unwrap();
    assert!(
        line.contains(" slave,fail ") && line.contains(" disconnected"),
        "{line}"
    );
    // Back, the old master is a replica of the node that took over.
    cluster.recover_node(0).unwrap();
    let mut back = RawConn::open(cluster.node(0).port()).await;
    assert_eq!(
        back.cmd(["GET", &key]).await,
        error("MOVED", slot, cluster.node(heir).port())
    );
    assert_eq!(back.cmd(["CLUSTER", "FAILOVER"]).await, b"+OK\r\n");
    assert_eq!(back.cmd(["GET", &key]).await, b"$4\r\nkept\r\n");
}

fn cluster_client(cluster: &MockRedisCluster) -> redis::cluster::ClusterClient {
    redis::cluster::ClusterClient::builder(cluster.urls())
        .retries(10)
        .connection_timeout(PATIENCE)
        .response_timeout(PATIENCE)
        .build()
        .unwrap()
}

fn asked(cluster: &MockRedisCluster, node: usize) -> bool {
    cluster
        .node(node)
        .received_commands_as_strings()
        .iter()
        .any(|c| c[0].eq_ignore_ascii_case("asking"))
}

#[tokio::test]
async fn async_cluster_client_follows_ask_then_moved() {
    let cluster = MockRedisCluster::start(3).await;
    let client = cluster_client(&cluster);
    let mut conn = client.get_async_connection().await.unwrap();
    let key = key_on(&cluster, 1, "user:");
    let () = conn.set(&key, "alice").await.unwrap();
    assert_eq!(cluster.node(1).db(0).get(&key).unwrap().unwrap(), "alice");

    let migration = cluster.migrate_slot(MockRedisCluster::key_slot(&key), 2);
    migration.move_keys();
    let got: String = conn.get(&key).await.unwrap();
    assert_eq!(got, "alice");
    assert!(asked(&cluster, 2), "the client followed -ASK with ASKING");
    migration.finish();
    let () = conn.set(&key, "bob").await.unwrap();
    assert_eq!(cluster.node(2).db(0).get(&key).unwrap().unwrap(), "bob");
    assert!(!cluster.node(1).db(0).exists(&key));
}

#[test]
fn sync_cluster_client_follows_a_migration_and_a_manual_failover() {
    let cluster = MockRedisCluster::builder()
        .shards(3)
        .replicas(1)
        .start_blocking();
    let client = cluster_client(&cluster);
    let mut conn = client.get_connection().unwrap();
    let key = key_on(&cluster, 0, "order:");
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg("1")
        .query(&mut conn)
        .unwrap();

    let migration = cluster.migrate_slot(MockRedisCluster::key_slot(&key), 1);
    migration.move_keys();
    let v: i64 = redis::cmd("INCR").arg(&key).query(&mut conn).unwrap();
    assert_eq!(v, 2);
    assert!(asked(&cluster, 1));
    migration.finish();
    let v: i64 = redis::cmd("INCR").arg(&key).query(&mut conn).unwrap();
    assert_eq!(v, 3);

    // A manual failover: the old master answers -MOVED, the client follows.
    let replica = cluster.replicas_of(1)[0];
    cluster.failover(replica);
    let v: i64 = redis::cmd("INCR").arg(&key).query(&mut conn).unwrap();
    assert_eq!(v, 4, "served by the promoted replica, data kept");
    assert!(
        cluster
            .node(replica)
            .received_commands_as_strings()
            .iter()
            .any(|c| c[0] == "INCR")
    );
}

/// (redis-rs's *sync* cluster client does not survive this one: on a
/// refused connection it retries the same address and never refreshes its
/// slot map, against a real cluster as here.)
#[tokio::test]
async fn async_cluster_client_survives_a_failover() {
    let mut cluster = MockRedisCluster::builder()
        .shards(3)
        .replicas(1)
        .start()
        .await;
    let client = cluster_client(&cluster);
    let mut conn = client.get_async_connection().await.unwrap();
    let key = key_on(&cluster, 2, "cart:");
    let () = conn.set(&key, "x").await.unwrap();
    let heir = cluster.fail_node(2).unwrap();
    let got: String = conn.get(&key).await.unwrap();
    assert_eq!(got, "x");
    let () = conn.set(&key, "y").await.unwrap();
    assert!(
        cluster
            .node(heir)
            .received_commands_as_strings()
            .iter()
            .any(|c| c[0] == "SET" && c[2] == "y")
    );
}

#[tokio::test]
async fn publish_reaches_subscribers_of_every_node() {
    let cluster = MockRedisCluster::builder()
        .shards(3)
        .replicas(1)
        .start()
        .await;
    let mut subs = Vec::new();
    for node in [0, 2, 4] {
        let mut sub = RawConn::open(cluster.node(node).port()).await;
        let reply = sub.cmd(["SUBSCRIBE", "news"]).await;
        assert!(reply.starts_with(b"*3\r\n$9\r\nsubscribe\r\n"), "{reply:?}");
        subs.push(sub);
    }
    let mut publisher = RawConn::open(cluster.node(0).port()).await;
    // As in Redis, the count is the publishing node's own receivers.
    assert_eq!(publisher.cmd(["PUBLISH", "news", "hi"]).await, b":1\r\n");
    let message = b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n".to_vec();
    for sub in &mut subs {
        assert_eq!(sub.read_frame().await, Read::Frame(message.clone()));
    }
    // Sharded messages stay in the channel's shard.
    let channel = key_on(&cluster, 2, "s");
    let mut ssub = RawConn::open(cluster.node(2).port()).await;
    ssub.cmd(["SSUBSCRIBE", &channel]).await;
    let mut spub = RawConn::open(cluster.node(2).port()).await;
    assert_eq!(spub.cmd(["SPUBLISH", &channel, "x"]).await, b":1\r\n");
    assert!(
        matches!(ssub.read_frame().await, Read::Frame(f) if f.starts_with(b"*3\r\n$8\r\nsmessage"))
    );
    // Nothing else arrived on the plain subscribers: a PING answers first.
    for sub in &mut subs {
        assert_eq!(sub.cmd(["PING"]).await, b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    }
}

#[cfg(feature = "scripting")]
#[tokio::test]
async fn scripts_may_only_touch_keys_of_their_node_and_slot() {
    let cluster = MockRedisCluster::start(3).await;
    let mut conn = RawConn::open(cluster.node(0).port()).await;
    let here = key_on(&cluster, 0, "a");
    let there = key_on(&cluster, 1, "b");
    let here2 = (0..10_000)
        .map(|i| format!("c{i}"))
        .find(|k| {
            cluster.node_for_key(k) == 0
                && MockRedisCluster::key_slot(k) != MockRedisCluster::key_slot(&here)
        })
        .unwrap();
    let reply = conn
        .cmd(["EVAL", "return redis.call('get', ARGV[1])", "0", &there])
        .await;
    let text = String::from_utf8(reply).unwrap();
    assert!(
        text.starts_with(
            "-ERR Script attempted to access a non local key in a cluster node script: "
        ),
        "{text}"
    );
    let two = "redis.call('set', KEYS[1], 1) return redis.call('set', ARGV[1], 1)";
    assert_eq!(
        conn.cmd(["EVAL", two, "1", &here, &here2]).await,
        b"+OK\r\n"
    );
    let strict = format!("#!lua\n{two}");
    let text = String::from_utf8(conn.cmd(["EVAL", &strict, "1", &here, &here2]).await).unwrap();
    assert!(
        text.starts_with(
            "-ERR Script attempted to access keys that do not hash to the same slot script: "
        ),
        "{text}"
    );
    assert_eq!(
        conn.cmd(["EVAL", "#!lua flags=no-cluster\nreturn 1", "0"])
            .await,
        b"-ERR Can not run script on cluster, 'no-cluster' flag is set.\r\n"
    );
}

/// The README's example, as the issue's closing note shows it: one async
/// cluster client across a resharding (ASK, then MOVED) and a failover.
#[tokio::test]
async fn the_readme_scenario_migration_then_failover() {
    let mut cluster = MockRedisCluster::builder()
        .shards(3)
        .replicas(1)
        .start()
        .await;
    let mut conn = cluster_client(&cluster)
        .get_async_connection()
        .await
        .unwrap();
    let () = conn.set("user:1", "alice").await.unwrap();
    let owner = cluster.node_for_key("user:1");
    let to = (owner + 1) % 3;
    let migration = cluster.migrate_slot(MockRedisCluster::key_slot("user:1"), to);
    assert_eq!(migration.move_keys(), 1);
    let name: String = conn.get("user:1").await.unwrap();
    assert_eq!(name, "alice");
    assert!(asked(&cluster, to), "followed -ASK");
    migration.finish();
    let () = conn.set("user:1", "bob").await.unwrap();
    let heir = cluster.fail_node(to).unwrap();
    let name: String = conn.get("user:1").await.unwrap();
    assert_eq!(name, "bob");
    assert!(
        cluster
            .node(heir)
            .received_commands_as_strings()
            .iter()
            .any(|c| c[0] == "GET")
    );
    // What each node received (`--nocapture` shows the path the client
    // took: the owner, ASKING on the importing node, then the heir).
    for node in [owner, to, heir] {
        let seen: Vec<String> = cluster
            .node(node)
            .received_commands_as_strings()
            .into_iter()
            .filter(|c| {
                !matches!(
                    c[0].to_ascii_uppercase().as_str(),
                    "CLUSTER" | "PING" | "CLIENT" | "HELLO" | "READONLY"
                )
            })
            .map(|c| c.join(" "))
            .collect();
        eprintln!("node {node}: {}", seen.join(" | "));
    }
}

#[tokio::test]
async fn role_names_masters_and_replicas() {
    let cluster = MockRedisCluster::builder()
        .shards(2)
        .replicas(1)
        .start()
        .await;
    let mut replica = RawConn::open(cluster.node(2).port()).await;
    let p0 = cluster.node(0).port();
    assert_eq!(
        replica.cmd(["ROLE"]).await,
        format!("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{p0}\r\n$9\r\nconnected\r\n:0\r\n")
            .into_bytes()
    );
    let mut master = RawConn::open(p0).await;
    let p2 = cluster.node(2).port().to_string();
    assert_eq!(
        master.cmd(["ROLE"]).await,
        format!(
            "*3\r\n$6\r\nmaster\r\n:0\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n${}\r\n{p2}\r\n$1\r\n0\r\n",
            p2.len()
        )
        .into_bytes()
    );
}

#[tokio::test]
async fn slots_are_assigned_and_removed_as_redis_checks_them() {
    let cluster = MockRedisCluster::start(1).await;
    let mut conn = RawConn::open(cluster.node(0).port()).await;
    // A huge request fails on its first slot, without building a list.
    let mut huge = vec!["CLUSTER".to_string(), "ADDSLOTSRANGE".into()];
    for _ in 0..10_000 {
        huge.extend(["0".into(), "16383".into()]);
    }
    assert_eq!(conn.cmd(&huge).await, b"-ERR Slot 0 is already busy\r\n");
    assert_eq!(
        conn.cmd(["CLUSTER", "DELSLOTSRANGE", "1", "2", "2", "3"])
            .await,
        b"-ERR Slot 2 specified multiple times\r\n"
    );
    assert_eq!(cluster.slot_owner(1), Some(0), "nothing changed");
    assert_eq!(
        conn.cmd(["CLUSTER", "DELSLOTSRANGE", "1", "2"]).await,
        b"+OK\r\n"
    );
    assert_eq!(
        (cluster.slot_owner(1), cluster.slot_owner(3)),
        (None, Some(0))
    );
    let key = (0..)
        .map(|i| format!("k{i}"))
        .find(|k| MockRedisCluster::key_slot(k) == 1 || MockRedisCluster::key_slot(k) == 2)
        .unwrap();
    assert_eq!(
        conn.cmd(["GET", &key]).await,
        b"-CLUSTERDOWN Hash slot not served\r\n"
    );
    assert_eq!(
        conn.cmd(["CLUSTER", "ADDSLOTS", "2", "1"]).await,
        b"+OK\r\n"
    );
    assert_eq!(conn.cmd(["GET", &key]).await, b"$-1\r\n");
}

#[tokio::test]
async fn a_cluster_client_reading_from_replicas_is_served_by_them() {
    let cluster = MockRedisCluster::builder()
        .shards(3)
        .replicas(1)
        .start()
        .await;
    let client = redis::cluster::ClusterClient::builder(cluster.urls())
        .read_routing_strategy(redis::cluster_read_routing::RandomReplicaStrategy)
        .connection_timeout(PATIENCE)
        .response_timeout(PATIENCE)
        .build()
        .unwrap();
    let mut conn = client.get_async_connection().await.unwrap();
    let key = key_on(&cluster, 1, "read:");
    let () = conn.set(&key, "v").await.unwrap();
    let got: String = conn.get(&key).await.unwrap();
    assert_eq!(got, "v");
    let replica = cluster.replicas_of(1)[0];
    let seen = cluster.node(replica).received_commands_as_strings();
    assert!(seen.iter().any(|c| c[0] == "READONLY"), "{seen:?}");
    assert!(seen.iter().any(|c| c[0] == "GET"), "{seen:?}");
    assert!(
        !cluster
            .node(1)
            .received_commands_as_strings()
            .iter()
            .any(|c| c[0] == "GET"),
        "the master served no read"
    );
}
