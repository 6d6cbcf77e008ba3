//! TLS (feature `tls`) through real clients: redis-rs over rustls trusting
//! the handle's throwaway CA, client certificates, given certificate
//! files, a TLS port beside the plain one, `redis-cli --tls`, and clients
//! that cannot or do not handshake (dropped, without disturbing others).

#![cfg(feature = "tls")]

use std::path::Path;

use mock_redis::{MockRedis, TlsClientAuth};
use redis::{ClientTlsConfig, TlsCertificates};
use tokio::io::AsyncReadExt;

use crate::support::RawConn;

/// A redis-rs client for `url` trusting `ca` (PEM), with a client
/// certificate if given.
fn client(url: &str, ca: &str, mine: Option<(&str, &str)>) -> redis::Client {
    redis::Client::build_with_tls(
        url,
        TlsCertificates {
            client_tls: mine.map(|(cert, key)| ClientTlsConfig {
                client_cert: cert.as_bytes().to_vec(),
                client_key: key.as_bytes().to_vec(),
            }),
            root_cert: Some(ca.as_bytes().to_vec()),
        },
    )
    .unwrap()
}

async fn ping(client: &redis::Client) -> redis::RedisResult<String> {
    let mut conn = client.get_multiplexed_async_connection().await?;
    redis::cmd("PING").query_async(&mut conn).await
}

#[tokio::test]
async fn redis_rs_connects_over_tls_trusting_the_minted_ca() {
    let server = MockRedis::builder().tls().start().await;
    let url = server.url();
    assert_eq!(url, format!("rediss://127.0.0.1:{}", server.port()));
    let client = client(&url, server.tls_ca_pem().unwrap(), None);
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let () = redis::cmd("SET")
        .arg("greeting")
        .arg("hello over TLS")
        .query_async(&mut conn)
        .await
        .unwrap();
    let got: String = redis::cmd("GET")
        .arg("greeting")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(got, "hello over TLS");
    // RESP3 over TLS too.
    let resp3 = redis::Client::build_with_tls(
        format!("{url}?protocol=resp3"),
        TlsCertificates {
            client_tls: None,
            root_cert: Some(server.tls_ca_pem().unwrap().as_bytes().to_vec()),
        },
    )
    .unwrap();
    let mut conn3 = resp3.get_multiplexed_async_connection().await.unwrap();
    let hello: redis::Value = redis::cmd("HELLO").query_async(&mut conn3).await.unwrap();
    assert!(format!("{hello:?}").contains("proto"), "{hello:?}");
    eprintln!(
        "TLS from redis-rs: {url} (CA {}): SET greeting \"hello over TLS\" -> OK; GET greeting -> {got:?}",
        server.tls_ca_file().unwrap().display()
    );
}

#[tokio::test]
async fn without_trusting_the_ca_the_handshake_fails() {
    let server = MockRedis::builder().tls().start().await;
    let other = MockRedis::builder().tls().start().await;
    // Another server's CA does not vouch for this one's certificate.
    let err = ping(&client(&server.url(), other.tls_ca_pem().unwrap(), None))
        .await
        .unwrap_err();
    assert!(err.is_io_error() || err.is_connection_refusal(), "{err:?}");
    assert_eq!(
        ping(&client(&server.url(), server.tls_ca_pem().unwrap(), None))
            .await
            .unwrap(),
        "PONG"
    );
}

#[tokio::test]
async fn a_plain_client_on_the_tls_port_is_dropped_without_disturbing_others() {
    let server = MockRedis::builder().tls().start().await;
    let client = client(&server.url(), server.tls_ca_pem().unwrap(), None);
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query_async(&mut conn)
        .await
        .unwrap();

    // A client that never starts the handshake holds only its own task.
    let mut silent = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    // A plain-text client fails the handshake: at most a TLS alert, never
    // a Redis reply, then the connection is closed.
    let mut plain = RawConn::open(server.port()).await;
    plain.send(b"PING\r\n").await;
    assert!(plain.read_to_eof().await, "the plain client is dropped");
    let bytes = plain.take_buffer();
    assert!(!bytes.windows(4).any(|w| w == b"PONG"), "{bytes:?}");
    assert!(
        bytes.first().is_none_or(|&b| b == 0x15),
        "a TLS alert: {bytes:?}"
    );

    // The established and new TLS clients carry on.
    let v: String = redis::cmd("GET")
        .arg("k")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(v, "v");
    assert_eq!(ping(&client).await.unwrap(), "PONG");
    // The silent client is still waiting (its handshake has not timed out).
    let mut byte = [0u8; 1];
    let waiting =
        tokio::time::timeout(std::time::Duration::from_millis(20), silent.read(&mut byte)).await;
    assert!(
        waiting.is_err(),
        "nothing sent to a client that sent nothing"
    );
}

