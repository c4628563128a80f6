//! The run bucket: `s3://BUCKET/KEY` addresses, and the few object calls a
//! sharded run makes (the manifest, the ready markers, `go.json`, the
//! shards' results) on the SDK environment's S3 (path-style addressing
//! where an endpoint URL is set: moto, or an S3-compatible store).

/// `s3://bucket/key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
}

impl S3Url {
    /// Parses `s3://bucket/key`.
    ///
    /// # Errors
    /// Not of that form.
    pub fn parse(text: &str) -> crate::Result<Self> {
        text.strip_prefix("s3://")
            .and_then(|r| r.split_once('/'))
            .filter(|(b, k)| !b.is_empty() && !k.is_empty())
            .map(|(b, k)| Self {
                bucket: b.to_owned(),
                key: k.to_owned(),
            })
            .ok_or_else(|| crate::Error::invalid(format!("{text:?}: expected s3://BUCKET/KEY")))
    }

    /// `name` in the folder this address names (`s3://b/runs/r1` or
    /// `s3://b/runs/r1/` joined with `manifest.json`:
    /// `s3://b/runs/r1/manifest.json`).
    #[must_use]
    pub fn join(&self, name: &str) -> Self {
        Self {
            bucket: self.bucket.clone(),
            key: format!("{}/{name}", self.key.trim_end_matches('/')),
        }
    }

    /// The run's folder: the key's directory, with its slash.
    pub fn dir(&self) -> String {
        self.key
            .rsplit_once('/')
            .map_or(String::new(), |(d, _)| format!("{d}/"))
    }
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// An S3 client of the SDK environment (path-style where an endpoint URL
/// is set: moto, or an S3-compatible store).
pub async fn client() -> aws_sdk_s3::Client {
    let conf = emulator::sdk::config(None).await;
    let custom = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    let s3 = aws_sdk_s3::config::Builder::from(&conf)
        .force_path_style(custom)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

/// Whether `text` names an S3 object or prefix (`s3://…`).
pub fn is_s3(text: &str) -> bool {
    text.starts_with("s3://")
}

/// Writes `body` at `s3://bucket/key` (the bucket's default encryption
/// applies).
///
/// # Errors
/// The S3 call's, naming the object.
pub async fn put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
) -> crate::Result<()> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .map_err(|e| {
            crate::Error::aws_about("S3", "PutObject", e, format!("s3://{bucket}/{key}"))
        })?;
    Ok(())
}

/// The object's bytes, `None` when there is no such key.
///
/// # Errors
/// The S3 call's (other than no such key), naming the object.
pub async fn get(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> crate::Result<Option<Vec<u8>>> {
    let about = || format!("s3://{bucket}/{key}");
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(o) => {
            let body =
                o.body.collect().await.map_err(|e| {
                    crate::Error::invalid(format!("S3 GetObject ({}): {e}", about()))
                })?;
            Ok(Some(body.into_bytes().to_vec()))
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
        Err(e) => Err(crate::Error::aws_about("S3", "GetObject", e, about())),
    }
}

/// Deletes `key` for good: every version of it and every delete marker in
/// a versioned bucket (a plain delete would only hide it behind a marker,
/// its bytes kept until the lifecycle expires them), the object itself in
/// an unversioned one.
///
/// # Errors
/// The S3 calls', naming the object.
pub async fn delete_all_versions(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> crate::Result<()> {
    let about = || format!("s3://{bucket}/{key}");
    let listed = s3
        .list_object_versions()
        .bucket(bucket)
        .prefix(key)
        .send()
        .await
        .map_err(|e| crate::Error::aws_about("S3", "ListObjectVersions", e, about()))?;
    let mut versions: Vec<Option<String>> = listed
        .versions()
        .iter()
        .filter(|v| v.key() == Some(key))
        .map(|v| v.version_id().map(str::to_owned))
        .chain(
            listed
                .delete_markers()
                .iter()
                .filter(|m| m.key() == Some(key))
                .map(|m| m.version_id().map(str::to_owned)),
        )
        .collect();
    if versions.is_empty() {
        versions.push(None);
    }
    for v in versions {
        s3.delete_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(v)
            .send()
            .await
            .map_err(|e| crate::Error::aws_about("S3", "DeleteObject", e, about()))?;
    }
    Ok(())
}

/// Every key under `prefix` (all pages).
///
/// # Errors
/// The S3 call's, naming the prefix.
pub async fn list(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> crate::Result<Vec<String>> {
    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            crate::Error::aws_about("S3", "ListObjectsV2", e, format!("s3://{bucket}/{prefix}"))
        })?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_are_read_strictly() {
        let u = S3Url::parse("s3://b/runs/1/manifest.json").expect("url");
        assert_eq!((u.bucket.as_str(), u.dir().as_str()), ("b", "runs/1/"));
        assert_eq!(u.to_string(), "s3://b/runs/1/manifest.json");
        assert!(S3Url::parse("s3://b").is_err());
        assert!(S3Url::parse("s3:///k").is_err());
        assert!(S3Url::parse("https://b/k").is_err());
        assert_eq!(
            S3Url::parse("s3://b/runs/1/")
                .expect("prefix")
                .join("manifest.json"),
            u
        );
        assert!(is_s3("s3://b/k") && !is_s3("run/manifest.json"));
    }
}
