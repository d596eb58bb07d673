//! AWS SDK clients, built once per cold start and shared by handlers.
//!
//! Endpoints come only from the SDK's own configuration (`AWS_ENDPOINT_URL`), so the same code
//! talks to AWS, moto, LocalStack or any other emulator.

use aws_config::{BehaviorVersion, SdkConfig};

/// Every client a function may need. Cloning is cheap (each client is an `Arc` inside).
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub kms: aws_sdk_kms::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    /// Bedrock Runtime (the chat's model when `LLM_PROVIDER=bedrock`).
    pub bedrock: aws_sdk_bedrockruntime::Client,
    /// EventBridge Scheduler (workflow schedules).
    pub scheduler: aws_sdk_scheduler::Client,
}

impl AwsClients {
    /// Loads the SDK configuration from the environment (region, credentials, endpoint).
    pub async fn from_env() -> Self {
        let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Self::new(&config)
    }

    /// Builds every client from one SDK configuration.
    pub fn new(config: &SdkConfig) -> Self {
        // Emulators serve buckets by path, not by virtual host; so does every presigned URL.
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sqs: aws_sdk_sqs::Client::new(config),
            sfn: aws_sdk_sfn::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            secrets: aws_sdk_secretsmanager::Client::new(config),
            bedrock: aws_sdk_bedrockruntime::Client::new(config),
            scheduler: aws_sdk_scheduler::Client::new(config),
        }
    }
}
