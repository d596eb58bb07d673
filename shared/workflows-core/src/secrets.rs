//! Workspace secrets: credentials workflows use as `{{secrets.NAME}}` without anyone reading
//! them back. Each is sealed with KMS under an encryption context naming its tenant and name (a
//! ciphertext copied to another tenant or name does not open), written by admins through the
//! API, never returned by it, and opened only by the worker at the moment a step sends it.
//! Item `T#<tenant>` / `SECRET#<name>`.

use std::collections::HashMap;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use platform::ids::{TenantId, UserId};
use platform::store::{Child, Key, Store, StoreError, keys};

/// Longest secret value, in bytes.
pub const MAX_VALUE_BYTES: usize = 4096;
/// Most secrets a workspace keeps.
pub const MAX_SECRETS: usize = 100;

/// The stored item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretItem {
    pub name: String,
    pub ciphertext: String,
    pub created_at: String,
    pub updated_at: String,
    pub updated_by: UserId,
}

impl Child<TenantId> for SecretItem {
    const TAG: &'static str = "secret";
    fn key(&self, tenant: &TenantId) -> Key {
        keys::secret(tenant, &self.name)
    }
}

/// What the API shows of a secret: never its value.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretView {
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
    pub updated_by: String,
}

impl From<&SecretItem> for SecretView {
    fn from(s: &SecretItem) -> Self {
        Self {
            name: s.name.clone(),
            created_at: s.created_at.clone(),
            updated_at: s.updated_at.clone(),
            updated_by: s.updated_by.to_string(),
        }
    }
}

/// The encryption context of a secret.
pub fn context<'a>(tenant: &'a TenantId, name: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("purpose", "workflow-secret"),
        ("tenant", tenant.as_str()),
        ("secret", name),
    ]
}

/// Why secrets could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "the workspace secret `{0}` does not exist; an admin can add it under Settings → Secrets"
    )]
    Missing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Kms(#[from] platform::sealed::SealError),
}

/// The secrets a workspace has.
pub async fn list(store: &Store, tenant: &TenantId) -> Result<Vec<SecretItem>, StoreError> {
    store.query_prefix(&keys::secrets_of(tenant)).await
}

/// Opens the named secrets (each at most once).
pub async fn open(
    store: &Store,
    kms: &aws_sdk_kms::Client,
    tenant: &TenantId,
    names: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, SecretString>, OpenError> {
    let mut out = HashMap::new();
    for name in names {
        if out.contains_key(&name) {
            continue;
        }
        let item: SecretItem = store
            .get(&keys::secret(tenant, &name))
            .await?
            .ok_or_else(|| OpenError::Missing(name.clone()))?;
        let value = platform::sealed::open(kms, &context(tenant, &name), &item.ciphertext).await?;
        out.insert(name, value);
    }
    Ok(out)
}
