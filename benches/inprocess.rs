//! Throughput of the in-process server, the way a test uses it: a redis-rs
//! multiplexed connection to `MockRedis::start()`, sending pipelines of 16
//! SETs, one batch after another.
//!
//! ```text
//! cargo bench --bench inprocess              # 100,000 SETs per round, 5 rounds
//! COMMANDS=200000 ROUNDS=9 cargo bench --bench inprocess
//! cargo bench --bench inprocess -- journal   # scenarios whose name contains "journal"
//! ```
//!
//! Scenarios, each on a current-thread runtime (`#[tokio::test]`) and on a
//! 2-worker multi-thread runtime:
//! - `journal+mock`: the defaults (the journal on) and one mounted mock that
//!   matches none of the commands, so every command consults the mocks;
//! - `journal`: the defaults, nothing mounted;
//! - `bare`: `record_commands(false)`, nothing mounted: the engine alone.
//!
//! Rounds of the scenarios alternate, so background load hits them alike;
//! each line gives the median and the best round in SETs per second, and
//! the median CPU time per SET of the whole process (client and server,
//! every thread, from `/proc/self/task/*/schedstat`; on Linux only), which
//! other load on the machine moves far less than the rate. Every round
//! checks the last value written, so a broken server cannot look fast.

use std::time::{Duration, Instant};

use mock_redis::matchers::command;
use mock_redis::{Mock, MockRedis, Reply};

const BATCH: usize = 16;
const KEYS: usize = 1024;

#[derive(Clone, Copy)]
enum Scenario {
    JournalAndMock,
    Journal,
    Bare,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::JournalAndMock => "journal+mock",
            Scenario::Journal => "journal",
            Scenario::Bare => "bare",
        }
    }
}

/// CPU time this process's threads have run so far (0 where
/// `/proc/self/task/*/schedstat` is missing).
fn cpu_time() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// One round: a fresh server, `commands` SETs in batches of 16; the wall
/// time and the CPU time of the SETs alone.
async fn round(
    scenario: Scenario,
    commands: usize,
    pipes: &[redis::Pipeline],
) -> (Duration, Duration) {
    let server = match scenario {
        Scenario::Bare => MockRedis::builder().record_commands(false).start().await,
        _ => MockRedis::start().await,
    };
    if let Scenario::JournalAndMock = scenario {
        Mock::given(command("GET").arg("never"))
            .respond_with(Reply::nil())
            .mount(&server);
    }
    let client = redis::Client::open(server.url()).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let cpu = cpu_time();
    let start = Instant::now();
    for i in 0..commands / BATCH {
        let () = pipes[i % pipes.len()]
            .query_async(&mut conn)
            .await
            .expect("pipeline");
    }
    let elapsed = start.elapsed();
    let cpu = cpu_time().saturating_sub(cpu);
    let last = (commands / BATCH - 1) % pipes.len();
    let key = format!("key:{}", (last * BATCH + BATCH - 1) % KEYS);
    let value: String = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("GET");
    assert_eq!(
        value,
        format!("value-{}", last * BATCH + BATCH - 1),
        "{key}"
    );
    drop(conn);
    server.shutdown().await;
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
    // of the comparison as far as it can.
    let pipes: Vec<redis::Pipeline> = (0..KEYS * 4 / BATCH)
        .map(|b| {
            let mut pipe = redis::pipe();
            for j in 0..BATCH {
                let n = b * BATCH + j;
                pipe.set(format!("key:{}", n % KEYS), format!("value-{n}"))
                    .ignore();
            }
            pipe
        })
        .collect();

    println!(
        "| runtime | scenario | rounds | SETs/round | median SETs/s | best SETs/s | median CPU ns/SET |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    let scenarios = [Scenario::JournalAndMock, Scenario::Journal, Scenario::Bare];
    for flavor in ["current-thread", "multi-thread"] {
        let chosen: Vec<Scenario> = scenarios
            .into_iter()
            .filter(|s| {
                let full = format!("{flavor} {}", s.name());
                filter.is_empty() || filter.iter().any(|f| full.contains(f.as_str()))
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
                round(s, commands / 10, &pipes).await;
            }
            for _ in 0..rounds {
                for (i, &s) in chosen.iter().enumerate() {
                    times[i].push(round(s, commands, &pipes).await);
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
        }
    }
}
