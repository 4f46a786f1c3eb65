//! Service-account tokens, as kube-apiserver issues and checks them: `TokenRequest`
//! (`POST …/serviceaccounts/NAME/token`, what `kubectl create token` sends), the
//! authenticator for the JWTs it issues, and the issuer's OIDC discovery documents
//! (`/.well-known/openid-configuration`, `/openid/v1/jwks`).
//!
//! A token is valid while it has not expired, its issuer is kelp's, one of its
//! audiences is the API server's, the service account it names still exists with the
//! same uid, and the object it is bound to (a Pod, a Secret or a Node), if any, still
//! exists with the same uid.

use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::api::status::{ApiError, Cause};
use crate::api::{GroupKind, ResourceInfo};
use crate::pki::{Identity, VerifyError};

use super::{ApiServer, Body, json_response};

/// The issuer (`iss`) of kelp's tokens, and the audience the API server accepts when
/// a request names none: k3s's and kubeadm's default.
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
const DEFAULT_EXPIRATION: i64 = 3600;
/// Upstream refuses shorter tokens.
const MIN_EXPIRATION: i64 = 600;
/// Upstream refuses `expirationSeconds` of 2^32 and more.
const MAX_EXPIRATION: i64 = 1 << 32;
/// Clock skew allowed on `nbf` and `exp`, as upstream's validator.
const LEEWAY: i64 = 60;

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn rfc3339(unix: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

fn invalid(name: &str, causes: Vec<Cause>) -> ApiError {
    ApiError::invalid(
        &GroupKind::new("authentication.k8s.io", "TokenRequest"),
        name,
        causes,
    )
}

fn info(api: &ApiServer, plural: &str) -> ResourceInfo {
    api.inner
        .resources
        .read()
        .expect("poisoned")
        .get("", "v1", plural)
        .cloned()
        .expect("a built-in resource")
}

/// Answers a TokenRequest for service account `name` in `namespace`; `body` is the
/// decoded request.
pub async fn token_request(
    api: &ApiServer,
    namespace: &str,
    name: &str,
    body: &Value,
    dry_run: bool,
) -> Result<Response<Body>, ApiError> {
    let Some(key) = api.service_account_key() else {
        return Err(ApiError::method_not_supported(
            &crate::api::GroupResource::new("", "serviceaccounts/token"),
            "create",
        )
        .with_message("service-account tokens are not configured on this server"));
    };
    let spec = &body["spec"];
    let mut causes = Vec::new();
    let expiration = match &spec["expirationSeconds"] {
        Value::Null => DEFAULT_EXPIRATION,
        v => match v.as_i64() {
            Some(s) if s < MIN_EXPIRATION => {
                causes.push(Cause::invalid(
                    "spec.expirationSeconds",
                    s,
                    "may not specify a duration less than 10 minutes",
                ));
                s
            }
            Some(s) if s >= MAX_EXPIRATION => {
                causes.push(Cause::invalid(
                    "spec.expirationSeconds",
                    s,
                    "may not specify a duration larger than 2^32 seconds",
                ));
                s
            }
            Some(s) => s,
            None => {
                return Err(ApiError::bad_request(
                    "spec.expirationSeconds must be an integer",
                ));
            }
        },
    };
    let audiences: Vec<String> = match &spec["audiences"] {
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect(),
        _ => vec![ISSUER.to_string()],
    };
    let bound = &spec["boundObjectRef"];
    let bound_kind = bound["kind"].as_str().unwrap_or("");
    if !bound.is_null() {
        if !matches!(bound_kind, "Pod" | "Secret" | "Node") {
            causes.push(Cause::not_supported(
                "spec.boundObjectRef.kind",
                bound_kind,
                &["Pod", "Secret", "Node"],
            ));
        }
        if !matches!(bound["apiVersion"].as_str(), None | Some("") | Some("v1")) {
            causes.push(Cause::not_supported(
                "spec.boundObjectRef.apiVersion",
                bound["apiVersion"].as_str().unwrap_or(""),
                &["v1"],
            ));
        }
        if bound["name"].as_str().unwrap_or("").is_empty() {
            causes.push(Cause::required("spec.boundObjectRef.name", ""));
        }
    }
    if !causes.is_empty() {
        return Err(invalid(name, causes));
    }

    let sa = api
        .inner
        .registry
        .get(&info(api, "serviceaccounts"), Some(namespace), name)
        .await?;
    let mut k8s = json!({
        "namespace": namespace,
        "serviceaccount": {"name": name, "uid": sa["metadata"]["uid"]},
    });
    if !bound.is_null() {
        let (plural, ns) = match bound_kind {
            "Pod" => ("pods", Some(namespace)),
            "Secret" => ("secrets", Some(namespace)),
            _ => ("nodes", None),
        };
        let bound_name = bound["name"].as_str().unwrap_or("");
        let obj = api
            .inner
            .registry
            .get(&info(api, plural), ns, bound_name)
            .await?;
        let uid = obj["metadata"]["uid"].clone();
        if let Some(want) = bound["uid"].as_str().filter(|u| !u.is_empty())
            && uid != want
        {
            return Err(ApiError::conflict(
                &crate::api::GroupResource::new("", plural),
                bound_name,
                &format!(
                    "the UID in the bound object reference ({want}) does not match the UID in record. The object might have been deleted and then recreated"
                ),
            ));
        }
        k8s[bound_kind.to_lowercase()] = json!({"name": bound_name, "uid": uid});
    }
    let now = unix_now();
    let exp = now + expiration;
    let claims = json!({
        "aud": audiences,
        "exp": exp,
        "iat": now,
        "iss": ISSUER,
        "jti": uuid::Uuid::new_v4().to_string(),
        "kubernetes.io": k8s,
        "nbf": now,
        "sub": format!("system:serviceaccount:{namespace}:{name}"),
    });
    let token = if dry_run {
        String::new()
    } else {
        key.sign(&claims)
    };
    let mut out_spec = json!({"audiences": audiences, "expirationSeconds": expiration});
    out_spec["boundObjectRef"] = bound.clone();
    let out = json!({
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": null},
        "spec": out_spec,
        "status": {"token": token, "expirationTimestamp": rfc3339(exp)},
    });
    Ok(json_response(
        StatusCode::CREATED,
        crate::api::json::to_vec(&out).expect("JSON"),
    ))
}

/// The identity a bearer token proves, `None` if it is not a token this server
/// issued; `Some(Err(reason))` if it is one but no longer valid.
pub async fn authenticate(api: &ApiServer, token: &str) -> Option<Result<Identity, String>> {
    let key = api.service_account_key()?;
    let claims = match key.verify(token) {
        Ok(c) => c,
        Err(VerifyError::NotOurs) => return None,
        Err(VerifyError::Invalid(reason)) => return Some(Err(reason)),
    };
    Some(check_claims(api, &claims).await)
}

async fn check_claims(api: &ApiServer, claims: &Value) -> Result<Identity, String> {
    if claims["iss"] != ISSUER {
        return Err("token issuer is not this server".into());
    }
    let audiences: Vec<&str> = match &claims["aud"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !audiences.contains(&ISSUER) {
        return Err("token audiences do not include the API server".into());
    }
    let now = unix_now();
    match claims["exp"].as_i64() {
        Some(exp) if now <= exp + LEEWAY => {}
        _ => return Err("token has expired".into()),
    }
    if claims["nbf"].as_i64().is_some_and(|nbf| now + LEEWAY < nbf) {
        return Err("token is not valid yet".into());
    }
    let k8s = &claims["kubernetes.io"];
    let ns = k8s["namespace"].as_str().unwrap_or("");
    let sa_name = k8s["serviceaccount"]["name"].as_str().unwrap_or("");
    if claims["sub"] != format!("system:serviceaccount:{ns}:{sa_name}").as_str() || ns.is_empty() {
        return Err("token subject does not name its service account".into());
    }
    still_exists(api, "serviceaccounts", Some(ns), &k8s["serviceaccount"]).await?;
    for (field, plural, namespaced) in [
        ("pod", "pods", true),
        ("secret", "secrets", true),
        ("node", "nodes", false),
    ] {
        if k8s[field].is_object() {
            still_exists(api, plural, namespaced.then_some(ns), &k8s[field]).await?;
        }
    }
    Ok(Identity {
        user: format!("system:serviceaccount:{ns}:{sa_name}"),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{ns}"),
        ],
    })
}

/// Whether the object `reference` names (`{"name","uid"}`) still exists with that uid.
async fn still_exists(
    api: &ApiServer,
    plural: &str,
    namespace: Option<&str>,
    reference: &Value,
) -> Result<(), String> {
    let name = reference["name"].as_str().unwrap_or("");
    match api
        .inner
        .registry
        .get(&info(api, plural), namespace, name)
        .await
    {
        Ok(o) if o["metadata"]["uid"] == reference["uid"] => Ok(()),
        Ok(_) => Err(format!(
            "{plural} {name} was deleted and created again (its uid differs)"
        )),
        Err(_) => Err(format!("{plural} {name} not found")),
    }
}

/// `/.well-known/openid-configuration`.
pub fn openid_configuration(api: &ApiServer) -> Result<Response<Body>, ApiError> {
    api.service_account_key()
        .ok_or_else(|| super::path_not_found("the server could not find the requested resource"))?;
    let doc = json!({
        "issuer": ISSUER,
        "jwks_uri": format!("https://{}/openid/v1/jwks", api.inner.server_address),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    });
    Ok(json_response(
        StatusCode::OK,
        serde_json::to_vec(&doc).expect("JSON"),
    ))
}

/// `/openid/v1/jwks`.
pub fn jwks(api: &ApiServer) -> Result<Response<Body>, ApiError> {
    let key = api
        .service_account_key()
        .ok_or_else(|| super::path_not_found("the server could not find the requested resource"))?;
    let mut bytes = serde_json::to_vec(&key.jwks()).expect("JSON");
    bytes.push(b'\n');
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/jwk-set+json")
        .body(super::body::full(bytes))
        .expect("valid response"))
}
