//! The web app (`web/dist`), served beside the API the way CloudFront serves it in AWS: one
//! origin, so the browser needs no CORS. `/api/*`, `/mcp` and `/v0/*` always reach the API
//! (an unknown `/api/…` route stays a problem+json 404, never the app); every other `GET`/`HEAD`
//! is a file of the build — hashed assets cached for a year, everything else revalidated — or,
//! for a client route, `index.html`.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// `Cache-Control` of Vite's content-hashed files under `/assets/`: they never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of `index.html` and the other unhashed files: always revalidated.
pub const REVALIDATE: &str = "no-cache";
/// The app's Content-Security-Policy (the template's CloudFront response headers policy sends
/// the same): scripts and connections to this origin only, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
     font-src 'self'; connect-src 'self' https:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

/// [`CSP`] with more sources the app may connect to: locally the AWS emulator, which presigned
/// upload URLs point at (in AWS they are `https:` S3 URLs, which the policy already allows).
pub fn csp_with(connect: &[String]) -> String {
    if connect.is_empty() {
        return CSP.to_owned();
    }
    CSP.replace(
        "connect-src 'self' https:",
        &format!("connect-src 'self' https: {}", connect.join(" ")),
    )
}

/// Paths the API owns, whatever the method.
pub fn is_api_path(path: &str) -> bool {
    path == "/api"
        || path.starts_with("/api/")
        || path == "/mcp"
        || path.starts_with("/mcp/")
        || path == "/v0"
        || path.starts_with("/v0/")
}

/// The API with the built app in front of everything that is not the API's; `connect` are the
/// origins besides its own the app may call (see [`csp_with`]).
pub fn with_app(api: Router, dist: PathBuf, connect: &[String]) -> Router {
    let csp =
        HeaderValue::from_str(&csp_with(connect)).unwrap_or_else(|_| HeaderValue::from_static(CSP));
    Router::new().fallback(move |req: Request| {
        let (api, dist, csp) = (api.clone(), dist.clone(), csp.clone());
        async move {
            let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
            if is_api_path(req.uri().path()) || !is_read || !dist.join("index.html").is_file() {
                return api.oneshot(req).await.into_response();
            }
            serve(&dist, req, csp).await
        }
    })
}

async fn serve(dist: &Path, req: Request, csp: HeaderValue) -> Response {
    let path = req.uri().path().to_owned();
    let asset = path.starts_with("/assets/");
    let mut res = match ServeDir::new(dist)
        .append_index_html_on_directories(false)
        .oneshot(req)
        .await
    {
        Ok(r) => r.into_response(),
        Err(never) => match never {},
    };
    if res.status() == StatusCode::NOT_FOUND && !asset && path != "/index.html" {
        // A client route (`/tables/…`): the app decides what it shows. A missing hashed asset
        // stays a 404: answering HTML for a script would only break the page later.
        res = match tokio::fs::read(dist.join("index.html")).await {
            Ok(html) => {
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
            }
            Err(_) => StatusCode::NOT_FOUND.into_response(),
        };
    }
    let cache = if asset && res.status().is_success() {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(HeaderName::from_static("content-security-policy"), csp);
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn dist() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pyat-web-{}", uuid_like()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(
            dir.join("index.html"),
            "<!doctype html><title>PyAirtable</title>",
        )
        .unwrap();
        std::fs::write(dir.join("assets/app-1a2b3c.js"), "console.log(1)").unwrap();
        std::fs::write(dir.join("favicon.svg"), "<svg/>").unwrap();
        dir
    }

    fn uuid_like() -> String {
        format!(
            "{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        )
    }

    fn api() -> Router {
        platform::http::edge(
            Router::new().route("/api/v1/health", axum::routing::get(|| async { "ok" })),
        )
    }

    async fn get(app: &Router, method: Method, path: &str) -> (StatusCode, String, String) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let (status, cache) = (
            res.status(),
            res.headers()
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default(),
        );
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, cache, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn assets_are_immutable_client_routes_get_the_app_and_the_api_keeps_its_paths() {
        let app = with_app(api(), dist(), &[]);
        let (status, cache, body) = get(&app, Method::GET, "/assets/app-1a2b3c.js").await;
        assert_eq!(
            (status, cache.as_str(), body.as_str()),
            (StatusCode::OK, IMMUTABLE, "console.log(1)")
        );
        let (status, cache, body) = get(&app, Method::GET, "/").await;
        assert_eq!((status, cache.as_str()), (StatusCode::OK, REVALIDATE));
        assert_eq!(
            csp_with(&["http://127.0.0.1:4566".into()])
                .matches("connect-src 'self' https: http://127.0.0.1:4566;")
                .count(),
            1
        );
        assert!(body.contains("<title>PyAirtable</title>"));
        let (status, cache, body) = get(&app, Method::GET, "/bases/appX/tables/tblY").await;
        assert_eq!((status, cache.as_str()), (StatusCode::OK, REVALIDATE));
        assert!(body.contains("PyAirtable"));
        assert_eq!(get(&app, Method::GET, "/favicon.svg").await.1, REVALIDATE);
        // A missing hashed asset is a 404, not the app.
        assert_eq!(
            get(&app, Method::GET, "/assets/gone-999.js").await.0,
            StatusCode::NOT_FOUND
        );
        // The API's paths: its routes, and its problem 404s.
        assert_eq!(get(&app, Method::GET, "/api/v1/health").await.2, "ok");
        let (status, _, body) = get(&app, Method::GET, "/api/v1/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("\"code\":\"not_found\""), "{body}");
        assert_eq!(
            get(&app, Method::GET, "/v0/appX/Contacts").await.0,
            StatusCode::NOT_FOUND
        );
        assert!(
            get(&app, Method::GET, "/v0/appX/Contacts")
                .await
                .2
                .contains("not_found")
        );
        // Writes never reach the files.
        assert!(get(&app, Method::POST, "/").await.2.contains("not_found"));
        // Traversal stays inside the build.
        assert!(
            !get(&app, Method::GET, "/../Cargo.toml")
                .await
                .2
                .contains("[package]")
        );
    }

    #[tokio::test]
    async fn without_a_build_everything_is_the_api() {
        let app = with_app(api(), std::env::temp_dir().join("pyat-no-such-build"), &[]);
        let (status, _, body) = get(&app, Method::GET, "/").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("not_found"));
    }
}
