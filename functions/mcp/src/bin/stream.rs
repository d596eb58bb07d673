//! Lambda entry point of `mcp-stream`: the same Router behind a Function URL with response
//! streaming, so a long tool's `notifications/progress` reach the client as they happen (API
//! Gateway buffers a response until it ends).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    platform::telemetry::init();
    let config = platform::config::Config::from_env()?;
    let aws = platform::aws::AwsClients::from_env().await;
    let state = mcp::AppState::new(config, aws).await?;
    platform::telemetry::settle_on_shutdown().await;
    lambda_http::run_with_streaming_response(platform::http::streaming_edge(mcp::router(state)))
        .await
}
