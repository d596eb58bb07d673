//! Creates the template's resources in the AWS emulator, idempotently (a restart of the app
//! finds them and reuses them), and resolves the functions' environment to them.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_yaml::Value;

use crate::BoxError;
use crate::template::{Physical, Resolver, Resource, Template, scalar};

/// Resource types the local stack creates in the emulator.
pub const PROVISIONED: &[&str] = &[
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    "AWS::SecretsManager::Secret",
    "AWS::Serverless::StateMachine",
    "AWS::Scheduler::ScheduleGroup",
    "AWS::IAM::Role",
];

/// Resource types with no emulator counterpart, and what stands in for them locally.
pub const STOOD_IN_FOR: &[(&str, &str)] = &[
    (
        "AWS::Serverless::HttpApi",
        "the local HTTP server merging every function's Router",
    ),
    (
        "AWS::Serverless::Function",
        "the function's Router or handler, run in-process",
    ),
    (
        "AWS::SQS::QueuePolicy",
        "nothing: the emulator does not enforce IAM",
    ),
    (
        "AWS::CloudWatch::Dashboard",
        "GET /api/v1/ops/metrics: the same EMF figures, aggregated in-process",
    ),
    (
        "AWS::CloudWatch::Alarm",
        "nothing: no one is paged locally; the figures are at /api/v1/ops/metrics",
    ),
    ("AWS::SNS::Topic", "nothing: alarms are cloud-only"),
    ("AWS::SNS::Subscription", "nothing: alarms are cloud-only"),
    (
        "AWS::S3::BucketPolicy",
        "nothing: the emulator does not enforce IAM",
    ),
    (
        "AWS::CloudFront::Distribution",
        "the local HTTP server: web/dist beside the API on one origin (web.rs)",
    ),
    (
        "AWS::CloudFront::OriginAccessControl",
        "the local HTTP server reads web/dist from disk",
    ),
    (
        "AWS::CloudFront::Function",
        "web.rs: client routes get index.html, the API keeps its paths",
    ),
    (
        "AWS::CloudFront::ResponseHeadersPolicy",
        "web.rs sends the same security headers with the app",
    ),
];

/// The account id the emulator reports.
pub const ACCOUNT_ID: &str = "123456789012";

/// Result of provisioning: physical resources and the resolved function environment.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub physical: HashMap<String, Physical>,
    pub env: HashMap<String, String>,
}

fn physical_name(stack: &str, logical: &str) -> String {
    format!("{stack}-{logical}")
}

fn prop<'a>(r: &'a Resource, name: &str) -> Option<&'a Value> {
    r.properties.get(name)
}

