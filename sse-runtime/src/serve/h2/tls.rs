//! HTTPS for [`serve`](crate::serve()): a certificate and key for rustls, with
//! HTTP/2 and HTTP/1.1 offered by ALPN.
//!
//! Browsers speak HTTP/2 only over TLS, and over HTTP/1.1 they open about six
//! connections per origin, shared by every tab: the seventh `EventSource`
//! waits. Over HTTP/2 every `EventSource` of a page is a stream of one
//! connection (100 or more, as the server allows).
//!
//! ```no_run
//! # async fn run(app: axum::Router) -> Result<(), Box<dyn std::error::Error>> {
//! use sse_runtime::serve::Tls;
//!
//! let tls = Tls::from_pem_files("cert.pem", "key.pem")?;
//! let listener = sse_runtime::bind("0.0.0.0:8443".parse()?).await?;
//! sse_runtime::serve(listener, app).tls(tls).await?;
//! # Ok(()) }
//! # let _ = run;
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// How long a client has to complete its TLS handshake before its connection
/// is closed, so that connections that never finish one cannot pile up.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The protocols offered by ALPN, most preferred first.
const ALPN_H2_AND_HTTP11: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// A server certificate and key, for [`Serve::tls`](crate::serve::Serve::tls).
///
/// Clients that offer HTTP/2 by ALPN (every browser) get it; the others get
/// HTTP/1.1. [`Serve::http2(false)`](crate::serve::Serve::http2) offers
/// HTTP/1.1 only.
///
/// ```
/// use sse_runtime::serve::Tls;
///
/// let error = Tls::from_pem(b"not a certificate", b"").unwrap_err();
/// assert!(error.to_string().contains("no certificate"), "{error}");
/// ```
#[derive(Clone)]
pub struct Tls {
    config: Arc<ServerConfig>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("alpn", &self.config.alpn_protocols)
            .finish_non_exhaustive()
    }
}

/// Why a certificate and key could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// What reading it said.
        source: std::io::Error,
    },
    /// The certificate input holds no `CERTIFICATE` PEM block.
    NoCertificate,
    /// The key input holds no private key PEM block (PKCS #8, PKCS #1 or SEC1).
    NoPrivateKey,
    /// rustls refused the pair (the key does not match the certificate, or
    /// uses an unsupported algorithm).
    Rustls(rustls::Error),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::NoCertificate => f.write_str(
                "no certificate found: give a PEM file with at least one \
                 `-----BEGIN CERTIFICATE-----` block (the server's first, then its chain)",
            ),
            Self::NoPrivateKey => f.write_str(
                "no private key found: give a PEM file with a `-----BEGIN PRIVATE KEY-----` \
                 (PKCS #8), `RSA PRIVATE KEY` or `EC PRIVATE KEY` block",
            ),
            Self::Rustls(error) => write!(
                f,
                "the certificate and key cannot be used together: {error} \
                 (check that the key is the certificate's)"
            ),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } => Some(source),
            Self::Rustls(error) => Some(error),
            Self::NoCertificate | Self::NoPrivateKey => None,
        }
    }
}

impl Tls {
    /// Reads a PEM certificate chain (the server's certificate first) and a
    /// PEM private key from files.
    pub fn from_pem_files(
        cert_chain: impl AsRef<Path>,
        private_key: impl AsRef<Path>,
    ) -> Result<Self, TlsError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| TlsError::Read {
                path: path.to_owned(),
                source,
            })
        };
        Self::from_pem(&read(cert_chain.as_ref())?, &read(private_key.as_ref())?)
    }

    /// A PEM certificate chain (the server's certificate first) and a PEM
    /// private key, as bytes.
    pub fn from_pem(cert_chain: &[u8], private_key: &[u8]) -> Result<Self, TlsError> {
        let certs = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| TlsError::NoCertificate)?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        let key = PrivateKeyDer::from_pem_slice(private_key).map_err(|_| TlsError::NoPrivateKey)?;
        // An explicit provider: rustls' process-wide default is ambiguous
        // (and `builder()` panics) when the application also enables another.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Rustls)?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(TlsError::Rustls)?;
        config.alpn_protocols = ALPN_H2_AND_HTTP11.iter().map(|p| p.to_vec()).collect();
        Ok(Self {
            config: Arc::new(config),
        })
    }

    /// A rustls configuration of your own (client certificates, several
    /// certificates by SNI, another crypto provider). Its ALPN list is used
    /// as it is: include `h2` to serve HTTP/2.
    pub fn from_config(config: Arc<ServerConfig>) -> Self {
        Self { config }
    }

    /// The configuration to accept with: HTTP/2 left out of ALPN when it is
    /// turned off.
    pub(crate) fn acceptor(&self, http2: bool) -> tokio_rustls::TlsAcceptor {
        let offers_h2 = self.config.alpn_protocols.iter().any(|p| p == b"h2");
        if http2 || !offers_h2 {
            return tokio_rustls::TlsAcceptor::from(self.config.clone());
        }
        let mut config = (*self.config).clone();
        config.alpn_protocols.retain(|p| p != b"h2");
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_without_a_certificate_is_refused_with_what_to_give() {
        let error = Tls::from_pem(b"", b"").unwrap_err();
        assert!(matches!(error, TlsError::NoCertificate), "{error:?}");
    }

    #[test]
    fn a_missing_file_names_the_file() {
        let error =
            Tls::from_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem").unwrap_err();
        assert!(
            error.to_string().contains("/nonexistent/cert.pem"),
            "{error}"
        );
    }
}
