//! INFO on cluster nodes against a real redis-server 7.0 master and its
//! replica (`--replicaof`): `# Replication` has the same fields in the same
//! order on a replica and on a master with one replica, with the same
//! role, master address, link status and replica line, ports, ids and
//! offsets masked; `# Server`'s `tcp_port` is the node's own.

use mock_redis::MockRedisCluster;

use crate::support::conn::{RawConn, eventually};
use crate::support::redis_server::RealRedis;

/// INFO `section`'s `field:value` lines, the RESP framing stripped.
async fn info(port: u16, section: &str) -> Vec<(String, String)> {
    let mut conn = RawConn::open(port).await;
    let reply = String::from_utf8(conn.cmd(["INFO", section]).await).unwrap();
    reply
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The fields with values that differ between two servers of the same
/// shape masked: ports, replication ids and offsets, timers.
fn masked(fields: Vec<(String, String)>, ports: &[u16]) -> Vec<(String, String)> {
    fields
        .into_iter()
        .map(|(k, mut v)| {
            for p in ports {
                v = v.replace(&format!("port={p},"), "port=PORT,");
                if v == p.to_string() {
                    v = "PORT".to_string();
                }
            }
            let keep = matches!(
                k.as_str(),
                "role"
                    | "master_host"
                    | "master_port"
                    | "master_link_status"
                    | "master_sync_in_progress"
                    | "slave_priority"
                    | "slave_read_only"
                    | "replica_announced"
                    | "connected_slaves"
                    | "master_failover_state"
                    | "repl_backlog_active"
                    | "repl_backlog_size"
            );
            if k.starts_with("slave") && v.starts_with("ip=") {
                // slaveN:ip=..,port=..,state=online,offset=N,lag=N
                let shape: Vec<String> = v
                    .split(',')
                    .map(|kv| match kv.split_once('=') {
                        Some(("offset" | "lag", _)) => {
                            format!("{}=N", &kv[..kv.find('=').unwrap()])
                        }
                        _ => kv.to_string(),
                    })
                    .collect();
                v = shape.join(",");
            } else if !keep {
                v = "*".to_string();
            }
            (k, v)
        })
        .collect()
}

#[tokio::test]
async fn replication_info_matches_a_real_master_and_replica() {
    // No 5 s wait for more replicas before the first sync.
    let Some(master) = RealRedis::start_with(&["--repl-diskless-sync-delay", "0"]) else {
        return;
    };
    let mport = master.port.to_string();
    let Some(replica) = RealRedis::start_with(&["--replicaof", "127.0.0.1", &mport]) else {
        return;
    };
    eventually("the real replica's link up", async || {
        info(replica.port, "replication")
            .await
            .iter()
            .any(|(k, v)| k == "master_link_status" && v == "up")
            && info(master.port, "replication")
                .await
                .iter()
                .any(|(k, v)| k == "slave0" && v.contains("state=online"))
    })
    .await;
    let real_ports = [master.port, replica.port];
    let real_replica = masked(info(replica.port, "replication").await, &real_ports);
    let real_master = masked(info(master.port, "replication").await, &real_ports);

    let cluster = MockRedisCluster::builder()
        .shards(1)
        .replicas(1)
        .start()
        .await;
    let ports = [cluster.node(0).port(), cluster.node(1).port()];
    let mock_replica = masked(info(ports[1], "replication").await, &ports);
    let mock_master = masked(info(ports[0], "replication").await, &ports);
    assert_eq!(mock_replica, real_replica);
    assert_eq!(mock_master, real_master);

    for port in ports {
        let server = info(port, "server").await;
        assert!(
            server.contains(&("tcp_port".to_string(), port.to_string())),
            "{server:?}"
        );
    }
}
