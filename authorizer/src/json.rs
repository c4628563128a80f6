//! Strict JSON for JOSE headers and JWT claims: UTF-8, one top-level object,
//! no duplicate member names at any depth (RFC 7515 §4, RFC 7519 §4 allow
//! "reject" and we choose it: a duplicate `exp` or `alg` is how parsers that
//! keep the first and parsers that keep the last are played against each
//! other). serde_json already rejects invalid UTF-8, lone surrogates,
//! trailing garbage, `NaN`/`Infinity`, out-of-range numbers and nesting
//! deeper than 128 levels.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// A JSON object parsed strictly.
pub(crate) type Object = Map<String, Value>;

/// Parses `bytes` as a JSON object with no duplicate member names anywhere.
/// `None` for anything else; the caller maps that to its own reason.
pub(crate) fn parse_object(bytes: &[u8]) -> Option<Object> {
    match serde_json::from_slice::<StrictValue>(bytes) {
        Ok(StrictValue(Value::Object(map))) => Some(map),
        _ => None,
    }
}

/// Like [`parse_object`], with the reason on failure (the duplicated member's
/// name, or serde_json's message with line and column). For configuration
/// only: a token's content must never reach a message.
pub(crate) fn parse_object_explained(bytes: &[u8]) -> Result<Object, String> {
    match serde_json::from_slice::<StrictValue>(bytes) {
        Ok(StrictValue(Value::Object(map))) => Ok(map),
        Ok(_) => Err("not a JSON object".into()),
        Err(e) => Err(e.to_string()),
    }
}

struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let StrictValue(v) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate member {key:?}")));
            }
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_object() {
        let o = parse_object(br#"{"a":1,"b":[1,{"c":null}],"d":"x"}"#).expect("object");
        assert_eq!(o.len(), 3);
    }

    #[test]
    fn rejects_duplicates_at_any_depth() {
        assert!(parse_object(br#"{"a":1,"a":2}"#).is_none());
        assert!(parse_object(br#"{"x":{"a":1,"a":1}}"#).is_none());
        assert!(parse_object(br#"{"x":[{"a":1,"a":1}]}"#).is_none());
        // Escapes are decoded before comparing names.
        assert!(parse_object(br#"{"exp":1,"\u0065xp":2}"#).is_none());
    }

    #[test]
    fn rejects_non_objects_and_bad_text() {
        for bad in [
            &b"[]"[..],
            b"\"x\"",
            b"1",
            b"null",
            b"{\"a\":1} x",
            b"{\"a\":\"\xff\"}",
            br#"{"a":"\ud800"}"#,
            br#"{"a":NaN}"#,
            br#"{"a":1e400}"#,
            b"\xef\xbb\xbf{}",
            b"",
        ] {
            assert!(
                parse_object(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_object(deep.as_bytes()).is_none());
    }

    #[test]
    fn accepts_trailing_whitespace() {
        assert!(parse_object(b"{} \n").is_some());
    }
}
