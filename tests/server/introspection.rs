//! Introspection through real clients: redis-cli's interactive argument
//! hints and `HELP` (driven through tmux, a pseudo-terminal), `--memkeys`,
//! INFO's `maxclients`, DEBUG SET-ACTIVE-EXPIRE and BGREWRITEAOF.

use std::process::Command;
use std::time::Duration;

use mock_redis::MockRedis;

use crate::support::conn::{RawConn, eventually};

/// Whether `tool` runs (`tool flag` succeeds).
fn have(tool: &str, flag: &str) -> bool {
    Command::new(tool)
        .arg(flag)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A tmux session running one command, killed on drop.
struct Tmux(String);

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                "200",
                "-y",
                "30",
                command,
            ])
            .status()
            .expect("tmux");
        assert!(status.success(), "tmux new-session");
        Tmux(name.to_string())
    }

    fn keys(&self, keys: &[&str]) {
        let mut cmd = Command::new("tmux");
        cmd.args(["send-keys", "-t", &self.0]).args(keys);
        assert!(cmd.status().expect("tmux send-keys").success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

/// redis-cli 7 builds its hints and HELP text from COMMAND DOCS: typing
/// `SET k ` shows the rest of SET's arguments, `HELP SET` its summary.
#[tokio::test]
async fn redis_cli_shows_argument_hints() {
    if !have("redis-cli", "--version") || !have("tmux", "-V") {
        eprintln!("SKIPPED: redis-cli or tmux not installed");
        return;
    }
    let server = MockRedis::start().await;
    let name = format!("mock-redis-hints-{}", server.port());
    let tmux = Tmux::start(&name, &format!("redis-cli -p {}", server.port()));
    let prompt = format!("127.0.0.1:{}>", server.port());
    eventually("the redis-cli prompt", async || {
        tmux.screen().contains(&prompt)
    })
    .await;
    tmux.keys(&["SET k "]);
    let hint = "SET k value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]";
    eventually("SET's argument hint", async || tmux.screen().contains(hint)).await;
    tmux.keys(&["C-u", "HELP GEOSEARCH", "Enter"]);
    eventually("HELP GEOSEARCH", async || {
        let screen = tmux.screen();
        screen.contains("summary: Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.")
            && screen.contains("group: geo")
    })
    .await;
}

/// `redis-cli --memkeys` ranks keys by MEMORY USAGE.
#[tokio::test]
async fn redis_cli_memkeys_ranks_keys() {
    if !have("redis-cli", "--version") {
        eprintln!("SKIPPED: redis-cli not installed");
        return;
    }
    let server = MockRedis::start().await;
    let db = server.db(0);
    db.set("small", "x");
    db.set("big", "x".repeat(5000));
    let port = server.port().to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("redis-cli")
            .args(["-p", &port, "--memkeys"])
            .output()
            .expect("redis-cli --memkeys")
    })
    .await
    .expect("join");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Biggest string found '\"big\"' has 5168 bytes"),
        "{text}"
    );
    assert!(text.contains("2 strings with 5232 bytes"), "{text}");
}

async fn info_field(port: u16, section: &str, field: &str) -> String {
    let mut conn = RawConn::open(port).await;
    let reply = String::from_utf8(conn.cmd(["INFO", section]).await).expect("text");
    reply
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in {reply}"))
        .to_string()
}

/// INFO shows the configured `maxclients`, set by the builder or CONFIG SET.
#[tokio::test]
async fn info_shows_maxclients() {
    let server = MockRedis::builder().maxclients(50).start().await;
    assert_eq!(
        info_field(server.port(), "clients", "maxclients").await,
        "50"
    );
    let mut conn = RawConn::open(server.port()).await;
    assert_eq!(
        conn.cmd(["CONFIG", "SET", "maxclients", "77"]).await,
        b"+OK\r\n"
    );
    assert_eq!(
        info_field(server.port(), "clients", "maxclients").await,
        "77"
    );
    let default = MockRedis::start().await;
    assert_eq!(
        info_field(default.port(), "clients", "maxclients").await,
        "10000"
    );
}

/// With active expiry off, a key past its deadline stays in the keyspace
/// (DBSIZE counts it, as Redis's does) until it is read or expiry is on again.
#[tokio::test]
async fn debug_set_active_expire() {
    let server = MockRedis::start().await;
    let mut conn = RawConn::open(server.port()).await;
    assert_eq!(
        conn.cmd(["DEBUG", "SET-ACTIVE-EXPIRE", "0"]).await,
        b"+OK\r\n"
    );
    conn.cmd(["SET", "k", "v", "PX", "100"]).await;
    server.fast_forward(Duration::from_secs(1));
    assert_eq!(conn.cmd(["DBSIZE"]).await, b":1\r\n");
    assert_eq!(
        conn.cmd(["DEBUG", "SET-ACTIVE-EXPIRE", "1"]).await,
        b"+OK\r\n"
    );
    server.fast_forward(Duration::from_secs(1));
    assert_eq!(conn.cmd(["DBSIZE"]).await, b":0\r\n");
    assert_eq!(
        conn.cmd(["BGREWRITEAOF"]).await,
        b"+Background append only file rewriting started\r\n"
    );
}

/// INFO latencystats: a line per command called, with the configured
/// percentiles (the values are timings, so only their form is checked:
/// increasing, three decimals, the highest value of a power-of-two bucket).
#[tokio::test]
async fn info_latencystats_lists_percentiles_per_command() {
    let server = MockRedis::start().await;
    let mut conn = RawConn::open(server.port()).await;
    for i in 0..20 {
        conn.cmd(["SET", "k", &i.to_string()]).await;
    }
    conn.cmd(["CONFIG", "GET", "maxmemory"]).await;
    let info = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    let text = info(conn.cmd(["INFO", "latencystats"]).await);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("latency_percentiles_usec_{name}:")))
            .unwrap_or_else(|| panic!("no {name} line in {text}"))
            .to_string()
    };
    let set = line("set");
    let values: Vec<f64> = set
        .split(':')
        .nth(1)
        .unwrap()
        .split(',')
        .zip(["p50=", "p99=", "p99.9="])
        .map(|(v, label)| {
            let n = v.strip_prefix(label).unwrap_or_else(|| panic!("{set}"));
            assert_eq!(n.split('.').nth(1).map(str::len), Some(3), "{set}");
            n.parse().unwrap()
        })
        .collect();
    assert_eq!(values.len(), 3, "{set}");
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "{set}");
    assert!(values[0] >= 2.047, "{set}");
    line("config|get");
    assert!(!text.contains("latency_percentiles_usec_get:"), "{text}");

    conn.cmd([
        "CONFIG",
        "SET",
        "latency-tracking-info-percentiles",
        "90 99.99",
    ])
    .await;
    let text = info(conn.cmd(["INFO", "latencystats"]).await);
    let set = text
        .lines()
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .unwrap();
    assert!(set.contains(":p90=") && set.contains(",p99.99="), "{set}");
    conn.cmd(["CONFIG", "RESETSTAT"]).await;
    let text = info(conn.cmd(["INFO", "latencystats"]).await);
    assert!(!text.contains("usec_set:"), "{text}");
}
