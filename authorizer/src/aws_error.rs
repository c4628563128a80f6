//! AWS SDK errors as one readable line: service, operation, error code and
//! message for a service error; the `Display` chain (never `Debug`) for a
//! dispatch failure, timeout or unreadable response. Used for the
//! authorizer's `kms_unavailable` log lines and the harness CLI's errors.

use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};

/// `KMS GetPublicKey: NotFoundException: Alias … is not found.`, or
/// `KMS Sign: dispatch failure: io error: Connection refused (os error 111)`.
pub fn describe<E, R>(service: &str, operation: &str, err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let detail = match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            match (e.code(), e.message()) {
                (Some(code), Some(msg)) => format!("{code}: {msg}"),
                (Some(code), None) => code.to_owned(),
                _ => chain(err),
            }
        }
        _ => chain(err),
    };
    format!("{service} {operation}: {}", one_line(&detail))
}

/// What to check for an AWS error a user can cause, with the region the
/// call went to: a resource that is not there (often the wrong region),
/// credentials or permissions, or an endpoint that did not answer: ` [region
/// R; check …]`, to follow [`describe`]'s line.
pub fn what_to_check<E, R>(err: &SdkError<E, R>, region: Option<&str>) -> String
where
    E: ProvideErrorMetadata,
{
    let region = region.unwrap_or("unset");
    let code = match err {
        SdkError::ServiceError(se) => se.err().code().unwrap_or_default().to_owned(),
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            return format!(" [region {region}; check the network and AWS_ENDPOINT_URL]")
        }
        _ => String::new(),
    };
    let check = if code.contains("NotFound") {
        "check the region (--region, AWS_REGION, the deployment's region output) and the id"
    } else if code.contains("AccessDenied")
        || code.contains("UnrecognizedClient")
        || code.contains("InvalidClientToken")
        || code.contains("ExpiredToken")
        || code.contains("Signature")
    {
        "check the credentials and their permissions"
    } else if code.is_empty() {
        "check the credentials"
    } else {
        return format!(" [region {region}]");
    };
    format!(" [region {region}; {check}]")
}

/// Each error in the source chain, `Display` only, repeats dropped.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && parts.last() != Some(&text) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dispatch_failure_is_one_line_without_debug_output() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused\nhere");
        let err: SdkError<aws_sdk_kms::operation::sign::SignError, ()> =
            SdkError::construction_failure(io);
        let line = describe("KMS", "Sign", &err);
        assert!(line.starts_with("KMS Sign: "), "{line}");
        assert!(line.contains("refused here"), "{line}");
        assert!(
            !line.contains('\n') && !line.contains("Some(") && !line.contains('{'),
            "{line}"
        );
    }
}
