//! Route keys (`GET /hello`, `ANY /{proxy+}`, `$default`) and matching by
//! specificity, as HTTP APIs do: literal segments beat variables, variables
//! beat a greedy `{proxy+}`, a method beats `ANY`, and `$default` is last.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Var(String),
    Greedy(String),
}

/// A parsed route key.
#[derive(Debug, Clone)]
pub struct Route {
    /// The key as configured.
    pub key: String,
    method: Option<String>,
    segs: Vec<Seg>,
    default: bool,
}

/// A match: the route index and its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// Index into the route list.
    pub index: usize,
    /// Path variables.
    pub params: BTreeMap<String, String>,
}

impl Route {
    /// Parses `METHOD /path` or `$default`.
    pub fn parse(key: &str) -> Self {
        if key == "$default" {
            return Self {
                key: key.into(),
                method: None,
                segs: Vec::new(),
                default: true,
            };
        }
        let (method, path) = key.split_once(' ').unwrap_or(("ANY", key));
        let segs = path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(v) if v.ends_with('+') => Seg::Greedy(v.trim_end_matches('+').to_owned()),
                    Some(v) => Seg::Var(v.to_owned()),
                    None => Seg::Lit(s.to_owned()),
                },
            )
            .collect();
        let method = (method != "ANY").then(|| method.to_ascii_uppercase());
        Self {
            key: key.into(),
            method,
            segs,
            default: false,
        }
    }

    fn matches(&self, method: &str, path: &[&str]) -> Option<BTreeMap<String, String>> {
        if self.default {
            return Some(BTreeMap::new());
        }
        if self.method.as_deref().is_some_and(|m| m != method) {
            return None;
        }
        let mut params = BTreeMap::new();
        for (i, seg) in self.segs.iter().enumerate() {
            match seg {
                Seg::Greedy(name) => {
                    if i > path.len() {
                        return None;
                    }
                    params.insert(name.clone(), path[i..].join("/"));
                    return Some(params);
                }
                Seg::Lit(l) => {
                    if path.get(i) != Some(&l.as_str()) {
                        return None;
                    }
                }
                Seg::Var(name) => {
                    params.insert(name.clone(), (*path.get(i)?).to_owned());
                }
            }
        }
        (path.len() == self.segs.len()).then_some(params)
    }

    fn specificity(&self) -> (bool, usize, bool, bool) {
        let lits = self
            .segs
            .iter()
            .filter(|s| matches!(s, Seg::Lit(_)))
            .count();
        let greedy = self.segs.iter().any(|s| matches!(s, Seg::Greedy(_)));
        (!self.default, lits, !greedy, self.method.is_some())
    }
}

/// The most specific route for `method` and `path` (without the stage).
pub fn best(routes: &[Route], method: &str, path: &str) -> Option<Matched> {
    let parts: Vec<&str> = path
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    routes
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.matches(method, &parts).map(|p| (r.specificity(), i, p)))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .map(|(_, index, params)| Matched { index, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Vec<Route> {
        [
            "GET /hello",
            "ANY /{proxy+}",
            "$default",
            "GET /pets/{id}",
            "POST /pets/{id}",
        ]
        .iter()
        .map(|k| Route::parse(k))
        .collect()
    }

    #[test]
    fn most_specific_wins() {
        let r = routes();
        assert_eq!(best(&r, "GET", "/hello").map(|m| m.index), Some(0));
        assert_eq!(best(&r, "POST", "/hello").map(|m| m.index), Some(1));
        let m = best(&r, "GET", "/pets/7").expect("match");
        assert_eq!((m.index, m.params["id"].as_str()), (3, "7"));
        assert_eq!(best(&r, "POST", "/pets/7").map(|m| m.index), Some(4));
        let m = best(&r, "DELETE", "/a/b/c").expect("match");
        assert_eq!((m.index, m.params["proxy"].as_str()), (1, "a/b/c"));
    }

    #[test]
    fn default_catches_the_rest() {
        let r = vec![Route::parse("GET /hello"), Route::parse("$default")];
        assert_eq!(best(&r, "GET", "/other").map(|m| m.index), Some(1));
        let only = vec![Route::parse("GET /hello")];
        assert_eq!(best(&only, "GET", "/other"), None);
    }
}
