//! AWS SDK clients, built once per cold start and shared by handlers.
//!
//! Endpoints come only from the SDK's own configuration (`AWS_ENDPOINT_URL`), so the same code
//! talks to AWS, moto, LocalStack or any other emulator.

use std::sync::OnceLock;
use std::time::Instant;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

/// Every client a function may need, each built on its first use from one SDK configuration.
///
/// A client is built only when a function asks for it, so a function's binary holds only the SDKs
/// its code reaches: the linker drops the rest (`analytics` ships without S3, SQS, Step
/// Functions, KMS, Bedrock or the scheduler). Cloning is cheap; clones made before a client's
/// first use build their own copy of it (an `Arc` over the same HTTP client and credentials).
#[derive(Clone, Debug)]
pub struct AwsClients {
    config: SdkConfig,
    dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
    s3: OnceLock<aws_sdk_s3::Client>,
    sqs: OnceLock<aws_sdk_sqs::Client>,
    sfn: OnceLock<aws_sdk_sfn::Client>,
    kms: OnceLock<aws_sdk_kms::Client>,
    secrets: OnceLock<aws_sdk_secretsmanager::Client>,
    bedrock: OnceLock<aws_sdk_bedrockruntime::Client>,
    scheduler: OnceLock<aws_sdk_scheduler::Client>,
}

/// A client of one service whose every call is timed into the request's telemetry scope (its
/// `Server-Timing`) under `$name`.
macro_rules! timed_client {
    ($sdk:ident, $builder:expr, $name:literal) => {
        $sdk::Client::from_conf($builder.interceptor(Timed($name)).build())
    };
}

impl AwsClients {
    /// Loads the SDK configuration from the environment (region, credentials, endpoint).
    pub async fn from_env() -> Self {
        let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Self::new(&config)
    }

    /// Clients of `config`, built as they are first asked for.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            config: config.clone(),
            dynamodb: OnceLock::new(),
            s3: OnceLock::new(),
            sqs: OnceLock::new(),
            sfn: OnceLock::new(),
            kms: OnceLock::new(),
            secrets: OnceLock::new(),
            bedrock: OnceLock::new(),
            scheduler: OnceLock::new(),
        }
    }

    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        self.dynamodb.get_or_init(|| {
            timed_client!(
                aws_sdk_dynamodb,
                aws_sdk_dynamodb::config::Builder::from(&self.config),
                "ddb"
            )
        })
    }

    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3.get_or_init(|| {
            // Emulators serve buckets by path, not by virtual host; so does every presigned URL.
            let builder = aws_sdk_s3::config::Builder::from(&self.config)
                .force_path_style(self.config.endpoint_url().is_some());
            timed_client!(aws_sdk_s3, builder, "s3")
        })
    }

    pub fn sqs(&self) -> &aws_sdk_sqs::Client {
        self.sqs.get_or_init(|| {
            timed_client!(
                aws_sdk_sqs,
                aws_sdk_sqs::config::Builder::from(&self.config),
                "sqs"
            )
        })
    }

    pub fn sfn(&self) -> &aws_sdk_sfn::Client {
        self.sfn.get_or_init(|| {
            timed_client!(
                aws_sdk_sfn,
                aws_sdk_sfn::config::Builder::from(&self.config),
                "sfn"
            )
        })
    }

    pub fn kms(&self) -> &aws_sdk_kms::Client {
        self.kms.get_or_init(|| {
            timed_client!(
                aws_sdk_kms,
                aws_sdk_kms::config::Builder::from(&self.config),
                "kms"
            )
        })
    }

    pub fn secrets(&self) -> &aws_sdk_secretsmanager::Client {
        self.secrets.get_or_init(|| {
            timed_client!(
                aws_sdk_secretsmanager,
                aws_sdk_secretsmanager::config::Builder::from(&self.config),
                "secrets"
            )
        })
    }

    /// Bedrock Runtime (the chat's model when `LLM_PROVIDER=bedrock`).
    pub fn bedrock(&self) -> &aws_sdk_bedrockruntime::Client {
        self.bedrock.get_or_init(|| {
            timed_client!(
                aws_sdk_bedrockruntime,
                aws_sdk_bedrockruntime::config::Builder::from(&self.config),
                "llm"
            )
        })
    }

    /// EventBridge Scheduler (workflow schedules).
    pub fn scheduler(&self) -> &aws_sdk_scheduler::Client {
        self.scheduler.get_or_init(|| {
            timed_client!(
                aws_sdk_scheduler,
                aws_sdk_scheduler::config::Builder::from(&self.config),
                "scheduler"
            )
        })
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
