//! Lambda entry point of the `analytics` function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::config::Config::from_env()?;
    let aws = shared::aws::AwsClients::from_env().await;
    let state = analytics::AppState::new(config, aws).await?;
    lambda_http::run(shared::http::edge(analytics::router(state))).await
}
