//! Throughput of the in-process server, the way a test uses it: a redis-rs
//! multiplexed connection to `MockRedis::start()`, sending pipelines of 16
//! commands (8 SETs, then 8 GETs of the same keys), one batch after
//! another; and the same client against a real redis-server for the ratio.
//!
//! ```text
//! cargo bench --bench inprocess              # 100,000 commands per round, 5 rounds
//! COMMANDS=200000 ROUNDS=9 cargo bench --bench inprocess
//! cargo bench --bench inprocess -- journal   # scenarios whose name contains "journal"
//! cargo bench --bench inprocess -- bare redis-server   # the issue's comparison
//! ```
//!
//! Scenarios, each on a current-thread runtime (`#[tokio::test]`) and on a
//! 2-worker multi-thread runtime:
//! - `journal+mock`: the defaults (the journal on) and one mounted mock that
//!   matches none of the commands, so every command consults the mocks;
//! - `journal`: the defaults, nothing mounted;
//! - `bare`: `record_commands(false)`, nothing mounted: the engine alone;
//! - `redis-server`: the same client against a redis-server this bench
//!   starts on a spare loopback port (skipped with a message when
//!   `redis-server` is not installed), flushed before each round.
//!
//! Rounds of the scenarios alternate, so background load hits them alike;
//! each line gives the median and the best round in commands per second,
//! and the median CPU time per command of the client and the server
//! together (this process's threads from `/proc/self/task/*/schedstat`,
//! plus redis-server's own for that scenario; on Linux only), which other
//! load on the machine moves far less than the rate. The last lines give
//! each mock scenario's ratio to redis-server. Every round checks the last
//! value read, so a broken server cannot look fast.

use std::time::{Duration, Instant};

use mock_redis::matchers::command;
use mock_redis::{Mock, MockRedis, Reply};

#[path = "../tests/support/mod.rs"]
mod support;

use support::redis_server::RealRedis;

const BATCH: usize = 16;
const KEYS: usize = 1024;

#[derive(Clone, Copy)]
enum Scenario {
    JournalAndMock,
    Journal,
    Bare,
    RedisServer,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::JournalAndMock => "journal+mock",
            Scenario::Journal => "journal",
            Scenario::Bare => "bare",
            Scenario::RedisServer => "redis-server",
        }
    }
}

