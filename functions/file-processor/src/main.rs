//! Lambda entry point of the `file-processor` function (SQS event source, partial batch failures).
//! The same binary is the parsing child of each file (`isolate`), before any runtime starts.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};

fn main() -> Result<(), lambda_runtime::Error> {
    file_processor::isolate::child_main_if_requested();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), lambda_runtime::Error> {
    platform::telemetry::init();
    let config = platform::config::Config::from_env()?;
    let aws = platform::aws::AwsClients::from_env().await;
    let processor = file_processor::Processor::new(&config, &aws);
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let processor = processor.clone();
        async move { Ok::<_, lambda_runtime::Error>(processor.handle(event.payload).await) }
    }))
    .await
}
