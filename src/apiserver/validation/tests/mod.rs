//! Table-driven tests: each case is an object, and the `field: message` lines the
//! API server must answer with (empty for a valid object).

use serde_json::{Value, json};

use super::validate;

mod affinity;
mod apps;
mod autoscaling;
mod batch;
mod cluster;
mod core;
mod defaulted;
mod limit_range;
mod networking;
mod persistent;
mod pod;
mod policy;
mod probes;
mod quota;
mod rbac;
mod security;
mod volumes;

/// Runs `validate` and renders causes as upstream's `field: message` lines.
fn lines(group: &str, kind: &str, obj: &Value, old: Option<&Value>) -> Vec<String> {
    validate(group, kind, obj, old)
        .iter()
        .map(|c| c.to_line())
        .collect()
}

/// Asserts each case's lines exactly, naming the case on failure.
fn check(group: &str, kind: &str, cases: &[(&str, Value, &[&str])]) {
    for (name, obj, want) in cases {
        assert_eq!(lines(group, kind, obj, None), *want, "case {name}");
    }
}

/// A Pod with `spec`.
fn pod(spec: Value) -> Value {
    json!({"metadata": {"name": "p"}, "spec": spec})
}

/// A Pod whose one container `a` has `container`'s fields too.
fn pod_with_container(container: Value) -> Value {
    let mut c = json!({"name": "a", "image": "x"});
    for (k, v) in container.as_object().into_iter().flatten() {
        c[k] = v.clone();
    }
    pod(json!({"containers": [c]}))
}

/// A minimal valid pod spec with one container.
fn pod_spec() -> Value {
    json!({"containers": [{"name": "app", "image": "nginx"}]})
}

#[test]
fn unknown_kinds_have_no_rules() {
    assert!(lines("example.com", "Widget", &json!({}), None).is_empty());
}

#[test]
fn name_checks_follow_upstream() {
    use super::{is_config_map_key, is_env_var_name, is_relaxed_env_var_name, is_valid_port_name};
    assert!(is_valid_port_name("http").is_empty());
    assert_eq!(
        is_valid_port_name("-8080"),
        [
            "must contain at least one letter (a-z)",
            "must not begin or end with a hyphen"
        ]
    );
    assert_eq!(
        is_valid_port_name("a--b"),
        ["must not contain consecutive hyphens"]
    );
    assert_eq!(
        is_valid_port_name("abcdefghijklmnop"),
        ["must be no more than 15 characters"]
    );
    assert!(is_config_map_key("a.b_C-1").is_empty());
    assert_eq!(is_config_map_key(".."), ["must not be '..'"]);
    assert!(is_env_var_name("MY_ENV.NAME").is_empty());
    assert_eq!(is_env_var_name("1A").len(), 1);
    assert!(is_relaxed_env_var_name("1A b").is_empty());
    assert_eq!(
        is_relaxed_env_var_name("A=B"),
        [
            "a valid environment variable name must consist only of printable ASCII characters other than '='"
        ]
    );
}
