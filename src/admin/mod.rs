//! The admin API (feature `admin`): HTTP and JSON on a port of its own, so
//! tests in any language can mount mocks, read the journal, verify, inject
//! faults, move the clock and read or write keys of a running server, as
//! WireMock's `/__admin` does. The `mock-redis` binary serves it with
//! `--admin-port`; `docs/admin-openapi.json` describes every route (a test
//! checks the two agree).
//!
//! Mocks and keys use the JSON form of the [fixture file](crate::fixture)
//! format: the same fields, with replies in the same notation.
//!
//! ```sh
//! curl -s -X POST localhost:7000/__admin/mocks \
//!   -d '{"command": "GET", "args": ["user:1"], "reply": "alice", "expect": 1}'
//! curl -s localhost:7000/__admin/journal
//! curl -s -X POST localhost:7000/__admin/verify     # 200, or 409 with the report
//! curl -s -X POST localhost:7000/__admin/clock -d '{"fast_forward_ms": 60000}'
//! curl -s -X PUT localhost:7000/__admin/db/0/keys/cart -d '{"hash": {"apples": "3"}}'
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde_json::{Value as Json, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::MockRedis;
use crate::fixture::Fixture;

/// A running admin API; dropping it stops serving (the Redis server lives
/// on).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use std::sync::Arc;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// let server = Arc::new(mock_redis::MockRedis::start().await);
/// let admin = mock_redis::admin::serve(server.clone(), "127.0.0.1:0".parse().unwrap()).await?;
/// let mut http = tokio::net::TcpStream::connect(admin.addr()).await?;
/// http.write_all(b"GET /__admin/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await?;
/// let mut answer = String::new();
/// http.read_to_string(&mut answer).await?;
/// assert!(answer.starts_with("HTTP/1.1 200 OK"));
/// assert!(answer.ends_with(r#"{"status":"ok"}"#));
/// # Ok(())
/// # }
/// ```
pub struct AdminServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl AdminServer {
    /// The address the admin API listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API's base URL, `http://<addr>/__admin`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = std::sync::Arc::new(mock_redis::MockRedis::start().await);
    /// let admin = mock_redis::admin::serve(server, "127.0.0.1:0".parse().unwrap()).await?;
    /// assert_eq!(admin.url(), format!("http://{}/__admin", admin.addr()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn url(&self) -> String {
        format!("http://{}/__admin", self.addr)
    }
}

impl Drop for AdminServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Serves the admin API for `server` on `addr` (port 0 picks one) on the
/// current tokio runtime.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let server = std::sync::Arc::new(mock_redis::MockRedis::start().await);
/// let admin = mock_redis::admin::serve(server, "127.0.0.1:0".parse().unwrap()).await?;
/// assert_ne!(admin.addr().port(), 0);
/// # Ok(())
/// # }
/// ```
pub async fn serve(server: Arc<MockRedis>, addr: SocketAddr) -> io::Result<AdminServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(server);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(AdminServer {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

type Shared = State<Arc<MockRedis>>;

fn router(server: Arc<MockRedis>) -> Router {
    Router::new()
        .route("/__admin/health", get(health))
        .route(
            "/__admin/mocks",
            get(list_mocks).post(add_mocks).delete(remove_mocks),
        )
        .route("/__admin/mocks/{id}", delete(remove_mock))
        .route("/__admin/fixture", post(apply_fixture))
        .route("/__admin/journal", get(journal))
        .route("/__admin/verify", post(verify))
        .route("/__admin/reset", post(reset))
        .route("/__admin/faults/error", put(set_error).delete(clear_error))
        .route("/__admin/faults/close_connections", post(close_connections))
        .route(
            "/__admin/faults/close_after",
            put(set_close_after).delete(clear_close_after),
        )
        .route("/__admin/clock", get(clock).post(move_clock))
        .route("/__admin/db/{db}/keys", get(keys))
        .route(
            "/__admin/db/{db}/keys/{key}",
            get(get_key).put(put_key).delete(delete_key),
        )
        .route("/__admin/flushall", post(flushall))
        .route("/__admin/publish", post(publish))
        .route("/__admin/published", get(published))
        .with_state(server)
}

/// A JSON reply with a status.
fn json_reply(status: StatusCode, body: Json) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn ok(body: Json) -> Answer {
    reply(StatusCode::OK, body)
}

fn reply(status: StatusCode, body: Json) -> Answer {
    Ok(json_reply(status, body))
}

/// A refused request: its status and the `{"error": ..}` message.
struct Failure {
    status: StatusCode,
    message: String,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        json_reply(self.status, json!({ "error": self.message }))
    }
}

/// What a handler answers: a JSON reply, or a refusal.
type Answer = Result<Response, Failure>;

fn bad_request(message: impl Into<String>) -> Failure {
    Failure {
        status: StatusCode::BAD_REQUEST,
        message: message.into(),
    }
}

fn not_found(message: impl Into<String>) -> Failure {
    Failure {
        status: StatusCode::NOT_FOUND,
        message: message.into(),
    }
}

/// Parses a JSON body, or answers 400 saying what is wrong with it.
fn parse_json(body: &[u8]) -> Result<Json, Failure> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("the body is not JSON: {e}")))
}

