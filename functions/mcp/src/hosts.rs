//! Which `Host` and `Origin` the MCP endpoint answers. The MCP specification requires servers to
//! validate `Origin` (DNS-rebinding protection); `Host` is checked too, with `*.suffix` patterns so
//! that API Gateway's generated hostname can be allowed before it is known.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::error::Problem;

/// The allowed hosts and origins (lowercase).
#[derive(Debug, Clone)]
pub struct HostPolicy {
    hosts: Vec<String>,
    origins: Vec<String>,
}

/// A refused request: 403 problem.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    code: &'static str,
    detail: String,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        Problem::new(StatusCode::FORBIDDEN, self.code)
            .with_detail(self.detail)
            .into_response_with(StatusCode::FORBIDDEN)
    }
}

/// Splits `host[:port]` (or `[v6]:port`) into host and port.
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => (&authority[..=end], authority[end + 1..].strip_prefix(':')),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        _ => (authority, None),
    }
}

impl HostPolicy {
    pub fn new(hosts: &[String], origins: &[String]) -> Self {
        let lower = |v: &[String]| {
            v.iter()
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        };
        Self {
            hosts: lower(hosts),
            origins: lower(origins),
        }
    }

    /// Whether an authority matches an entry; `*.suffix` entries only when `wildcards`.
    fn host_allowed(&self, authority: &str, wildcards: bool) -> bool {
        let authority = authority.to_lowercase();
        let (host, _) = split_authority(&authority);
        self.hosts.iter().any(|entry| {
            if let Some(suffix) = entry.strip_prefix("*.") {
                wildcards
                    && host.len() > suffix.len() + 1
                    && host.ends_with(suffix)
                    && host[..host.len() - suffix.len()].ends_with('.')
            } else if split_authority(entry).1.is_some() {
                *entry == authority
            } else {
                entry == host
            }
        })
    }

    /// Checks a request's headers.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Refused> {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !self.host_allowed(host, true) {
            return Err(Refused {
                code: "forbidden_host",
                detail: format!("this server does not answer for host {host:?}"),
            });
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(());
        };
        let origin = origin.to_str().unwrap_or("").trim().to_lowercase();
        // A browser page may call only from an origin listed, or from one of the exact hosts
        // (never a wildcard one: anyone can serve pages under a shared cloud domain).
        let authority = origin
            .split_once("://")
            .map(|(_, rest)| rest.trim_end_matches('/'))
            .unwrap_or("");
        if self.origins.contains(&origin)
            || (!authority.is_empty() && self.host_allowed(authority, false))
        {
            Ok(())
        } else {
            Err(Refused {
                code: "forbidden_origin",
                detail: format!("requests from origin {origin:?} are not allowed"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    fn policy() -> HostPolicy {
        HostPolicy::new(
            &[
                "127.0.0.1".into(),
                "[::1]".into(),
                "*.execute-api.eu-west-1.amazonaws.com".into(),
                "mcp.example.com:8443".into(),
            ],
            &["https://app.example.com".into()],
        )
    }

    #[test]
    fn hosts_match_exactly_by_name_any_port_or_by_suffix_pattern() {
        let p = policy();
        assert!(p.check(&headers("127.0.0.1:3000", None)).is_ok());
        assert!(p.check(&headers("[::1]:3000", None)).is_ok());
        assert!(
            p.check(&headers("abc123.execute-api.eu-west-1.amazonaws.com", None))
                .is_ok()
        );
        assert!(p.check(&headers("mcp.example.com:8443", None)).is_ok());
        assert_eq!(
            p.check(&headers("mcp.example.com:9000", None))
                .unwrap_err()
                .code,
            "forbidden_host"
        );
        assert!(
            p.check(&headers("execute-api.eu-west-1.amazonaws.com", None))
                .is_err(),
            "the bare suffix is not a subdomain"
        );
        assert!(
            p.check(&headers("evilexecute-api.eu-west-1.amazonaws.com", None))
                .is_err()
        );
        assert!(p.check(&headers("localhost.attacker.com", None)).is_err());
    }

    #[test]
    fn origins_must_be_listed_or_an_exact_allowed_host() {
        let p = policy();
        assert!(
            p.check(&headers("127.0.0.1:3000", Some("https://app.example.com")))
                .is_ok()
        );
        assert!(
            p.check(&headers("127.0.0.1:3000", Some("http://127.0.0.1:3000")))
                .is_ok()
        );
        assert_eq!(
            p.check(&headers("127.0.0.1:3000", Some("http://attacker.example")))
                .unwrap_err()
                .code,
            "forbidden_origin"
        );
        assert!(p.check(&headers("127.0.0.1:3000", Some("null"))).is_err());
        assert!(
            p.check(&headers(
                "abc.execute-api.eu-west-1.amazonaws.com",
                Some("https://evil.execute-api.eu-west-1.amazonaws.com")
            ))
            .is_err(),
            "a wildcard host never vouches for a browser origin"
        );
    }
}
