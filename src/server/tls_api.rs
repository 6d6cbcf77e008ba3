//! The handle's and the builder's TLS methods (feature `tls`); the setup
//! itself is in `tls.rs`.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::handle::{Builder, MockRedis};
use super::tls::{ClientCertificate, TlsClientAuth, TlsOptions, no_minted_ca};

impl Builder {
    /// Serves TLS (`rediss://`) instead of plain TCP, with a throwaway CA
    /// and a server certificate for `localhost`, `127.0.0.1` and `::1`
    /// minted at start (feature `tls`). Clients trust the CA from
    /// [`MockRedis::tls_ca_pem`] or [`MockRedis::tls_ca_file`];
    /// [`url`](MockRedis::url) says `rediss://`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::builder().tls().start().await;
    /// assert!(server.url().starts_with("rediss://127.0.0.1:"));
    /// let ca = server.tls_ca_pem().unwrap().as_bytes().to_vec();
    /// let client = redis::Client::build_with_tls(
    ///     server.url(),
    ///     redis::TlsCertificates { client_tls: None, root_cert: Some(ca) },
    /// )?;
    /// let mut conn = client.get_multiplexed_async_connection().await?;
    /// let pong: String = redis::cmd("PING").query_async(&mut conn).await?;
    /// assert_eq!(pong, "PONG");
    /// # Ok(())
    /// # }
    /// ```
    pub fn tls(mut self) -> Builder {
        self.tls.get_or_insert_with(TlsOptions::default);
        self
    }

    /// Serves TLS with this certificate chain and private key (PEM files,
    /// redis-server's `tls-cert-file` and `tls-key-file`) instead of minted
    /// ones. Implies [`tls`](Builder::tls).
    ///
    /// A file that cannot be read or parsed is an error at start:
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let err = mock_redis::MockRedis::builder()
    ///     .tls_cert_files("missing.crt", "missing.key")
    ///     .try_start()
    ///     .await
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("missing.crt"));
    /// # }
    /// ```
    pub fn tls_cert_files(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Builder {
        self.tls.get_or_insert_with(TlsOptions::default).cert_files =
            Some((cert.into(), key.into()));
        self
    }

    /// The CA certificates (PEM file, redis-server's `tls-ca-cert-file`)
    /// that client certificates are checked against, with
    /// [`tls_cert_files`](Builder::tls_cert_files). Implies
    /// [`tls`](Builder::tls); with a minted CA it is ignored.
    ///
    /// ```
    /// let builder = mock_redis::MockRedis::builder()
    ///     .tls_cert_files("server.crt", "server.key")
    ///     .tls_ca_cert_file("ca.crt")
    ///     .tls_client_auth(mock_redis::TlsClientAuth::Required);
    /// # drop(builder);
    /// ```
    pub fn tls_ca_cert_file(mut self, ca: impl Into<PathBuf>) -> Builder {
        self.tls.get_or_insert_with(TlsOptions::default).ca_file = Some(ca.into());
        self
    }

    /// Whether TLS clients must present a certificate signed by the CA
    /// (redis-server's `tls-auth-clients`; default [`TlsClientAuth::No`]).
    /// Implies [`tls`](Builder::tls). Mint client certificates with
    /// [`MockRedis::tls_client_certificate`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// use mock_redis::{MockRedis, TlsClientAuth};
    ///
    /// let server = MockRedis::builder().tls_client_auth(TlsClientAuth::Required).start().await;
    /// let mine = server.tls_client_certificate("app").unwrap();
    /// let client = redis::Client::build_with_tls(
    ///     server.url(),
    ///     redis::TlsCertificates {
    ///         client_tls: Some(redis::ClientTlsConfig {
    ///             client_cert: mine.cert_pem.into_bytes(),
    ///             client_key: mine.key_pem.into_bytes(),
    ///         }),
    ///         root_cert: Some(server.tls_ca_pem().unwrap().as_bytes().to_vec()),
    ///     },
    /// )?;
    /// let mut conn = client.get_multiplexed_async_connection().await?;
    /// let pong: String = redis::cmd("PING").query_async(&mut conn).await?;
    /// assert_eq!(pong, "PONG");
    /// # Ok(())
    /// # }
    /// ```
    pub fn tls_client_auth(mut self, auth: TlsClientAuth) -> Builder {
        self.tls.get_or_insert_with(TlsOptions::default).client_auth = auth;
        self
    }

    /// Serves TLS on a listener of its own at `addr` (port 0: any free
    /// port), keeping the main address plain, as redis-server's `port` and
    /// `tls-port`. Implies [`tls`](Builder::tls); see [`MockRedis::tls_url`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder()
    ///     .tls_port("127.0.0.1:0".parse().unwrap())
    ///     .start()
    ///     .await;
    /// assert!(server.url().starts_with("redis://"));
    /// assert!(server.tls_url().unwrap().starts_with("rediss://"));
    /// assert_ne!(server.tls_addr().unwrap(), server.addr());
    /// # }
    /// ```
    pub fn tls_port(mut self, addr: SocketAddr) -> Builder {
        self.tls.get_or_insert_with(TlsOptions::default).port = Some(addr);
        self
    }
}

