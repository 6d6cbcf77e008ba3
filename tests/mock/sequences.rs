//! Sequences, stateful closures and spying (pass-through).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::util::conn;
use mock_redis::matchers::command;
use mock_redis::{Mock, MockRedis, Reply, Request, Response, Sequence};

#[tokio::test]
async fn a_sequence_answers_each_call_then_repeats_the_last() {
    let server = MockRedis::start().await;
    Mock::given(command("INCR").arg("n"))
        .respond_with(Sequence::new([Reply::int(1), Reply::int(2), Reply::int(3)]))
        .expect(5)
        .mount(&server);
    let mut c = conn(&server).await;
    let mut got = Vec::new();
    for _ in 0..5 {
        let n: i64 = redis::cmd("INCR")
            .arg("n")
            .query_async(&mut c)
            .await
            .unwrap();
        got.push(n);
    }
    assert_eq!(got, [1, 2, 3, 3, 3]);
}

#[tokio::test]
async fn an_exhausted_sequence_can_fall_through_to_the_engine() {
    let server = MockRedis::start().await;
    Mock::given(command("ECHO"))
        .respond_with(
            Sequence::new([
                Response::reply(Reply::error(
                    "LOADING Redis is loading the dataset in memory",
                )),
                Response::reply(Reply::bulk("second")),
            ])
            .then_fall_through(),
        )
        .expect(2)
        .mount(&server);
    let mut c = conn(&server).await;
    let first: redis::RedisResult<String> = redis::cmd("ECHO").arg("x").query_async(&mut c).await;
    assert_eq!(first.unwrap_err().code(), Some("LOADING"));
    let second: String = redis::cmd("ECHO")
        .arg("x")
        .query_async(&mut c)
        .await
        .unwrap();
    let third: String = redis::cmd("ECHO")
        .arg("x")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!((second.as_str(), third.as_str()), ("second", "x"));
}

#[tokio::test]
async fn an_exhausted_sequence_falls_through_to_a_lower_priority_mock() {
    let server = MockRedis::start().await;
    Mock::given(command("GET"))
        .respond_with(Sequence::new([Reply::nil()]).then_fall_through())
        .with_priority(1)
        .mount(&server);
    Mock::given(command("GET"))
        .respond_with(Reply::bulk("warm"))
        .mount(&server);
    let mut c = conn(&server).await;
    let first: Option<String> = redis::cmd("GET")
        .arg("k")
        .query_async(&mut c)
        .await
        .unwrap();
    let second: Option<String> = redis::cmd("GET")
        .arg("k")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!((first, second.as_deref()), (None, Some("warm")));
}

#[tokio::test]
async fn closures_can_keep_state() {
    let server = MockRedis::start().await;
    let counter = Arc::new(AtomicI64::new(0));
    let seen = counter.clone();
    Mock::given(command("INCRBY"))
        .respond_with(move |r: &Request| {
            let by: i64 = std::str::from_utf8(&r.args()[2]).unwrap().parse().unwrap();
            Reply::int(seen.fetch_add(by, Ordering::SeqCst) + by)
        })
        .mount(&server);
    let mut c = conn(&server).await;
    let a: i64 = redis::cmd("INCRBY")
        .arg("k")
        .arg(5)
        .query_async(&mut c)
        .await
        .unwrap();
    let b: i64 = redis::cmd("INCRBY")
        .arg("k")
        .arg(10)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!((a, b), (5, 15));
    assert_eq!(counter.load(Ordering::SeqCst), 15);
}

#[tokio::test]
async fn pass_through_spies_on_the_engine() {
    let server = MockRedis::start().await;
    let spy = Mock::given(command("ECHO"))
        .respond_with(Response::pass_through())
        .expect(2)
        .mount_as_scoped(&server);
    let mut c = conn(&server).await;
    let a: String = redis::cmd("ECHO")
        .arg("one")
        .query_async(&mut c)
        .await
        .unwrap();
    let b: String = redis::cmd("ECHO")
        .arg("two")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!((a.as_str(), b.as_str()), ("one", "two"));
    assert_eq!(spy.calls(), 2);
    let seen: Vec<String> = spy
        .received_commands()
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(seen, [r#""ECHO" "one""#, r#""ECHO" "two""#]);
}

#[tokio::test]
async fn pass_through_keeps_engine_state_in_step() {
    // A spied SELECT still changes the database the connection uses.
    let server = MockRedis::start().await;
    Mock::given(command("SELECT"))
        .respond_with(Response::pass_through())
        .expect(1)
        .mount(&server);
    Mock::given(command("ECHO").and(mock_redis::matchers::db(3)))
        .respond_with(Reply::bulk("db 3"))
        .expect(1)
        .mount(&server);
    let out = crate::util::raw(&server, b"SELECT 3\r\nECHO x\r\n", 15).await;
    assert_eq!(out, b"+OK\r\n$4\r\ndb 3\r\n");
}

#[test]
fn sequences_with_a_sync_client() {
    let server = MockRedis::start_blocking();
    Mock::given(command("LPOP").arg("jobs"))
        .respond_with(Sequence::new([
            Reply::bulk("job-1"),
            Reply::bulk("job-2"),
            Reply::nil(),
        ]))
        .expect(3..)
        .mount(&server);
    let mut c = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let mut jobs = Vec::new();
    while let Some(job) = redis::cmd("LPOP")
        .arg("jobs")
        .query::<Option<String>>(&mut c)
        .unwrap()
    {
        jobs.push(job);
    }
    assert_eq!(jobs, ["job-1", "job-2"]);
}
