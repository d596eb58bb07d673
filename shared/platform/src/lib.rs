//! The platform every function stands on: ids and time, configuration, problem+json errors and
//! the HTTP edge, identity (JWT, roles, API keys), the DynamoDB single-table store with its keys,
//! idempotency, telemetry, the AWS clients, sealing of secrets and the SQS batch helper.
//!
//! It depends on no other crate of this workspace; everything else depends on it.

pub mod auth;
pub mod aws;
pub mod config;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod openapi;
pub mod outbound;
pub mod prices;
pub mod queue;
pub mod request;
pub mod role;
pub mod runtime_api;
pub mod sealed;
pub mod store;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod time;

pub use error::{ApiError, FieldError};
