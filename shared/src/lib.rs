//! Code that several functions use: configuration, problem+json errors, identity (JWT, roles,
//! API keys), the DynamoDB single-table store, the HTTP edge and telemetry.
//!
//! A function crate holds its own logic; only what two or more functions need lives here.

pub mod airtable;
pub mod auth;
pub mod aws;
pub mod config;
pub mod error;
pub mod files;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod llm;
pub mod queue;
pub mod saga;
pub mod sealed;
pub mod spend;
pub mod store;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod time;
pub mod tools;
pub mod workflows;

pub use error::{ApiError, FieldError};
