//! One goose attack, the way every measurement here runs it: the host and
//! path of a URL, and an attack with goose's own metrics, summaries,
//! telnet and output off (the measurements keep their own samples). The
//! bottom floor of the crate: the paced load and the planned engine both
//! build on it.

use goose::config::GooseConfiguration;
use goose::prelude::*;

/// `scheme://host[:port]` (goose's host) and the path of `url`.
pub(crate) fn split_url(url: &str) -> Result<(String, String), crate::error::Error> {
    let parsed = reqwest::Url::parse(url).map_err(|e| crate::error::Error::Url {
        url: url.to_owned(),
        source: Box::new(e),
    })?;
    let host = format!(
        "{}://{}",
        parsed.scheme(),
        parsed.host_str().unwrap_or("127.0.0.1")
    ) + &parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok((host, parsed.path().to_owned()))
}

/// One goose attack: `users` users launched at `hatch` per second, each
/// repeating `tx` for `seconds`; goose's own metrics, error summary,
/// telnet and output stay off (the samples are ours).
pub(crate) async fn attack(
    name: &str,
    host: &str,
    users: usize,
    hatch: &str,
    seconds: usize,
    tx: Transaction,
) -> Result<(), crate::error::Error> {
    GooseAttack::initialize_with_config(GooseConfiguration::default())
        .map_err(Box::new)?
        .register_scenario(Scenario::new(name).register_transaction(tx))
        .set_default(GooseDefault::Host, host)
        .and_then(|a| a.set_default(GooseDefault::Users, users))
        .and_then(|a| a.set_default(GooseDefault::IncreaseRate, hatch))
        .and_then(|a| a.set_default(GooseDefault::RunTime, seconds))
        .and_then(|a| a.set_default(GooseDefault::NoPrintMetrics, true))
        .and_then(|a| a.set_default(GooseDefault::NoErrorSummary, true))
        .and_then(|a| a.set_default(GooseDefault::NoTelnet, true))
        .and_then(|a| a.set_default(GooseDefault::Quiet, 1usize))
        .map_err(Box::new)?
        .execute()
        .await
        .map_err(Box::new)?;
    Ok(())
}
