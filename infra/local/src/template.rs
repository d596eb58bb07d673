//! Reads `infra/template.yaml` — the one description of the platform's resources — so the local
//! stack provisions exactly what the cloud gets, and resolves the functions' environment
//! (`Globals.Function.Environment.Variables`) to the local resources.
//!
//! Supported intrinsic functions: `!Ref`, `!GetAtt X.Arn`, `!Sub` (string form), written with
//! their short tags, which is how the template writes them.

use std::collections::{BTreeMap, HashMap};

use serde_yaml::Value;

/// A template failure: unreadable, or using something the local stack cannot resolve.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read the template: {0}")]
    Read(#[from] std::io::Error),
    #[error("the template is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("cannot resolve {0} locally")]
    Unresolvable(String),
}

/// One resource: its logical id, type and properties.
#[derive(Debug, Clone)]
pub struct Resource {
    pub logical_id: String,
    pub kind: String,
    pub properties: Value,
}

/// The parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    pub resources: Vec<Resource>,
    pub parameters: BTreeMap<String, Option<String>>,
    pub environment: BTreeMap<String, Value>,
    /// The template's directory: `DefinitionUri`s are relative to it.
    pub dir: std::path::PathBuf,
}

impl Template {
    pub fn load(path: &std::path::Path) -> Result<Self, TemplateError> {
        let mut t = Self::parse(&std::fs::read_to_string(path)?)?;
        t.dir = path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        Ok(t)
    }

    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let doc: Value = serde_yaml::from_str(text)?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        Some(Resource {
                            logical_id: k.as_str()?.to_owned(),
                            kind: v.get("Type")?.as_str()?.to_owned(),
                            properties: v.get("Properties").cloned().unwrap_or(Value::Null),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let parameters = doc
            .get("Parameters")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        Some((k.as_str()?.to_owned(), v.get("Default").and_then(scalar)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let environment = doc
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.clone())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            resources,
            parameters,
            environment,
            dir: std::path::PathBuf::from("."),
        })
    }

    /// Resources of one type.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.iter().filter(move |r| r.kind == kind)
    }
}

/// A scalar YAML value as a string.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What `!Ref` and `!GetAtt` resolve to for one provisioned resource.
#[derive(Debug, Clone, Default)]
pub struct Physical {
    pub reference: String,
    pub attributes: HashMap<String, String>,
}

/// Resolves intrinsic functions against provisioned resources, parameters and pseudo parameters.
pub struct Resolver<'a> {
    pub physical: &'a HashMap<String, Physical>,
    pub parameters: &'a HashMap<String, String>,
}

