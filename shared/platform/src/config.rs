//! Configuration, read once at cold start from the environment variables the SAM template sets
//! (the local stack resolves the same template variables to its own resources).

use secrecy::SecretString;

/// Where the JWT signing secret comes from.
#[derive(Clone)]
pub enum JwtSecretSource {
    /// `JWT_SECRET`: the secret itself (local stack and tests).
    Inline(SecretString),
    /// `JWT_SECRET_ARN`: a Secrets Manager secret, fetched once per cold start (AWS).
    SecretsManager(String),
}

impl std::fmt::Debug for JwtSecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Inline(_) => f.write_str("Inline([REDACTED])"),
            Self::SecretsManager(arn) => f.debug_tuple("SecretsManager").field(arn).finish(),
        }
    }
}

/// Everything a function needs to know about its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Deployment stage (`local`, `dev`, `prod`, …); shown by health checks.
    pub stage: String,
    /// The single DynamoDB table.
    pub table_name: String,
    /// The uploads bucket.
    pub uploads_bucket: String,
    /// SQS queue URLs.
    pub files_queue_url: String,
    pub automation_queue_url: String,
    pub saga_steps_queue_url: String,
    /// The KMS key (id, ARN or alias) that encrypts tenants' Airtable tokens.
    pub kms_key_id: String,
    pub jwt_secret: JwtSecretSource,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// Upstream Airtable Web API (the sandbox locally).
    pub airtable_api_url: String,
    /// `MCP_ALLOWED_HOSTS`: `Host` values the MCP endpoint answers (DNS-rebinding protection);
    /// `*.example.com` matches subdomains, an entry without a port matches any port. Default:
    /// loopback only.
    pub mcp_allowed_hosts: Vec<String>,
    /// `MCP_ALLOWED_ORIGINS`: browser origins allowed to call the MCP endpoint besides those of
    /// the allowed hosts (exact, e.g. `https://app.example.com`). Default: none.
    pub mcp_allowed_origins: Vec<String>,
    /// The chat's model: `LLM_PROVIDER` (`bedrock` | `openai`), `LLM_MODEL`, `LLM_BASE_URL`,
    /// `LLM_API_KEY`.
    pub llm: LlmConfig,
    /// `LLM_PRICES`: JSON `{model: {input, output}}` in USD per million tokens, over the defaults.
    pub llm_prices: crate::prices::Prices,
    /// `LLM_MAX_ITERATIONS` (8): model calls per user message.
    pub llm_max_iterations: u32,
    /// `LLM_MAX_TOKENS` (1024): output tokens per model call.
    pub llm_max_tokens: u32,
    /// `LLM_HISTORY_TOKENS` (12000): how much of a session's history goes to the model.
    pub llm_history_tokens: u64,
    /// State machine ARNs of the saga types (`SAGA_IMPORT_FILE_ARN`, `SAGA_BULK_UPDATE_ARN`,
    /// `SAGA_SYNC_TABLES_ARN`), by type name.
    pub saga_state_machines: std::collections::HashMap<String, String>,
    /// `LLM_TURN_SECONDS` (25): how long one chat turn may run (inside API Gateway's 29 s; the
    /// streaming function allows more).
    pub llm_turn_seconds: u64,
    /// Where workflow schedules go: `SCHEDULE_GROUP` (EventBridge Scheduler group),
    /// `SCHEDULER_ROLE_ARN` (the role Scheduler sends with) and `AUTOMATION_QUEUE_ARN` (the target).
    pub workflow_schedules: Option<ScheduleTarget>,
    /// `WORKFLOW_HTTP_ALLOW`: the only non-public socket addresses (`127.0.0.1:8080`,
    /// `[::1]:9000`) that `http_request` steps may call — an explicit list, so nothing else on a
    /// private network (the AWS emulator locally, metadata services in the cloud) is reachable.
    /// Default: none.
    pub workflow_http_allow: Vec<std::net::SocketAddr>,
    /// How uploaded files are parsed: `FILE_EXTRACTOR` (the binary run as the parsing child;
    /// default the running one), `FILE_PARSE_MEMORY_MB` (1024), `FILE_PARSE_CPU_SECONDS` (60).
    pub file_parsing: FileParsing,
    /// `METRICS_NAMESPACE` (`PyAirtable`): the CloudWatch namespace of the EMF metrics.
    pub metrics_namespace: String,
    /// `OPS_TOKEN`: the operator token that opens `GET /api/v1/ops/metrics`; unset, the
    /// endpoint is off (the default in the cloud).
    pub ops_token: Option<SecretString>,
    /// `SERVER_TIMING`: how much of a request's timing its `Server-Timing` header shows (`full`,
    /// the default; `total`; `off`).
    pub server_timing: ServerTiming,
}

/// Limits and binary of the process each uploaded file is parsed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileParsing {
    pub extractor: Option<std::path::PathBuf>,
    pub memory_mb: u64,
    pub cpu_seconds: u64,
}

