//! `mock-redis`: the in-memory engine as a standalone server for any language.
//!
//! ```text
//! mock-redis --port 6379
//! ```

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use mock_redis::MockRedis;
use mock_redis::fixture::Fixture;

/// The binary allocates through jemalloc, as redis-server does: glibc's
/// allocator slow paths led a script-heavy profile (docs/BENCHMARKS.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
  --user '<name> <rules>'  An ACL user, as redis.conf's `user` directive:
                          --user 'alice on >pw ~cache:* +@read'. May be repeated.
  --aclfile <path>        Load ACL users from <path> (ACL LOAD / ACL SAVE use it).
  --maxclients <n>        Connections served at once (default 10000; lowered
                          to the open-file limit less 32 if it cannot be
                          raised, as redis-server does).
  --protected-mode <yes|no>
                          Without a password, refuse TCP clients not
                          connecting from 127.0.0.1 or ::1 (default yes).
  --redis-version <ver>   Version reported by HELLO and INFO (default 7.0.15).
  --enable-debug-command <yes|no|local>
                          Who may run DEBUG (default no, as Redis).
  --admin-port <port>     Serve the admin API (HTTP, JSON) on this port: mount
                          mocks, journal, verify, faults, clock, keys. Off by
                          default; see the `mock_redis::admin` docs.
  --admin-bind <addr>     Address of the admin API (default 127.0.0.1).
  --tls-port <port>       Also serve TLS on this port (feature `tls`); with
                          --port 0, serve TLS only (0 for both: TLS on a
                          free port, logged).
  --tls-cert-file <file>  Server certificate (PEM). Without it and
  --tls-key-file <file>   its key, a throwaway CA and certificate for
                          localhost/127.0.0.1 are minted at start and the
                          CA file's path is logged.
  --tls-ca-cert-file <file>
                          CA certificates client certificates are checked
                          against.
  --tls-auth-clients <yes|no|optional>
                          Require a client certificate (default yes, as
                          redis-server; with a minted CA, a client
                          certificate and key are minted and logged too).
  --mocks <file.toml>     Load a fixture file: mocks, seed keys, faults, clock
                          (see the `mock_redis::fixture` docs). May be repeated.
                          A bad file is reported with its line and nothing starts.
                          With mocks loaded, commands are journaled, and on exit
                          the verification report goes to stderr (exit status 3
                          when an expectation is not met).
  --proxy <redis://host:port> --record-to <session.toml>
                          Record: forward every command to that Redis, reply
                          with its replies, and write them as a fixture file
                          (on each connection close and on Ctrl-C).
  --replay <session.toml> Serve a recording back in strict mode: an unmatched
                          command gets an error naming the closest recorded
                          request.
  --cluster <n> [--replicas <r>]
                          Serve a Redis Cluster of n masters (r replicas each)
                          on consecutive ports from --port: masters first,
                          then each master's replicas. Takes --bind and --port
                          only.

Examples:
  mock-redis --port 6380
  mock-redis --port 0 --unixsocket /tmp/redis.sock
  mock-redis --port 6380 --mocks tests/mocks.toml
  mock-redis --port 6380 --proxy redis://127.0.0.1:6379 --record-to session.toml
  mock-redis --port 6380 --replay session.toml
  mock-redis --cluster 3 --replicas 1 --port 30001

Logs go to stderr; set RUST_LOG (e.g. RUST_LOG=debug) for more.
One thread serves every connection, as Redis's main thread does; set
MOCK_REDIS_THREADS=<n> for a multi-thread runtime with n workers.
Stop with Ctrl-C or SHUTDOWN (exit status 0).";

struct Options {
    bind: IpAddr,
    port: u16,
    unixsocket: Option<String>,
    requirepass: Option<String>,
    users: Vec<(String, String)>,
    aclfile: Option<String>,
    redis_version: Option<String>,
    mocks: Vec<String>,
    admin_port: Option<u16>,
    admin_bind: IpAddr,
    protected_mode: bool,
    maxclients: u32,
    enable_debug_command: String,
    record: RecordOptions,
    tls: TlsOptions,
    /// `--cluster <masters>` and `--replicas <n>`.
    cluster: Option<usize>,
    replicas: usize,
}

