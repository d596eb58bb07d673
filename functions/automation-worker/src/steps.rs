//! The leaf steps: tools of the shared registry, `http_request`, `llm_prompt`, `transform`,
//! `log`, and the tests of `condition` steps. Each returns its output or a [`Failure`] that says
//! whether trying again could help.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use llm::spend;
use llm::{self, LlmError, Message, Request, Usage};
use platform::auth::Identity;
use serde_json::{Map, Value, json};
use workflows_core::definition::{Condition, Op};

use crate::Worker;

/// Why a step did not produce an output.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    /// Details (a tool's problem body, an HTTP response).
    pub detail: Value,
    /// A rate limit, an outage or a timeout: the step may succeed if tried again.
    pub transient: bool,
    /// Seconds the other side asked us to wait.
    pub retry_after: Option<u64>,
}

impl Failure {
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            detail: Value::Null,
            transient: false,
            retry_after: None,
        }
    }
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            detail: Value::Null,
            transient: true,
            retry_after: None,
        }
    }
    pub fn with_detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
    /// The failure with every secret value in it replaced by `***`.
    pub fn scrubbed(self, secrets: &[String]) -> Self {
        if secrets.is_empty() {
            return self;
        }
        let message = crate::scrub(Value::String(self.message), secrets)
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Self {
            message,
            detail: crate::scrub(self.detail, secrets),
            ..self
        }
    }
}

/// Largest response body an `http_request` step keeps.
const MAX_HTTP_BODY: usize = 256 * 1024;
const DEFAULT_HTTP_TIMEOUT: u64 = 10;

impl Worker {
    /// Runs a registry tool as the run's user.
    pub(crate) async fn tool(
        &self,
        identity: &Identity,
        name: &str,
        input: Value,
    ) -> Result<Value, Failure> {
        match tools::call(&self.toolbox, identity, name, input).await {
            Ok(output) => Ok(output.value),
            Err(e) => Err(Failure {
                message: tools::error_summary(&e),
                transient: e.is_transient(),
                retry_after: e.retry_after(),
                detail: tools::error_json(&e)["error"].take(),
            }),
        }
    }

