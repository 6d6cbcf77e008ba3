//! Engine-level tests for behaviour the differential suite cannot reach yet
//! (values of other types before their command groups exist, clock-driven
//! expiry). Expected replies were taken from redis-server 7.0.15.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;

use super::types::Value;
use super::{Config, Engine};
use crate::protocol::Protocol;

struct Harness {
    engine: Engine,
    client: u64,
}

impl Harness {
    fn new() -> Harness {
        let mut engine = Engine::new(Config::default());
        let client = engine.connect("127.0.0.1:1".into(), "127.0.0.1:2".into());
        Harness { engine, client }
    }

    fn run(&mut self, line: &str) -> String {
        let args: Vec<Bytes> = line
            .split(' ')
            .map(|a| Bytes::copy_from_slice(a.replace("\\s", " ").as_bytes()))
            .collect();
        let out = self.engine.execute(self.client, &args);
        String::from_utf8_lossy(&out.reply.to_bytes(Protocol::Resp2)).into_owned()
    }

    fn list(&mut self, key: &str, items: &[&str]) {
        self.engine.refresh_time();
        let list: VecDeque<Bytes> = items
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        self.engine.dbs[0].insert(Bytes::copy_from_slice(key.as_bytes()), Value::List(list));
    }
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// Runs each command (space-separated words) and returns the keyspace
/// events every one of them queued, as `event:key` strings.
pub(crate) fn events_of(commands: &[&str]) -> Vec<Vec<String>> {
    use crate::engine::{Config, Engine};
    let mut engine = Engine::new(Config::default());
    let id = engine.connect("a".into(), "b".into());
    let mut client = engine.clients.remove(&id).expect("client");
    // The classes these commands use, so the events are queued whether
    // or not the keyspace filters them by `notify-keyspace-events`.
    let config: Vec<Bytes> = ["CONFIG", "SET", "notify-keyspace-events", "KEglhn"]
        .into_iter()
        .map(|w| Bytes::from_static(w.as_bytes()))
        .collect();
    engine.call_queued(&mut client, &config);
    engine.dbs[0].take_events();
    commands
        .iter()
        .map(|line| {
            let args: Vec<Bytes> = line
                .split(' ')
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect();
            engine.refresh_time();
            engine.call_queued(&mut client, &args);
            engine.dbs[0]
                .take_events()
                .into_iter()
                .map(|e| format!("{}:{}", e.event, String::from_utf8_lossy(&e.key)))
                .collect()
        })
        .collect()
}

#[test]
fn string_commands_on_a_list() {
    let mut h = Harness::new();
    h.list("l", &["a", "b"]);
    h.run("SET s v");
    for cmd in [
        "GET l",
        "SET l v GET",
        "GETSET l x",
        "GETDEL l",
        "GETEX l",
        "GETEX l PERSIST",
        "APPEND l x",
        "STRLEN l",
        "INCR l",
        "DECRBY l 1",
        "INCRBYFLOAT l 1",
        "GETRANGE l 0 1",
        "SETRANGE l 0 x",
        "SETRANGE l 0 ",
        "SETBIT l 0 1",
        "GETBIT l 0",
        "BITCOUNT l",
        "BITPOS l 1",
        "BITOP AND d s l",
        "BITFIELD l GET i8 0",
        "BITFIELD_RO l GET i8 0",
    ] {
        assert_eq!(h.run(cmd), WRONGTYPE, "{cmd}");
    }
    assert_eq!(
        h.run("BITPOS l 2"),
        "-ERR The bit argument must be 1 or 0.\r\n"
    );
    assert_eq!(h.run("MGET s l nokey"), "*3\r\n$1\r\nv\r\n$-1\r\n$-1\r\n");
    assert_eq!(
        h.run("LCS s l"),
        "-ERR The specified keys must contain string values\r\n"
    );
    assert_eq!(h.run("SETNX l v"), ":0\r\n");
    assert_eq!(h.run("MSETNX l v"), ":0\r\n");
    assert_eq!(h.run("TYPE l"), "+list\r\n");
    assert_eq!(h.run("OBJECT ENCODING l"), "$9\r\nquicklist\r\n");
}

#[test]
fn generic_commands_on_a_list() {
    let mut h = Harness::new();
    h.list("l", &["b", "a"]);
    assert_eq!(
        h.run("SORT l"),
        "-ERR One or more scores can't be converted into double\r\n"
    );
    assert_eq!(h.run("SORT l ALPHA"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(h.run("SORT l ALPHA DESC LIMIT 0 1"), "*1\r\n$1\r\nb\r\n");
    assert_eq!(h.run("SORT l BY nosort"), "*2\r\n$1\r\nb\r\n$1\r\na\r\n");
    assert_eq!(
        h.run("SORT l BY nosort DESC"),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    assert_eq!(h.run("SORT l ALPHA STORE dst"), ":2\r\n");
    assert_eq!(h.run("TYPE dst"), "+list\r\n");
    assert_eq!(h.run("RENAME l l2"), "+OK\r\n");
    assert_eq!(h.run("TYPE l2"), "+list\r\n");
    assert_eq!(h.run("COPY l2 l3"), ":1\r\n");
    assert_eq!(h.run("MOVE l3 1"), ":1\r\n");
    assert_eq!(h.run("SET l2 v"), "+OK\r\n");
    assert_eq!(h.run("TYPE l2"), "+string\r\n");
    assert_eq!(
        h.run("SCAN 0 TYPE list"),
        "*2\r\n$1\r\n0\r\n*1\r\n$3\r\ndst\r\n"
    );
}

#[test]
fn sort_by_and_get_patterns() {
    let mut h = Harness::new();
    h.list("l", &["3", "1", "2"]);
    h.run("MSET w_1 30 w_2 20 w_3 10 n_1 one n_3 three");
    assert_eq!(
        h.run("SORT l BY w_*"),
        "*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        h.run("SORT l GET n_* GET #"),
        "*6\r\n$3\r\none\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n$5\r\nthree\r\n$1\r\n3\r\n"
    );
    assert_eq!(h.run("SORT_RO l STORE x"), "-ERR syntax error\r\n");
}

#[test]
fn dump_and_restore_round_trip_every_type() {
    let mut h = Harness::new();
    h.list("l", &["a", "b", "c"]);
    h.run("SET s hello");
    for (key, kind) in [("l", "+list\r\n"), ("s", "+string\r\n")] {
        let dumped = h
            .engine
            .execute(h.client, &[Bytes::from("DUMP"), Bytes::from(key)]);
        let crate::protocol::Reply::Bulk(payload) = dumped.reply else {
            panic!("DUMP {key} gave {:?}", dumped.reply);
        };
        let restored = h.engine.execute(
            h.client,
            &[
                Bytes::from("RESTORE"),
                Bytes::from(format!("{key}-copy")),
                Bytes::from("0"),
                payload.clone(),
            ],
        );
        assert_eq!(restored.reply, crate::protocol::Reply::ok());
        assert_eq!(h.run(&format!("TYPE {key}-copy")), kind);
        let mut corrupt = payload.to_vec();
        corrupt[0] ^= 1;
        let bad = h.engine.execute(
            h.client,
            &[
                Bytes::from("RESTORE"),
                Bytes::from("x"),
                Bytes::from("0"),
                Bytes::from(corrupt),
            ],
        );
        assert_eq!(
            bad.reply,
            crate::protocol::Reply::error("ERR DUMP payload version or checksum are wrong")
        );
    }
    assert_eq!(h.run("GET s-copy"), "$5\r\nhello\r\n");
    let original = h.engine.dbs[0].get(b"l").cloned();
    assert_eq!(h.engine.dbs[0].get(b"l-copy").cloned(), original);
}

#[test]
fn watch_is_broken_by_expiry() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    h.run("SET a 1 PX 100");
    h.run("WATCH a");
    h.engine.clock.fast_forward(Duration::from_millis(200));
    h.run("MULTI");
    h.run("PING");
    // Nobody touched the key: the deadline alone breaks the WATCH.
    assert_eq!(h.run("EXEC"), "*-1\r\n");
}

#[test]
fn watching_an_already_expired_key_survives_its_deletion() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    h.run("SET a 1 PX 100");
    h.engine.clock.fast_forward(Duration::from_millis(200));
    h.run("WATCH a");
    // The lookup deletes the expired key: no logical change for this WATCH.
    assert_eq!(h.run("GET a"), "$-1\r\n");
    h.run("MULTI");
    h.run("PING");
    assert_eq!(h.run("EXEC"), "*1\r\n+PONG\r\n");
}

#[test]
fn watch_is_broken_by_active_expiry() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    h.run("SET a 1 PX 100");
    h.run("WATCH a");
    h.engine.clock.fast_forward(Duration::from_millis(200));
    h.engine.active_expire_cycle();
    assert_eq!(h.run("DBSIZE"), ":0\r\n");
    h.run("MULTI");
    h.run("PING");
    assert_eq!(h.run("EXEC"), "*-1\r\n");
}

#[test]
fn watch_from_another_client() {
    let mut h = Harness::new();
    let other = h.engine.connect("127.0.0.1:3".into(), "127.0.0.1:2".into());
    h.run("WATCH k");
    h.engine.execute(
        other,
        &[Bytes::from("SET"), Bytes::from("k"), Bytes::from("v")],
    );
    h.run("MULTI");
    h.run("GET k");
    assert_eq!(h.run("EXEC"), "*-1\r\n");
    // A disconnected watcher leaves no registration behind.
    h.run("WATCH k");
    h.engine.disconnect(h.client);
    assert!(!h.engine.dbs[0].is_watched(b"k"));
}

#[test]
fn expiry_follows_the_engine_clock() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    h.run("SET a 1 EX 10");
    h.run("SET b 1 EX 100");
    h.engine.clock.fast_forward(Duration::from_secs(10));
    assert_eq!(h.run("TTL a"), ":0\r\n");
    assert_eq!(h.run("GET a"), "$1\r\n1\r\n");
    h.engine.clock.fast_forward(Duration::from_millis(1));
    assert_eq!(
        h.run("DBSIZE"),
        ":2\r\n",
        "lazy: not removed before a lookup"
    );
    assert_eq!(h.run("GET a"), "$-1\r\n");
    assert_eq!(h.run("DBSIZE"), ":1\r\n");
    assert_eq!(h.run("TTL b"), ":90\r\n");
    let info = h.run("INFO stats");
    assert!(info.contains("expired_keys:1\r\n"), "{info}");
}