/// A JSON object's field of the expected type.
fn field<'a, T>(
    body: &'a Json,
    name: &str,
    get: impl Fn(&'a Json) -> Option<T>,
    what: &str,
) -> Result<T, Failure> {
    body.get(name)
        .and_then(get)
        .ok_or_else(|| bad_request(format!("`{name}` must be {what}")))
}

/// The JSON form of a fixture value as TOML (JSON's `null` has no TOML
/// form: a field is left out instead).
fn to_toml(v: &Json, at: &str) -> Result<toml::Value, String> {
    Ok(match v {
        Json::Null => {
            return Err(format!(
                "{at}: null is not a value here (leave the field out; a nil reply is {{\"nil\": true}})"
            ));
        }
        Json::Bool(b) => toml::Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(
                n.as_f64()
                    .ok_or_else(|| format!("{at}: {n} is out of range"))?,
            ),
        },
        Json::String(s) => toml::Value::String(s.clone()),
        Json::Array(items) => toml::Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| to_toml(v, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(map) => toml::Value::Table(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), to_toml(v, &format!("{at}.{k}"))?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// Checks JSON items (mocks or keys) through the fixture format; an error
/// names the item (`mocks[1]`) instead of a line of generated TOML.
fn fixture_from_json(section: &str, items: &[Json]) -> Result<Fixture, Failure> {
    let mut tables = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{section}[{i}]");
        if !item.is_object() {
            return Err(bad_request(format!("{at}: expected a JSON object")));
        }
        let table = to_toml(item, &at).map_err(bad_request)?;
        let mut doc = toml::Table::new();
        doc.insert(section.to_string(), toml::Value::Array(vec![table]));
        let text = toml::to_string(&doc)
            .map_err(|e| bad_request(format!("{at}: cannot be written as a fixture: {e}")))?;
        let one = Fixture::from_toml(&at, &text)
            .map_err(|e| bad_request(format!("{at}: {}", e.message())))?;
        tables.push(one);
    }
    Ok(Fixture::concat(tables))
}

async fn health() -> Answer {
    ok(json!({ "status": "ok" }))
}

async fn list_mocks(State(server): Shared) -> Answer {
    let mocks: Vec<Json> = server
        .mock_list()
        .into_iter()
        .map(|m| {
            json!({
                "id": m.id,
                "name": m.name,
                "label": m.label,
                "calls": m.calls,
                "expect": m.expect,
                "priority": m.priority,
            })
        })
        .collect();
    ok(Json::Array(mocks))
}

async fn add_mocks(State(server): Shared, body: Bytes) -> Answer {
    let body = parse_json(&body)?;
    let items = match &body {
        Json::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    match fixture_from_json("mock", &items) {
        Ok(fixture) => {
            let ids: Vec<u64> = fixture
                .mocks()
                .into_iter()
                .map(|m| server.mount_with_id(m))
                .collect();
            reply(StatusCode::CREATED, json!({ "ids": ids }))
        }
        Err(r) => Err(r),
    }
}

async fn remove_mocks(State(server): Shared) -> Answer {
    let ids: Vec<u64> = server.mock_list().iter().map(|m| m.id).collect();
    let removed = ids.into_iter().filter(|id| server.unmount(*id)).count();
    ok(json!({ "removed": removed }))
}

async fn remove_mock(State(server): Shared, Path(id): Path<String>) -> Answer {
    match id.parse::<u64>() {
        Ok(n) if server.unmount(n) => ok(json!({ "removed": 1 })),
        Ok(n) => Err(not_found(format!("no mock {n}"))),
        Err(_) => Err(bad_request(format!("`{id}` is not a mock id"))),
    }
}

async fn apply_fixture(State(server): Shared, body: Bytes) -> Answer {
    let Ok(text) = std::str::from_utf8(&body) else {
        return Err(bad_request("the fixture is not UTF-8"));
    };
    match Fixture::from_toml("request", text) {
        Ok(fixture) => {
            fixture.apply(&server);
            ok(json!({ "mocks": fixture.mock_count() }))
        }
        Err(e) => Err(bad_request(e.to_string())),
    }
}

async fn journal(State(server): Shared) -> Answer {
    let Some(requests) = server.received_commands() else {
        return ok(json!({ "recording": false, "commands": [] }));
    };
    let commands: Vec<Json> = requests
        .iter()
        .map(|r| {
            let ms = r
                .time()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            json!({
                "connection": r.connection_id(),
                "db": r.db(),
                "time_ms": ms,
                "args": r.args_as_strings(),
            })
        })
        .collect();
    ok(json!({ "recording": true, "commands": commands }))
}

async fn verify(State(server): Shared) -> Answer {
    match server.try_verify() {
        Ok(()) => ok(json!({ "ok": true })),
        Err(report) => reply(
            StatusCode::CONFLICT,
            json!({ "ok": false, "report": report.to_string() }),
        ),
    }
}

async fn reset(State(server): Shared) -> Answer {
    server.reset();
    ok(json!({ "ok": true }))
}

async fn set_error(State(server): Shared, body: Bytes) -> Answer {
    let body = parse_json(&body)?;
    match field(&body, "error", Json::as_str, "a string") {
        Ok(e) if e.is_empty() || e.contains(['\r', '\n']) => {
            Err(bad_request("`error` must be one non-empty line"))
        }
        Ok(e) => {
            server.set_error(Some(e));
            ok(json!({ "ok": true }))
        }
        Err(r) => Err(r),
    }
}

async fn clear_error(State(server): Shared) -> Answer {
    server.set_error(None);
    ok(json!({ "ok": true }))
}

async fn close_connections(State(server): Shared) -> Answer {
    server.close_connections();
    ok(json!({ "ok": true }))
}

async fn set_close_after(State(server): Shared, body: Bytes) -> Answer {
    let body = parse_json(&body)?;
    match field(&body, "commands", Json::as_u64, "a count of commands") {
        Ok(n) => {
            server.close_connections_after(Some(n));
            ok(json!({ "ok": true }))
        }
        Err(r) => Err(r),
    }
}

async fn clear_close_after(State(server): Shared) -> Answer {
    server.close_connections_after(None);
    ok(json!({ "ok": true }))
}

fn now_ms(server: &MockRedis) -> u64 {
    server
        .now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

async fn clock(State(server): Shared) -> Answer {
    ok(json!({ "now_ms": now_ms(&server) }))
}

async fn move_clock(State(server): Shared, body: Bytes) -> Answer {
    let body = parse_json(&body)?;
    let Some(obj) = body.as_object() else {
        return Err(bad_request("expected a JSON object"));
    };
    for k in obj.keys() {
        if !["fast_forward_ms", "freeze", "time_ms"].contains(&k.as_str()) {
            return Err(bad_request(format!(
                "unknown field `{k}`: expected `fast_forward_ms`, `freeze` or `time_ms`"
            )));
        }
    }
    // Check every field before changing anything.
    let time = match obj.get("time_ms") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(ms) => Some(UNIX_EPOCH + Duration::from_millis(ms)),
            None => return Err(bad_request("`time_ms` must be milliseconds since 1970")),
        },
    };
    let forward = match obj.get("fast_forward_ms") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(ms) => Some(Duration::from_millis(ms)),
            None => {
                return Err(bad_request(
                    "`fast_forward_ms` must be a count of milliseconds",
                ));
            }
        },
    };
    let freeze = match obj.get("freeze") {
        None => None,
        Some(v) => match v.as_bool() {
            Some(b) => Some(b),
            None => return Err(bad_request("`freeze` must be true or false")),
        },
    };
    if let Some(t) = time {
        server.set_time(t);
    }
    match freeze {
        Some(true) => server.freeze_time(),
        Some(false) => server.unfreeze_time(),
        None => {}
    }
    if let Some(d) = forward {
        server.fast_forward(d);
    }
    ok(json!({ "now_ms": now_ms(&server) }))
}

