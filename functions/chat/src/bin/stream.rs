//! Lambda entry point of `chat-stream`: the same Router behind a Function URL with response
//! streaming, so `/api/v1/chat/stream` events reach the client as they happen.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    platform::telemetry::init();
    let config = platform::config::Config::from_env()?;
    let aws = platform::aws::AwsClients::from_env().await;
    let state = chat::AppState::new(config, aws).await?;
    platform::telemetry::settle_on_shutdown().await;
    lambda_http::run_with_streaming_response(platform::http::streaming_edge(chat::router(state)))
        .await
}