/// The `--tls-*` options.
#[derive(Default)]
struct TlsOptions {
    port: Option<u16>,
    cert_file: Option<String>,
    key_file: Option<String>,
    ca_cert_file: Option<String>,
    auth_clients: Option<String>,
}

/// `--proxy`, `--record-to` and `--replay`.
#[derive(Default)]
struct RecordOptions {
    proxy: Option<String>,
    record_to: Option<String>,
    replay: Option<String>,
}

impl RecordOptions {
    /// Takes the flag if it is one of these; `Ok(false)` if not.
    fn take(
        &mut self,
        flag: &str,
        value: impl FnOnce() -> Result<String, String>,
    ) -> Result<bool, String> {
        let slot = match flag {
            "--proxy" => &mut self.proxy,
            "--record-to" => &mut self.record_to,
            "--replay" => &mut self.replay,
            _ => return Ok(false),
        };
        *slot = Some(value()?);
        Ok(true)
    }

    fn check(&self, mocks: &[String]) -> Result<(), String> {
        match (&self.proxy, &self.record_to) {
            (Some(_), None) => return Err("--proxy goes with --record-to <file>".into()),
            (None, Some(_)) => {
                return Err("--record-to needs --proxy <redis://host:port>".into());
            }
            (Some(_), Some(_)) if self.replay.is_some() || !mocks.is_empty() => {
                return Err("recording (--record-to) takes no --replay or --mocks".into());
            }
            _ => {}
        }
        Ok(())
    }
}

/// Records through a proxy until Ctrl-C, then writes the file.
async fn run_recorder(opts: &Options, upstream: &str, path: &str) -> ExitCode {
    let listen = SocketAddr::new(opts.bind, opts.port);
    let recorder = match mock_redis::record::Recorder::start_at(listen, upstream, path).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mock-redis: {e}");
            return ExitCode::from(1);
        }
    };
    tracing::info!(addr = %recorder.addr(), upstream, file = path, "Recording: ready to accept connections tcp");
    wait_for_signal().await;
    tracing::info!("Received shutdown signal, writing {path}");
    match recorder.stop().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mock-redis: {e}");
            ExitCode::from(1)
        }
    }
}

