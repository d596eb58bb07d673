//! `make dev`: the whole platform on 127.0.0.1 until Ctrl-C.

/// Where `make dev` keeps the operator token of `GET /api/v1/ops/metrics` (never printed).
const OPS_TOKEN_FILE: &str = ".local/ops-token";

fn main() -> Result<(), local::BoxError> {
    // Each uploaded file is parsed in a child process of this binary.
    file_processor::isolate::child_main_if_requested();
    tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(local::HANDLER_STACK_BYTES)
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), local::BoxError> {
    // A person reads this terminal: one short line per request (`LOG_FORMAT=json` for the
    // Lambda's JSON lines and EMF).
    platform::telemetry::init_with(platform::telemetry::LogFormat::Text);
    let mut opts = local::Options::from_env()?;
    if opts.ops_token.is_none() {
        opts.ops_token = Some(local::write_ops_token(std::path::Path::new(
            OPS_TOKEN_FILE,
        ))?);
    }
    let running = local::start(opts).await?;
    eprintln!(
        "PyAirtable is running:\n  API              http://{}/api/v1/health\n  sandbox Airtable http://{}/health\n  operator metrics http://{}/api/v1/ops/metrics (Authorization: Bearer $(cat {OPS_TOKEN_FILE}))\nCtrl-C stops it.",
        running.api, running.sandbox, running.api
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