#[tokio::test]
async fn client_certificates_required_and_optional() {
    let server = MockRedis::builder()
        .tls_client_auth(TlsClientAuth::Required)
        .start()
        .await;
    let ca = server.tls_ca_pem().unwrap();
    let mine = server.tls_client_certificate("app").unwrap();
    assert!(
        ping(&client(&server.url(), ca, None)).await.is_err(),
        "no certificate"
    );
    let stranger = MockRedis::builder().tls().start().await;
    let theirs = stranger.tls_client_certificate("app").unwrap();
    assert!(
        ping(&client(
            &server.url(),
            ca,
            Some((&theirs.cert_pem, &theirs.key_pem))
        ))
        .await
        .is_err(),
        "a certificate from another CA"
    );
    assert_eq!(
        ping(&client(
            &server.url(),
            ca,
            Some((&mine.cert_pem, &mine.key_pem))
        ))
        .await
        .unwrap(),
        "PONG"
    );

    let optional = MockRedis::builder()
        .tls_client_auth(TlsClientAuth::Optional)
        .start()
        .await;
    let ca = optional.tls_ca_pem().unwrap();
    let mine = optional.tls_client_certificate("app").unwrap();
    assert_eq!(
        ping(&client(&optional.url(), ca, None)).await.unwrap(),
        "PONG"
    );
    assert_eq!(
        ping(&client(
            &optional.url(),
            ca,
            Some((&mine.cert_pem, &mine.key_pem))
        ))
        .await
        .unwrap(),
        "PONG"
    );
    assert!(
        ping(&client(
            &optional.url(),
            ca,
            Some((&theirs.cert_pem, &theirs.key_pem))
        ))
        .await
        .is_err(),
        "a certificate given is checked"
    );
}

/// A CA and a server certificate made by the test, as files.
fn write_own_ca(dir: &Path) -> (rcgen::Issuer<'static, rcgen::KeyPair>, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let server = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();
    std::fs::write(dir.join("ca.crt"), &ca_pem).unwrap();
    std::fs::write(dir.join("redis.crt"), server_cert.pem()).unwrap();
    std::fs::write(dir.join("redis.key"), server_key.serialize_pem()).unwrap();
    (issuer, ca_pem)
}

#[tokio::test]
async fn given_certificate_files_serve_tls_and_check_clients() {
    let dir = tempfile::tempdir().unwrap();
    let (issuer, ca_pem) = write_own_ca(dir.path());
    let server = MockRedis::builder()
        .tls_cert_files(dir.path().join("redis.crt"), dir.path().join("redis.key"))
        .tls_ca_cert_file(dir.path().join("ca.crt"))
        .tls_client_auth(TlsClientAuth::Required)
        .start()
        .await;
    assert_eq!(server.tls_ca_pem(), Some(ca_pem.as_str()));
    assert!(
        server.tls_client_certificate("x").is_err(),
        "no CA key to mint with"
    );
    let params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let (cert, key) = (cert.pem(), key.serialize_pem());
    assert_eq!(
        ping(&client(&server.url(), &ca_pem, Some((&cert, &key))))
            .await
            .unwrap(),
        "PONG"
    );
    assert!(ping(&client(&server.url(), &ca_pem, None)).await.is_err());

    // Bad files are an error at start, naming the file.
    let err = MockRedis::builder()
        .tls_cert_files(dir.path().join("ca.crt"), dir.path().join("missing.key"))
        .try_start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("missing.key"), "{err}");
    let err = MockRedis::builder()
        .tls_cert_files(dir.path().join("redis.crt"), dir.path().join("redis.key"))
        .tls_client_auth(TlsClientAuth::Required)
        .try_start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("tls-ca-cert-file"), "{err}");
}

#[tokio::test]
async fn a_tls_port_beside_the_plain_one_shares_the_data() {
    let server = MockRedis::builder()
        .tls_port("127.0.0.1:0".parse().unwrap())
        .start()
        .await;
    let tls_url = server.tls_url().unwrap();
    assert!(server.url().starts_with("redis://"), "{}", server.url());
    assert_eq!(tls_url, format!("rediss://{}", server.tls_addr().unwrap()));
    let mut plain = RawConn::open(server.port()).await;
    assert_eq!(plain.cmd(["SET", "k", "plain"]).await, b"+OK\r\n");
    let tls = client(&tls_url, server.tls_ca_pem().unwrap(), None);
    let mut conn = tls.get_multiplexed_async_connection().await.unwrap();
    let v: String = redis::cmd("GET")
        .arg("k")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(v, "plain");
    // CLIENT LIST shows each connection's own local address.
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut conn)
        .await
        .unwrap();
    let tls_port = server.tls_addr().unwrap().port();
    assert!(
        list.contains(&format!("laddr=127.0.0.1:{tls_port}")),
        "{list}"
    );
    assert!(
        list.contains(&format!("laddr=127.0.0.1:{}", server.port())),
        "{list}"
    );
}

