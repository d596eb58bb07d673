//! Outbound HTTPS of our own (Airtable, the model providers, workflow webhooks): reqwest on
//! rustls with *ring*, the one cryptography provider of every function (the AWS SDKs' client in
//! [`crate::aws`] uses it too). reqwest takes the process's default provider, installed here
//! before any client is built.

use std::sync::Once;

/// Makes ring the process's rustls provider; idempotent, and harmless when one is installed.
pub fn install_tls_provider() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        // An error means a provider is already installed: it is used instead.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A builder of an HTTPS client, the provider installed.
pub fn client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_builds_with_the_ring_provider_installed() {
        let client = client_builder().build();
        assert!(client.is_ok(), "{:?}", client.err());
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