#[test]
fn time_reads_the_engine_clock() {
    let mut h = Harness::new();
    h.engine
        .clock
        .set_time(std::time::UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456));
    assert_eq!(h.run("TIME"), "*2\r\n$10\r\n1700000000\r\n$6\r\n123456\r\n");
    h.run("SET k v EX 5");
    assert_eq!(h.run("EXPIRETIME k"), ":1700000005\r\n");
}

#[test]
fn scan_returns_every_key_present_throughout() {
    let mut h = Harness::new();
    for i in 0..200 {
        h.run(&format!("SET key:{i} v"));
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    let mut rounds = 0;
    loop {
        let args: Vec<Bytes> = ["SCAN", &cursor, "COUNT", "7"]
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        let out = h.engine.execute(h.client, &args).reply;
        let crate::protocol::Reply::Array(parts) = out else {
            panic!("{out:?}")
        };
        let (crate::protocol::Reply::Bulk(next), crate::protocol::Reply::Array(keys)) =
            (&parts[0], &parts[1])
        else {
            panic!("{parts:?}")
        };
        for k in keys {
            if let crate::protocol::Reply::Bulk(k) = k {
                seen.insert(k.clone());
            }
        }
        // Churn between calls: new keys and deleted ones must not hide others.
        h.run(&format!("SET extra:{rounds} v"));
        h.run(&format!("DEL extra:{}", rounds.max(1) - 1));
        rounds += 1;
        cursor = String::from_utf8(next.to_vec()).unwrap();
        if cursor == "0" {
            break;
        }
        assert!(rounds < 500);
    }
    for i in 0..200 {
        assert!(
            seen.contains(format!("key:{i}").as_bytes()),
            "key:{i} missed"
        );
    }
}

#[test]
fn randomkey_skips_expired_keys() {
    let mut h = Harness::new();
    h.engine.clock.freeze();
    for i in 0..20 {
        h.run(&format!("SET old:{i} v PX 10"));
    }
    h.run("SET live v");
    h.engine.clock.fast_forward(Duration::from_millis(20));
    assert_eq!(h.run("RANDOMKEY"), "$4\r\nlive\r\n");
    h.run("DEL live");
    assert_eq!(h.run("RANDOMKEY"), "$-1\r\n");
    assert_eq!(h.run("DBSIZE"), ":0\r\n");
}

#[test]
fn keyspace_events_follow_the_configuration() {
    let mut h = Harness::new();
    h.run("SET a 1");
    assert!(h.engine.event_log.is_empty(), "off by default");
    assert_eq!(h.run("CONFIG SET notify-keyspace-events KA"), "+OK\r\n");
    h.run("SET a 2 EX 10");
    h.run("INCR a");
    h.run("SET fresh 1");
    let names: Vec<&str> = h.engine.event_log.drain(..).map(|(_, e)| e.event).collect();
    // `new` is not part of `A`.
    assert_eq!(names, vec!["set", "expire", "incrby", "set"]);
    h.run("CONFIG SET notify-keyspace-events Ex");
    h.engine.clock.freeze();
    h.run("SET gone 1 PX 1");
    h.engine.clock.fast_forward(Duration::from_millis(5));
    h.engine.active_expire_cycle();
    let events: Vec<_> = h.engine.event_log.drain(..).collect();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].1.event, &events[0].1.key[..]),
        ("expired", &b"gone"[..])
    );
    h.run("CONFIG SET notify-keyspace-events g");
    h.run("DEL a");
    assert!(
        h.engine.event_log.is_empty(),
        "no K or E: nothing published"
    );
}