#[tokio::test]
async fn restart_serves_tls_again_with_the_same_ca() {
    let mut server = MockRedis::builder().tls().start().await;
    let client = client(&server.url(), server.tls_ca_pem().unwrap(), None);
    let mut manager = client.get_connection_manager().await.unwrap();
    let () = redis::cmd("SET")
        .arg("k")
        .arg("1")
        .query_async(&mut manager)
        .await
        .unwrap();
    server.restart().await.unwrap();
    crate::support::eventually("redis-rs to reconnect over TLS", async || {
        redis::cmd("GET")
            .arg("k")
            .query_async::<Option<String>>(&mut manager)
            .await
            .ok()
            .flatten()
            .as_deref()
            == Some("1")
    })
    .await;
}

#[test]
fn sync_clients_over_tls() {
    let server = MockRedis::builder().tls().start_blocking();
    let client = client(&server.url(), server.tls_ca_pem().unwrap(), None);
    let mut conn = client.get_connection().unwrap();
    let pong: String = redis::cmd("PING").query(&mut conn).unwrap();
    assert_eq!(pong, "PONG");
}

/// A sync client under `start()` in a current-thread runtime blocks the
/// server's thread: the watchdog serves it, over TLS too.
#[tokio::test]
async fn the_watchdog_serves_tls_to_a_sync_client_in_an_async_test() {
    let server = MockRedis::builder().tls().start().await;
    let client = client(&server.url(), server.tls_ca_pem().unwrap(), None);
    let mut conn = client.get_connection().unwrap();
    let pong: String = redis::cmd("PING").query(&mut conn).unwrap();
    assert_eq!(pong, "PONG");
}

/// Runs redis-cli; `None` when it is missing or built without TLS.
fn redis_cli(args: &[&str]) -> Option<std::process::Output> {
    let help = std::process::Command::new("redis-cli")
        .arg("--help")
        .output()
        .ok()?;
    if !String::from_utf8_lossy(&help.stdout).contains("--tls")
        && !String::from_utf8_lossy(&help.stderr).contains("--tls")
    {
        eprintln!("SKIPPED: redis-cli without TLS");
        return None;
    }
    Some(
        std::process::Command::new("redis-cli")
            .args(args)
            .output()
            .unwrap(),
    )
}

#[test]
fn redis_cli_over_tls() {
    let server = MockRedis::builder()
        .tls_client_auth(TlsClientAuth::Optional)
        .start_blocking();
    let port = server.port().to_string();
    let ca = server.tls_ca_file().unwrap().to_str().unwrap().to_string();
    let Some(out) = redis_cli(&["--tls", "--cacert", &ca, "-p", &port, "SET", "k", "v"]) else {
        return;
    };
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OK\n", "{out:?}");
    let mine = server.tls_client_certificate("cli").unwrap();
    let (cert, key) = (
        mine.cert_file.to_str().unwrap(),
        mine.key_file.to_str().unwrap(),
    );
    let out = redis_cli(&[
        "--tls", "--cacert", &ca, "--cert", cert, "--key", key, "-p", &port, "GET", "k",
    ])
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "v\n", "{out:?}");
    // Without --tls, redis-cli's plain request gets no reply.
    let out = redis_cli(&["-p", &port, "PING"]).unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("PONG"),
        "{out:?}"
    );
}

/// The binary with redis-server's TLS flags: `--port 0 --tls-port 0`
/// serves TLS only, on a free port, with a minted CA whose file it logs;
/// `SHUTDOWN` over TLS stops it with status 0.
#[cfg(feature = "cli")]
#[test]
fn the_binary_serves_tls_only_with_port_0() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mock-redis"))
        .args(["--port", "0", "--tls-port", "0", "--tls-auth-clients", "no"])
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let (addr, ca) = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "exited before listening"
        );
        assert!(
            !line.contains("connections tcp"),
            "no plain listener: {line}"
        );
        if line.contains("Ready to accept connections tls") {
            let field = |name: &str| {
                let start = line.find(name).unwrap() + name.len();
                line[start..].split_whitespace().next().unwrap().to_string()
            };
            break (field("addr="), field("ca="));
        }
    };
    let pem = std::fs::read_to_string(&ca).unwrap();
    let client = client(&format!("rediss://{addr}"), &pem, None);
    let mut conn = client.get_connection().unwrap();
    let pong: String = redis::cmd("PING").query(&mut conn).unwrap();
    assert_eq!(pong, "PONG");
    let port = addr.rsplit(':').next().unwrap();
    if let Some(out) = redis_cli(&["--tls", "--cacert", &ca, "-p", port, "SHUTDOWN"]) {
        assert!(out.status.success(), "{out:?}");
    } else {
        let _ = redis::cmd("SHUTDOWN").query::<()>(&mut conn);
    }
    let mut rest = String::new();
    for line in stderr.lines() {
        rest.push_str(&line.unwrap());
        rest.push('\n');
    }
    assert_eq!(child.wait().unwrap().code(), Some(0), "{rest}");
    assert!(
        rest.contains("Redis is now ready to exit, bye bye..."),
        "{rest}"
    );
    assert!(
        !Path::new(&ca).exists(),
        "the minted files are removed on exit"
    );
}