    /// `http_request {method, url, headers, body, timeoutSeconds}` → `{status, headers, body}`.
    /// 429/5xx and timeouts are transient; other 4xx fail the step. Redirects are not followed
    /// (each hop would need the address check), and private addresses are refused unless the
    /// deployment allows them (the local stack).
    pub(crate) async fn http_request(&self, input: &Value) -> Result<Value, Failure> {
        let method = input
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_uppercase();
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| Failure::permanent("not an HTTP method"))?;
        let url = input
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| Failure::permanent("`url` did not render to text"))?;
        let url = reqwest::Url::parse(url)
            .map_err(|e| Failure::permanent(format!("`{url}` is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Failure::permanent("only http and https URLs"));
        }
        let timeout = Duration::from_secs(
            input
                .get("timeoutSeconds")
                .and_then(Value::as_u64)
                .unwrap_or(DEFAULT_HTTP_TIMEOUT)
                .clamp(1, 30),
        );
        let client = self.http_client(&url).await?;
        let mut req = client.request(method, url.clone()).timeout(timeout);
        if let Some(headers) = input.get("headers").and_then(Value::as_object) {
            for (k, v) in headers {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                req = req.header(k.as_str(), v);
            }
        }
        match input.get("body") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => req = req.body(s.clone()),
            Some(other) => req = req.json(other),
        }
        let mut res = req.send().await.map_err(|e| {
            let what = if e.is_timeout() {
                "timed out".to_owned()
            } else {
                format!("failed: {}", root_cause(&e))
            };
            Failure::transient(format!("{} {what}", url.host_str().unwrap_or("the server")))
        })?;
        let status = res.status().as_u16();
        let headers: Map<String, Value> = res
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), json!(v.to_str().ok()?))))
            .collect();
        let mut bytes = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = res.chunk().await.map_err(|e| {
            Failure::transient(format!("reading the response failed: {}", root_cause(&e)))
        })? {
            if bytes.len() + chunk.len() > MAX_HTTP_BODY {
                truncated = true;
                bytes.extend_from_slice(&chunk[..MAX_HTTP_BODY - bytes.len()]);
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        let body = if truncated {
            json!(String::from_utf8_lossy(&bytes))
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
        };
        let output =
            json!({"status": status, "headers": headers, "body": body, "truncated": truncated});
        match status {
            429 | 500..=599 => {
                let retry_after = headers
                    .get("retry-after")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse().ok());
                Err(Failure {
                    message: format!("HTTP {status}"),
                    detail: output,
                    transient: true,
                    retry_after,
                })
            }
            400..=499 => Err(Failure::permanent(format!("HTTP {status}")).with_detail(output)),
            _ => Ok(output),
        }
    }

    /// A client pinned to the checked addresses (so a second DNS answer cannot point it
    /// somewhere else): every address the host resolves to must be public, or one of the
    /// explicitly allowed socket addresses.
    async fn http_client(&self, url: &reqwest::Url) -> Result<reqwest::Client, Failure> {
        let host = url
            .host_str()
            .ok_or_else(|| Failure::permanent("the URL has no host"))?
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|e| Failure::transient(format!("could not resolve {host}: {e}")))?
                .collect(),
        };
        if addrs.is_empty() || !addrs.iter().all(|a| may_call(*a, &self.http_allow)) {
            return Err(Failure::permanent(format!(
                "{host}:{port} is not a public address; workflows may only call public addresses (and those this deployment allows)"
            )));
        }
        platform::outbound::client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .resolve_to_addrs(bare, &addrs)
            .build()
            .map_err(|e| Failure::transient(format!("HTTP client: {e}")))
    }

    /// `llm_prompt {prompt, system, maxTokens}` → `{text, model, usage, costUsd}`: one model call,
    /// reserved against and charged to the tenant's (and the run's user's) LLM budget.
    pub(crate) async fn llm_prompt(
        &self,
        identity: &Identity,
        input: &Value,
    ) -> Result<Value, Failure> {
        let Some(provider) = &self.llm else {
            return Err(Failure::permanent(
                "no model is configured in this deployment (LLM_PROVIDER)",
            ));
        };
        let prompt = match input.get("prompt") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => return Err(Failure::permanent("`prompt` is required")),
        };
        let max_tokens = input
            .get("maxTokens")
            .and_then(Value::as_u64)
            .map(|t| t.min(4096) as u32)
            .unwrap_or(self.llm_max_tokens);
        let system = input.get("system").and_then(Value::as_str).unwrap_or(
            "You are a step of an automation workflow. Answer with the requested text only.",
        );
        let request = Request {
            system: system.to_owned(),
            messages: vec![Message::user_text(prompt)],
            tools: vec![],
            max_tokens,
        };
        let worst = self.prices.cost_micros(
            provider.model(),
            Usage {
                input_tokens: llm::estimate_request_tokens(&request),
                output_tokens: max_tokens.into(),
            },
        );
        let user = identity.user_id();
        let (reservation, _) = spend::reserve(&self.toolbox.store, &identity.tenant, user, worst)
            .await
            .map_err(|e| {
                let transient = e.status().is_server_error();
                Failure {
                    message: e.to_string(),
                    detail: Value::Null,
                    transient,
                    retry_after: None,
                }
            })?;
        let started = std::time::Instant::now();
        let outcome = tokio::time::timeout(
            Duration::from_secs(120),
            provider.converse(&request, &|_| {}),
        )
        .await;
        let response = match outcome {
            Ok(Ok(r)) => r,
            failed => {
                if let Err(e) = spend::settle(&self.toolbox.store, reservation, None).await {
                    tracing::error!(error = %e, "could not release a budget reservation");
                }
                return Err(match failed {
                    Ok(Err(LlmError::Refused { status, message })) => Failure::permanent(format!(
                        "the model refused the request ({status}): {message}"
                    )),
                    Ok(Err(e)) => Failure::transient(e.to_string()),
                    _ => Failure::transient("the model did not answer within 120 s"),
                });
            }
        };
        let text = response
            .content
            .iter()
            .filter_map(|b| {
                if let llm::Block::Text { text } = b {
                    Some(text.as_str())
                } else {
                    None
                }
            })
            .collect::<Vec<_>>()
            .join("");
        let mut used = response.usage;
        if used == Usage::default() {
            used = Usage {
                input_tokens: llm::estimate_request_tokens(&request),
                output_tokens: llm::estimate_tokens(&text),
            };
        }
        let cost = self.prices.cost_micros(provider.model(), used);
        if let Err(e) = spend::settle(
            &self.toolbox.store,
            reservation,
            Some((provider.model(), used, cost)),
        )
        .await
        {
            tracing::error!(error = %e, "could not record the cost of a workflow's model call");
        }
        if let Err(e) = spend::alerts_after_spend(&self.toolbox.store, &identity.tenant, user).await
        {
            tracing::warn!(error = %e, "could not check budget alerts");
        }
        Ok(json!({
            "text": text, "model": provider.model(),
            "usage": {"inputTokens": used.input_tokens, "outputTokens": used.output_tokens},
            "costUsd": platform::prices::usd(cost), "latencyMs": started.elapsed().as_millis() as u64,
        }))
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Whether a step may call this socket address: a public one, or one the deployment allows.
pub fn may_call(addr: SocketAddr, allowed: &[SocketAddr]) -> bool {
    is_public(addr.ip())
        || allowed
            .iter()
            .any(|a| a.ip() == canonical(addr.ip()) && a.port() == addr.port())
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether an address is globally routable unicast. Everything else is refused: private,
/// loopback, link-local (the cloud metadata service lives there), shared, multicast,
/// documentation, benchmarking, reserved — and the IPv6 forms that lead back to IPv4 or to a
/// tunnel (IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`, Teredo
/// `2001::/32`), site-local `fec0::/10` and unique-local `fc00::/7`. For IPv6 only global
/// unicast `2000::/3` can pass at all.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 192 && b == 88 && c == 99)
                || (a == 198 && (18..20).contains(&b))
                || a >= 224)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let global_unicast = (s[0] & 0xe000) == 0x2000;
            global_unicast
                && s[0] != 0x2002
                && !(s[0] == 0x2001 && s[1] < 0x0200)
                && !(s[0] == 0x2001 && s[1] == 0x0db8)
                && !(s[0] == 0x3fff && s[1] < 0x1000)
        }
    }
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (as_number(a), as_number(b)) {
        (Some(x), Some(y)) if !matches!((a, b), (Value::String(_), Value::String(_))) => x == y,
        _ => as_text(a) == as_text(b),
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (as_number(a), as_number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y),
        // ISO dates and other text compare as text.
        _ => Some(as_text(a).cmp(&as_text(b))),
    }
}

