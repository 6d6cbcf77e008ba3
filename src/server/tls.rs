//! TLS (feature `tls`): `rediss://` through rustls (ring provider).
//!
//! [`Builder::tls`] mints, at start, a throwaway CA and a server
//! certificate for `localhost`, `127.0.0.1`, `::1` (and the bound address)
//! signed by it (rcgen); the handle keeps the CA's key to mint client
//! certificates ([`MockRedis::tls_client_certificate`]) and writes the CA
//! to a temporary directory it owns ([`MockRedis::tls_ca_file`]).
//! [`Builder::tls_cert_files`] serves given files instead.
//!
//! A TLS connection is a TCP connection whose handshake runs in its own
//! connection task, bounded by [`HANDSHAKE_TIMEOUT`], before the same
//! connection code as a plain one serves the TLS stream
//! (`socket::serve` is generic over the stream, so the plain path keeps
//! its own monomorphic copy). A failed handshake (a plain-text client, an
//! untrusted or missing client certificate) ends that connection only.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener as StdTcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::heartbeat::Pulse;
use super::{Shared, TlsListeners, socket};

/// How long a client has to complete the TLS handshake before its
/// connection is closed.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether TLS clients must present a certificate signed by the CA,
/// as redis-server's `tls-auth-clients`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsClientAuth {
    /// No client certificate is asked for (`tls-auth-clients no`; the
    /// default of [`Builder::tls`]).
    #[default]
    No,
    /// A certificate signed by the CA is required (`tls-auth-clients yes`,
    /// redis-server's default).
    Required,
    /// A certificate is checked if the client presents one
    /// (`tls-auth-clients optional`).
    Optional,
}

/// A client certificate minted from the server's throwaway CA
/// ([`MockRedis::tls_client_certificate`]): PEM texts, and the same in files
/// of the handle's temporary directory (for `redis-cli --cert --key`).
#[derive(Clone, Debug)]
pub struct ClientCertificate {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key (PKCS#8), PEM.
    pub key_pem: String,
    /// The certificate's file; removed with the handle.
    pub cert_file: PathBuf,
    /// The key's file; removed with the handle.
    pub key_file: PathBuf,
}

/// What the builder was told about TLS.
#[derive(Debug, Default)]
pub(super) struct TlsOptions {
    pub cert_files: Option<(PathBuf, PathBuf)>,
    pub ca_file: Option<PathBuf>,
    pub client_auth: TlsClientAuth,
    /// A TLS listener of its own, beside the plain one (`tls-port`).
    pub port: Option<SocketAddr>,
}

/// A server's TLS setup, kept by the handle (restarts reuse it).
pub(super) struct ServerTls {
    acceptor: TlsAcceptor,
    pub ca_pem: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// The throwaway CA's signer (minted setups only).
    issuer: Option<Issuer<'static, KeyPair>>,
    /// Holds the minted files; removed with the handle.
    dir: Option<tempfile::TempDir>,
    minted: AtomicU64,
    /// The separate TLS listener's address (its port once bound).
    port: Option<SocketAddr>,
}

impl ServerTls {
    /// Mints or loads the certificates and builds the acceptor. `ip` is the
    /// address the server binds, named in a minted certificate.
    pub(super) fn new(options: TlsOptions, ip: IpAddr) -> io::Result<ServerTls> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (certs, key, roots, ca_pem, ca_file, issuer, dir) = match options.cert_files {
            Some((cert, key)) => {
                let certs = CertificateDer::pem_file_iter(&cert)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| bad_file(&cert, e))?;
                let key = PrivateKeyDer::from_pem_file(&key).map_err(|e| bad_file(&key, e))?;
                let (ca_pem, roots) = match &options.ca_file {
                    Some(ca) => {
                        let pem = std::fs::read_to_string(ca).map_err(|e| bad_file(ca, e))?;
                        (Some(pem.clone()), roots_from_pem(pem.as_bytes(), ca)?)
                    }
                    None => (None, RootCertStore::empty()),
                };
                (certs, key, roots, ca_pem, options.ca_file, None, None)
            }
            None => {
                let minted = Minted::new(ip).map_err(minting)?;
                let dir = tempfile::Builder::new()
                    .prefix("mock-redis-tls")
                    .tempdir()?;
                let ca_file = dir.path().join("ca.crt");
                std::fs::write(&ca_file, &minted.ca_pem)?;
                let mut roots = RootCertStore::empty();
                roots.add(minted.ca_der).map_err(io::Error::other)?;
                (
                    vec![minted.cert],
                    minted.key,
                    roots,
                    Some(minted.ca_pem),
                    Some(ca_file),
                    Some(minted.issuer),
                    Some(dir),
                )
            }
        };
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?;
        let builder = match options.client_auth {
            TlsClientAuth::No => builder.with_no_client_auth(),
            auth => {
                if roots.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "checking client certificates needs a CA certificate file (tls-ca-cert-file)",
                    ));
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = match auth {
                    TlsClientAuth::Optional => verifier.allow_unauthenticated(),
                    _ => verifier,
                };
                builder.with_client_cert_verifier(verifier.build().map_err(io::Error::other)?)
            }
        };
        let config = builder
            .with_single_cert(certs, key)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        Ok(ServerTls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem,
            ca_file,
            issuer,
            dir,
            minted: AtomicU64::new(0),
            port: options.port,
        })
    }

    /// The acceptor for the server's main listener when it serves TLS
    /// itself, or the separate TLS listener, bound now with `bind`.
    pub(super) fn listeners(
        &mut self,
        bind: impl FnOnce(SocketAddr) -> io::Result<StdTcpListener>,
    ) -> io::Result<TlsListeners> {
        match self.port {
            None => Ok((Some(self.acceptor.clone()), None)),
            Some(addr) => {
                let listener = bind(addr)?;
                self.port = Some(listener.local_addr()?);
                Ok((None, Some((listener, self.acceptor.clone()))))
            }
        }
    }

    /// Whether TLS is served on a listener of its own.
    pub(super) fn separate_port(&self) -> Option<SocketAddr> {
        self.port
    }

    /// Mints a client certificate from the throwaway CA into the
    /// temporary directory.
    pub(super) fn client_certificate(&self, name: &str) -> io::Result<ClientCertificate> {
        let (Some(issuer), Some(dir)) = (&self.issuer, &self.dir) else {
            return Err(no_minted_ca());
        };
        let (cert, key) = leaf(
            issuer,
            name,
            Vec::new(),
            ExtendedKeyUsagePurpose::ClientAuth,
        )
        .map_err(minting)?;
        let n = self.minted.fetch_add(1, Ordering::Relaxed);
        let cert_file = dir.path().join(format!("client-{n}.crt"));
        let key_file = dir.path().join(format!("client-{n}.key"));
        let (cert_pem, key_pem) = (cert.pem(), key.serialize_pem());
        std::fs::write(&cert_file, &cert_pem)?;
        std::fs::write(&key_file, &key_pem)?;
        Ok(ClientCertificate {
            cert_pem,
            key_pem,
            cert_file,
            key_file,
        })
    }
}

