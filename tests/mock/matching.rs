//! Matchers: command names and subcommands, arguments, keys, databases,
//! closures and combinations, with redis-rs async and sync clients.

use crate::util::{conn, conn_url, raw};
use mock_redis::matchers::{any, arg_at, args, command, db, key};
use mock_redis::{Match, Mock, MockRedis, Reply, Request};

#[tokio::test]
async fn command_and_args_match_and_the_rest_falls_through_to_the_engine() {
    let server = MockRedis::start().await;
    Mock::given(command("ECHO").arg("hello"))
        .respond_with(Reply::bulk("mocked"))
        .expect(1)
        .mount(&server);
    let mut c = conn(&server).await;
    let mocked: String = redis::cmd("ECHO")
        .arg("hello")
        .query_async(&mut c)
        .await
        .unwrap();
    let real: String = redis::cmd("ECHO")
        .arg("world")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(mocked, "mocked");
    assert_eq!(real, "world");
}

#[tokio::test]
async fn get_user_answers_from_the_mock() {
    let server = MockRedis::start().await;
    Mock::given(command("GET").arg("user:1"))
        .respond_with(Reply::bulk("alice"))
        .expect(1)
        .mount(&server);
    let mut c = conn(&server).await;
    let name: String = redis::cmd("GET")
        .arg("user:1")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(name, "alice");
}

#[tokio::test]
async fn command_names_are_case_insensitive_and_args_are_not() {
    let server = MockRedis::start().await;
    Mock::given(command("echo").arg("Key"))
        .respond_with(Reply::bulk("mocked"))
        .expect(1)
        .mount(&server);
    assert_eq!(raw(&server, b"EcHo Key\r\n", 12).await, b"$6\r\nmocked\r\n");
    assert_eq!(raw(&server, b"ECHO key\r\n", 9).await, b"$3\r\nkey\r\n");
}

#[tokio::test]
async fn subcommands_match_in_either_spelling() {
    let server = MockRedis::start().await;
    Mock::given(command("CLIENT GETNAME"))
        .respond_with(Reply::bulk("one"))
        .expect(1)
        .mount(&server);
    Mock::given(command("CLIENT").arg("SETNAME"))
        .respond_with(Reply::simple("SET-BY-MOCK"))
        .expect(1)
        .mount(&server);
    let out = raw(&server, b"client getname\r\nclient setname x\r\n", 22).await;
    assert_eq!(out, b"$3\r\none\r\n+SET-BY-MOCK\r\n");
}

#[tokio::test]
async fn exact_args_and_arg_at() {
    let server = MockRedis::start().await;
    Mock::given(args(["SET", "k", "v"]))
        .respond_with(Reply::simple("EXACT"))
        .mount(&server);
    Mock::given(arg_at(3, "EX"))
        .respond_with(Reply::simple("WITH-TTL"))
        .mount(&server);
    let mut c = conn(&server).await;
    let exact: String = redis::cmd("set")
        .arg("k")
        .arg("v")
        .query_async(&mut c)
        .await
        .unwrap();
    let ttl: String = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .arg("EX")
        .arg(10)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!((exact.as_str(), ttl.as_str()), ("EXACT", "WITH-TTL"));
}

#[tokio::test]
async fn key_globs_follow_redis_rules() {
    let server = MockRedis::start().await;
    Mock::given(command("GET").and(key("user:[0-9]*")))
        .respond_with(Reply::bulk("a user"))
        .expect(2)
        .mount(&server);
    Mock::given(key("user:\\*"))
        .respond_with(Reply::bulk("the star user"))
        .expect(1)
        .mount(&server);
    let mut c = conn(&server).await;
    for k in ["user:1", "user:42"] {
        let v: String = redis::cmd("GET").arg(k).query_async(&mut c).await.unwrap();
        assert_eq!(v, "a user");
    }
    let v: String = redis::cmd("GET")
        .arg("user:*")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(v, "the star user");
    // ECHO has no key arguments: the key matcher never accepts it.
    let v: String = redis::cmd("ECHO")
        .arg("user:1")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(v, "user:1");
}

