//! Serving: the accept loop, each connection's requests into the pipeline,
//! and the `/__emulator/` control routes (stats, reset).

use super::http::{json_response, message, request_id, Received, MAX_BODY};
use super::pipeline::pipeline;
use super::state::State;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub(super) async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let state = Arc::clone(&state);
                async move { Ok::<_, std::convert::Infallible>(handle(req, &state, peer).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

pub(super) async fn handle(
    req: Request<Incoming>,
    state: &State,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let rid = request_id(state);
    let path = req.uri().path().to_owned();
    if let Some(ctl) = path.strip_prefix("/__emulator/") {
        return control(
            ctl,
            req.uri().query().unwrap_or(""),
            req.method(),
            state,
            &rid,
        )
        .await;
    }
    let method = req.method().as_str().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            state.stats.response(413);
            return message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request Entity Too Large",
                &rid,
            );
        }
    };
    let incoming = Received {
        method,
        path,
        query,
        headers,
        body,
        peer,
    };
    let response = pipeline(&incoming, state, &rid).await;
    state.stats.response(response.status().as_u16());
    response
}

pub(super) async fn control(
    ctl: &str,
    query: &str,
    method: &hyper::Method,
    state: &State,
    rid: &str,
) -> Response<Full<Bytes>> {
    match (method.as_str(), ctl) {
        ("GET", "stats") => {
            let snap = state.stats.snapshot(state.pool.live());
            json_response(
                StatusCode::OK,
                &serde_json::to_value(snap).unwrap_or_default(),
                rid,
            )
        }
        ("POST", "reset") => {
            let clear = query
                .split('&')
                .any(|kv| kv == "stats=1" || kv == "stats=true");
            reset(state, clear).await;
            json_response(
                StatusCode::OK,
                &json!({"reset": true, "stats_cleared": clear}),
                rid,
            )
        }
        _ => message(StatusCode::NOT_FOUND, "Not Found", rid),
    }
}

pub(super) async fn reset(state: &State, clear_stats: bool) {
    if let Ok(mut c) = state.cache.lock() {
        c.clear();
    }
    state.pool.reset().await;
    for b in state
        .route_buckets
        .iter()
        .flatten()
        .chain(state.account.iter())
    {
        b.refill();
    }
    if clear_stats {
        state.stats.clear();
    }
}
