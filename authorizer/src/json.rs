//! Strict JSON for JOSE headers and JWT claims: UTF-8, one top-level object,
//! no duplicate member names at any depth (RFC 7515 §4, RFC 7519 §4 allow
//! "reject" and we choose it: a duplicate `exp` or `alg` is how parsers that
//! keep the first and parsers that keep the last are played against each
//! other). serde_json already rejects invalid UTF-8, lone surrogates,
//! trailing garbage, `NaN`/`Infinity`, out-of-range numbers and nesting
//! deeper than 128 levels.
//!
//! Two readers with the same strictness: [`parse_shallow`] for the request
//! path (a token's header and claims) borrows names and strings from the
//! input and keeps only the top level's scalars and string arrays — nested
//! values are walked for duplicates and dropped, so a typical token costs one
//! allocation; [`parse_object_explained`] builds owned values for
//! configuration (JWKS documents) and says what was wrong.

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

/// A JSON object parsed strictly.
pub(crate) type Object = Map<String, Value>;

/// One top-level member's value, borrowed from the input where it has no
/// escapes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Member<'a> {
    Str(Cow<'a, str>),
    Num(Number),
    Bool(bool),
    Null,
    /// An array; its items when every one is a string, `None` otherwise.
    Array(Option<Vec<Cow<'a, str>>>),
    /// An object (checked for duplicates, content dropped).
    Object,
}

impl Member<'_> {
    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Member::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// A strictly parsed object's top level, members in document order.
#[derive(Debug)]
pub(crate) struct Shallow<'a> {
    members: Vec<(Cow<'a, str>, Member<'a>)>,
}

impl<'a> Shallow<'a> {
    /// The member named `name` (names are unique, so there is at most one).
    pub(crate) fn get(&self, name: &str) -> Option<&Member<'a>> {
        self.members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Whether a member named `name` is present.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// Parses `bytes` as a JSON object with no duplicate member names anywhere,
/// keeping its top level. `None` for anything else; the caller maps that to
/// its own reason.
pub(crate) fn parse_shallow(bytes: &[u8]) -> Option<Shallow<'_>> {
    serde_json::from_slice::<Shallow<'_>>(bytes).ok()
}

/// Like [`parse_shallow`], with owned values at every depth (the tests' and
/// configuration's reader).
#[cfg(test)]
pub(crate) fn parse_object(bytes: &[u8]) -> Option<Object> {
    parse_object_explained(bytes).ok()
}

/// Parses `bytes` strictly into owned values, with the reason on failure (the
/// duplicated member's name, or serde_json's message with line and column).
/// For configuration only: a token's content must never reach a message.
pub(crate) fn parse_object_explained(bytes: &[u8]) -> Result<Object, JsonError> {
    match serde_json::from_slice::<StrictValue>(bytes) {
        Ok(StrictValue(Value::Object(map))) => Ok(map),
        Ok(_) => Err(JsonError::NotAnObject),
        Err(e) => Err(JsonError::Syntax(e)),
    }
}

/// Why a configuration document is not a strict JSON object.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JsonError {
    /// Valid JSON, but an array, string, number or literal.
    #[error("not a JSON object")]
    NotAnObject,
    /// serde_json's message (line and column), or the duplicated member.
    #[error("{0}")]
    Syntax(#[source] serde_json::Error),
}

/// Whether `names` holds a name twice: pairwise for the few members a token
/// has, sorted beyond that so a header of thousands of members (parsed before
/// any signature is checked) costs O(n log n), not O(n²).
fn has_duplicates<T>(items: &[T], name: fn(&T) -> &str) -> bool {
    const PAIRWISE_UP_TO: usize = 16;
    if items.len() <= PAIRWISE_UP_TO {
        return items
            .iter()
            .enumerate()
            .any(|(i, a)| items[..i].iter().any(|b| name(a) == name(b)));
    }
    let mut sorted: Vec<&str> = items.iter().map(name).collect();
    sorted.sort_unstable();
    sorted.windows(2).any(|w| w[0] == w[1])
}

/// A member name or string, borrowed when serde_json can hand out a slice of
/// the input (no escapes), owned otherwise.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v)))
    }
}

impl<'de> Deserialize<'de> for Shallow<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShallowVisitor)
    }
}

struct ShallowVisitor;

impl<'de> Visitor<'de> for ShallowVisitor {
    type Value = Shallow<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shallow<'de>, A::Error> {
        let mut members = Vec::with_capacity(8);
        while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
            let value = map.next_value_seed(MemberSeed)?;
            members.push((name, value));
        }
        if has_duplicates(&members, |(name, _)| name) {
            return Err(de::Error::custom("duplicate member"));
        }
        Ok(Shallow { members })
    }
}

struct MemberSeed;

