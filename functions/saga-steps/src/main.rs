//! Lambda entry point of the `saga-steps` function (SQS event source, partial batch failures).

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::telemetry::init();
    let config = platform::config::Config::from_env()?;
    let aws = platform::aws::AwsClients::from_env().await;
    let worker = saga_steps::Worker::new(&config, &aws);
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let worker = worker.clone();
        async move { Ok::<_, lambda_runtime::Error>(worker.handle(event.payload).await) }
    }))
    .await
}