/// Evaluates a rendered condition. `Err` only for a bad regular expression that came from data.
pub fn evaluate(c: &Condition) -> Result<bool, String> {
    match c {
        Condition::All { all } => {
            for c in all {
                if !evaluate(c)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Any { any } => {
            for c in any {
                if evaluate(c)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Compare { left, op, right } => {
            let right = right.clone().unwrap_or(Value::Null);
            Ok(match op {
                Op::Equals => equal(left, &right),
                Op::NotEquals => !equal(left, &right),
                Op::Contains | Op::NotContains => {
                    let found = match left {
                        Value::Array(items) => items.iter().any(|i| equal(i, &right)),
                        Value::Object(map) => map.contains_key(&as_text(&right)),
                        other => as_text(other)
                            .to_lowercase()
                            .contains(&as_text(&right).to_lowercase()),
                    };
                    found == (*op == Op::Contains)
                }
                Op::GreaterThan => compare(left, &right) == Some(std::cmp::Ordering::Greater),
                Op::GreaterOrEqual => matches!(
                    compare(left, &right),
                    Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
                ),
                Op::LessThan => compare(left, &right) == Some(std::cmp::Ordering::Less),
                Op::LessOrEqual => matches!(
                    compare(left, &right),
                    Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                ),
                Op::Exists => present(left),
                Op::NotExists => !present(left),
                Op::Regex => {
                    let re = regex_lite::RegexBuilder::new(&as_text(&right))
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| format!("not a valid regular expression: {e}"))?;
                    re.is_match(&as_text(left))
                }
            })
        }
    }
}

/// Renders a condition's operands against the run's context.
pub fn render_condition(c: &Condition, context: &Value) -> Condition {
    use workflows_core::template::render;
    match c {
        Condition::All { all } => Condition::All {
            all: all.iter().map(|c| render_condition(c, context)).collect(),
        },
        Condition::Any { any } => Condition::Any {
            any: any.iter().map(|c| render_condition(c, context)).collect(),
        },
        Condition::Compare { left, op, right } => Condition::Compare {
            left: render(left, context),
            op: *op,
            right: right.as_ref().map(|r| render(r, context)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(left: Value, op: &str, right: Value) -> bool {
        let c: Condition =
            serde_json::from_value(json!({"left": left, "op": op, "right": right})).unwrap();
        evaluate(&c).unwrap()
    }

    #[test]
    fn comparisons_treat_numbers_text_lists_and_dates_as_people_expect() {
        assert!(cmp(json!("3"), "equals", json!(3)));
        assert!(cmp(json!(10), "greaterThan", json!("9")));
        assert!(cmp(json!("10"), "greaterThan", json!("9")));
        assert!(cmp(json!("2026-11-28"), "greaterThan", json!("2026-11-01")));
        assert!(cmp(json!("Hello World"), "contains", json!("world")));
        assert!(cmp(json!(["a", "b"]), "contains", json!("b")));
        assert!(cmp(json!(["a", "b"]), "notContains", json!("c")));
        assert!(cmp(
            json!("INV-2026-001"),
            "regex",
            json!("^INV-\\d{4}-\\d+$")
        ));
        assert!(!cmp(json!("x"), "regex", json!("^\\d+$")));
        assert!(cmp(json!(5), "lessOrEqual", json!(5)));
        let exists: Condition =
            serde_json::from_value(json!({"left": "", "op": "exists"})).unwrap();
        assert!(!evaluate(&exists).unwrap());
    }

    #[test]
    fn groups_combine_tests() {
        let c: Condition = serde_json::from_value(json!({"any": [
            {"left": 1, "op": "equals", "right": 2},
            {"all": [{"left": "a", "op": "exists"}, {"left": 3, "op": "lessThan", "right": 4}]}
        ]}))
        .unwrap();
        assert!(evaluate(&c).unwrap());
    }

    #[test]
    fn private_and_metadata_addresses_are_not_public() {
        for ip in [
            "10.0.0.1",
            "127.0.0.1",
            "169.254.169.254",
            "192.168.1.1",
            "172.16.0.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            // IPv4-compatible, NAT64, 6to4, Teredo, site-local, multicast, documentation.
            "::127.0.0.1",
            "::169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2001:0:4136:e378::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "2001:db8::1",
            "::",
            "224.0.0.1",
            "239.255.255.250",
            "192.0.0.8",
            "198.18.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn only_the_allowed_socket_addresses_of_a_private_network_are_callable() {
        let allowed: Vec<SocketAddr> = vec!["127.0.0.1:8080".parse().unwrap()];
        assert!(may_call("127.0.0.1:8080".parse().unwrap(), &allowed));
        assert!(
            may_call("[::ffff:127.0.0.1]:8080".parse().unwrap(), &allowed),
            "the mapped form is the same address"
        );
        assert!(
            !may_call("127.0.0.1:4566".parse().unwrap(), &allowed),
            "another port of the same host is not"
        );
        assert!(
            !may_call("[::127.0.0.1]:8080".parse().unwrap(), &allowed),
            "nor the IPv4-compatible form"
        );
        assert!(may_call("1.1.1.1:443".parse().unwrap(), &[]));
    }
}
