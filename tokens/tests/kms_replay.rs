//! The KMS path for the key specs moto does not have (Ed25519 and ML-DSA):
//! the SDK's own replay client answers `GetPublicKey` and `Sign` in the
//! shape the AWS KMS API reference documents (JSON 1.1, `TrentService.*`,
//! `KeySpec`, `SigningAlgorithms`, base64 `PublicKey` SubjectPublicKeyInfo
//! and `Signature`), with a key pair made here standing in for the KMS key.
//! What is proven: the harness's KMS signer asks for the right signing
//! algorithm with `MessageType` `RAW`, the authorizer's KMS loader reads
//! the key spec and pins the key to its algorithm, and a token signed
//! through one verifies with the key loaded through the other. What is not:
//! that real KMS answers so; users with such keys verify that.

use authorizer::{Algorithm, Backend};
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};
use tokens::keypair::{LocalKey, Spec};
use tokens::signer::Signer;

const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn request(target: &str, body: &Value) -> http::Request<SdkBody> {
    http::Request::builder()
        .method("POST")
        .uri("https://kms.us-east-1.amazonaws.com/")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("TrentService.{target}"))
        .body(SdkBody::from(body.to_string()))
        .expect("request")
}

fn response(body: &Value) -> http::Response<SdkBody> {
    http::Response::builder()
        .status(200)
        .header("content-type", "application/x-amz-json-1.1")
        .body(SdkBody::from(body.to_string()))
        .expect("response")
}

fn client(http: &StaticReplayClient) -> aws_sdk_kms::Client {
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "replay"))
        .http_client(http.clone())
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

/// `GetPublicKey`'s documented response for a key of `spec`.
fn public_key(spec: &str, signing: &str, spki: &[u8]) -> Value {
    json!({
        "KeyId": ARN,
        "KeySpec": spec,
        "KeyUsage": "SIGN_VERIFY",
        "PublicKey": STANDARD.encode(spki),
        "SigningAlgorithms": [signing]
    })
}

#[tokio::test]
async fn ed25519_and_ml_dsa_kms_keys_sign_and_load_as_aws_documents() {
    for (spec, alg) in [
        ("ECC_NIST_EDWARDS25519", Algorithm::Ed25519),
        ("ML_DSA_44", Algorithm::MlDsa44),
        ("ML_DSA_65", Algorithm::MlDsa65),
        ("ML_DSA_87", Algorithm::MlDsa87),
    ] {
        let signing = alg.kms_name();
        let key = LocalKey::generate(Spec::of(alg)).expect("stand-in key");
        let spki = key.spki_der();
        let header = json!({"alg": alg.name(), "typ": "JWT", "kid": ARN}).to_string();
        let claims = json!({"iss": "https://issuer.example", "aud": "api", "sub": "replay", "exp": 4_102_444_800_i64}).to_string();
        let input = tokens::jws::signing_input(&header, &claims);
        let signature = key.sign(input.as_bytes());
        let described = public_key(spec, signing, &spki);
        let sign_request = json!({
            "KeyId": ARN,
            "Message": STANDARD.encode(input.as_bytes()),
            "MessageType": "RAW",
            "SigningAlgorithm": signing
        });
        let http = StaticReplayClient::new(vec![
            ReplayEvent::new(
                request("GetPublicKey", &json!({"KeyId": ARN})),
                response(&described),
            ),
            ReplayEvent::new(
                request("Sign", &sign_request),
                response(&json!({
                    "KeyId": ARN,
                    "Signature": STANDARD.encode(&signature),
                    "SigningAlgorithm": signing
                })),
            ),
            ReplayEvent::new(
                request("GetPublicKey", &json!({"KeyId": ARN})),
                response(&described),
            ),
        ]);
        let kms = client(&http);

        // The harness's side: the signer reads the spec, then signs RAW.
        let signer = Signer::kms(kms.clone(), ARN).await.expect("GetPublicKey");
        assert_eq!(signer.algorithm(), alg, "{spec}");
        let sig = signer.sign(input.as_bytes()).await.expect("Sign");
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&sig));

        // The authorizer's side: the loader pins the key to its spec's
        // algorithm, and the token verifies with it, under no other name.
        let keys = authorizer::kms::fetch_keys(&kms, &[ARN.to_owned()], Backend::AwsLc)
            .await
            .expect("the authorizer loads the key");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].key.algorithm(), alg, "{spec}");
        assert_eq!(keys[0].key.verify(input.as_bytes(), &sig), Ok(()), "{spec}");
        assert!(keys[0].key.verify(b"other input", &sig).is_err(), "{spec}");
        assert!(token.len() <= 8192, "{spec}: {} bytes", token.len());

        // Every request in the documented shape, the Sign call RAW with
        // the spec's signing algorithm over the exact signing input.
        http.relaxed_requests_match();
        let bodies: Vec<Value> = http
            .actual_requests()
            .map(|r| serde_json::from_slice(r.body().bytes().expect("body")).expect("JSON body"))
            .collect();
        assert_eq!(bodies.len(), 3, "{spec}");
        assert_eq!(bodies[1], sign_request, "{spec}");
    }
}

#[tokio::test]
async fn a_signing_input_kms_cannot_sign_whole_is_refused_before_any_call() {
    let http = StaticReplayClient::new(vec![]);
    let kms = client(&http);
    for alg in [Algorithm::Ed25519, Algorithm::MlDsa65] {
        let long = vec![b'a'; tokens::kms::MAX_RAW_MESSAGE + 1];
        let e = tokens::kms::sign_as(&kms, ARN, alg, &long)
            .await
            .expect_err("refused")
            .to_string();
        assert!(e.contains(alg.name()) && e.contains("4096"), "{e}");
    }
    assert_eq!(http.actual_requests().count(), 0, "no call was made");
}
