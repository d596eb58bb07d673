//! AWS SDK clients, built once per cold start and shared by handlers.
//!
//! Endpoints come only from the SDK's own configuration (`AWS_ENDPOINT_URL`), so the same code
//! talks to AWS, moto, LocalStack or any other emulator.

use std::time::Instant;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

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
            .interceptor(Timed("s3"))
            .build();
        // Every call is timed into the request's telemetry scope (its `Server-Timing`).
        macro_rules! timed {
            ($sdk:ident, $name:literal) => {
                $sdk::Client::from_conf(
                    $sdk::config::Builder::from(config)
                        .interceptor(Timed($name))
                        .build(),
                )
            };
        }
        Self {
            dynamodb: timed!(aws_sdk_dynamodb, "ddb"),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sqs: timed!(aws_sdk_sqs, "sqs"),
            sfn: timed!(aws_sdk_sfn, "sfn"),
            kms: timed!(aws_sdk_kms, "kms"),
            secrets: timed!(aws_sdk_secretsmanager, "secrets"),
            bedrock: timed!(aws_sdk_bedrockruntime, "llm"),
            scheduler: timed!(aws_sdk_scheduler, "scheduler"),
        }
    }
}

/// Times each call of one AWS service (its whole execution, retries included) into the current
/// telemetry scope, under the service's short name.
#[derive(Debug)]
struct Timed(&'static str);

/// When the call being timed started (kept in the call's own config bag).
#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

impl Intercept for Timed {
    fn name(&self) -> &'static str {
        "Timed"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Started(start)) = cfg.load::<Started>() {
            crate::telemetry::record::dependency_call(self.0, *start, Instant::now());
        }
        Ok(())
    }
}
