//! Lambda entry point of `mcp-stream`: the same Router behind a Function URL with response
//! streaming, so a long tool's `notifications/progress` reach the client as they happen (API
//! Gateway buffers a response until it ends).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::config::Config::from_env()?;
    let aws = shared::aws::AwsClients::from_env().await;
    let state = mcp::AppState::new(config, aws).await?;
    lambda_http::run_with_streaming_response(shared::http::edge(mcp::router(state))).await
}
