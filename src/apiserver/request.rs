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