/// EventBridge Scheduler settings of workflow schedules.
#[derive(Debug, Clone)]
pub struct ScheduleTarget {
    pub group: String,
    pub role_arn: String,
    pub queue_arn: String,
}

fn number<T: std::str::FromStr + PartialOrd + Default>(
    raw: Option<String>,
    default: T,
    name: &'static str,
) -> Result<T, ConfigError> {
    match raw {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > T::default())
            .ok_or(ConfigError::Invalid(
                name,
                "must be a positive whole number",
            )),
    }
}

fn list(raw: Option<String>) -> Vec<String> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A required variable is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {0} is invalid: {1}")]
    Invalid(&'static str, &'static str),
    #[error("could not read the JWT secret from Secrets Manager")]
    Secret(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (the environment, or the local stack's resolved map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| lookup(name).filter(|v| !v.is_empty());
        let req = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
        let jwt_secret = match (get("JWT_SECRET"), get("JWT_SECRET_ARN")) {
            (Some(secret), _) => {
                // HS256 needs at least 256 bits of key material to be worth anything.
                if secret.len() < 32 {
                    return Err(ConfigError::Invalid(
                        "JWT_SECRET",
                        "must be at least 32 characters",
                    ));
                }
                JwtSecretSource::Inline(SecretString::from(secret))
            }
            (None, Some(arn)) => JwtSecretSource::SecretsManager(arn),
            (None, None) => return Err(ConfigError::Missing("JWT_SECRET or JWT_SECRET_ARN")),
        };
        Ok(Self {
            stage: get("STAGE").unwrap_or_else(|| "local".into()),
            table_name: req("TABLE_NAME")?,
            uploads_bucket: req("UPLOADS_BUCKET")?,
            files_queue_url: req("FILES_QUEUE_URL")?,
            automation_queue_url: req("AUTOMATION_QUEUE_URL")?,
            saga_steps_queue_url: req("SAGA_STEPS_QUEUE_URL")?,
            kms_key_id: req("KMS_KEY_ID")?,
            jwt_secret,
            jwt_issuer: get("JWT_ISSUER").unwrap_or_else(|| "pyairtable".into()),
            jwt_audience: get("JWT_AUDIENCE").unwrap_or_else(|| "pyairtable-api".into()),
            airtable_api_url: get("AIRTABLE_API_URL")
                .unwrap_or_else(|| "https://api.airtable.com".into()),
            mcp_allowed_hosts: match list(get("MCP_ALLOWED_HOSTS")) {
                hosts if hosts.is_empty() => {
                    vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()]
                }
                hosts => hosts,
            },
            mcp_allowed_origins: list(get("MCP_ALLOWED_ORIGINS")),
            llm: match get("LLM_PROVIDER")
                .as_deref()
                .map(str::to_lowercase)
                .as_deref()
            {
                None | Some("none") => LlmConfig::None,
                Some("bedrock") => LlmConfig::Bedrock {
                    model: req("LLM_MODEL")?,
                },
                Some("openai") => LlmConfig::OpenAi {
                    base_url: get("LLM_BASE_URL")
                        .unwrap_or_else(|| "https://api.openai.com/v1".into()),
                    api_key: get("LLM_API_KEY").map(SecretString::from),
                    model: req("LLM_MODEL")?,
                },
                Some(_) => {
                    return Err(ConfigError::Invalid(
                        "LLM_PROVIDER",
                        "must be bedrock, openai or none",
                    ));
                }
            },
            llm_prices: crate::prices::Prices::parse(get("LLM_PRICES").as_deref()).map_err(
                |_| {
                    ConfigError::Invalid(
                        "LLM_PRICES",
                        "must be JSON {\"model\": {\"input\": 3.0, \"output\": 15.0}}",
                    )
                },
            )?,
            llm_max_iterations: number(get("LLM_MAX_ITERATIONS"), 8, "LLM_MAX_ITERATIONS")?,
            llm_max_tokens: number(get("LLM_MAX_TOKENS"), 1024, "LLM_MAX_TOKENS")?,
            llm_history_tokens: number(get("LLM_HISTORY_TOKENS"), 12_000, "LLM_HISTORY_TOKENS")?,
            llm_turn_seconds: number(get("LLM_TURN_SECONDS"), 25, "LLM_TURN_SECONDS")?,
            saga_state_machines: [
                ("import_file", "SAGA_IMPORT_FILE_ARN"),
                ("bulk_update", "SAGA_BULK_UPDATE_ARN"),
                ("sync_tables", "SAGA_SYNC_TABLES_ARN"),
            ]
            .into_iter()
            .filter_map(|(kind, var)| Some((kind.to_owned(), get(var)?)))
            .collect(),
            workflow_schedules: match (
                get("SCHEDULE_GROUP"),
                get("SCHEDULER_ROLE_ARN"),
                get("AUTOMATION_QUEUE_ARN"),
            ) {
                (Some(group), Some(role_arn), Some(queue_arn)) => Some(ScheduleTarget {
                    group,
                    role_arn,
                    queue_arn,
                }),
                _ => None,
            },
            workflow_http_allow: list(get("WORKFLOW_HTTP_ALLOW"))
                .iter()
                .map(|a| a.parse())
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    ConfigError::Invalid(
                        "WORKFLOW_HTTP_ALLOW",
                        "must list socket addresses such as 127.0.0.1:8080",
                    )
                })?,
            file_parsing: FileParsing {
                extractor: get("FILE_EXTRACTOR").map(std::path::PathBuf::from),
                memory_mb: number(get("FILE_PARSE_MEMORY_MB"), 1024, "FILE_PARSE_MEMORY_MB")?,
                cpu_seconds: number(get("FILE_PARSE_CPU_SECONDS"), 60, "FILE_PARSE_CPU_SECONDS")?,
            },
            metrics_namespace: get("METRICS_NAMESPACE").unwrap_or_else(|| "PyAirtable".into()),
            ops_token: match get("OPS_TOKEN") {
                // Compared in constant time, but a short token is guessable all the same.
                Some(t) if t.len() < 32 => {
                    return Err(ConfigError::Invalid(
                        "OPS_TOKEN",
                        "must be at least 32 characters",
                    ));
                }
                t => t.map(SecretString::from),
            },
            server_timing: ServerTiming::parse(get("SERVER_TIMING").as_deref())
                .map_err(|_| ConfigError::Invalid("SERVER_TIMING", "must be full, total or off"))?,
        })
    }
}

