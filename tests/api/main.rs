//! Black-box tests: the local stack (emulator, sandbox Airtable, every Router) driven over HTTP.
//! One binary, a module per feature.

mod accounts;
mod analytics;
mod api_keys;
mod chat;
mod connections;
mod contract;
mod errors;
mod every_route;
mod files;
mod gateway;
mod health;
mod hostile;
mod isolation;
mod lambda;
mod mcp;
mod pollers;
mod proxy;
mod sagas;
mod sandbox;
mod sessions;
mod tenants;
mod timing;
mod tokens;
mod workflows;
