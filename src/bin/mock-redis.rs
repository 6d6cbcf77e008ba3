//! `mock-redis`: the in-memory engine as a standalone server for any language.
//!
//! ```text
//! mock-redis --port 6379
//! ```

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use mock_redis::MockRedis;

const USAGE: &str = "\
Usage: mock-redis [options]
       mock-redis -v or --version
       mock-redis -h or --help

An in-memory server speaking the Redis protocol, answering like Redis 7.0.

Options (named as redis-server's configuration directives):
  --bind <addr>           Address to listen on (default 127.0.0.1).
  --port <port>           TCP port (default 6379; 0 picks a free port and logs it).
  --unixsocket <path>     Also listen on a Unix socket at <path>.
  --requirepass <pass>    Require clients to AUTH with <pass>.
  --redis-version <ver>   Version reported by HELLO and INFO (default 7.0.15).
  --enable-debug-command <yes|no|local>
                          Who may run DEBUG (default no, as Redis).

Examples:
  mock-redis --port 6380
  mock-redis --port 0 --unixsocket /tmp/redis.sock

Logs go to stderr; set RUST_LOG (e.g. RUST_LOG=debug) for more.
One thread serves every connection, as Redis's main thread does; set
MOCK_REDIS_THREADS=<n> for a multi-thread runtime with n workers.
Stop with Ctrl-C.";

struct Options {
    bind: IpAddr,
    port: u16,
    unixsocket: Option<String>,
    requirepass: Option<String>,
    redis_version: Option<String>,
    enable_debug_command: String,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut opts = Options {
        bind: IpAddr::from([127, 0, 0, 1]),
        port: 6379,
        unixsocket: None,
        requirepass: None,
        redis_version: None,
        enable_debug_command: "no".to_string(),
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let flag = arg.as_str();
        match flag {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            "-v" | "--version" => {
                println!("mock-redis v={}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            _ => {}
        }
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("option '{flag}' needs a value"))
        };
        match flag {
            "--bind" => {
                let v = value()?;
                opts.bind = v
                    .parse()
                    .map_err(|_| format!("invalid --bind address '{v}'"))?;
            }
            "--port" => {
                let v = value()?;
                opts.port = v.parse().map_err(|_| format!("invalid --port '{v}'"))?;
            }
            "--unixsocket" => opts.unixsocket = Some(value()?),
            "--requirepass" => opts.requirepass = Some(value()?),
            "--redis-version" => opts.redis_version = Some(value()?),
            "--enable-debug-command" => {
                let v = value()?.to_ascii_lowercase();
                if !matches!(v.as_str(), "yes" | "no" | "local") {
                    return Err(format!(
                        "argument(s) must be one of the following: yes, no, local: '{v}'"
                    ));
                }
                opts.enable_debug_command = v;
            }
            other => {
                return Err(format!(
                    "Bad directive or wrong number of arguments: '{other}'"
                ));
            }
        }
    }
    Ok(Some(opts))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let opts = match parse(std::env::args().skip(1)) {
        Ok(Some(opts)) => opts,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mock-redis: {e}\n\n{USAGE}");
            return ExitCode::from(1);
        }
    };
    let runtime = match runtime_builder().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mock-redis: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(run(opts))
}

async fn run(opts: Options) -> ExitCode {
    // A standalone server has no test to report to: keep no journal.
    let mut builder = MockRedis::builder()
        .bind(SocketAddr::new(opts.bind, opts.port))
        .record_commands(false);
    if let Some(path) = &opts.unixsocket {
        builder = builder.unix_socket_at(path);
    }
    if let Some(pass) = opts.requirepass {
        builder = builder.requirepass(pass);
    }
    if let Some(version) = opts.redis_version {
        builder = builder.redis_version(version);
    }
    let server = match builder.try_start().await {
        Ok(server) => server,
        Err(e) => {
            tracing::error!("could not listen on {}:{}: {e}", opts.bind, opts.port);
            return ExitCode::from(1);
        }
    };
    // Before the first await: no client is served before this applies.
    server.set_enable_debug_command(&opts.enable_debug_command);
    tracing::info!(addr = %server.addr(), "Ready to accept connections tcp");
    if let Some(path) = server.unix_path() {
        tracing::info!(path = %path.display(), "Ready to accept connections unix");
    }
    wait_for_signal().await;
    tracing::info!("Received shutdown signal, exiting");
    server.shutdown().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// One thread serves every connection, as Redis's main thread does, unless
/// `MOCK_REDIS_THREADS` asks for a multi-thread runtime with that many workers.
fn runtime_builder() -> tokio::runtime::Builder {
    match std::env::var("MOCK_REDIS_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(n) if n > 1 => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    }
}
