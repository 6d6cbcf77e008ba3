//! Cluster-wide mocks (`Mock::mount_on_cluster`) over real sockets: a mock
//! answers a command only on the node that serves it (after MOVED, after
//! ASK and ASKING, on a replica after READONLY, anywhere for a keyless
//! command), so a client following redirections meets it once; the
//! cluster verifies the expectations and reports what each node received.
//! And INFO on cluster nodes: replicas name their master, masters list
//! their replicas, each node its own port.

use mock_redis::matchers::{command, key};
use mock_redis::{Mock, MockRedisCluster, Reply};

use crate::support::conn::{PATIENCE, RawConn};

/// A key whose slot node `node` serves.
fn key_on(cluster: &MockRedisCluster, node: usize, prefix: &str) -> String {
    (0..10_000)
        .map(|i| format!("{prefix}{i}"))
        .find(|k| cluster.node_for_key(k) == node)
        .expect("some key hashes to every node")
}

fn moved(cluster: &MockRedisCluster, key: &str, node: usize) -> Vec<u8> {
    let slot = MockRedisCluster::key_slot(key);
    format!("-MOVED {slot} 127.0.0.1:{}\r\n", cluster.node(node).port()).into_bytes()
}

/// How many `GET` node `node` received.
fn gets(cluster: &MockRedisCluster, node: usize) -> usize {
    cluster
        .node(node)
        .received_commands_as_strings()
        .iter()
        .filter(|c| c[0].eq_ignore_ascii_case("get"))
        .count()
}

#[tokio::test]
async fn a_cluster_mock_answers_only_on_the_node_serving_the_key() {
    let cluster = MockRedisCluster::start(3).await;
    let k = key_on(&cluster, 2, "user:");
    Mock::given(command("GET"))
        .and(key(k.as_str()))
        .respond_with(Reply::bulk("mocked"))
        .expect(1)
        .mount_on_cluster(&cluster);
    Mock::given(command("PING"))
        .respond_with(Reply::simple("MOCKED"))
        .expect(2)
        .mount_on_cluster(&cluster);

    let mut elsewhere = RawConn::open(cluster.node(0).port()).await;
    assert_eq!(elsewhere.cmd(["GET", &k]).await, moved(&cluster, &k, 2));
    let mut owner = RawConn::open(cluster.node(2).port()).await;
    assert_eq!(owner.cmd(["GET", &k]).await, b"$6\r\nmocked\r\n");
    // Other keys are the engine's.
    let other = key_on(&cluster, 2, "other:");
    assert_eq!(owner.cmd(["GET", &other]).await, b"$-1\r\n");
    // A keyless command: any node.
    assert_eq!(elsewhere.cmd(["PING"]).await, b"+MOCKED\r\n");
    assert_eq!(owner.cmd(["PING"]).await, b"+MOCKED\r\n");
    cluster.verify();
}

#[tokio::test]
async fn a_redirected_client_meets_the_mock_once_across_a_migration() {
    let cluster = MockRedisCluster::start(3).await;
    let client = redis::cluster::ClusterClient::builder(cluster.urls())
        .retries(10)
        .connection_timeout(PATIENCE)
        .response_timeout(PATIENCE)
        .build()
        .unwrap();
    let mut conn = client.get_async_connection().await.unwrap();
    let k = key_on(&cluster, 1, "cart:");
    cluster.node(1).db(0).set(&k, "engine");
    Mock::given(command("GET"))
        .and(key(k.as_str()))
        .respond_with(Reply::bulk("mocked"))
        .expect(3)
        .mount_on_cluster(&cluster);
    let get = |conn: &mut redis::cluster_async::ClusterConnection| {
        let mut conn = conn.clone();
        let k = k.clone();
        async move {
            let v: String = redis::cmd("GET")
                .arg(&k)
                .query_async(&mut conn)
                .await
                .unwrap();
            v
        }
    };

    // Slot migrating, key still on its owner: the owner answers.
    let migration = cluster.migrate_slot(MockRedisCluster::key_slot(&k), 2);
    assert_eq!(get(&mut conn).await, "mocked");
    assert_eq!((gets(&cluster, 1), gets(&cluster, 2)), (1, 0));
    // Key moved: node 1 answers -ASK, node 2 serves it after ASKING.
    assert_eq!(migration.move_keys(), 1);
    assert_eq!(get(&mut conn).await, "mocked");
    assert_eq!((gets(&cluster, 1), gets(&cluster, 2)), (2, 1));
    assert!(
        cluster
            .node(2)
            .received_commands_as_strings()
            .iter()
            .any(|c| c[0].eq_ignore_ascii_case("asking")),
        "the client followed -ASK"
    );
    // Slot given away: node 1 answers -MOVED, node 2 serves it.
    migration.finish();
    assert_eq!(get(&mut conn).await, "mocked");
    assert_eq!((gets(&cluster, 1), gets(&cluster, 2)), (3, 2));
    // Three reads, three calls: never answered on a node that redirected.
    cluster.verify();
}