/// Provisions every supported resource of `template` under the name prefix `stack`, then resolves
/// the environment with `overrides` applied to the template's parameters.
pub async fn provision(
    sdk: &SdkConfig,
    template: &Template,
    stack: &str,
    overrides: &HashMap<String, String>,
    web_origins: &[String],
) -> Result<Provisioned, BoxError> {
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".into());
    let mut params: HashMap<String, String> = template
        .parameters
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
        .collect();
    params.extend(overrides.clone());
    params.insert("AWS::StackName".into(), stack.into());
    params.insert("AWS::Region".into(), region.clone());
    params.insert("AWS::AccountId".into(), ACCOUNT_ID.into());
    params.insert("AWS::Partition".into(), "aws".into());
    params.insert("AWS::URLSuffix".into(), "amazonaws.com".into());

    let mut physical: HashMap<String, Physical> = HashMap::new();
    let kms = aws_sdk_kms::Client::new(sdk);
    for key in template.of_kind("AWS::KMS::Key") {
        // A key has no name; its alias (from the template, or a derived one) finds it again.
        let alias = template
            .of_kind("AWS::KMS::Alias")
            .find(|a| {
                prop(a, "TargetKeyId")
                    .and_then(|v| match v {
                        Value::Tagged(t) => scalar(&t.value),
                        _ => None,
                    })
                    .as_deref()
                    == Some(key.logical_id.as_str())
            })
            .and_then(|a| prop(a, "AliasName"))
            .map(|v| {
                Resolver {
                    physical: &physical,
                    parameters: &params,
                }
                .resolve(v)
            })
            .transpose()?
            .unwrap_or_else(|| format!("alias/{}", physical_name(stack, &key.logical_id)));
        let meta = match kms.describe_key().key_id(&alias).send().await {
            Ok(out) => out.key_metadata,
            Err(_) => {
                let created = kms
                    .create_key()
                    .description(format!("{stack} {}", key.logical_id))
                    .send()
                    .await?;
                let meta = created.key_metadata.ok_or("KMS returned no key metadata")?;
                kms.create_alias()
                    .alias_name(&alias)
                    .target_key_id(meta.key_id())
                    .send()
                    .await?;
                Some(meta)
            }
        };
        let meta = meta.ok_or("KMS returned no key metadata")?;
        physical.insert(
            key.logical_id.clone(),
            Physical {
                reference: meta.key_id().to_owned(),
                attributes: HashMap::from([(
                    "Arn".into(),
                    meta.arn().unwrap_or_default().to_owned(),
                )]),
            },
        );
    }

    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    for secret in template.of_kind("AWS::SecretsManager::Secret") {
        let name = physical_name(stack, &secret.logical_id);
        let arn = match secrets.describe_secret().secret_id(&name).send().await {
            Ok(out) => out.arn.unwrap_or_default(),
            Err(_) => {
                // GenerateSecretString, done here: 64 random URL-safe characters.
                let value = platform::auth::random_secret(48);
                secrets
                    .create_secret()
                    .name(&name)
                    .secret_string(value)
                    .send()
                    .await?
                    .arn
                    .unwrap_or_default()
            }
        };
        physical.insert(
            secret.logical_id.clone(),
            Physical {
                reference: arn.clone(),
                attributes: HashMap::from([("Id".into(), arn)]),
            },
        );
    }

    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    for table in template.of_kind("AWS::DynamoDB::Table") {
        let name = physical_name(stack, &table.logical_id);
        let arn = match ddb.describe_table().table_name(&name).send().await {
            Ok(out) => out.table.and_then(|t| t.table_arn).unwrap_or_default(),
            Err(_) => create_table(&ddb, table, &name).await?,
        };
        physical.insert(
            table.logical_id.clone(),
            Physical {
                reference: name,
                attributes: HashMap::from([("Arn".into(), arn)]),
            },
        );
    }

    let sqs = aws_sdk_sqs::Client::new(sdk);
    let queues: Vec<&Resource> = template.of_kind("AWS::SQS::Queue").collect();
    for q in &queues {
        let name = physical_name(stack, &q.logical_id);
        let mut req = sqs.create_queue().queue_name(&name);
        for (attr, key) in [
            ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
            (
                "MessageRetentionPeriod",
                QueueAttributeName::MessageRetentionPeriod,
            ),
        ] {
            if let Some(v) = prop(q, attr).and_then(scalar) {
                req = req.attributes(key, v);
            }
        }
        let url = req
            .send()
            .await?
            .queue_url
            .ok_or("SQS returned no queue URL")?;
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await?;
        let arn = attrs
            .attributes
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .unwrap_or_default();
        physical.insert(
            q.logical_id.clone(),
            Physical {
                reference: url,
                attributes: HashMap::from([
                    ("Arn".into(), arn.clone()),
                    ("QueueName".into(), name),
                ]),
            },
        );
    }
    for q in &queues {
        if let Some(redrive) = prop(q, "RedrivePolicy") {
            let resolver = Resolver {
                physical: &physical,
                parameters: &params,
            };
            let target = resolver.resolve(
                redrive
                    .get("deadLetterTargetArn")
                    .ok_or("RedrivePolicy without deadLetterTargetArn")?,
            )?;
            let max = redrive
                .get("maxReceiveCount")
                .and_then(scalar)
                .unwrap_or_else(|| "5".into());
            let policy = serde_json::json!({"deadLetterTargetArn": target, "maxReceiveCount": max.parse::<u32>().unwrap_or(5)}).to_string();
            sqs.set_queue_attributes()
                .queue_url(&physical[&q.logical_id].reference)
                .attributes(QueueAttributeName::RedrivePolicy, policy)
                .send()
                .await?;
        }
    }

    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    );
    for bucket in template.of_kind("AWS::S3::Bucket") {
        let name = physical_name(stack, &bucket.logical_id).to_lowercase();
        if s3.head_bucket().bucket(&name).send().await.is_err() {
            s3.create_bucket().bucket(&name).send().await?;
        }
        physical.insert(
            bucket.logical_id.clone(),
            Physical {
                reference: name.clone(),
                attributes: HashMap::from([("Arn".into(), format!("arn:aws:s3:::{name}"))]),
            },
        );
        configure_notifications(
            &s3,
            bucket,
            &name,
            &Resolver {
                physical: &physical,
                parameters: &params,
            },
        )
        .await?;
        configure_cors(
            &s3,
            bucket,
            &name,
            &Resolver {
                physical: &physical,
                parameters: &params,
            },
            web_origins,
        )
        .await?;
    }

    // The same ASL as in AWS, with its DefinitionSubstitutions resolved to the local resources.
    let sfn = aws_sdk_sfn::Client::new(sdk);
    let existing = sfn
        .list_state_machines()
        .max_results(1000)
        .send()
        .await?
        .state_machines;
    for machine in template.of_kind("AWS::Serverless::StateMachine") {
        let name = physical_name(stack, &machine.logical_id);
        let uri = prop(machine, "DefinitionUri")
            .and_then(scalar)
            .ok_or("a state machine without DefinitionUri")?;
        let mut definition =
            std::fs::read_to_string(template.dir.join(&uri)).map_err(|e| format!("{uri}: {e}"))?;
        let resolver = Resolver {
            physical: &physical,
            parameters: &params,
        };
        for (key, value) in prop(machine, "DefinitionSubstitutions")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
        {
            let key = key.as_str().unwrap_or_default();
            definition = definition.replace(&format!("${{{key}}}"), &resolver.resolve(value)?);
        }
        let role = format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}");
        let arn = match existing.iter().find(|m| m.name() == name) {
            Some(m) => {
                sfn.update_state_machine()
                    .state_machine_arn(m.state_machine_arn())
                    .definition(&definition)
                    .send()
                    .await?;
                m.state_machine_arn().to_owned()
            }
            None => {
                sfn.create_state_machine()
                    .name(&name)
                    .definition(&definition)
                    .role_arn(role)
                    .send()
                    .await?
                    .state_machine_arn
            }
        };
        physical.insert(
            machine.logical_id.clone(),
            Physical {
                reference: arn.clone(),
                attributes: HashMap::from([("Name".into(), name), ("Arn".into(), arn)]),
            },
        );
    }

    // Workflow schedules live in their group; the local scheduler (scheduler.rs) fires them.
    let scheduler = aws_sdk_scheduler::Client::new(sdk);
    for group in template.of_kind("AWS::Scheduler::ScheduleGroup") {
        let name = physical_name(stack, &group.logical_id);
        // Creating a group that exists would empty it in moto: look first.
        let arn = match scheduler.get_schedule_group().name(&name).send().await {
            Ok(g) => g.arn.unwrap_or_default(),
            Err(_) => {
                scheduler
                    .create_schedule_group()
                    .name(&name)
                    .send()
                    .await?
                    .schedule_group_arn
            }
        };
        physical.insert(
            group.logical_id.clone(),
            Physical {
                reference: name,
                attributes: HashMap::from([("Arn".into(), arn)]),
            },
        );
    }
    // Roles only need an ARN: the emulator does not enforce IAM.
    for role in template.of_kind("AWS::IAM::Role") {
        let arn = format!(
            "arn:aws:iam::{ACCOUNT_ID}:role/{}",
            physical_name(stack, &role.logical_id)
        );
        physical.insert(
            role.logical_id.clone(),
            Physical {
                reference: physical_name(stack, &role.logical_id),
                attributes: HashMap::from([("Arn".into(), arn)]),
            },
        );
    }

    let resolver = Resolver {
        physical: &physical,
        parameters: &params,
    };
    let env = template
        .environment
        .iter()
        .map(|(k, v)| Ok((k.clone(), resolver.resolve(v)?)))
        .collect::<Result<HashMap<_, _>, crate::template::TemplateError>>()?;
    Ok(Provisioned { physical, env })
}

