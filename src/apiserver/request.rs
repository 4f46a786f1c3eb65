//! What a request asks for, read off its method, path and query — the equivalent of
//! upstream's `RequestInfo`. Pure: no lookups, so it is unit-tested on its own.

use std::collections::BTreeMap;

/// The API verb, as authorization and audit see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }

    pub fn is_mutating(self) -> bool {
        !matches!(self, Verb::Get | Verb::List | Verb::Watch)
    }
}

/// A request for a resource (`/api/v1/...` or `/apis/G/V/...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRequest {
    pub verb: Verb,
    /// Empty for the core group.
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub resource: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// Anything else the API server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Resource(ResourceRequest),
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/api/v1` or `/apis/G/V`
    GroupVersion {
        group: String,
        version: String,
    },
    /// `/apis/G`
    Group {
        group: String,
    },
    Version,
    Health(&'static str, bool),
    OpenApiV2,
    OpenApiV3(Option<String>),
    Metrics,
    /// `/.well-known/openid-configuration`
    OpenIdConfiguration,
    /// `/openid/v1/jwks`
    Jwks,
    NotFound,
}

fn decode(seg: &str) -> String {
    percent_decode(seg)
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A boolean query parameter as upstream converts it: absent is `None`; `0` and
/// `false` (any case) are false; anything else, even empty, is true.
pub fn query_bool(query: &BTreeMap<String, String>, name: &str) -> Option<bool> {
    query.get(name).map(|v| bool_value(v))
}

/// [`query_bool`]'s reading of one value.
pub fn bool_value(v: &str) -> bool {
    !(v == "0" || v.eq_ignore_ascii_case("false"))
}

/// Parses the query string into a map; a repeated key keeps its first value, as Go's
/// `url.Values.Get` does.
pub fn parse_query(query: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(&k.replace('+', " "));
        let v = percent_decode(&v.replace('+', " "));
        out.entry(k).or_insert(v);
    }
    out
}

/// Parses a duration as Go's `time.ParseDuration` does (`300ms`, `1.5h`, `-2m3s`, `0`),
/// in nanoseconds, with Go's error text: the `?timeout=` of a request is read this way.
pub fn go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let (neg, mut s) = match orig.as_bytes().first() {
        Some(b'-') => (true, &orig[1..]),
        Some(b'+') => (false, &orig[1..]),
        _ => (false, orig),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: i128 = 0;
    while !s.is_empty() {
        let digits = |t: &str| t.bytes().take_while(u8::is_ascii_digit).count();
        if !(s.starts_with('.') || s.as_bytes()[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let n = digits(s);
        let whole: i128 = if n == 0 {
            0
        } else {
            s[..n]
                .parse::<i128>()
                .ok()
                .filter(|v| *v <= i64::MAX as i128)
                .ok_or_else(invalid)?
        };
        s = &s[n..];
        let mut frac = "";
        if let Some(rest) = s.strip_prefix('.') {
            let f = digits(rest);
            frac = &rest[..f];
            s = &rest[f..];
        }
        if n == 0 && frac.is_empty() {
            return Err(invalid());
        }
        let u = s
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if u == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let unit: i128 = match &s[..u] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            other => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(other),
                    go_quote(orig)
                ));
            }
        };
        s = &s[u..];
        let mut part = whole.checked_mul(unit).ok_or_else(invalid)?;
        if !frac.is_empty() {
            // digits past nanosecond precision do not matter
            let f: f64 = format!("0.{}", &frac[..frac.len().min(30)])
                .parse()
                .unwrap_or(0.0);
            part += (f * unit as f64) as i128;
        }
        total += part;
        if total > i64::MAX as i128 + i128::from(neg) {
            return Err(invalid());
        }
    }
    Ok(if neg { (-total) as i64 } else { total as i64 })
}

/// Go's `time` package quoting of a string in an error: double quotes, `"` and `\`
/// escaped, bytes of non-ASCII or control characters as `\xNN`.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if !c.is_ascii() || (c as u32) < 0x20 {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// Reads the target of a request. `watch` is the `watch` query parameter.
pub fn parse(method: &http::Method, path: &str, watch: bool) -> Target {
    let segs: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["version"] => return Target::Version,
        ["healthz"] => return Target::Health("healthz", false),
        ["livez"] => return Target::Health("livez", false),
        ["readyz"] => return Target::Health("readyz", false),
        ["healthz" | "livez" | "readyz", ..] => {
            return Target::Health(
                match s[0] {
                    "healthz" => "healthz",
                    "livez" => "livez",
                    _ => "readyz",
                },
                true,
            );
        }
        ["metrics"] => return Target::Metrics,
        [".well-known", "openid-configuration"] => return Target::OpenIdConfiguration,
        ["openid", "v1", "jwks"] => return Target::Jwks,
        ["openapi", "v2"] => return Target::OpenApiV2,
        ["openapi", "v3"] => return Target::OpenApiV3(None),
        ["openapi", "v3", rest @ ..] => return Target::OpenApiV3(Some(rest.join("/"))),
        ["api"] => return Target::CoreVersions,
        ["apis"] => return Target::Groups,
        ["api", v] => {
            return Target::GroupVersion {
                group: String::new(),
                version: v.to_string(),
            };
        }
        ["apis", g] => {
            return Target::Group {
                group: g.to_string(),
            };
        }
        ["apis", g, v] => {
            return Target::GroupVersion {
                group: g.to_string(),
                version: v.to_string(),
            };
        }
        _ => {}
    }
    let (group, version, rest) = match s.as_slice() {
        ["api", v, rest @ ..] => (String::new(), v.to_string(), rest),
        ["apis", g, v, rest @ ..] => (g.to_string(), v.to_string(), rest),
        _ => return Target::NotFound,
    };
    // namespaces/{ns}/{resource}... but `namespaces` and `namespaces/{name}[/sub]`
    // are the namespace resource itself
    let (namespace, rest): (Option<String>, &[&str]) = match rest {
        ["namespaces", ns, resource, tail @ ..]
            if !(tail.is_empty() && is_namespace_sub(resource)) =>
        {
            (Some(ns.to_string()), &rest[2..])
        }
        _ => (None, rest),
    };
    let (resource, name, subresource) = match rest {
        [r] => (r.to_string(), None, None),
        [r, n] => (r.to_string(), Some(n.to_string()), None),
        [r, n, sub] => (r.to_string(), Some(n.to_string()), Some(sub.to_string())),
        // pods/{name}/proxy/{path...} and the like
        [r, n, sub, ..] => (r.to_string(), Some(n.to_string()), Some(sub.to_string())),
        _ => return Target::NotFound,
    };
    let verb = match (method.as_str(), &name, watch) {
        ("GET" | "HEAD", None, true) => Verb::Watch,
        ("GET" | "HEAD", None, false) => Verb::List,
        ("GET" | "HEAD", Some(_), true) => Verb::Watch,
        ("GET" | "HEAD", Some(_), false) => Verb::Get,
        ("POST", _, _) => Verb::Create,
        ("PUT", _, _) => Verb::Update,
        ("PATCH", _, _) => Verb::Patch,
        ("DELETE", None, _) => Verb::DeleteCollection,
        ("DELETE", Some(_), _) => Verb::Delete,
        _ => return Target::NotFound,
    };
    Target::Resource(ResourceRequest {
        verb,
        group,
        version,
        namespace,
        resource,
        name,
        subresource,
    })
}

