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
