//! A thousand tests, each with a server of its own and a few commands: the
//! shape of a large suite that uses one mock per test. Its wall time is
//! reported in docs/BENCHMARKS.md (`time cargo test --release --test startup`);
//! like every performance figure it is measured there, not asserted here.
//!
//! Tests `t0`..`t4` of every group are `#[tokio::test]`s with redis-rs's
//! multiplexed async connection; `t5`..`t9` are plain `#[test]`s with
//! `start_blocking` and a raw std socket (names `g3::h7::t5` and so on).

use std::io::{Read, Write};

use mock_redis::MockRedis;

/// An async test: its own server, a redis-rs connection, three commands.
async fn async_scenario(n: usize) {
    let server = MockRedis::start().await;
    let client = redis::Client::open(server.url()).unwrap();
    // redis-rs's default 500 ms response timeout is too short for a
    // thousand tests on a loaded machine; 20 s only detects a hang.
    let patience = Some(std::time::Duration::from_secs(20));
    let config = redis::AsyncConnectionConfig::new()
        .set_response_timeout(patience)
        .set_connection_timeout(patience);
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap();
    let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
    assert_eq!(pong, "PONG");
    let name = format!("test-{n}");
    let () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg(&name)
        .query_async(&mut conn)
        .await
        .unwrap();
    let got: String = redis::cmd("CLIENT")
        .arg("GETNAME")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(got, name);
    let echo: String = redis::cmd("ECHO")
        .arg(n)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(echo, n.to_string());
    server.shutdown().await;
}

/// A sync test: its own server thread, a raw socket, a pipeline of three commands.
fn blocking_scenario(n: usize) {
    let server = MockRedis::start_blocking();
    let mut conn = std::net::TcpStream::connect(server.addr()).unwrap();
    let arg = n.to_string();
    let request = format!(
        "PING\r\n*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n${}\r\n{arg}\r\n*2\r\n$4\r\nECHO\r\n${}\r\n{arg}\r\n",
        arg.len(),
        arg.len()
    );
    conn.write_all(request.as_bytes()).unwrap();
    let expected = format!("+PONG\r\n+OK\r\n${}\r\n{arg}\r\n", arg.len());
    let mut reply = vec![0u8; expected.len()];
    conn.read_exact(&mut reply).unwrap();
    assert_eq!(String::from_utf8_lossy(&reply), expected);
}

macro_rules! ten_tests {
    ($base:expr) => {
        #[tokio::test]
        async fn t0() {
            crate::async_scenario($base).await
        }
        #[tokio::test]
        async fn t1() {
            crate::async_scenario($base + 1).await
        }
        #[tokio::test]
        async fn t2() {
            crate::async_scenario($base + 2).await
        }
        #[tokio::test]
        async fn t3() {
            crate::async_scenario($base + 3).await
        }
        #[tokio::test]
        async fn t4() {
            crate::async_scenario($base + 4).await
        }
        #[test]
        fn t5() {
            crate::blocking_scenario($base + 5)
        }
        #[test]
        fn t6() {
            crate::blocking_scenario($base + 6)
        }
        #[test]
        fn t7() {
            crate::blocking_scenario($base + 7)
        }
        #[test]
        fn t8() {
            crate::blocking_scenario($base + 8)
        }
        #[test]
        fn t9() {
            crate::blocking_scenario($base + 9)
        }
    };
}

macro_rules! hundred_tests {
    ($base:expr) => {
        mod h0 {
            ten_tests!($base);
        }
        mod h1 {
            ten_tests!($base + 10);
        }
        mod h2 {
            ten_tests!($base + 20);
        }
        mod h3 {
            ten_tests!($base + 30);
        }
        mod h4 {
            ten_tests!($base + 40);
        }
        mod h5 {
            ten_tests!($base + 50);
        }
        mod h6 {
            ten_tests!($base + 60);
        }
        mod h7 {
            ten_tests!($base + 70);
        }
        mod h8 {
            ten_tests!($base + 80);
        }
        mod h9 {
            ten_tests!($base + 90);
        }
    };
}

mod g0 {
    hundred_tests!(0);
}
mod g1 {
    hundred_tests!(100);
}
mod g2 {
    hundred_tests!(200);
}
mod g3 {
    hundred_tests!(300);
}
mod g4 {
    hundred_tests!(400);
}
mod g5 {
    hundred_tests!(500);
}
mod g6 {
    hundred_tests!(600);
}
mod g7 {
    hundred_tests!(700);
}
mod g8 {
    hundred_tests!(800);
}
mod g9 {
    hundred_tests!(900);
}
