//! Engine-level tests and helpers that call the engine directly, without a
//! session: [`events_of`] (the keyspace events a command queues, for the
//! command groups' own tests) and the builder settings. Scenario tests that
//! run commands as a connection sends them live in `src/session/tests.rs`,
//! which drive the engine through a session.

use bytes::Bytes;

use super::{Config, Engine};

/// Runs each command (space-separated words) and returns the keyspace
/// events every one of them queued, as `event:key` strings.
pub(crate) fn events_of(commands: &[&str]) -> Vec<Vec<String>> {
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

/// Runs one command (space-separated words) for client `id`.
fn run(engine: &mut Engine, id: u64, line: &str) -> crate::protocol::Reply {
    let args: Vec<Bytes> = line
        .split(' ')
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect();
    engine.execute(id, &args).reply
}

fn is_panic_error(reply: &crate::protocol::Reply, name: &str) -> bool {
    let text = format!("ERR mock-redis failed running '{name}' (a bug): DEBUG PANIC-FOR-TEST");
    matches!(reply, crate::protocol::Reply::Error(e) if e[..] == *text.as_bytes())
}

#[test]
fn a_panicking_handler_leaves_the_client_and_its_cleanup_in_place() {
    let mut engine = Engine::new(Config::default());
    let a = engine.connect("a".into(), "b".into());
    let b = engine.connect("c".into(), "d".into());
    run(&mut engine, a, "HELLO 3");
    run(&mut engine, a, "WATCH k");
    run(&mut engine, a, "SUBSCRIBE ghost");
    let reply = run(&mut engine, a, "DEBUG PANIC-FOR-TEST");
    assert!(is_panic_error(&reply, "debug"), "{reply:?}");
    // Still connected, still subscribed, still watching, still answering.
    assert!(engine.client(a).is_some());
    assert_eq!(
        run(&mut engine, b, "PUBLISH ghost m"),
        crate::protocol::Reply::Integer(1)
    );
    assert!(engine.dbs[0].is_watched(b"k"));
    assert_eq!(
        run(&mut engine, a, "PING"),
        crate::protocol::Reply::simple("PONG")
    );
    // And its cleanup runs when it leaves.
    engine.disconnect(a);
    assert_eq!(
        run(&mut engine, b, "PUBLISH ghost m"),
        crate::protocol::Reply::Integer(0)
    );
    assert!(!engine.dbs[0].is_watched(b"k"));
}

#[test]
fn a_panic_inside_exec_discards_the_rest_of_the_transaction() {
    let mut engine = Engine::new(Config::default());
    let a = engine.connect("a".into(), "b".into());
    run(&mut engine, a, "WATCH w");
    run(&mut engine, a, "MULTI");
    run(&mut engine, a, "SET x 1");
    run(&mut engine, a, "DEBUG PANIC-FOR-TEST");
    run(&mut engine, a, "SET y 1");
    let reply = run(&mut engine, a, "EXEC");
    assert!(is_panic_error(&reply, "exec"), "{reply:?}");
    // Out of MULTI, WATCHes gone; what ran before the panic stays.
    let client = engine.client(a).expect("still connected");
    assert!(client.multi.is_none() && client.watched.is_empty());
    assert!(!engine.dbs[0].is_watched(b"w"));
    assert_eq!(run(&mut engine, a, "SET z 1"), crate::protocol::Reply::ok());
    assert_eq!(
        run(&mut engine, a, "EXISTS x y z"),
        crate::protocol::Reply::Integer(2)
    );
}

/// The address of the string stored at `key` in database 0.
fn string_ptr(engine: &mut Engine, key: &[u8]) -> *const u8 {
    match engine.dbs[0].value(key) {
        Some(super::types::Value::String(s)) => s.as_ptr(),
        other => panic!("not a string: {other:?}"),
    }
}

#[test]
fn string_writes_happen_in_place() {
    let mut engine = Engine::new(Config::default());
    let id = engine.connect("a".into(), "b".into());
    let big = vec![b'x'; 1 << 20];
    let args = [Bytes::from("SET"), Bytes::from("k"), Bytes::from(big)];
    engine.execute(id, &args);
    drop(args);
    // The first write may copy (the value was sliced from the request);
    // from then on every write reuses the buffer.
    run(&mut engine, id, "SETBIT k 0 1");
    let at = string_ptr(&mut engine, b"k");
    for line in [
        "SETBIT k 8388000 1",
        "SETRANGE k 100 hello",
        "BITFIELD k SET u8 0 255 INCRBY i5 100 1",
        "GET k",
        "SETBIT k 7 1",
    ] {
        run(&mut engine, id, line);
        assert_eq!(
            string_ptr(&mut engine, b"k"),
            at,
            "{line} copied the string"
        );
    }
    assert_eq!(
        run(&mut engine, id, "GETBIT k 8388000"),
        crate::protocol::Reply::Integer(1)
    );
    assert_eq!(
        run(&mut engine, id, "GETRANGE k 100 104"),
        crate::protocol::Reply::bulk("hello")
    );
    // APPEND grows the buffer geometrically: 1024 appends of 1 KB move it
    // a handful of times, not once per append.
    let mut moves = 0;
    let mut at = string_ptr(&mut engine, b"k");
    for _ in 0..1024 {
        let args = [
            Bytes::from("APPEND"),
            Bytes::from("k"),
            Bytes::from(vec![b'y'; 1024]),
        ];
        engine.execute(id, &args);
        let now = string_ptr(&mut engine, b"k");
        moves += usize::from(now != at);
        at = now;
    }
    assert!(moves < 20, "{moves} moves");
    assert_eq!(
        run(&mut engine, id, "STRLEN k"),
        crate::protocol::Reply::Integer(2 << 20)
    );
}
