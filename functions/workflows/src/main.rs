//! Lambda entry point of the `workflows` function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    platform::telemetry::init();
    let config = platform::config::Config::from_env()?;
    let aws = platform::aws::AwsClients::from_env().await;
    let state = workflows::AppState::new(config, aws).await?;
    platform::telemetry::settle_on_shutdown().await;
    lambda_http::run(platform::http::edge(workflows::router(state))).await
}