impl Resolver<'_> {
    fn reference(&self, name: &str) -> Result<String, TemplateError> {
        if let Some(p) = self.physical.get(name) {
            return Ok(p.reference.clone());
        }
        self.parameters
            .get(name)
            .cloned()
            .ok_or_else(|| TemplateError::Unresolvable(format!("!Ref {name}")))
    }

    fn attribute(&self, path: &str) -> Result<String, TemplateError> {
        let (id, attr) = path
            .split_once('.')
            .ok_or_else(|| TemplateError::Unresolvable(format!("!GetAtt {path}")))?;
        self.physical
            .get(id)
            .and_then(|p| p.attributes.get(attr))
            .cloned()
            .ok_or_else(|| TemplateError::Unresolvable(format!("!GetAtt {path}")))
    }

    /// Resolves a value to a string.
    pub fn resolve(&self, value: &Value) -> Result<String, TemplateError> {
        match value {
            Value::Tagged(t) => {
                let arg = scalar(&t.value).ok_or_else(|| {
                    TemplateError::Unresolvable(format!("{} with a non-scalar argument", t.tag))
                })?;
                match t.tag.to_string().as_str() {
                    "!Ref" => self.reference(&arg),
                    "!GetAtt" => self.attribute(&arg),
                    "!Sub" => self.substitute(&arg),
                    other => Err(TemplateError::Unresolvable(other.to_owned())),
                }
            }
            other => scalar(other).ok_or_else(|| TemplateError::Unresolvable(format!("{other:?}"))),
        }
    }

    fn substitute(&self, text: &str) -> Result<String, TemplateError> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .ok_or_else(|| TemplateError::Unresolvable(format!("!Sub {text}")))?
                + start;
            let name = &rest[start + 2..end];
            out.push_str(&if name.contains('.') {
                self.attribute(name)?
            } else {
                self.reference(name)?
            });
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = include_str!("../../template.yaml");

    #[test]
    fn the_real_template_parses_with_its_resources_and_environment() {
        let t = Template::parse(TEMPLATE).unwrap();
        assert_eq!(t.of_kind("AWS::DynamoDB::Table").count(), 1);
        // Uploads, and the web app's files (served from web/dist locally).
        assert_eq!(t.of_kind("AWS::S3::Bucket").count(), 2);
        assert_eq!(t.of_kind("AWS::SQS::Queue").count(), 6);
        assert!(t.environment.contains_key("TABLE_NAME"));
        assert_eq!(
            t.parameters["AirtableApiUrl"].as_deref(),
            Some("https://api.airtable.com")
        );
    }

    #[test]
    fn every_worker_knows_when_its_queue_gives_up_and_the_automation_worker_outlives_its_lease() {
        let doc: Value = serde_yaml::from_str(TEMPLATE).unwrap();
        // Each worker knows its queue's last delivery (it leaves nothing half-done on it).
        for (name, batch) in [
            ("AutomationQueue", automation_worker::BATCH),
            ("SagaStepsQueue", saga_steps::BATCH),
            ("FilesQueue", file_processor::BATCH),
        ] {
            let max =
                doc["Resources"][name]["Properties"]["RedrivePolicy"]["maxReceiveCount"].as_u64();
            assert_eq!(max, Some(u64::from(batch.max_receives)), "{name}");
        }
        let queue = &doc["Resources"]["AutomationQueue"]["Properties"];
        let worker_timeout = doc["Resources"]["AutomationWorkerFunction"]["Properties"]["Timeout"]
            .as_u64()
            .unwrap();
        assert!(
            queue["VisibilityTimeout"].as_u64().unwrap() > worker_timeout,
            "a message must not reappear while its worker runs"
        );
    }

    #[test]
    fn every_route_of_the_api_reaches_a_function_in_the_cloud() {
        let doc: Value = serde_yaml::from_str(TEMPLATE).unwrap();
        let mut routes: Vec<(String, String)> = Vec::new();
        for (_, r) in doc["Resources"].as_mapping().unwrap() {
            for (_, e) in r["Properties"]["Events"].as_mapping().into_iter().flatten() {
                if e["Type"] == "HttpApi" {
                    routes.push((
                        e["Properties"]["Path"].as_str().unwrap().to_owned(),
                        e["Properties"]["Method"].as_str().unwrap().to_owned(),
                    ));
                }
            }
        }
        let covered = |path: &str, method: &str| {
            routes.iter().any(|(p, m)| {
                let method_ok = m == "ANY" || m.eq_ignore_ascii_case(method);
                let path_ok = match p.strip_suffix("{proxy+}") {
                    Some(prefix) => path.starts_with(prefix) && path.len() > prefix.len(),
                    None => {
                        let (a, b): (Vec<&str>, Vec<&str>) =
                            (p.split('/').collect(), path.split('/').collect());
                        a.len() == b.len()
                            && a.iter()
                                .zip(&b)
                                .all(|(x, y)| x == y || (x.starts_with('{') && y.starts_with('{')))
                    }
                };
                method_ok && path_ok
            })
        };
        let api = serde_json::to_value(crate::openapi()).unwrap();
        let mut missing = Vec::new();
        for (path, ops) in api["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                if !covered(path, method) {
                    missing.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "routes API Gateway would answer 404: {missing:?}"
        );
    }

    #[test]
    fn the_web_app_is_served_alike_in_the_cloud_and_locally() {
        let doc: Value = serde_yaml::from_str(TEMPLATE).unwrap();
        let r = &doc["Resources"];
        let csp = &r["WebSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
            ["ContentSecurityPolicy"];
        assert_eq!(
            csp["ContentSecurityPolicy"].as_str(),
            Some(crate::web::CSP),
            "one Content-Security-Policy"
        );
        let config = &r["WebDistribution"]["Properties"]["DistributionConfig"];
        let behaviours: Vec<(&str, &str)> = config["CacheBehaviors"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["PathPattern"].as_str().unwrap(),
                    b["TargetOriginId"].as_str().unwrap(),
                )
            })
            .collect();
        // The API's paths (web::is_api_path) go to the API, the stream to its Function URL.
        for (path, origin) in &behaviours {
            let sample = path.replace('*', "x");
            assert!(
                crate::web::is_api_path(&sample),
                "{path} is an API path locally too"
            );
            assert!(matches!(*origin, "api" | "chat-stream"));
        }
        for path in ["/api/*", "/mcp", "/v0/*", "/api/v1/chat/stream"] {
            assert!(
                behaviours.iter().any(|(p, _)| *p == path),
                "{path} has a behaviour"
            );
        }
        assert_eq!(config["DefaultCacheBehavior"]["TargetOriginId"], "app");
    }

    #[test]
    fn the_file_processor_fits_its_parsing_children_in_its_memory_disk_and_time() {
        let doc: Value = serde_yaml::from_str(TEMPLATE).unwrap();
        let f = &doc["Resources"]["FileProcessorFunction"]["Properties"];
        let batch = f["Events"]["Uploads"]["Properties"]["BatchSize"]
            .as_u64()
            .unwrap();
        let env = &f["Environment"]["Variables"];
        let child_mb: u64 = env["FILE_PARSE_MEMORY_MB"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let cpu: u64 = env["FILE_PARSE_CPU_SECONDS"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let at_once = batch.min(file_processor::BATCH.concurrency as u64);
        // Children and the parent (about 200 MB) inside the function's memory: a child at its
        // limit must never take the whole invocation down.
        assert!(
            at_once * child_mb + 200 <= f["MemorySize"].as_u64().unwrap(),
            "memory"
        );
        // Each file writes at most its rows and its text, 256 MB each, to /tmp.
        let out_mb = 2 * (file_processor::extract::MAX_OUTPUT_BYTES >> 20);
        assert!(
            at_once * out_mb <= f["EphemeralStorage"]["Size"].as_u64().unwrap(),
            "disk"
        );
        // Every file of a batch, at its wall-clock limit (CPU + 30 s), within the timeout.
        assert!(
            batch.div_ceil(at_once) * (cpu + 30) + 30 <= f["Timeout"].as_u64().unwrap(),
            "time"
        );
    }

    #[test]
    fn the_template_has_the_dashboard_the_alarms_and_tracing_and_names_only_metrics_the_code_emits()
    {
        let doc: Value = serde_yaml::from_str(TEMPLATE).unwrap();
        let resources = doc["Resources"].as_mapping().unwrap();
        let of_type = |t: &'static str| {
            resources
                .iter()
                .filter(move |(_, v)| v["Type"].as_str() == Some(t))
                .map(|(k, v)| (k.as_str().unwrap(), v))
        };
        assert_eq!(of_type("AWS::CloudWatch::Dashboard").count(), 1);
        assert_eq!(of_type("AWS::SNS::Topic").count(), 1);
        let alarms: Vec<(&str, &Value)> = of_type("AWS::CloudWatch::Alarm").collect();
        for name in [
            "ApiErrorRateAlarm",
            "ApiLatencyAlarm",
            "FilesDLQAlarm",
            "AutomationDLQAlarm",
            "SagaStepsDLQAlarm",
            "SagaCompensationFailedAlarm",
            "AirtableThrottledAlarm",
            "ApiLambdaThrottlesAlarm",
            "EventLambdaThrottlesAlarm",
            "LlmDailySpendAlarm",
        ] {
            let (_, alarm) = alarms
                .iter()
                .find(|(k, _)| *k == name)
                .unwrap_or_else(|| panic!("{name} missing"));
            assert!(
                alarm["Properties"]["AlarmActions"]
                    .as_sequence()
                    .is_some_and(|a| !a.is_empty()),
                "{name} notifies nobody"
            );
        }
        // Every metric of our namespace an alarm or the dashboard names is one the code emits.
        let ours = |v: &Value| matches!(v, Value::Tagged(t) if scalar(&t.value).is_some_and(|s| s.starts_with("PyAirtable/")));
        let mut named = Vec::new();
        for (_, alarm) in &alarms {
            let p = &alarm["Properties"];
            if ours(&p["Namespace"]) {
                named.push(p["MetricName"].as_str().unwrap().to_owned());
            }
            for m in p["Metrics"].as_sequence().into_iter().flatten() {
                let metric = &m["MetricStat"]["Metric"];
                if ours(&metric["Namespace"]) {
                    named.push(metric["MetricName"].as_str().unwrap().to_owned());
                }
            }
        }
        let (_, dashboard) = of_type("AWS::CloudWatch::Dashboard").next().unwrap();
        let body = match &dashboard["Properties"]["DashboardBody"] {
            Value::Tagged(t) => scalar(&t.value).unwrap(),
            other => panic!("DashboardBody should be a !Sub string: {other:?}"),
        };
        // SEARCH('{PyAirtable/${Stage},Function} MetricName=\"Latency\"', …) and ["PyAirtable/${Stage}", "AirtableThrottled", …]
        for part in body.split("{PyAirtable/${Stage},").skip(1) {
            let after = part
                .split_once("MetricName=\\\"")
                .map(|(_, a)| a)
                .unwrap_or("");
            named.push(after.split(['\\', '"']).next().unwrap().to_owned());
        }
        for part in body.split("\"PyAirtable/${Stage}\", \"").skip(1) {
            named.push(part.split('"').next().unwrap().to_owned());
        }
        assert!(named.len() > 15, "{named:?}");
        for n in &named {
            assert!(
                platform::telemetry::emf::METRIC_NAMES.contains(&n.as_str()),
                "{n} is not a metric the code emits"
            );
        }
        // Tracing on every function (Globals) and every state machine.
        assert_eq!(
            doc["Globals"]["Function"]["Tracing"].as_str(),
            Some("Active")
        );
        for (name, sm) in of_type("AWS::Serverless::StateMachine") {
            assert_eq!(
                sm["Properties"]["Tracing"]["Enabled"].as_bool(),
                Some(true),
                "{name}"
            );
        }
        for (name, f) in of_type("AWS::Serverless::Function") {
            assert_ne!(
                f["Properties"]["Tracing"].as_str(),
                Some("PassThrough"),
                "{name}"
            );
        }
    }

    #[test]
    fn intrinsics_resolve_against_physical_resources_and_parameters() {
        let physical = HashMap::from([(
            "Q".to_owned(),
            Physical {
                reference: "http://q".into(),
                attributes: HashMap::from([("Arn".to_owned(), "arn:q".to_owned())]),
            },
        )]);
        let params = HashMap::from([("AWS::StackName".to_owned(), "st".to_owned())]);
        let r = Resolver {
            physical: &physical,
            parameters: &params,
        };
        let v: Value = serde_yaml::from_str(
            "[!Ref Q, !GetAtt Q.Arn, !Sub 'alias/${AWS::StackName}-x/${Q.Arn}', plain]",
        )
        .unwrap();
        let got: Vec<String> = v
            .as_sequence()
            .unwrap()
            .iter()
            .map(|v| r.resolve(v).unwrap())
            .collect();
        assert_eq!(got, ["http://q", "arn:q", "alias/st-x/arn:q", "plain"]);
        let bad: Value = serde_yaml::from_str("!Ref Nope").unwrap();
        assert!(r.resolve(&bad).is_err());
    }
}
