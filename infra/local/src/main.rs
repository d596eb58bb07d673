//! `make dev`: the whole platform on 127.0.0.1 until Ctrl-C.

#[tokio::main]
async fn main() -> Result<(), local::BoxError> {
    shared::telemetry::init();
    let running = local::start(local::Options::from_env()?).await?;
    eprintln!(
        "PyAirtable is running:\n  API              http://{}/api/v1/health\n  sandbox Airtable http://{}/health\nCtrl-C stops it.",
        running.api, running.sandbox
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
