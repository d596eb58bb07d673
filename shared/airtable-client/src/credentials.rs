//! Tenants' Airtable personal access tokens: stored KMS-encrypted (encryption context = tenant
//! id, so a ciphertext cannot be replayed for another tenant) and decrypted once per warm
//! instance.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::AirtableError;
use platform::ids::{TenantId, UserId};
use platform::store::{Entity, Key, Store, keys};

/// `T#<tenant>` / `CONN#airtable`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub tenant_id: TenantId,
    /// Base64 KMS ciphertext of the token.
    pub ciphertext: String,
    pub scopes: Vec<String>,
    pub bases_count: usize,
    pub airtable_user_id: Option<String>,
    pub connected_by: UserId,
    pub connected_at: String,
    pub last_checked_at: String,
    /// The version of every table (and base schema) written through us since this connection
    /// was made: what cached reads are checked against ([`crate::cache`]).
    #[serde(default)]
    pub versions: BTreeMap<String, u64>,
}

impl Entity for Connection {
    const TAG: &'static str = "airtable_connection";
    fn key(&self) -> Key {
        keys::airtable_connection(&self.tenant_id)
    }
}

/// Encrypts, stores and decrypts tokens.
#[derive(Clone)]
pub struct Credentials {
    store: Store,
    kms: aws_sdk_kms::Client,
    key_id: String,
    decrypted: Arc<Mutex<HashMap<TenantId, (String, SecretString)>>>,
}

fn context(tenant: &TenantId) -> [(&'static str, &str); 1] {
    [("tenantId", tenant.as_str())]
}

impl Credentials {
    pub fn new(store: Store, kms: aws_sdk_kms::Client, key_id: String) -> Self {
        Self {
            store,
            kms,
            key_id,
            decrypted: Default::default(),
        }
    }

    /// Encrypts a token for a tenant; returns base64 ciphertext.
    pub async fn encrypt(
        &self,
        tenant: &TenantId,
        token: &SecretString,
    ) -> Result<String, AirtableError> {
        platform::sealed::seal(&self.kms, &self.key_id, &context(tenant), token)
            .await
            .map_err(|e| AirtableError::Kms(Box::new(e)))
    }

    /// The tenant's stored connection, if any.
    pub async fn connection(&self, tenant: &TenantId) -> Result<Option<Connection>, AirtableError> {
        Ok(self.store.get(&Self::key(tenant)).await?)
    }

    /// Where a tenant's connection is stored (read beside a session check).
    pub fn key(tenant: &TenantId) -> Key {
        keys::airtable_connection(tenant)
    }

    /// The tenant's token, decrypted (from memory after the first call of a warm instance).
    pub async fn token(&self, tenant: &TenantId) -> Result<SecretString, AirtableError> {
        let conn = self
            .connection(tenant)
            .await?
            .ok_or(AirtableError::NotConnected)?;
        self.token_of(&conn).await
    }

    /// The token of a connection already read, decrypted (once per warm instance).
    pub async fn token_of(&self, conn: &Connection) -> Result<SecretString, AirtableError> {
        let tenant = &conn.tenant_id;
        if let Some((cipher, token)) = self
            .decrypted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
            && cipher == &conn.ciphertext
        {
            return Ok(token.clone());
        }
        let token = platform::sealed::open(&self.kms, &context(tenant), &conn.ciphertext)
            .await
            .map_err(|e| AirtableError::Kms(Box::new(e)))?;
        self.decrypted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant.clone(), (conn.ciphertext.clone(), token.clone()));
        Ok(token)
    }

    /// Forgets a decrypted token (after the connection is replaced or removed).
    pub fn forget(&self, tenant: &TenantId) {
        self.decrypted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(tenant);
    }
}