/// CPU time the threads of process `pid` (`self` for this one) have run
/// so far (0 where `/proc/PID/task/*/schedstat` is missing).
fn cpu_time_of(pid: &str) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// One round: a fresh server (a flushed one for redis-server), `commands`
/// commands in batches of 16; the wall time and the CPU time of the
/// batches alone.
async fn round(
    scenario: Scenario,
    commands: usize,
    pipes: &[redis::Pipeline],
    redis_server: Option<&RealRedis>,
) -> (Duration, Duration) {
    let mock = match scenario {
        Scenario::RedisServer => None,
        Scenario::Bare => Some(MockRedis::builder().record_commands(false).start().await),
        _ => Some(MockRedis::start().await),
    };
    if let (Scenario::JournalAndMock, Some(server)) = (scenario, &mock) {
        Mock::given(command("GET").arg("never"))
            .respond_with(Reply::nil())
            .mount(server);
    }
    let url = match (&mock, redis_server) {
        (Some(server), _) => server.url(),
        (None, Some(server)) => format!("redis://127.0.0.1:{}", server.port),
        (None, None) => unreachable!("the redis-server scenario runs only with a server"),
    };
    let client = redis::Client::open(url).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    if mock.is_none() {
        let () = redis::cmd("FLUSHALL")
            .query_async(&mut conn)
            .await
            .expect("FLUSHALL");
    }
    let server_cpu = || {
        redis_server
            .filter(|_| mock.is_none())
            .map_or(Duration::ZERO, |server| {
                cpu_time_of(&server.pid().to_string())
            })
    };
    let cpu = cpu_time_of("self") + server_cpu();
    let start = Instant::now();
    let mut last = Vec::new();
    for i in 0..commands / BATCH {
        let values: Vec<String> = pipes[i % pipes.len()]
            .query_async(&mut conn)
            .await
            .expect("pipeline");
        last = values;
    }
    let elapsed = start.elapsed();
    let cpu = (cpu_time_of("self") + server_cpu()).saturating_sub(cpu);
    let b = (commands / BATCH - 1) % pipes.len();
    assert_eq!(
        last.last().map(String::as_str),
        Some(format!("value-{}", b * BATCH / 2 + BATCH / 2 - 1).as_str()),
        "the last GET of the last batch"
    );
    drop(conn);
    if let Some(server) = mock {
        server.shutdown().await;
    }
    (elapsed, cpu)
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let commands = env("COMMANDS", 100_000).max(BATCH);
    let rounds = env("ROUNDS", 5).max(1);
    // Distinct keys and values, built once: the client's own cost stays out
    // of the comparison as far as it can. Each batch SETs 8 keys and GETs
    // them back (the GETs' replies are the pipeline's result).
    let pipes: Vec<redis::Pipeline> = (0..KEYS * 4 / BATCH)
        .map(|b| {
            let mut pipe = redis::pipe();
            let half = BATCH / 2;
            for j in 0..half {
                let n = b * half + j;
                pipe.set(format!("key:{}", n % KEYS), format!("value-{n}"))
                    .ignore();
            }
            for j in 0..half {
                let n = b * half + j;
                pipe.get(format!("key:{}", n % KEYS));
            }
            pipe
        })
        .collect();
    // A filter naming only a runtime flavor keeps redis-server for the ratio.
    let is_flavor = |f: &String| ["current-thread", "multi-thread"].contains(&f.as_str());
    let wants = |s: Scenario| {
        let name = s.name();
        filter.is_empty()
            || filter
                .iter()
                .any(|f| name.contains(f.as_str()) || f.contains(name) || is_flavor(f))
    };
    let redis_server = if wants(Scenario::RedisServer) {
        RealRedis::start()
    } else {
        None
    };
    let mut medians: Vec<(String, Scenario, f64, Duration)> = Vec::new();

    println!(
        "| runtime | scenario | rounds | commands/round | median commands/s | best commands/s | median CPU ns/command |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    let scenarios = [
        Scenario::JournalAndMock,
        Scenario::Journal,
        Scenario::Bare,
        Scenario::RedisServer,
    ];
    for flavor in ["current-thread", "multi-thread"] {
        let chosen: Vec<Scenario> = scenarios
            .into_iter()
            .filter(|s| {
                if matches!(s, Scenario::RedisServer) && redis_server.is_none() {
                    return false;
                }
                let full = format!("{flavor} {}", s.name());
                filter.is_empty()
                    || filter
                        .iter()
                        .any(|f| full.contains(f.as_str()) || f == flavor)
            })
            .collect();
        if chosen.is_empty() {
            continue;
        }
        let rt = match flavor {
            "current-thread" => tokio::runtime::Builder::new_current_thread(),
            _ => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(2);
                b
            }
        }
        .enable_all()
        .build()
        .expect("runtime");
        let mut times: Vec<Vec<(Duration, Duration)>> = vec![Vec::new(); chosen.len()];
        rt.block_on(async {
            // Warm-up: one short round of each.
            for &s in &chosen {
                round(s, commands / 10, &pipes, redis_server.as_ref()).await;
            }
            for _ in 0..rounds {
                for (i, &s) in chosen.iter().enumerate() {
                    times[i].push(round(s, commands, &pipes, redis_server.as_ref()).await);
                }
            }
        });
        for (i, s) in chosen.iter().enumerate() {
            let mut wall: Vec<Duration> = times[i].iter().map(|t| t.0).collect();
            let mut cpu: Vec<Duration> = times[i].iter().map(|t| t.1).collect();
            wall.sort();
            cpu.sort();
            let rate = |d: Duration| (commands as f64 / d.as_secs_f64()).round() as u64;
            println!(
                "| {flavor} | {} | {rounds} | {commands} | {} | {} | {} |",
                s.name(),
                rate(wall[wall.len() / 2]),
                rate(wall[0]),
                cpu[cpu.len() / 2].as_nanos() / commands as u128,
            );
            medians.push((
                flavor.to_string(),
                *s,
                rate(wall[wall.len() / 2]) as f64,
                cpu[cpu.len() / 2],
            ));
        }
    }
    // Each mock scenario against redis-server on the same runtime flavor.
    for (flavor, s, rate, cpu) in &medians {
        let Some((_, _, redis_rate, redis_cpu)) = medians
            .iter()
            .find(|m| &m.0 == flavor && matches!(m.1, Scenario::RedisServer))
        else {
            continue;
        };
        if matches!(s, Scenario::RedisServer) {
            continue;
        }
        println!(
            "{flavor} {}: mock/redis-server throughput {:.2}, CPU per command {:.2}",
            s.name(),
            rate / redis_rate,
            cpu.as_secs_f64() / redis_cpu.as_secs_f64().max(f64::MIN_POSITIVE),
        );
    }
}