/// Client certificates need a CA whose key the server holds.
pub(super) fn no_minted_ca() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "client certificates are minted from the CA of a server started with tls() and no certificate files",
    )
}

/// A throwaway CA and a server certificate it signed.
struct Minted {
    issuer: Issuer<'static, KeyPair>,
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl Minted {
    fn new(ip: IpAddr) -> Result<Minted, rcgen::Error> {
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "mock-redis throwaway CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca, ca_key);
        let mut names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        if !ip.is_unspecified() && !ip.is_loopback() {
            names.push(ip.to_string());
        }
        let (cert, key) = leaf(
            &issuer,
            "mock-redis",
            names,
            ExtendedKeyUsagePurpose::ServerAuth,
        )?;
        Ok(Minted {
            issuer,
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().clone(),
            cert: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        })
    }
}

/// A certificate for `names` signed by the CA, and its key.
fn leaf(
    issuer: &Issuer<'static, KeyPair>,
    common_name: &str,
    names: Vec<String>,
    usage: ExtendedKeyUsagePurpose,
) -> Result<(rcgen::Certificate, KeyPair), rcgen::Error> {
    let mut params = CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, issuer)?;
    Ok((cert, key))
}

fn minting(e: rcgen::Error) -> io::Error {
    io::Error::other(format!("cannot mint the TLS certificates: {e}"))
}

fn bad_file(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}: {e}", path.display()),
    )
}

fn roots_from_pem(pem: &[u8], path: &Path) -> io::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        roots
            .add(cert.map_err(|e| bad_file(path, e))?)
            .map_err(|e| bad_file(path, e))?;
    }
    if roots.is_empty() {
        return Err(bad_file(path, "no certificate"));
    }
    Ok(roots)
}

/// Serves one TCP connection over TLS: the handshake, bounded by
/// [`HANDSHAKE_TIMEOUT`], then the connection as any other.
pub(crate) async fn serve(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
    local: String,
    shared: Arc<Shared>,
    pulse: Option<Pulse>,
) {
    if let Some(stream) = handshake(&acceptor, stream, peer, HANDSHAKE_TIMEOUT).await {
        socket::serve(
            stream,
            Some(peer.ip()),
            peer.to_string(),
            local,
            shared,
            pulse,
        )
        .await;
    }
}

/// The server side of the handshake; `None` (logged, at debug level as
/// Redis logs it at verbose) when it fails or takes longer than `limit`.
async fn handshake<S>(
    acceptor: &TlsAcceptor,
    stream: S,
    peer: SocketAddr,
    limit: Duration,
) -> Option<tokio_rustls::server::TlsStream<S>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match tokio::time::timeout(limit, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            tracing::debug!(%peer, %e, "Error accepting a client connection");
            None
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{ServerTls, TlsOptions, handshake};

    #[tokio::test]
    async fn a_client_that_never_handshakes_is_dropped_after_the_limit() {
        let tls = ServerTls::new(TlsOptions::default(), [127, 0, 0, 1].into()).unwrap();
        let (server_end, _client_end) = tokio::io::duplex(1024);
        let started = Instant::now();
        let peer = "127.0.0.1:1".parse().unwrap();
        let served = handshake(&tls.acceptor, server_end, peer, Duration::from_millis(50)).await;
        assert!(served.is_none());
        assert!(started.elapsed() >= Duration::from_millis(50));
    }

    #[tokio::test]
    async fn plain_text_fails_the_handshake_at_once() {
        use tokio::io::AsyncWriteExt;
        let tls = ServerTls::new(TlsOptions::default(), [127, 0, 0, 1].into()).unwrap();
        let (server_end, mut client_end) = tokio::io::duplex(1024);
        client_end.write_all(b"PING\r\n").await.unwrap();
        let peer = "127.0.0.1:1".parse().unwrap();
        // An hour: only the bytes can end it.
        let served = handshake(&tls.acceptor, server_end, peer, Duration::from_secs(3600)).await;
        assert!(served.is_none());
    }
}
