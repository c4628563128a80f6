//! Following the control plane while serving: the function's
//! configuration, the authorizer's TTL and the stage's limits.

use super::control_plane;
use super::state::State;
use super::throttle::route_limits;
use crate::config::Limit;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Follows the function's configuration in the Lambda API (moto): a new
/// `RevisionId`, `LastModified` or environment retires every execution
/// environment, so the next requests are cold starts, as after
/// `UpdateFunctionConfiguration` on AWS; with `take_env` (an API served
/// from the control plane) the new environment is the one they start with.
/// Polled every 50 ms; the first read only records the revision.
pub(super) async fn follow_function(
    state: Arc<State>,
    function: String,
    endpoint: Option<String>,
    take_env: bool,
) {
    let client = aws_sdk_lambda::Client::new(&crate::sdk::config(endpoint.as_deref()).await);
    let mut seen: Option<String> = None;
    let mut warned = false;
    loop {
        match client
            .get_function_configuration()
            .function_name(&function)
            .send()
            .await
        {
            Ok(out) => {
                // moto keeps RevisionId across updates; the environment and
                // LastModified change with each one.
                let mut vars: Vec<(String, String)> = out
                    .environment()
                    .and_then(|e| e.variables())
                    .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default();
                vars.sort();
                let revision = Some(format!(
                    "{:?} {:?} {vars:?}",
                    out.revision_id(),
                    out.last_modified()
                ));
                if seen.is_some() && revision != seen {
                    if take_env {
                        state.pool.set_env(vars).await;
                    } else {
                        state.pool.reset().await;
                    }
                }
                seen = revision;
            }
            Err(e) if !warned => {
                warned = true;
                eprintln!(
                    "following function {function}: {}",
                    authorizer::aws_error::describe("Lambda", "GetFunctionConfiguration", &e)
                );
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Follows the authorizer (`GetAuthorizer`: result TTL) and the stage
/// (`GetStage`: throttling) of an API served from the control plane,
/// every 500 ms. A new TTL empties the cache; new limits apply at once,
/// each bucket starting full. Routes, identity sources and payload are
/// read once, at start.
pub(super) async fn follow_api(
    state: Arc<State>,
    apigw: aws_sdk_apigatewayv2::Client,
    mut seen: control_plane::Registered,
) {
    let api = state.cfg.api_id.clone();
    let mut warned = false;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let read = async {
            let a = control_plane::authorizer(&apigw, &api, &seen.authorizer_id).await?;
            let l = crate::apigw::stage_limits(&apigw, &api, &seen.stage).await?;
            Ok::<_, crate::Error>((a, l))
        }
        .await;
        let (authorizer, limits) = match read {
            Ok(v) => v,
            Err(e) => {
                if !warned {
                    eprintln!("following API {api}: {e}");
                    warned = true;
                }
                continue;
            }
        };
        if authorizer.ttl_seconds != seen.authorizer.ttl_seconds {
            state.ttl.store(authorizer.ttl_seconds, Ordering::SeqCst);
            if let Ok(mut c) = state.cache.lock() {
                c.clear();
            }
            eprintln!(
                "authorizer {}: result TTL now {} s (GetAuthorizer)",
                seen.authorizer_id, authorizer.ttl_seconds
            );
        }
        if limits != seen.limits {
            let routes = control_plane::with_route_limits(&state.cfg.routes, &limits);
            let stage = limits.default.map(|(rate, burst)| Limit { rate, burst });
            for (bucket, limit) in state
                .route_buckets
                .iter()
                .zip(route_limits(&routes, stage, &state.cfg, true))
            {
                if let (Some(b), Some(l)) = (bucket, limit) {
                    b.set_limit(l);
                }
            }
            eprintln!(
                "stage {}: throttling now {} (GetStage)",
                seen.stage,
                limits
                    .default
                    .map_or("account limit only".into(), |(r, b)| format!(
                        "{r} rps / burst {b}"
                    ))
            );
        }
        seen.authorizer = authorizer;
        seen.limits = limits;
    }
}