impl<'de> DeserializeSeed<'de> for MemberSeed {
    type Value = Member<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Member<'de>, D::Error> {
        d.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Member<'de>, E> {
        Ok(Member::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Member<'de>, E> {
        Ok(Member::Num(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Member<'de>, E> {
        Ok(Member::Num(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Member<'de>, E> {
        Number::from_f64(v)
            .map(Member::Num)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Member<'de>, E> {
        Ok(Member::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Member<'de>, A::Error> {
        let mut strings = Some(Vec::new());
        while let Some(item) = seq.next_element_seed(MemberSeed)? {
            match (item, &mut strings) {
                (Member::Str(s), Some(list)) => list.push(s),
                _ => strings = None,
            }
        }
        Ok(Member::Array(strings))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Member<'de>, A::Error> {
        Checked.visit_map(map).map(|()| Member::Object)
    }
}

/// Walks a nested value for duplicate names and keeps nothing.
struct Checked;

impl<'de> DeserializeSeed<'de> for Checked {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Checked)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(E::custom("non-finite number"))
        }
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Checked)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut names: Vec<Text<'de>> = Vec::new();
        while let Some(name) = map.next_key::<Text<'de>>()? {
            map.next_value_seed(Checked)?;
            names.push(name);
        }
        if has_duplicates(&names, |t| &t.0) {
            return Err(de::Error::custom("duplicate member"));
        }
        Ok(())
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

    /// Both readers, so their strictness cannot drift apart.
    fn accepted(bytes: &[u8]) -> [bool; 2] {
        [
            parse_shallow(bytes).is_some(),
            parse_object(bytes).is_some(),
        ]
    }

    #[test]
    fn accepts_plain_object() {
        let text = br#"{"a":1,"b":[1,{"c":null}],"d":"x","e":["p","q"],"f":{"g":[]},"h":true}"#;
        let o = parse_object(text).expect("object");
        assert_eq!(o.len(), 6);
        let s = parse_shallow(text).expect("object");
        assert_eq!(s.get("a"), Some(&Member::Num(1.into())));
        assert_eq!(s.get("b"), Some(&Member::Array(None)));
        assert_eq!(s.get("d").and_then(Member::as_str), Some("x"));
        assert_eq!(
            s.get("e"),
            Some(&Member::Array(Some(vec!["p".into(), "q".into()])))
        );
        assert_eq!(s.get("f"), Some(&Member::Object));
        assert_eq!(s.get("h"), Some(&Member::Bool(true)));
        assert!(!s.contains("c"), "nested members are not top-level");
    }

    #[test]
    fn borrows_plain_strings_and_decodes_escapes() {
        let s = parse_shallow(br#"{"plain":"abc","esc":"a\u0062c\n"}"#).expect("object");
        assert!(matches!(
            s.get("plain"),
            Some(Member::Str(Cow::Borrowed("abc")))
        ));
        assert_eq!(s.get("esc").and_then(Member::as_str), Some("abc\n"));
    }

    #[test]
    fn rejects_duplicates_at_any_depth() {
        for dup in [
            &br#"{"a":1,"a":2}"#[..],
            br#"{"x":{"a":1,"a":1}}"#,
            br#"{"x":[{"a":1,"a":1}]}"#,
            br#"{"x":[[{"a":{"b":1,"b":1}}]]}"#,
            // Escapes are decoded before comparing names.
            br#"{"exp":1,"\u0065xp":2}"#,
            br#"{"x":{"k":1,"\u006b":2}}"#,
        ] {
            assert_eq!(
                accepted(dup),
                [false, false],
                "{}",
                String::from_utf8_lossy(dup)
            );
        }
    }

    #[test]
    fn finds_a_duplicate_among_many_members() {
        // Past the pairwise limit the names are sorted: still found, at
        // either end and in a nested object.
        let many: Vec<String> = (0..5000).map(|i| format!(r#""m{i}":{i}"#)).collect();
        let unique = format!("{{{}}}", many.join(","));
        assert_eq!(accepted(unique.as_bytes()), [true, true]);
        let first_last = format!(r#"{{{},"m0":1}}"#, many.join(","));
        assert_eq!(accepted(first_last.as_bytes()), [false, false]);
        let nested = format!(r#"{{"x":{{{},"m4999":1}}}}"#, many.join(","));
        assert_eq!(accepted(nested.as_bytes()), [false, false]);
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
            br#"{"a":[1e400]}"#,
            br#"{"a":{"b":-1e400}}"#,
            b"\xef\xbb\xbf{}",
            b"",
        ] {
            assert_eq!(
                accepted(bad),
                [false, false],
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(accepted(deep.as_bytes()), [false, false]);
        let deep_objects = format!("{{{}{}}}", "\"a\":{".repeat(200), "}".repeat(200));
        assert_eq!(accepted(deep_objects.as_bytes()), [false, false]);
    }

    #[test]
    fn accepts_trailing_whitespace() {
        assert_eq!(accepted(b"{} \n"), [true, true]);
    }
}