impl MockRedis {
    /// The CA certificate clients trust (PEM): the minted throwaway CA, or
    /// the [`tls_ca_cert_file`](Builder::tls_ca_cert_file)'s text. `None`
    /// without TLS, or with given files and no CA file.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder().tls().start().await;
    /// assert!(server.tls_ca_pem().unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    /// # }
    /// ```
    pub fn tls_ca_pem(&self) -> Option<&str> {
        self.tls.as_ref()?.ca_pem.as_deref()
    }

    /// The CA certificate's file (for `redis-cli --tls --cacert <file>`):
    /// with a minted CA, in a temporary directory removed with the handle.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder().tls().start().await;
    /// let file = server.tls_ca_file().unwrap().to_path_buf();
    /// assert_eq!(std::fs::read_to_string(&file).unwrap(), server.tls_ca_pem().unwrap());
    /// drop(server);
    /// assert!(!file.exists());
    /// # }
    /// ```
    pub fn tls_ca_file(&self) -> Option<&Path> {
        self.tls.as_ref()?.ca_file.as_deref()
    }

    /// The address serving TLS: [`addr`](MockRedis::addr), or the
    /// [`tls_port`](Builder::tls_port) listener's. `None` without TLS.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder().tls().start().await;
    /// assert_eq!(server.tls_addr(), Some(server.addr()));
    /// # }
    /// ```
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        let tls = self.tls.as_ref()?;
        Some(tls.separate_port().unwrap_or(self.addr()))
    }

    /// A `rediss://host:port` URL for the TLS address (with the password,
    /// as [`url`](MockRedis::url)). `None` without TLS.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder().tls().start().await;
    /// assert_eq!(server.tls_url(), Some(server.url()));
    /// # }
    /// ```
    pub fn tls_url(&self) -> Option<String> {
        Some(self.url_with_scheme("rediss", self.tls_addr()?))
    }

    /// Mints a client certificate (common name `name`) signed by the
    /// throwaway CA, for [`TlsClientAuth::Required`] or `Optional`; its
    /// files live in the handle's temporary directory. An error without
    /// a minted CA (no TLS, or [`tls_cert_files`](Builder::tls_cert_files)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder().tls().start().await;
    /// let cert = server.tls_client_certificate("worker-1").unwrap();
    /// assert!(cert.key_file.exists());
    /// assert!(cert.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    /// # }
    /// ```
    pub fn tls_client_certificate(&self, name: &str) -> io::Result<ClientCertificate> {
        match &self.tls {
            Some(tls) => tls.client_certificate(name),
            None => Err(no_minted_ca()),
        }
    }
}