/// `namespaces/{name}/status` and `namespaces/{name}/finalize` address the namespace.
fn is_namespace_sub(s: &str) -> bool {
    matches!(s, "status" | "finalize")
}

#[cfg(test)]
mod tests {
    #[test]
    fn go_durations() {
        let ok = |s: &str| go_duration(s).unwrap();
        assert_eq!(ok("0"), 0);
        assert_eq!(ok("-0"), 0);
        assert_eq!(ok("1s"), 1_000_000_000);
        assert_eq!(ok("+5m"), 300_000_000_000);
        assert_eq!(ok("1.5h"), 5_400_000_000_000);
        assert_eq!(ok("1h2m3s4ms5us6ns"), 3_723_004_005_006);
        assert_eq!(ok("-2m3s"), -123_000_000_000);
        assert_eq!(ok(".5s"), 500_000_000);
        assert_eq!(ok("1.s"), 1_000_000_000);
        assert_eq!(ok("3\u{b5}s"), 3_000);
        assert_eq!(ok("3\u{3bc}s"), 3_000);
        let err = |s: &str| go_duration(s).unwrap_err();
        assert_eq!(err(""), r#"time: invalid duration """#);
        assert_eq!(err("bogus"), r#"time: invalid duration "bogus""#);
        assert_eq!(err("1"), r#"time: missing unit in duration "1""#);
        assert_eq!(err("1x"), r#"time: unknown unit "x" in duration "1x""#);
        assert_eq!(
            err("1sec"),
            r#"time: unknown unit "sec" in duration "1sec""#
        );
        assert_eq!(err(".s"), r#"time: invalid duration ".s""#);
        assert_eq!(err("1s "), r#"time: unknown unit "s " in duration "1s ""#);
        assert_eq!(
            err("9999999999h"),
            r#"time: invalid duration "9999999999h""#
        );
        assert_eq!(
            err("1\"s"),
            r#"time: unknown unit "\"s" in duration "1\"s""#
        );
        assert_eq!(
            err("1\u{e9}"),
            r#"time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9""#
        );
    }

    use super::*;
    use http::Method;

    fn res(
        verb: Verb,
        group: &str,
        ns: Option<&str>,
        resource: &str,
        name: Option<&str>,
        sub: Option<&str>,
    ) -> Target {
        Target::Resource(ResourceRequest {
            verb,
            group: group.into(),
            version: "v1".into(),
            namespace: ns.map(Into::into),
            resource: resource.into(),
            name: name.map(Into::into),
            subresource: sub.map(Into::into),
        })
    }

    #[test]
    fn paths() {
        let get = Method::GET;
        let cases: Vec<(Method, &str, bool, Target)> = vec![
            (get.clone(), "/api", false, Target::CoreVersions),
            (get.clone(), "/apis", false, Target::Groups),
            (
                get.clone(),
                "/api/v1",
                false,
                Target::GroupVersion {
                    group: "".into(),
                    version: "v1".into(),
                },
            ),
            (
                get.clone(),
                "/apis/apps/v1",
                false,
                Target::GroupVersion {
                    group: "apps".into(),
                    version: "v1".into(),
                },
            ),
            (get.clone(), "/version", false, Target::Version),
            (
                get.clone(),
                "/readyz",
                false,
                Target::Health("readyz", false),
            ),
            (
                get.clone(),
                "/api/v1/pods",
                false,
                res(Verb::List, "", None, "pods", None, None),
            ),
            (
                get.clone(),
                "/api/v1/pods",
                true,
                res(Verb::Watch, "", None, "pods", None, None),
            ),
            (
                get.clone(),
                "/api/v1/namespaces",
                false,
                res(Verb::List, "", None, "namespaces", None, None),
            ),
            (
                get.clone(),
                "/api/v1/namespaces/default",
                false,
                res(Verb::Get, "", None, "namespaces", Some("default"), None),
            ),
            (
                Method::PUT,
                "/api/v1/namespaces/x/finalize",
                false,
                res(
                    Verb::Update,
                    "",
                    None,
                    "namespaces",
                    Some("x"),
                    Some("finalize"),
                ),
            ),
            (
                get.clone(),
                "/api/v1/namespaces/default/pods",
                false,
                res(Verb::List, "", Some("default"), "pods", None, None),
            ),
            (
                get.clone(),
                "/api/v1/namespaces/default/pods/p",
                false,
                res(Verb::Get, "", Some("default"), "pods", Some("p"), None),
            ),
            (
                Method::POST,
                "/api/v1/namespaces/default/pods",
                false,
                res(Verb::Create, "", Some("default"), "pods", None, None),
            ),
            (
                Method::PUT,
                "/api/v1/namespaces/default/pods/p/status",
                false,
                res(
                    Verb::Update,
                    "",
                    Some("default"),
                    "pods",
                    Some("p"),
                    Some("status"),
                ),
            ),
            (
                Method::DELETE,
                "/api/v1/namespaces/default/configmaps",
                false,
                res(
                    Verb::DeleteCollection,
                    "",
                    Some("default"),
                    "configmaps",
                    None,
                    None,
                ),
            ),
            (
                Method::PATCH,
                "/apis/apps/v1/namespaces/d/deployments/x/scale",
                false,
                res(
                    Verb::Patch,
                    "apps",
                    Some("d"),
                    "deployments",
                    Some("x"),
                    Some("scale"),
                ),
            ),
            (
                get.clone(),
                "/api/v1/namespaces/d/pods/p/proxy/a/b",
                false,
                res(Verb::Get, "", Some("d"), "pods", Some("p"), Some("proxy")),
            ),
            (
                get.clone(),
                "/api/v1/namespaces/d/configmaps/a%3Ab",
                false,
                res(Verb::Get, "", Some("d"), "configmaps", Some("a:b"), None),
            ),
            (get.clone(), "/nope", false, Target::NotFound),
        ];
        for (m, p, w, want) in cases {
            assert_eq!(parse(&m, p, w), want, "{m} {p}");
        }
    }

    #[test]
    fn query() {
        let q = parse_query(Some("labelSelector=a%3Db%2Cc&limit=5&limit=6&watch"));
        assert_eq!(q["labelSelector"], "a=b,c");
        assert_eq!(q["limit"], "5");
        assert_eq!(q["watch"], "");
    }
}