/// How much of the timing a response carries (`SERVER_TIMING`: `full`, the default; `total`;
/// `off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerTiming {
    #[default]
    Full,
    Total,
    Off,
}

impl ServerTiming {
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        match raw.map(str::trim).filter(|r| !r.is_empty()) {
            None | Some("full") => Ok(Self::Full),
            Some("total") => Ok(Self::Total),
            Some("off") => Ok(Self::Off),
            Some(other) => Err(format!(
                "SERVER_TIMING must be full, total or off, not {other:?}"
            )),
        }
    }
}

/// How the platform reaches its model, from `LLM_*`.
#[derive(Debug, Clone)]
pub enum LlmConfig {
    Bedrock {
        model: String,
    },
    OpenAi {
        base_url: String,
        api_key: Option<SecretString>,
        model: String,
    },
    /// No model configured: chat answers 503 saying how to configure one.
    None,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn base() -> HashMap<&'static str, String> {
        [
            ("TABLE_NAME", "t"),
            ("UPLOADS_BUCKET", "b"),
            ("FILES_QUEUE_URL", "q1"),
            ("AUTOMATION_QUEUE_URL", "q2"),
            ("SAGA_STEPS_QUEUE_URL", "q3"),
            ("KMS_KEY_ID", "alias/k"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect()
    }

    #[test]
    fn reads_required_values_and_defaults() {
        let env = base();
        let cfg = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        assert_eq!(cfg.table_name, "t");
        assert_eq!(cfg.airtable_api_url, "https://api.airtable.com");
        assert_eq!(cfg.stage, "local");
        assert!(matches!(cfg.jwt_secret, JwtSecretSource::Inline(_)));
        assert!(
            cfg.workflow_http_allow.is_empty(),
            "no private address is callable by default"
        );
        assert_eq!(
            (cfg.file_parsing.memory_mb, cfg.file_parsing.cpu_seconds),
            (1024, 60)
        );
    }

    #[test]
    fn the_workflow_http_allow_list_takes_socket_addresses_only() {
        let mut env = base();
        env.insert("WORKFLOW_HTTP_ALLOW", "127.0.0.1:8080, [::1]:9000".into());
        let cfg = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        assert_eq!(
            cfg.workflow_http_allow,
            vec![
                "127.0.0.1:8080".parse().unwrap(),
                "[::1]:9000".parse().unwrap()
            ]
        );
        for bad in ["localhost:8080", "127.0.0.1", "10.0.0.0/8"] {
            env.insert("WORKFLOW_HTTP_ALLOW", bad.into());
            assert!(
                Config::from_lookup(|k| env.get(k).cloned()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn missing_table_is_an_error_naming_it() {
        let mut env = base();
        env.remove("TABLE_NAME");
        let err = Config::from_lookup(|k| env.get(k).cloned()).unwrap_err();
        assert!(err.to_string().contains("TABLE_NAME"));
    }

    #[test]
    fn short_jwt_secrets_are_refused_and_never_printed() {
        let mut env = base();
        env.insert("JWT_SECRET", "short-secret".into());
        let err = Config::from_lookup(|k| env.get(k).cloned()).unwrap_err();
        assert!(!err.to_string().contains("short-secret"));
        let env = base();
        let cfg = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        assert!(!format!("{cfg:?}").contains("0123456789abcdef"));
    }
}
