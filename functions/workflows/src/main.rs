//! Lambda entry point of the `workflows` function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::config::Config::from_env()?;
    let aws = shared::aws::AwsClients::from_env().await;
    let state = workflows::AppState::new(config, aws).await?;
    lambda_http::run(shared::http::edge(workflows::router(state))).await
}
