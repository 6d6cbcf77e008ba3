//! The admin API (feature `admin`) over real HTTP: every route, the answers
//! Redis clients see after each admin call, bad input, and the agreement
//! between `docs/admin-openapi.json` and the routes served.

use std::sync::Arc;

use mock_redis::MockRedis;
use mock_redis::admin::{self, AdminServer};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::RawConn;

async fn start() -> (Arc<MockRedis>, AdminServer) {
    let server = Arc::new(MockRedis::start().await);
    let admin = admin::serve(server.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (server, admin)
}

/// One HTTP/1.1 request; the status and the body parsed as JSON.
async fn http(admin: &AdminServer, method: &str, path: &str, body: &str) -> (u16, Value) {
    let mut s = tokio::net::TcpStream::connect(admin.addr()).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let status: u16 = out[9..12].parse().unwrap();
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string()))
    };
    (status, json)
}

#[tokio::test]
async fn mount_list_call_verify_and_remove_a_mock() {
    let (server, admin) = start().await;
    let (status, body) = http(
        &admin,
        "POST",
        "/__admin/mocks",
        r#"{"name": "lookup", "command": "GET", "args": ["user:1"], "reply": "alice", "expect": 1}"#,
    )
    .await;
    assert_eq!((status, &body), (201, &json!({ "ids": [1] })));
    let mut c = RawConn::open(server.port()).await;
    assert_eq!(c.cmd(["GET", "user:1"]).await, b"$5\r\nalice\r\n");
    let (_, list) = http(&admin, "GET", "/__admin/mocks", "").await;
    assert_eq!(
        list,
        json!([{ "id": 1, "name": "lookup", "label": "'lookup'", "calls": 1,
                 "expect": "exactly 1 call", "priority": 5 }])
    );
    assert_eq!(
        http(&admin, "POST", "/__admin/verify", "").await,
        (200, json!({ "ok": true }))
    );
    assert_eq!(c.cmd(["GET", "user:1"]).await, b"$5\r\nalice\r\n");
    let (status, body) = http(&admin, "POST", "/__admin/verify", "").await;
    assert_eq!(status, 409);
    let report = body["report"].as_str().unwrap();
    assert!(
        report.contains("mock 'lookup': expected exactly 1 call, received 2 calls"),
        "{report}"
    );
    assert_eq!(http(&admin, "DELETE", "/__admin/mocks/1", "").await.0, 200);
    assert_eq!(
        http(&admin, "DELETE", "/__admin/mocks/1", "").await,
        (404, json!({ "error": "no mock 1" }))
    );
    assert_eq!(
        c.cmd(["GET", "user:1"]).await,
        b"$-1\r\n",
        "the engine answers again"
    );
    server.reset();
}

