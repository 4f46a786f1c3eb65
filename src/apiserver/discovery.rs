//! `/version`, health checks and discovery documents.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use crate::api::resources::discovery as docs;
use crate::api::status::ApiError;

use super::{ApiServer, Body, json_response, path_not_found};

fn to_json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    crate::api::json::to_vec(v).expect("discovery documents serialize")
}

pub fn version() -> Response<Body> {
    let minor = super::KUBERNETES_VERSION
        .trim_start_matches('v')
        .split('.')
        .nth(1)
        .unwrap_or("33")
        .to_string();
    let v = serde_json::json!({
        "major": "1",
        "minor": minor,
        "gitVersion": format!("{}+kelp.{}", super::KUBERNETES_VERSION, env!("CARGO_PKG_VERSION")),
        "gitCommit": option_env!("KELP_GIT_COMMIT").unwrap_or("unknown"),
        "gitTreeState": "clean",
        "buildDate": option_env!("KELP_BUILD_DATE").unwrap_or("1970-01-01T00:00:00Z"),
        "goVersion": "",
        "compiler": "rustc",
        "platform": format!("linux/{}", match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        }),
    });
    json_response(StatusCode::OK, serde_json::to_vec(&v).expect("serializes"))
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header("X-Content-Type-Options", "nosniff")
        .body(super::body::full(body))
        .expect("valid response")
}

/// `/healthz`, `/livez`, `/readyz` (with `?verbose`): `ping` always, `store` when the
/// store answers.
pub async fn health(
    api: &ApiServer,
    check: &str,
    query: &BTreeMap<String, String>,
) -> Result<Response<Body>, ApiError> {
    let store_ok = api.inner.registry.store().status().await.is_ok();
    let checks = [("ping", true), ("etcd", store_ok)];
    let ok = checks.iter().all(|(_, ok)| *ok);
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    if !query.contains_key("verbose") {
        return Ok(text(
            status,
            if ok {
                "ok".into()
            } else {
                format!("{check} check failed")
            },
        ));
    }
    let mut out = String::new();
    for (name, ok) in checks {
        if ok {
            out.push_str(&format!("[+]{name} ok\n"));
        } else {
            out.push_str(&format!("[-]{name} failed: reason withheld\n"));
        }
    }
    if ok {
        out.push_str(&format!("{check} check passed\n"));
    } else {
        out.push_str(&format!("{check} check failed\n"));
    }
    Ok(text(status, out))
}

/// Whether the client asked for aggregated discovery (`as=APIGroupDiscoveryList`).
fn wants_aggregated(req: &Request<Bytes>) -> bool {
    req.headers()
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next()
        .is_some_and(|first| {
            first.contains("as=APIGroupDiscoveryList")
                && first.contains("v=v2")
                && !first.contains("v=v2beta1")
        })
}

fn aggregated(api: &ApiServer, root: docs::DiscoveryRoot) -> Response<Body> {
    let table = api.inner.resources.read().expect("poisoned");
    let doc = docs::aggregated_discovery(table.resources(), root);
    Response::builder()
        .status(StatusCode::OK)
        .header(
            http::header::CONTENT_TYPE,
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
        )
        .header(http::header::VARY, "Accept")
        .body(super::body::full(to_json(&doc)))
        .expect("valid response")
}

pub fn core_versions(api: &ApiServer, req: &Request<Bytes>) -> Response<Body> {
    if wants_aggregated(req) {
        return aggregated(api, docs::DiscoveryRoot::Api);
    }
    json_response(
        StatusCode::OK,
        to_json(&docs::api_versions(&api.inner.server_address)),
    )
}

pub fn groups(api: &ApiServer, req: &Request<Bytes>) -> Response<Body> {
    if wants_aggregated(req) {
        return aggregated(api, docs::DiscoveryRoot::Apis);
    }
    let table = api.inner.resources.read().expect("poisoned");
    json_response(
        StatusCode::OK,
        to_json(&docs::api_group_list(table.resources())),
    )
}

pub fn group(api: &ApiServer, group: &str) -> Result<Response<Body>, ApiError> {
    let table = api.inner.resources.read().expect("poisoned");
    match docs::api_group(table.resources(), group) {
        Some(g) => Ok(json_response(StatusCode::OK, to_json(&g))),
        None => Err(path_not_found(
            "the server could not find the requested resource",
        )),
    }
}

pub fn group_version(
    api: &ApiServer,
    group: &str,
    version: &str,
) -> Result<Response<Body>, ApiError> {
    let table = api.inner.resources.read().expect("poisoned");
    match docs::api_resource_list(table.resources(), group, version) {
        Some(list) => Ok(json_response(StatusCode::OK, to_json(&list))),
        None => Err(path_not_found(
            "the server could not find the requested resource",
        )),
    }
}
