//! Services on this machine that workflow `http_request` steps of the stack under test may
//! call. The stack allows exactly one private address (`WORKFLOW_HTTP_ALLOW`): this listener,
//! which hands `/<name>/…` to the router a test registered under `name`. Everything else on
//! the machine — the AWS emulator above all — stays out of a workflow's reach.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

fn routes() -> &'static Mutex<HashMap<String, Router>> {
    static R: OnceLock<Mutex<HashMap<String, Router>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// The listener's address (started on first use, on a thread of its own).
pub fn address() -> String {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    ADDR.get_or_init(|| {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind the workflow target");
        let addr = listener.local_addr().expect("addr");
        listener.set_nonblocking(true).expect("non-blocking");
        std::thread::Builder::new()
            .name("workflow-targets".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    let _ = axum::serve(listener, Router::new().fallback(dispatch)).await;
                });
            })
            .expect("thread");
        addr
    })
    .to_string()
}

async fn dispatch(req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let name = parts.next().unwrap_or_default().to_owned();
    let rest = format!("/{}", parts.next().unwrap_or_default());
    let Some(router) = routes()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&name)
        .cloned()
    else {
        return (StatusCode::NOT_FOUND, "no such target").into_response();
    };
    let (mut head, body) = req.into_parts();
    let query = head
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    head.uri = format!("{rest}{query}").parse::<Uri>().unwrap_or_default();
    router
        .oneshot(Request::from_parts(head, body))
        .await
        .into_response()
}

/// Serves `router` under `/<name>/`; returns its base URL (`http://127.0.0.1:<port>/<name>`).
pub fn serve(name: &str, router: Router) -> String {
    routes()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(name.to_owned(), router);
    format!("http://{}/{name}", address())
}