#[tokio::test]
async fn a_replica_answers_from_the_cluster_mock_after_readonly() {
    let cluster = MockRedisCluster::builder()
        .shards(1)
        .replicas(1)
        .start()
        .await;
    let k = "profile:1";
    let mut replica = RawConn::open(cluster.node(1).port()).await;
    let mut early = RawConn::open(cluster.node(1).port()).await;
    // READONLY before the mock is mounted counts too.
    assert_eq!(early.cmd(["READONLY"]).await, b"+OK\r\n");
    Mock::given(command("GET"))
        .and(key(k))
        .respond_with(Reply::bulk("mocked"))
        .expect(3)
        .mount_on_cluster(&cluster);
    assert_eq!(early.cmd(["GET", k]).await, b"$6\r\nmocked\r\n");
    assert_eq!(replica.cmd(["GET", k]).await, moved(&cluster, k, 0));
    assert_eq!(replica.cmd(["READONLY"]).await, b"+OK\r\n");
    assert_eq!(replica.cmd(["GET", k]).await, b"$6\r\nmocked\r\n");
    assert_eq!(replica.cmd(["READWRITE"]).await, b"+OK\r\n");
    assert_eq!(replica.cmd(["GET", k]).await, moved(&cluster, k, 0));
    let mut master = RawConn::open(cluster.node(0).port()).await;
    assert_eq!(master.cmd(["GET", k]).await, b"$6\r\nmocked\r\n");
    cluster.verify();
}

#[tokio::test]
async fn a_nodes_own_mock_comes_before_the_cluster_mock() {
    let cluster = MockRedisCluster::start(2).await;
    let k = key_on(&cluster, 1, "k");
    Mock::given(command("GET"))
        .respond_with(Reply::bulk("cluster"))
        .expect(1)
        .mount_on_cluster(&cluster);
    Mock::given(command("GET"))
        .respond_with(Reply::bulk("node"))
        .up_to_n_times(1)
        .mount(cluster.node(1));
    let mut conn = RawConn::open(cluster.node(1).port()).await;
    assert_eq!(conn.cmd(["GET", &k]).await, b"$4\r\nnode\r\n");
    assert_eq!(conn.cmd(["GET", &k]).await, b"$7\r\ncluster\r\n");
    cluster.verify();
    cluster.node(1).verify();
    // A node's report names the cluster-wide mock that answered.
    Mock::given(command("DEL"))
        .respond_with(Reply::int(1))
        .expect(1)
        .mount(cluster.node(1));
    let report = cluster.node(1).try_verify().unwrap_err().to_string();
    assert!(
        report.contains("<- cluster-wide mock #1 command(\"GET\")"),
        "{report}"
    );
    cluster.node(1).reset();
}

#[tokio::test]
async fn an_unmet_cluster_expectation_reports_what_each_node_received() {
    let cluster = MockRedisCluster::start(2).await;
    let k = key_on(&cluster, 1, "order:");
    Mock::given(command("GET"))
        .and(key(k.as_str()))
        .respond_with(Reply::bulk("mocked"))
        .named("order lookup")
        .expect(2)
        .mount_on_cluster(&cluster);
    let mut wrong = RawConn::open(cluster.node(0).port()).await;
    assert_eq!(wrong.cmd(["GET", &k]).await, moved(&cluster, &k, 1));
    let mut right = RawConn::open(cluster.node(1).port()).await;
    assert_eq!(right.cmd(["GET", &k]).await, b"$6\r\nmocked\r\n");

    let report = cluster.try_verify().unwrap_err().to_string();
    assert!(report.contains("'order lookup'"), "{report}");
    assert!(
        report.contains("expected exactly 2 calls, received 1"),
        "{report}"
    );
    let node0 = format!("node 0 ({}, master): 1 command", cluster.node(0).addr());
    let node1 = format!("node 1 ({}, master): 1 command", cluster.node(1).addr());
    assert!(report.contains(&node0), "{report}");
    assert!(report.contains(&node1), "{report}");
    assert!(report.contains(&format!("    GET {k}")), "{report}");
    cluster.reset_mocks();
    cluster.verify();
}

#[test]
fn dropping_the_cluster_verifies_its_mocks() {
    let dropped = std::panic::catch_unwind(|| {
        let cluster = MockRedisCluster::start_blocking(1);
        Mock::given(command("GET"))
            .respond_with(Reply::nil())
            .expect(1)
            .mount_on_cluster(&cluster);
    });
    let panic = dropped.expect_err("an unmet expectation fails the drop");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.contains("expected exactly 1 call, received 0"),
        "{text}"
    );
    assert!(text.contains("node 0 ("), "{text}");
}