async fn create_table(
    ddb: &aws_sdk_dynamodb::Client,
    table: &Resource,
    name: &str,
) -> Result<String, BoxError> {
    let attr_defs = prop(table, "AttributeDefinitions")
        .and_then(Value::as_sequence)
        .ok_or("table without AttributeDefinitions")?;
    let mut req = ddb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    for a in attr_defs {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a.get("AttributeName").and_then(scalar).unwrap_or_default())
                .attribute_type(ScalarAttributeType::from(
                    a.get("AttributeType")
                        .and_then(scalar)
                        .unwrap_or_default()
                        .as_str(),
                ))
                .build()?,
        );
    }
    for k in key_schema(prop(table, "KeySchema"))? {
        req = req.key_schema(k);
    }
    for gsi in prop(table, "GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let mut g = GlobalSecondaryIndex::builder()
            .index_name(gsi.get("IndexName").and_then(scalar).unwrap_or_default())
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            );
        for k in key_schema(gsi.get("KeySchema"))? {
            g = g.key_schema(k);
        }
        req = req.global_secondary_indexes(g.build()?);
    }
    let out = req.send().await?;
    if let Some(ttl) = prop(table, "TimeToLiveSpecification")
        .and_then(|t| t.get("AttributeName"))
        .and_then(scalar)
    {
        ddb.update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(ttl)
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await?;
    }
    Ok(out
        .table_description
        .and_then(|t| t.table_arn)
        .unwrap_or_default())
}