#[tokio::test]
async fn db_matcher_follows_select() {
    let server = MockRedis::start().await;
    Mock::given(command("ECHO").and(db(2)))
        .respond_with(Reply::bulk("from db 2"))
        .expect(1)
        .mount(&server);
    // redis-rs sends SELECT 2 while connecting to /2.
    let mut on_two = conn_url(&format!("{}/2", server.url())).await;
    let mut on_zero = conn(&server).await;
    let a: String = redis::cmd("ECHO")
        .arg("x")
        .query_async(&mut on_two)
        .await
        .unwrap();
    let b: String = redis::cmd("ECHO")
        .arg("x")
        .query_async(&mut on_zero)
        .await
        .unwrap();
    assert_eq!((a.as_str(), b.as_str()), ("from db 2", "x"));
}

#[tokio::test]
async fn closures_and_combinations() {
    let server = MockRedis::start().await;
    let long = |r: &Request| r.args().len() > 3;
    Mock::given(command("ECHO").and(long))
        .respond_with(Reply::bulk("never: ECHO takes one argument"))
        .mount(&server);
    Mock::given(any())
        .and(|r: &Request| r.arg(1).is_some_and(|a| a.starts_with(b"secret")))
        .respond_with(|r: &Request| Reply::bulk(format!("{} redacted", r.name())))
        .expect(1)
        .mount(&server);
    let mut c = conn(&server).await;
    let v: String = redis::cmd("ECHO")
        .arg("secret-1")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(v, "ECHO redacted");
}

#[tokio::test]
async fn binary_arguments_match_byte_for_byte() {
    let server = MockRedis::start().await;
    Mock::given(command("SET").arg(b"\x00\xffkey"))
        .respond_with(Reply::ok())
        .expect(1)
        .mount(&server);
    let mut c = conn(&server).await;
    let ok: String = redis::cmd("SET")
        .arg(&b"\x00\xffkey"[..])
        .arg("v")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(ok, "OK");
}

#[test]
fn sync_client_against_a_blocking_server() {
    let server = MockRedis::start_blocking();
    Mock::given(command("HGET").arg("h").arg("f"))
        .respond_with(Reply::bulk("field value"))
        .expect(1)
        .mount(&server);
    let mut c = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let v: String = redis::cmd("HGET").arg("h").arg("f").query(&mut c).unwrap();
    assert_eq!(v, "field value");
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let server = MockRedis::start().await;
    Mock::given(command("INCR").arg("hits"))
        .respond_with(Reply::int(7))
        .expect(1)
        .mount(&server);
    Mock::given(command("GET").arg("page"))
        .respond_with(Reply::bulk("home"))
        .expect(1)
        .mount(&server);
    let mut c = conn(&server).await;
    let (hits, page, echoed, pong): (i64, String, String, String) = redis::pipe()
        .cmd("INCR")
        .arg("hits")
        .cmd("GET")
        .arg("page")
        .cmd("ECHO")
        .arg("from the engine")
        .cmd("PING")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(
        (hits, page.as_str(), echoed.as_str(), pong.as_str()),
        (7, "home", "from the engine", "PONG")
    );
}

#[test]
fn pipelined_commands_with_a_sync_client() {
    let server = MockRedis::start_blocking();
    Mock::given(command("GET"))
        .respond_with(|r: &Request| Reply::bulk(r.arg(1).cloned().unwrap_or_default()))
        .expect(3)
        .mount(&server);
    let mut c = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let got: Vec<String> = redis::pipe()
        .cmd("GET")
        .arg("a")
        .cmd("GET")
        .arg("b")
        .cmd("GET")
        .arg("c")
        .query(&mut c)
        .unwrap();
    assert_eq!(got, ["a", "b", "c"]);
}