#[test]
fn client_list_inside_exec() {
    let mut h = Harness::new();
    assert!(
        h.run("CLIENT INFO")
            .contains(" flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 ")
    );
    h.run("MULTI");
    h.run("SET a 1");
    h.run("CLIENT INFO");
    let out = h.run("EXEC");
    assert!(
        out.contains(" flags=x db=0 sub=0 psub=0 ssub=0 multi=2 "),
        "{out}"
    );
    assert!(out.contains(" cmd=exec "), "{out}");
    assert!(h.run("CLIENT INFO").contains(" multi=-1 "));
}

#[test]
fn config_set_requirepass_applies_to_new_connections() {
    let mut h = Harness::new();
    assert_eq!(h.run("CONFIG SET requirepass s3cret"), "+OK\r\n");
    assert_eq!(
        h.run("PING"),
        "+PONG\r\n",
        "the current connection stays in"
    );
    let other = h.engine.connect("127.0.0.1:9".into(), "127.0.0.1:2".into());
    let get = |h: &mut Harness, args: &[&str]| {
        let args: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        String::from_utf8_lossy(
            &h.engine
                .execute(other, &args)
                .reply
                .to_bytes(Protocol::Resp2),
        )
        .into_owned()
    };
    assert_eq!(
        get(&mut h, &["GET", "k"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(get(&mut h, &["AUTH", "s3cret"]), "+OK\r\n");
    assert_eq!(get(&mut h, &["GET", "k"]), "$-1\r\n");
    h.run("CONFIG SET requirepass \\s");
    assert!(h.engine.config.requirepass.is_some());
    h.run("CONFIG SET requirepass ");
    assert!(h.engine.config.requirepass.is_none());
}

#[test]
fn config_reports_the_builder_settings() {
    let mut engine = Engine::new(Config {
        tcp_port: 6390,
        requirepass: Some(Bytes::from("pw")),
        ..Config::default()
    });
    assert_eq!(engine.config_str("port"), Some("6390"));
    assert_eq!(engine.config_str("requirepass"), Some("pw"));
    let id = engine.connect("a".into(), "b".into());
    let auth = engine.execute(id, &[Bytes::from("AUTH"), Bytes::from("pw")]);
    assert_eq!(auth.reply, crate::protocol::Reply::ok());
    let args = ["CONFIG", "SET", "port", "1"].map(Bytes::from);
    let out = engine.execute(id, &args);
    // Redis would rebind; the mock keeps its listener and says so.
    assert_eq!(
        out.reply,
        crate::protocol::Reply::error(
            "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"
        )
    );
}