fn parse(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut opts = Options {
        bind: IpAddr::from([127, 0, 0, 1]),
        port: 6379,
        unixsocket: None,
        requirepass: None,
        users: Vec::new(),
        aclfile: None,
        redis_version: None,
        mocks: Vec::new(),
        admin_port: None,
        admin_bind: IpAddr::from([127, 0, 0, 1]),
        protected_mode: true,
        maxclients: 10_000,
        enable_debug_command: "no".to_string(),
        record: RecordOptions::default(),
        tls: TlsOptions::default(),
        cluster: None,
        replicas: 0,
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
        if opts.record.take(flag, &mut value)? {
            continue;
        }
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
            "--user" => {
                let v = value()?;
                let v = v.trim_start();
                let (name, rules) = v.split_once(' ').unwrap_or((v, ""));
                if name.is_empty() {
                    return Err("option '--user' needs a user name".to_string());
                }
                opts.users.push((name.to_string(), rules.to_string()));
            }
            "--aclfile" => opts.aclfile = Some(value()?),
            "--redis-version" => opts.redis_version = Some(value()?),
            "--mocks" => opts.mocks.push(value()?),
            "--cluster" | "--replicas" => {
                let v = value()?;
                let range = if flag == "--cluster" {
                    1..=1000
                } else {
                    0..=10
                };
                let n: usize = v
                    .parse()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| format!("invalid {flag} '{v}'"))?;
                if flag == "--cluster" {
                    opts.cluster = Some(n);
                } else {
                    opts.replicas = n;
                }
            }
            "--admin-port" => {
                let v = value()?;
                opts.admin_port = Some(
                    v.parse()
                        .map_err(|_| format!("invalid --admin-port '{v}'"))?,
                );
            }
            "--admin-bind" => {
                let v = value()?;
                opts.admin_bind = v
                    .parse()
                    .map_err(|_| format!("invalid --admin-bind address '{v}'"))?;
            }
            "--maxclients" => {
                let v = value()?;
                opts.maxclients = match v.parse::<u32>() {
                    Ok(n) if n >= 1 => n,
                    _ => return Err(format!("invalid --maxclients '{v}'")),
                };
            }
            "--protected-mode" => {
                let v = value()?;
                opts.protected_mode = match v.to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(format!("argument must be 'yes' or 'no': '{v}'")),
                };
            }
            "--enable-debug-command" => {
                let v = value()?.to_ascii_lowercase();
                if !matches!(v.as_str(), "yes" | "no" | "local") {
                    return Err(format!(
                        "argument(s) must be one of the following: yes, no, local: '{v}'"
                    ));
                }
                opts.enable_debug_command = v;
            }
            "--tls-port" => {
                let v = value()?;
                opts.tls.port = Some(v.parse().map_err(|_| format!("invalid --tls-port '{v}'"))?);
            }
            "--tls-cert-file" => opts.tls.cert_file = Some(value()?),
            "--tls-key-file" => opts.tls.key_file = Some(value()?),
            "--tls-ca-cert-file" => opts.tls.ca_cert_file = Some(value()?),
            "--tls-auth-clients" => {
                let v = value()?.to_ascii_lowercase();
                if !matches!(v.as_str(), "yes" | "no" | "optional") {
                    return Err(format!(
                        "argument(s) must be one of the following: no, yes, optional: '{v}'"
                    ));
                }
                opts.tls.auth_clients = Some(v);
            }
            other => {
                return Err(format!(
                    "Bad directive or wrong number of arguments: '{other}'"
                ));
            }
        }
    }
    opts.record.check(&opts.mocks)?;
    let tls = &opts.tls;
    if tls.port.is_none()
        && (tls.cert_file.is_some()
            || tls.key_file.is_some()
            || tls.ca_cert_file.is_some()
            || tls.auth_clients.is_some())
    {
        return Err("the --tls-* options need --tls-port".into());
    }
    if tls.cert_file.is_some() != tls.key_file.is_some() {
        return Err("--tls-cert-file and --tls-key-file go together".into());
    }
    #[cfg(not(feature = "tls"))]
    if tls.port.is_some() {
        return Err("--tls-port needs a binary built with the `tls` feature".into());
    }
    let standalone_only = opts.unixsocket.is_some()
        || opts.requirepass.is_some()
        || !opts.mocks.is_empty()
        || opts.admin_port.is_some()
        || opts.record.proxy.is_some()
        || opts.record.replay.is_some()
        || opts.tls.port.is_some();
    if opts.cluster.is_some() && standalone_only {
        return Err("--cluster takes --bind, --port and --replicas only".into());
    }
    if opts.cluster.is_none() && opts.replicas > 0 {
        return Err("--replicas goes with --cluster <n>".into());
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
    // Every file is read and checked before anything listens.
    let mut fixtures = Vec::new();
    for path in opts.mocks.iter().chain(&opts.record.replay) {
        match Fixture::from_file(path) {
            Ok(f) => fixtures.push(f),
            Err(e) => {
                eprintln!("mock-redis: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let runtime = match runtime_builder().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mock-redis: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(run(opts, fixtures))
}

/// `--cluster`: serves a cluster until Ctrl-C.
async fn run_cluster(opts: &Options, shards: usize) -> ExitCode {
    let cluster = match mock_redis::MockRedisCluster::builder()
        .shards(shards)
        .replicas(opts.replicas)
        .bind_ip(opts.bind)
        .base_port(opts.port)
        .try_start()
        .await
    {
        Ok(cluster) => cluster,
        Err(e) => {
            tracing::error!(
                "could not start the cluster from {}:{}: {e}",
                opts.bind,
                opts.port
            );
            return ExitCode::from(1);
        }
    };
    for i in 0..cluster.len() {
        let master = cluster.master_of(i);
        let role = if master == i { "master" } else { "replica" };
        tracing::info!(addr = %cluster.node(i).addr(), id = %cluster.node_id(i), role, "Cluster node ready to accept connections tcp");
    }
    wait_for_signal().await;
    tracing::info!("Received shutdown signal, exiting");
    ExitCode::SUCCESS
}

async fn run(opts: Options, mut fixtures: Vec<Fixture>) -> ExitCode {
    if let Some(shards) = opts.cluster {
        return run_cluster(&opts, shards).await;
    }
    if let (Some(upstream), Some(path)) = (&opts.record.proxy, &opts.record.record_to) {
        return run_recorder(&opts, upstream, path).await;
    }
    // The recording, checked above, is the builder's to apply.
    let replay = opts.record.replay.clone();
    if replay.is_some() {
        fixtures.pop();
    }
    // A standalone server keeps no journal unless it has mocks to verify
    // (from files, or mounted later through the admin API), and no log of
    // published messages unless the admin API can read it.
    let verify = !fixtures.is_empty() || opts.admin_port.is_some() || replay.is_some();
    let mut builder = MockRedis::builder()
        .record_commands(verify)
        .protected_mode(opts.protected_mode)
        .maxclients(adjust_open_files_limit(opts.maxclients));
    if opts.admin_port.is_none() {
        builder = builder.published_log(0);
    }
    if let Some(path) = replay {
        builder = builder.replay(path);
    }
    builder = listen(builder, &opts);
    if let Some(path) = &opts.unixsocket {
        builder = builder.unix_socket_at(path);
    }
    if let Some(pass) = opts.requirepass {
        builder = builder.requirepass(pass);
    }
    for (name, rules) in opts.users {
        builder = builder.user(name, rules);
    }
    if let Some(path) = opts.aclfile {
        builder = builder.aclfile(path);
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
    for fixture in &fixtures {
        fixture.apply(&server);
    }
    let server = std::sync::Arc::new(server);
    let admin = match opts.admin_port {
        None => None,
        Some(port) => {
            match mock_redis::admin::serve(server.clone(), SocketAddr::new(opts.admin_bind, port))
                .await
            {
                Ok(admin) => {
                    tracing::info!(url = %admin.url(), "Admin API ready");
                    Some(admin)
                }
                Err(e) => {
                    tracing::error!(
                        "could not serve the admin API on {}:{port}: {e}",
                        opts.admin_bind
                    );
                    server.reset();
                    return ExitCode::from(1);
                }
            }
        }
    };
    if !server.url().starts_with("rediss:") {
        tracing::info!(addr = %server.addr(), "Ready to accept connections tcp");
    }
    #[cfg(feature = "tls")]
    log_tls(&server, &opts.tls);
    if let Some(path) = server.unix_path() {
        tracing::info!(path = %path.display(), "Ready to accept connections unix");
    }
    tokio::select! {
        () = wait_for_signal() => tracing::info!("Received shutdown signal, exiting"),
        // SHUTDOWN logged its lines ("User requested shutdown...").
        () = server.wait_for_shutdown() => {}
    }
    let mut status = ExitCode::SUCCESS;
    if verify {
        if let Err(report) = server.try_verify() {
            eprintln!("{report}");
            status = ExitCode::from(3);
        }
        // Verified above: dropping the handle must not verify (and panic) again.
        server.reset();
    }
    drop(admin);
    match std::sync::Arc::try_unwrap(server) {
        Ok(server) => server.shutdown().await,
        // An admin request still holds it: dropping the last handle stops it.
        Err(server) => drop(server),
    }
    status
}

/// Where to listen: `--bind`, `--port`, and with `--tls-port` TLS beside
/// the plain port, or alone with `--port 0` (as redis-server).
fn listen(builder: mock_redis::Builder, opts: &Options) -> mock_redis::Builder {
    let plain = SocketAddr::new(opts.bind, opts.port);
    #[cfg(feature = "tls")]
    if let Some(tls_port) = opts.tls.port {
        use mock_redis::TlsClientAuth;
        let tls = &opts.tls;
        let tls_addr = SocketAddr::new(opts.bind, tls_port);
        let mut builder = match opts.port {
            0 => builder.bind(tls_addr).tls(),
            _ => builder.bind(plain).tls_port(tls_addr),
        };
        if let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) {
            builder = builder.tls_cert_files(cert, key);
        }
        if let Some(ca) = &tls.ca_cert_file {
            builder = builder.tls_ca_cert_file(ca);
        }
        return builder.tls_client_auth(match tls.auth_clients.as_deref() {
            Some("no") => TlsClientAuth::No,
            Some("optional") => TlsClientAuth::Optional,
            _ => TlsClientAuth::Required,
        });
    }
    builder.bind(plain)
}

/// Logs where TLS is served, and the minted CA (and client certificate)
/// files a client needs.
#[cfg(feature = "tls")]
fn log_tls(server: &MockRedis, tls: &TlsOptions) {
    let Some(addr) = server.tls_addr() else {
        return;
    };
    let ca = server
        .tls_ca_file()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    tracing::info!(addr = %addr, ca = %ca, "Ready to accept connections tls");
    if tls.cert_file.is_none() && tls.auth_clients.as_deref() != Some("no") {
        match server.tls_client_certificate("mock-redis client") {
            Ok(client) => tracing::info!(
                cert = %client.cert_file.display(),
                key = %client.key_file.display(),
                "Minted a TLS client certificate"
            ),
            Err(e) => tracing::warn!(%e, "cannot mint a TLS client certificate"),
        }
    }
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

/// File descriptors kept for the server's own use besides clients, as
/// Redis's `CONFIG_MIN_RESERVED_FDS`.
const RESERVED_FDS: u64 = 32;

/// Raises the open-file limit to `maxclients` + 32 if it is lower, as
/// redis-server's `adjustOpenFilesLimit`; when the hard limit does not
/// allow it, returns the `maxclients` that fits (the limit less 32), with
/// Redis's warnings. Connections beyond it are then refused with an error
/// instead of waiting unaccepted.
#[cfg(unix)]
// `rlim_t` is not `u64` on every Unix.
#[allow(clippy::unnecessary_cast)]
fn adjust_open_files_limit(maxclients: u32) -> u32 {
    let wanted = u64::from(maxclients) + RESERVED_FDS;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        let reduced = (1024 - RESERVED_FDS) as u32;
        tracing::warn!(
            "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients configuration accordingly.",
            std::io::Error::last_os_error()
        );
        return maxclients.min(reduced);
    }
    let old = limit.rlim_cur as u64;
    if old >= wanted {
        return maxclients;
    }
    let best = wanted.min(limit.rlim_max as u64);
    let raised = libc::rlimit {
        rlim_cur: best as libc::rlim_t,
        rlim_max: limit.rlim_max,
    };
    // SAFETY: setrlimit reads the struct it is given.
    let best = if best > old && unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        best
    } else {
        old
    };
    if best >= wanted {
        tracing::info!(
            "Increased maximum number of open files to {best} (it was originally set to {old})."
        );
        return maxclients;
    }
    let reduced = best.saturating_sub(RESERVED_FDS).max(1) as u32;
    tracing::warn!(
        "You requested maxclients of {maxclients} requiring at least {wanted} max file descriptors."
    );
    tracing::warn!(
        "Current maximum open files is {best}. maxclients has been reduced to {reduced} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."
    );
    reduced
}

#[cfg(not(unix))]
fn adjust_open_files_limit(maxclients: u32) -> u32 {
    maxclients
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