fn db_index(db: &str) -> Result<usize, Failure> {
    db.parse::<usize>()
        .ok()
        .filter(|n| *n < 16)
        .ok_or_else(|| bad_request(format!("`{db}` is not a database (0 to 15)")))
}

async fn keys(State(server): Shared, Path(db): Path<String>) -> Answer {
    let db = db_index(&db)?;
    let keys: Vec<String> = server
        .db(db)
        .keys()
        .iter()
        .map(|k| k.to_string_lossy())
        .collect();
    ok(json!(keys))
}

async fn get_key(State(server): Shared, Path((db, key)): Path<(String, String)>) -> Answer {
    let db = db_index(&db)?;
    let handle = server.db(db);
    let Some(kind) = handle.type_of(&key) else {
        return Err(not_found(format!("no key `{key}` in db {db}")));
    };
    let lossy = |v: Vec<crate::RedisString>| -> Json {
        Json::Array(v.iter().map(|s| json!(s.to_string_lossy())).collect())
    };
    // The key was just seen with this type; a read of another type is a race
    // with a client, reported as such.
    let value = match kind {
        "string" => handle
            .get(&key)
            .map(|v| v.map_or(Json::Null, |s| json!(s.to_string_lossy()))),
        "hash" => handle.hgetall(&key).map(|pairs| {
            Json::Object(
                pairs
                    .iter()
                    .map(|(f, v)| (f.to_string_lossy(), json!(v.to_string_lossy())))
                    .collect(),
            )
        }),
        "list" => handle.lrange(&key, 0, -1).map(lossy),
        "set" => handle.smembers(&key).map(lossy),
        "zset" => handle.zrange_withscores(&key, 0, -1).map(|members| {
            Json::Array(
                members
                    .iter()
                    .map(|(m, s)| json!([m.to_string_lossy(), s]))
                    .collect(),
            )
        }),
        _ => Ok(Json::Null),
    };
    let value = match value {
        Ok(v) => v,
        Err(e) => {
            return Err(Failure {
                status: StatusCode::CONFLICT,
                message: e.to_string(),
            });
        }
    };
    let ttl = handle.ttl(&key).map(|d| d.as_millis() as u64);
    ok(json!({ "type": kind, "value": value, "ttl_ms": ttl }))
}