/// MULTI/EXEC scripted entirely with mocks (redis-rs's atomic pipeline):
/// works whether or not the engine implements transactions.
#[tokio::test]
async fn multi_exec_flow_scripted_with_mocks() {
    let server = MockRedis::start().await;
    Mock::given(command("MULTI"))
        .respond_with(Reply::ok())
        .expect(1)
        .mount(&server);
    Mock::given(command("SET").arg("balance"))
        .respond_with(Reply::simple("QUEUED"))
        .expect(1)
        .mount(&server);
    Mock::given(command("INCRBY").arg("balance"))
        .respond_with(Reply::simple("QUEUED"))
        .expect(1)
        .mount(&server);
    Mock::given(command("EXEC"))
        .respond_with(Reply::array([Reply::ok(), Reply::int(150)]))
        .expect(1)
        .mount(&server);
    let mut c = conn(&server).await;
    let (set, balance): (String, i64) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("balance")
        .arg(100)
        .cmd("INCRBY")
        .arg("balance")
        .arg(50)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!((set.as_str(), balance), ("OK", 150));
    let sent: Vec<String> = server
        .received_commands()
        .expect("the journal is on")
        .iter()
        .filter(|r| !r.is_command("CLIENT"))
        .map(|r| r.to_string())
        .collect();
    assert_eq!(
        sent,
        [
            r#""MULTI""#,
            r#""SET" "balance" "100""#,
            r#""INCRBY" "balance" "50""#,
            r#""EXEC""#
        ]
    );
}

#[tokio::test]
async fn replies_are_encoded_in_the_connection_protocol() {
    let server = MockRedis::start().await;
    Mock::given(command("HGETALL").arg("h"))
        .respond_with(Reply::map([(Reply::bulk("f"), Reply::int(1))]))
        .mount(&server);
    assert_eq!(
        raw(&server, b"HGETALL h\r\n", 15).await,
        b"*2\r\n$1\r\nf\r\n:1\r\n"
    );
    // After HELLO 3 the same mock answers a RESP3 map.
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    use tokio::io::AsyncWriteExt;
    stream.write_all(b"HELLO 3\r\nHGETALL h\r\n").await.unwrap();
    let mut out = Vec::new();
    while !out.ends_with(b"%1\r\n$1\r\nf\r\n:1\r\n") {
        let more = crate::util::read_some(&mut stream, 1).await;
        assert!(!more.is_empty(), "{:?}", String::from_utf8_lossy(&out));
        out.extend_from_slice(&more);
    }
    assert!(out.starts_with(b"%7\r\n"), "{out:?}");
    // And redis-rs in RESP3 mode reads it as a map.
    let mut c = conn_url(&format!("{}?protocol=resp3", server.url())).await;
    let map: std::collections::HashMap<String, i64> = redis::cmd("HGETALL")
        .arg("h")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(map.get("f"), Some(&1));
}

#[test]
fn matchers_are_usable_on_their_own() {
    let m = command("GET").arg("k").and(db(0));
    assert!(m.matches(&Request::new(["get", "k"], 1, 0)));
    assert!(!m.matches(&Request::new(["get", "k"], 1, 1)));
    assert_eq!(m.describe(), r#"command("GET").arg("k") and db(0)"#);
}

#[cfg(feature = "mini-redis")]
#[tokio::test]
async fn mini_redis_frames_convert_into_replies() {
    use mini_redis::Frame;
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Reply::from(Frame::Error("unimplemented".into())))
        .expect(1)
        .mount(&server);
    let mut client = mini_redis::client::connect(server.addr()).await.unwrap();
    let err = client.get("k").await.unwrap_err();
    assert_eq!(err.to_string(), "ERR unimplemented");
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_values_convert_into_replies() {
    let server = MockRedis::start().await;
    Mock::given(command("LRANGE"))
        .respond_with(Reply::from(redis::Value::Array(vec![
            redis::Value::BulkString(b"a".to_vec()),
            redis::Value::Int(2),
        ])))
        .expect(1)
        .mount(&server);
    let mut c = conn(&server).await;
    let v: (String, i64) = redis::cmd("LRANGE")
        .arg("l")
        .arg(0)
        .arg(-1)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(v, ("a".to_string(), 2));
}

#[cfg(unix)]
#[tokio::test]
async fn mocks_answer_on_the_unix_socket_too() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = MockRedis::builder().unix_socket().start().await;
    Mock::given(command("GET"))
        .respond_with(Reply::bulk("over unix"))
        .expect(1)
        .mount(&server);
    let mut stream = tokio::net::UnixStream::connect(server.unix_path().unwrap())
        .await
        .unwrap();
    stream.write_all(b"GET k\r\n").await.unwrap();
    let mut reply = [0u8; 15];
    stream.read_exact(&mut reply).await.unwrap();
    assert_eq!(&reply, b"$9\r\nover unix\r\n");
}
