//! Catalog cases whose expectation is this project's policy choice rather
//! than a requirement of RFC 7515 / 7519 / 6750 / 8259. `harness check
//! --profile rfc` skips them, so an authorizer that conforms to the RFCs but
//! chose differently (a vendor's, the old Go one) can pass; each row says why
//! the expectation is a choice. Keyed by case id; a test checks every id
//! exists in the catalog.

/// `(case id, why the expectation is a project choice)`.
pub const PROJECT_CHOICES: &[(&str, &str)] = &[
    ("valid-bare-token", "a bare token without `Bearer` is accepted for the Go authorizer's clients; RFC 6750 §2.1 would require the scheme"),
    ("iat-future", "RFC 7519 §4.1.6 does not require refusing an `iat` in the future"),
    ("alg-duplicate-none-first", DUPLICATES),
    ("alg-duplicate-es512-first", DUPLICATES),
    ("json-dup-exp-past-first", DUPLICATES),
    ("json-dup-exp-future-first", DUPLICATES),
    ("kid-path-traversal", KID_BINDING),
    ("kid-sql-injection", KID_BINDING),
    ("kid-command-injection", KID_BINDING),
    ("kid-unknown", KID_BINDING),
    ("kid-control-chars", KID_SHAPE),
    ("kid-too-long", KID_SHAPE),
    ("kid-not-string", KID_SHAPE),
    ("kid-10kb", SIZE_CAP),
    ("token-oversize", SIZE_CAP),
    ("crit-empty", "RFC 7515 §4.1.11 forbids producers an empty `crit`; recipients MAY, not MUST, reject it"),
    ("crit-malformed", "RFC 7515 §4.1.11: a `crit` that is not an array breaks a producer rule; recipients MAY, not MUST, reject it"),
    ("cty-nested-jwt", "nested JWTs (RFC 7519 §5.2) are refused here rather than processed"),
    ("zip-in-jws", JWE_ONLY),
    ("enc-in-jws", JWE_ONLY),
    ("typ-jwe", EXPLICIT_TYPING),
    ("typ-at-jwt", EXPLICIT_TYPING),
    ("json-lone-surrogate", "RFC 8259 §8.2 leaves lone surrogates' behaviour unpredictable; refused here"),
    ("json-deep-nesting", "500 nested arrays is valid JSON (RFC 8259 §9 lets parsers limit nesting); refused here"),
    ("json-exp-1e400", "RFC 8259 §6 lets parsers limit number range; refused here rather than read as infinity"),
    ("json-exp-2-pow-64", "time claims beyond 9999-12-31 are this project's limit, not an RFC rule"),
    ("claims-exp-missing", EXP_REQUIRED),
    ("json-case-variant-exp", EXP_REQUIRED),
    ("claims-sub-number", "RFC 7519 §4.1.2 asks producers for a StringOrURI `sub`; refusing another type (it becomes the principalId) is this project's choice"),
];

const DUPLICATES: &str = "RFC 7515 §4 and RFC 7519 §4 allow rejecting duplicate member names or keeping the last one; this project rejects";
const KID_BINDING: &str = "RFC 7515 §4.1.4 makes `kid` a hint a single-key recipient may ignore; this project requires a present `kid` to name a bound key";
const KID_SHAPE: &str = "`kid` limited to a string of 1–256 printable ASCII characters: this project's rule (RFC 7515 §4.1.4 only asks producers for a string)";
const SIZE_CAP: &str = "the token size cap (`JWT_MAX_TOKEN_BYTES`, 8192) is this project's limit";
const JWE_ONLY: &str =
    "a JWE-only header parameter (RFC 7516) in a JWS is refused here rather than ignored";
const EXPLICIT_TYPING: &str = "explicit typing (RFC 8725 §3.11) is a best-current-practice choice; RFC 7519 §5.1 lets `typ` be ignored";
const EXP_REQUIRED: &str = "`exp` is OPTIONAL in RFC 7519 §4.1.4; this project requires it";

/// Why the case `id`'s expectation is a project choice, if it is one.
pub fn project_choice(id: &str) -> Option<&'static str> {
    PROJECT_CHOICES
        .iter()
        .find(|(case, _)| *case == id)
        .map(|(_, why)| *why)
}