async fn put_key(
    State(server): Shared,
    Path((db, key)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let db = db_index(&db)?;
    let mut body = parse_json(&body)?;
    let Some(obj) = body.as_object_mut() else {
        return Err(bad_request("expected a JSON object"));
    };
    if obj.contains_key("name") || obj.contains_key("db") {
        return Err(bad_request("the key's name and db come from the path"));
    }
    obj.insert("name".into(), json!(key));
    obj.insert("db".into(), json!(db));
    match fixture_from_json("key", std::slice::from_ref(&body)) {
        Ok(fixture) => {
            fixture.apply(&server);
            ok(json!({ "ok": true }))
        }
        Err(r) => Err(r),
    }
}

async fn delete_key(State(server): Shared, Path((db, key)): Path<(String, String)>) -> Answer {
    match db_index(&db) {
        Ok(db) => ok(json!({ "deleted": server.db(db).del(&key) })),
        Err(r) => Err(r),
    }
}

async fn flushall(State(server): Shared) -> Answer {
    server.flushall();
    ok(json!({ "ok": true }))
}

async fn publish(State(server): Shared, body: Bytes) -> Answer {
    let body = parse_json(&body)?;
    let channel = field(&body, "channel", Json::as_str, "a string")?;
    let message = field(&body, "message", Json::as_str, "a string")?;
    let receivers = server.publish(channel, message);
    ok(json!({ "receivers": receivers }))
}

async fn published(State(server): Shared) -> Answer {
    let list: Vec<Json> = server
        .published()
        .iter()
        .map(|(c, m)| json!({ "channel": c.to_string_lossy(), "message": m.to_string_lossy() }))
        .collect();
    ok(Json::Array(list))
}