/// The `field:value` lines of an INFO reply.
async fn info(conn: &mut RawConn, section: &str) -> Vec<(String, String)> {
    let reply = conn.cmd(["INFO", section]).await;
    let text = String::from_utf8(reply).unwrap();
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim_end().to_string()))
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {fields:?}"))
}

#[tokio::test]
async fn info_names_each_nodes_role_and_port() {
    let cluster = MockRedisCluster::builder()
        .shards(2)
        .replicas(1)
        .start()
        .await;
    let (master, replica) = (0, cluster.replicas_of(0)[0]);
    let (mport, rport) = (cluster.node(master).port(), cluster.node(replica).port());
    let mut r = RawConn::open(rport).await;
    let fields = info(&mut r, "replication").await;
    assert_eq!(field(&fields, "role"), "slave");
    assert_eq!(field(&fields, "master_host"), "127.0.0.1");
    assert_eq!(field(&fields, "master_port"), mport.to_string());
    assert_eq!(field(&fields, "master_link_status"), "up");
    assert_eq!(field(&fields, "connected_slaves"), "0");
    assert_eq!(
        field(&info(&mut r, "server").await, "tcp_port"),
        rport.to_string()
    );

    let mut m = RawConn::open(mport).await;
    let fields = info(&mut m, "replication").await;
    assert_eq!(field(&fields, "role"), "master");
    assert_eq!(field(&fields, "connected_slaves"), "1");
    assert_eq!(
        field(&fields, "slave0"),
        format!("ip=127.0.0.1,port={rport},state=online,offset=0,lag=0")
    );
    assert_eq!(
        field(&info(&mut m, "server").await, "tcp_port"),
        mport.to_string()
    );
    // Each master lists its own replicas.
    let mut other = RawConn::open(cluster.node(1).port()).await;
    let fields = info(&mut other, "replication").await;
    let theirs = cluster.node(cluster.replicas_of(1)[0]).port();
    assert_eq!(
        field(&fields, "slave0"),
        format!("ip=127.0.0.1,port={theirs},state=online,offset=0,lag=0")
    );
    // A master without replicas.
    let alone = MockRedisCluster::start(1).await;
    let fields = info(
        &mut RawConn::open(alone.node(0).port()).await,
        "replication",
    )
    .await;
    assert_eq!(field(&fields, "role"), "master");
    assert_eq!(field(&fields, "connected_slaves"), "0");
    assert_eq!(field(&fields, "repl_backlog_active"), "0");
    assert!(!fields.iter().any(|(k, _)| k == "slave0"), "{fields:?}");

    // A failover swaps the roles.
    cluster.failover(replica);
    let fields = info(&mut r, "replication").await;
    assert_eq!(field(&fields, "role"), "master");
    assert_eq!(
        field(&fields, "slave0"),
        format!("ip=127.0.0.1,port={mport},state=online,offset=0,lag=0")
    );
    let fields = info(&mut m, "replication").await;
    assert_eq!(field(&fields, "role"), "slave");
    assert_eq!(field(&fields, "master_port"), rport.to_string());
}

#[tokio::test]
async fn a_partitioned_node_is_unreachable_but_still_owns_its_slots() {
    let mut cluster = MockRedisCluster::builder()
        .shards(3)
        .replicas(1)
        .start()
        .await;
    let k = key_on(&cluster, 2, "p");
    cluster.node(2).db(0).set(&k, "v");
    let mut held = RawConn::open(cluster.node(2).port()).await;
    assert_eq!(held.cmd(["PING"]).await, b"+PONG\r\n");
    cluster.partition(2);
    assert_eq!(held.read_frame().await, crate::support::conn::Read::Closed);
    assert!(
        tokio::net::TcpStream::connect(cluster.node(2).addr())
            .await
            .is_err()
    );
    // The others have not noticed: no failover, redirections to node 2.
    let mut other = RawConn::open(cluster.node(0).port()).await;
    assert_eq!(other.cmd(["GET", &k]).await, moved(&cluster, &k, 2));
    let info = String::from_utf8(other.cmd(["CLUSTER", "INFO"]).await).unwrap();
    assert!(info.contains("cluster_state:ok"), "{info}");
    assert_eq!(cluster.master_of(cluster.replicas_of(2)[0]), 2);

    cluster.recover_node(2).unwrap();
    let mut back = RawConn::open(cluster.node(2).port()).await;
    assert_eq!(back.cmd(["GET", &k]).await, b"$1\r\nv\r\n");
}
