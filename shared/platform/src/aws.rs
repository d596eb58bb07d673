//! AWS SDK clients, built once per cold start and shared by handlers.
//!
//! Endpoints come only from the SDK's own configuration (`AWS_ENDPOINT_URL`), so the same code
//! talks to AWS, moto, LocalStack or any other emulator.

use std::sync::OnceLock;
use std::time::Instant;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_types::config_bag::{Storable, StoreReplace};

/// Every client a function may need, each built on its first use from one SDK configuration.
///
/// A client is built only when a function asks for it, so a function's binary holds only the SDKs
/// its code reaches: the linker drops the rest (`analytics` ships without S3, KMS or Bedrock:
/// 0.9 MiB less zipped). Cloning is cheap; a clone made before a client's first use builds its
/// own client from the same configuration.
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

/// An accessor building the client of one service on first use, from the shared configuration
/// (adjusted by `$adjust` when given), with every call timed into the request's telemetry scope
/// (its `Server-Timing`) under `$timing`.
macro_rules! lazy_client {
    ($(#[$doc:meta])* $field:ident: $sdk:ident, $timing:literal $(, $adjust:expr)?) => {
        $(#[$doc])*
        pub fn $field(&self) -> &$sdk::Client {
            self.$field.get_or_init(|| {
                let builder = $sdk::config::Builder::from(&self.config);
                $(let builder = ($adjust)(builder, &self.config);)?
                $sdk::Client::from_conf(builder.interceptor(Timed($timing)).build())
            })
        }
    };
}

impl AwsClients {
    /// Loads the SDK configuration from the environment (region, credentials, endpoint).
    pub async fn from_env() -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(https_client())
            .load()
            .await;
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

    lazy_client!(dynamodb: aws_sdk_dynamodb, "ddb");
    lazy_client!(
        /// Path-style when an endpoint is set: emulators serve buckets by path, not by virtual
        /// host; so does every presigned URL.
        s3: aws_sdk_s3,
        "s3",
        |b: aws_sdk_s3::config::Builder, c: &SdkConfig| b
            .force_path_style(c.endpoint_url().is_some())
    );
    lazy_client!(sqs: aws_sdk_sqs, "sqs");
    lazy_client!(sfn: aws_sdk_sfn, "sfn");
    lazy_client!(kms: aws_sdk_kms, "kms");
    lazy_client!(secrets: aws_sdk_secretsmanager, "secrets");
    lazy_client!(
        /// Bedrock Runtime (the chat's model when `LLM_PROVIDER=bedrock`).
        bedrock: aws_sdk_bedrockruntime,
        "llm"
    );
    lazy_client!(
        /// EventBridge Scheduler (workflow schedules).
        scheduler: aws_sdk_scheduler,
        "scheduler"
    );
}

/// The HTTPS client of every SDK client (and of the credential providers): the SDK's default
/// client — hyper and rustls, the connector settings and sleep of the client using it, proxies
/// from the environment — with *ring* as its cryptography instead of aws-lc, the one provider of
/// every TLS and JWT use in a function. aws-lc's C library alone was about 3 MB of each
/// function's binary (`nm`, 2026-12-06), for algorithms no function uses.
pub fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::Ring));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
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