#[tokio::test]
async fn several_mocks_at_once_and_every_reply_type() {
    let (server, admin) = start().await;
    let (status, _) = http(
        &admin,
        "POST",
        "/__admin/mocks",
        r#"[{"command": "GET", "args": ["a"], "reply": {"map": [["k", 1.5]]}},
            {"command": "INCR", "sequence": [1, {"error": "ERR boom"}], "then": "fall_through"},
            {"any": true, "priority": 9, "reply": {"nil": true}}]"#,
    )
    .await;
    assert_eq!(status, 201);
    let mut c = RawConn::open(server.port()).await;
    assert_eq!(c.cmd(["GET", "a"]).await, b"*2\r\n$1\r\nk\r\n$3\r\n1.5\r\n");
    assert_eq!(c.cmd(["INCR", "n"]).await, b":1\r\n");
    assert_eq!(c.cmd(["INCR", "n"]).await, b"-ERR boom\r\n");
    assert_eq!(
        c.cmd(["INCR", "n"]).await,
        b"$-1\r\n",
        "the catch-all, priority 9"
    );
    let (_, journal) = http(&admin, "GET", "/__admin/journal", "").await;
    assert_eq!(journal["recording"], json!(true));
    let args: Vec<&Value> = journal["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["args"])
        .collect();
    assert_eq!(
        args,
        [
            &json!(["GET", "a"]),
            &json!(["INCR", "n"]),
            &json!(["INCR", "n"]),
            &json!(["INCR", "n"])
        ]
    );
    assert_eq!(
        http(&admin, "DELETE", "/__admin/mocks", "").await,
        (200, json!({ "removed": 3 }))
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_mounted() {
    let (server, admin) = start().await;
    let cases = [
        (
            "POST",
            "/__admin/mocks",
            "{not json",
            "the body is not JSON",
        ),
        (
            "POST",
            "/__admin/mocks",
            r#"[{"command": "GET", "reply": 1}, {"command": "GET", "repy": 1}]"#,
            "mock[1]: unknown field `repy`",
        ),
        (
            "POST",
            "/__admin/mocks",
            r#"{"command": "GET", "reply": null}"#,
            "mock[0].reply: null is not a value here",
        ),
        (
            "POST",
            "/__admin/mocks",
            r#"{"command": "GET", "reply": {"simpel": 1}}"#,
            "unknown reply kind `simpel`",
        ),
        (
            "POST",
            "/__admin/mocks",
            "[1]",
            "mock[0]: expected a JSON object",
        ),
        ("DELETE", "/__admin/mocks/x", "", "`x` is not a mock id"),
        (
            "PUT",
            "/__admin/faults/error",
            r#"{"error": 5}"#,
            "`error` must be a string",
        ),
        (
            "PUT",
            "/__admin/faults/close_after",
            r#"{"commands": -1}"#,
            "`commands` must be a count",
        ),
        (
            "POST",
            "/__admin/clock",
            r#"{"fast_forward": 5}"#,
            "unknown field `fast_forward`",
        ),
        (
            "POST",
            "/__admin/clock",
            r#"{"time_ms": 5, "freeze": "yes"}"#,
            "`freeze` must be true or false",
        ),
        ("GET", "/__admin/db/99/keys", "", "`99` is not a database"),
        (
            "PUT",
            "/__admin/db/0/keys/k",
            r#"{"string": "v", "list": ["x"]}"#,
            "needs exactly one value",
        ),
        (
            "PUT",
            "/__admin/db/0/keys/k",
            r#"{"name": "other", "string": "v"}"#,
            "come from the path",
        ),
        (
            "POST",
            "/__admin/fixture",
            "[[mock]]\nany = true\n",
            "request:1:1: a mock needs an answer",
        ),
        (
            "POST",
            "/__admin/publish",
            r#"{"channel": "c"}"#,
            "`message` must be a string",
        ),
    ];
    for (method, path, body, expected) in cases {
        let (status, answer) = http(&admin, method, path, body).await;
        assert_eq!(status, 400, "{method} {path} {body}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(expected), "{method} {path} {body}: {error}");
    }
    assert_eq!(
        http(&admin, "GET", "/__admin/mocks", "").await.1,
        json!([]),
        "nothing half-mounted"
    );
    assert_eq!(http(&admin, "GET", "/__admin/clock", "").await.0, 200);
    assert!(!server.db(0).exists("k"));
}

#[tokio::test]
async fn faults_clock_keys_and_pubsub() {
    let (server, admin) = start().await;
    let mut c = RawConn::open(server.port()).await;
    let set_error = r#"{"error": "LOADING Redis is loading the dataset in memory"}"#;
    assert_eq!(
        http(&admin, "PUT", "/__admin/faults/error", set_error)
            .await
            .0,
        200
    );
    assert_eq!(
        c.cmd(["PING"]).await,
        b"-LOADING Redis is loading the dataset in memory\r\n"
    );
    assert_eq!(
        http(&admin, "DELETE", "/__admin/faults/error", "").await.0,
        200
    );
    assert_eq!(c.cmd(["PING"]).await, b"+PONG\r\n");

    let (_, now) = http(&admin, "POST", "/__admin/clock", r#"{"freeze": true}"#).await;
    let put = r#"{"hash": {"apples": "3", "pears": 1}, "ttl_ms": 60000}"#;
    assert_eq!(
        http(&admin, "PUT", "/__admin/db/2/keys/cart", put).await.0,
        200
    );
    let (_, key) = http(&admin, "GET", "/__admin/db/2/keys/cart", "").await;
    assert_eq!(key["type"], json!("hash"));
    assert_eq!(key["value"], json!({ "apples": "3", "pears": "1" }));
    assert_eq!(key["ttl_ms"], json!(60000));
    let (_, moved) = http(
        &admin,
        "POST",
        "/__admin/clock",
        r#"{"fast_forward_ms": 60001}"#,
    )
    .await;
    assert_eq!(
        moved["now_ms"].as_u64().unwrap(),
        now["now_ms"].as_u64().unwrap() + 60001
    );
    assert_eq!(
        http(&admin, "GET", "/__admin/db/2/keys/cart", "").await,
        (404, json!({ "error": "no key `cart` in db 2" }))
    );
    for (put, kind, value) in [
        (r#"{"string": "v"}"#, "string", json!("v")),
        (r#"{"list": ["a", "b"]}"#, "list", json!(["a", "b"])),
        (r#"{"set": ["b", "a"]}"#, "set", json!(["a", "b"])),
        (r#"{"zset": {"a": 1.5}}"#, "zset", json!([["a", 1.5]])),
    ] {
        assert_eq!(
            http(&admin, "PUT", "/__admin/db/0/keys/k", put).await.0,
            200
        );
        let (_, got) = http(&admin, "GET", "/__admin/db/0/keys/k", "").await;
        assert_eq!(
            (got["type"].as_str().unwrap(), &got["value"]),
            (kind, &value)
        );
    }
    assert_eq!(
        http(&admin, "GET", "/__admin/db/0/keys", "").await.1,
        json!(["k"])
    );
    assert_eq!(c.cmd(["ZSCORE", "k", "a"]).await, b"$3\r\n1.5\r\n");
    assert_eq!(
        http(&admin, "DELETE", "/__admin/db/0/keys/k", "").await.1,
        json!({ "deleted": true })
    );
    assert_eq!(
        http(&admin, "PUT", "/__admin/db/0/keys/k", r#"{"string": "v"}"#)
            .await
            .0,
        200
    );
    assert_eq!(http(&admin, "POST", "/__admin/flushall", "").await.0, 200);
    assert_eq!(c.cmd(["DBSIZE"]).await, b":0\r\n");

    let mut sub = RawConn::open(server.port()).await;
    sub.cmd(["SUBSCRIBE", "news"]).await;
    let (_, sent) = http(
        &admin,
        "POST",
        "/__admin/publish",
        r#"{"channel": "news", "message": "hi"}"#,
    )
    .await;
    assert_eq!(sent, json!({ "receivers": 1 }));
    assert_eq!(
        sub.read_frame().await,
        crate::support::Read::Frame(b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n".to_vec())
    );
    c.cmd(["PUBLISH", "news", "from a client"]).await;
    assert_eq!(
        http(&admin, "GET", "/__admin/published", "").await.1,
        json!([{ "channel": "news", "message": "from a client" }])
    );

    assert_eq!(
        http(
            &admin,
            "PUT",
            "/__admin/faults/close_after",
            r#"{"commands": 1}"#
        )
        .await
        .0,
        200
    );
    c.send(b"PING\r\n").await;
    assert_eq!(
        c.read_frame().await,
        crate::support::Read::Frame(b"+PONG\r\n".to_vec())
    );
    assert!(c.read_to_eof().await, "closed after one more command");
    assert_eq!(
        http(&admin, "DELETE", "/__admin/faults/close_after", "")
            .await
            .0,
        200
    );
    let mut d = RawConn::open(server.port()).await;
    assert_eq!(
        http(&admin, "POST", "/__admin/faults/close_connections", "")
            .await
            .0,
        200
    );
    assert!(d.read_to_eof().await, "closed by the fault");
}

#[tokio::test]
async fn a_fixture_posted_as_toml_applies_whole() {
    let (server, admin) = start().await;
    let fixture = "[[mock]]\ncommand = \"PING\"\nreply = { simple = \"HI\" }\n\n[[key]]\nname = \"a\"\nstring = \"1\"\n";
    assert_eq!(
        http(&admin, "POST", "/__admin/fixture", fixture).await,
        (200, json!({ "mocks": 1 }))
    );
    let mut c = RawConn::open(server.port()).await;
    assert_eq!(c.cmd(["PING"]).await, b"+HI\r\n");
    assert_eq!(c.cmd(["GET", "a"]).await, b"$1\r\n1\r\n");
    assert_eq!(http(&admin, "POST", "/__admin/reset", "").await.0, 200);
    assert_eq!(c.cmd(["PING"]).await, b"+PONG\r\n");
}

/// Every operation `docs/admin-openapi.json` lists is served (answers
/// something other than 404 with an empty body or 405), and every route
/// this test knows is documented.
#[tokio::test]
async fn the_openapi_description_matches_the_routes() {
    let doc: Value = serde_json::from_str(include_str!("../../docs/admin-openapi.json")).unwrap();
    let (server, admin) = start().await;
    let mut documented = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            documented.push(format!("{} {path}", method.to_uppercase()));
            let concrete = path
                .replace("{db}", "0")
                .replace("{key}", "k")
                .replace("{id}", "1");
            let body = op["requestBody"]["content"]
                .as_object()
                .and_then(|c| c.values().next())
                .map(|c| match &c["example"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            let (status, answer) = http(&admin, &method.to_uppercase(), &concrete, &body).await;
            assert_ne!(status, 405, "{method} {path}");
            assert!(
                status != 404 || answer.get("error").is_some(),
                "{method} {path} is not routed"
            );
            let listed: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            assert!(
                listed.contains(&&status.to_string()),
                "{method} {path} answered {status}, documented {listed:?}: {answer}"
            );
        }
    }
    documented.sort();
    let mut served = vec![
        "GET /__admin/health",
        "GET /__admin/mocks",
        "POST /__admin/mocks",
        "DELETE /__admin/mocks",
        "DELETE /__admin/mocks/{id}",
        "POST /__admin/fixture",
        "GET /__admin/journal",
        "POST /__admin/verify",
        "POST /__admin/reset",
        "PUT /__admin/faults/error",
        "DELETE /__admin/faults/error",
        "POST /__admin/faults/close_connections",
        "PUT /__admin/faults/close_after",
        "DELETE /__admin/faults/close_after",
        "GET /__admin/clock",
        "POST /__admin/clock",
        "GET /__admin/db/{db}/keys",
        "GET /__admin/db/{db}/keys/{key}",
        "PUT /__admin/db/{db}/keys/{key}",
        "DELETE /__admin/db/{db}/keys/{key}",
        "POST /__admin/flushall",
        "POST /__admin/publish",
        "GET /__admin/published",
    ];
    served.sort();
    assert_eq!(documented, served);
    server.reset();
}
