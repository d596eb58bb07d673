//! Secrets kept in DynamoDB as KMS ciphertext (tenants' Airtable tokens, webhook signing
//! secrets). The encryption context binds a ciphertext to its owner (tenant, workflow), so it
//! cannot be decrypted for anyone else.

use std::collections::HashMap;

use aws_sdk_kms::primitives::Blob;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

/// KMS refused, or the ciphertext is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("KMS: {0}")]
pub struct SealError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

fn context(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Encrypts `secret` under `key_id`; returns base64 ciphertext.
pub async fn seal(
    kms: &aws_sdk_kms::Client,
    key_id: &str,
    ctx: &[(&str, &str)],
    secret: &SecretString,
) -> Result<String, SealError> {
    let out = kms
        .encrypt()
        .key_id(key_id)
        .plaintext(Blob::new(secret.expose_secret().as_bytes()))
        .set_encryption_context(Some(context(ctx)))
        .send()
        .await
        .map_err(|e| SealError(Box::new(e)))?;
    let blob = out
        .ciphertext_blob
        .ok_or_else(|| SealError("KMS returned no ciphertext".into()))?;
    Ok(STANDARD.encode(blob.as_ref()))
}

/// Decrypts what [`seal`] produced with the same context.
pub async fn open(
    kms: &aws_sdk_kms::Client,
    ctx: &[(&str, &str)],
    ciphertext: &str,
) -> Result<SecretString, SealError> {
    let blob = STANDARD
        .decode(ciphertext)
        .map_err(|e| SealError(Box::new(e)))?;
    let out = kms
        .decrypt()
        .ciphertext_blob(Blob::new(blob))
        .set_encryption_context(Some(context(ctx)))
        .send()
        .await
        .map_err(|e| SealError(Box::new(e)))?;
    let plain = out
        .plaintext
        .ok_or_else(|| SealError("KMS returned no plaintext".into()))?;
    Ok(SecretString::from(
        String::from_utf8(plain.into_inner()).map_err(|e| SealError(Box::new(e)))?,
    ))
}
