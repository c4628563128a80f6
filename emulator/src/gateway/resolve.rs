//! The control plane read at start: a configuration naming an API served
//! from it (HTTP or REST) gets the API's routes, authorizers, identity
//! sources, payload and limits from it.

use super::control_plane;
use super::rest_control_plane;
use crate::config::GatewayConfig;

/// For a configuration naming a control-plane API (`control_plane_api`,
/// an HTTP API; `control_plane_rest_api`, a REST API): reads the API and
/// applies it onto `cfg`; returns the client and what was read, to follow
/// (HTTP APIs; a REST API's definition is read once).
///
/// # Errors
/// As [`control_plane::read_http_api`] and [`rest_control_plane::read_rest_api`].
pub async fn resolve(
    cfg: &mut GatewayConfig,
) -> crate::Result<Option<(aws_sdk_apigatewayv2::Client, control_plane::Registered)>> {
    if let Some(api) = cfg.control_plane_rest_api.clone() {
        let conf = crate::sdk::config(cfg.endpoint_url.as_deref()).await;
        let r = rest_control_plane::read_rest_api(
            &aws_sdk_apigateway::Client::new(&conf),
            &aws_sdk_lambda::Client::new(&conf),
            &api,
            &cfg.stage,
        )
        .await?;
        rest_control_plane::apply_rest_api(cfg, &r);
        cfg.api_id = api;
        return Ok(None);
    }
    let Some(api) = cfg.control_plane_api.clone() else {
        return Ok(None);
    };
    let (apigw, lambda) = control_plane::clients(cfg.endpoint_url.as_deref()).await;
    let r = control_plane::read_http_api(&apigw, &lambda, &api, &cfg.stage).await?;
    control_plane::apply_http_api(cfg, &r);
    cfg.api_id = api;
    Ok(Some((apigw, r)))
}