fn key_schema(v: Option<&Value>) -> Result<Vec<KeySchemaElement>, BoxError> {
    let seq = v.and_then(Value::as_sequence).ok_or("missing KeySchema")?;
    seq.iter()
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(k.get("AttributeName").and_then(scalar).unwrap_or_default())
                .key_type(KeyType::from(
                    k.get("KeyType")
                        .and_then(scalar)
                        .unwrap_or_default()
                        .as_str(),
                ))
                .build()?)
        })
        .collect()
}

async fn configure_notifications(
    s3: &aws_sdk_s3::Client,
    bucket: &Resource,
    name: &str,
    resolver: &Resolver<'_>,
) -> Result<(), BoxError> {
    use aws_sdk_s3::types::{
        Event, FilterRule, FilterRuleName, NotificationConfiguration,
        NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    };
    let Some(queues) = prop(bucket, "NotificationConfiguration")
        .and_then(|n| n.get("QueueConfigurations"))
        .and_then(Value::as_sequence)
    else {
        return Ok(());
    };
    let mut config = NotificationConfiguration::builder();
    for q in queues {
        let arn = resolver.resolve(q.get("Queue").ok_or("QueueConfiguration without Queue")?)?;
        let mut qc = QueueConfiguration::builder()
            .queue_arn(arn)
            .events(Event::from(
                q.get("Event").and_then(scalar).unwrap_or_default().as_str(),
            ));
        let rules = q
            .get("Filter")
            .and_then(|f| f.get("S3Key"))
            .and_then(|k| k.get("Rules"))
            .and_then(Value::as_sequence);
        if let Some(rules) = rules {
            let mut key_filter = S3KeyFilter::builder();
            for r in rules {
                key_filter = key_filter.filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::from(
                            r.get("Name").and_then(scalar).unwrap_or_default().as_str(),
                        ))
                        .value(r.get("Value").and_then(scalar).unwrap_or_default())
                        .build(),
                );
            }
            qc = qc.filter(
                NotificationConfigurationFilter::builder()
                    .key(key_filter.build())
                    .build(),
            );
        }
        config = config.queue_configurations(qc.build()?);
    }
    s3.put_bucket_notification_configuration()
        .bucket(name)
        .notification_configuration(config.build())
        .send()
        .await?;
    Ok(())
}

/// The bucket's CORS rules, as in AWS — with the CloudFront origin (which does not exist here)
/// replaced by the local stack's own: an origin that does not resolve locally is the web app's.
async fn configure_cors(
    s3: &aws_sdk_s3::Client,
    bucket: &Resource,
    name: &str,
    resolver: &Resolver<'_>,
    web_origins: &[String],
) -> Result<(), BoxError> {
    use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
    let Some(rules) = prop(bucket, "CorsConfiguration")
        .and_then(|c| c.get("CorsRules"))
        .and_then(Value::as_sequence)
    else {
        return Ok(());
    };
    let list = |rule: &Value, key: &str| -> Vec<Value> {
        rule.get(key)
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default()
    };
    let mut config = CorsConfiguration::builder();
    for rule in rules {
        let mut origins = Vec::new();
        for o in list(rule, "AllowedOrigins") {
            match resolver.resolve(&o) {
                Ok(origin) => origins.push(origin),
                Err(_) => origins.extend(web_origins.iter().cloned()),
            }
        }
        let strings = |key: &str| {
            list(rule, key)
                .iter()
                .filter_map(scalar)
                .collect::<Vec<String>>()
        };
        let mut r = CorsRule::builder()
            .set_allowed_origins(Some(origins))
            .set_allowed_methods(Some(strings("AllowedMethods")))
            .set_allowed_headers(Some(strings("AllowedHeaders")))
            .set_expose_headers(Some(strings("ExposedHeaders")));
        if let Some(age) = rule
            .get("MaxAge")
            .and_then(scalar)
            .and_then(|a| a.parse().ok())
        {
            r = r.max_age_seconds(age);
        }
        config = config.cors_rules(r.build()?);
    }
    s3.put_bucket_cors()
        .bucket(name)
        .cors_configuration(config.build()?)
        .send()
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_type_of_the_template_is_provisioned_or_stood_in_for() {
        let t = Template::parse(include_str!("../../template.yaml")).unwrap();
        for r in &t.resources {
            assert!(
                PROVISIONED.contains(&r.kind.as_str())
                    || STOOD_IN_FOR.iter().any(|(k, _)| *k == r.kind),
                "{} ({}) has no local counterpart: provision it or say what stands in for it",
                r.logical_id,
                r.kind
            );
        }
    }
}
