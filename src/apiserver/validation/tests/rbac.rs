use serde_json::{Value, json};

use super::{check, lines};

const G: &str = "rbac.authorization.k8s.io";

fn rules(rules: Value) -> Value {
    json!({"metadata": {"name": "r"}, "rules": rules})
}

#[test]
fn role_rules() {
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            rules(
                json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"],
                          "resourceNames": ["a"]}]),
            ),
            &[],
        ),
        ("no rules", rules(json!(null)), &[]),
        (
            "empty rule",
            rules(json!([{}])),
            &[
                "rules[0].verbs: Required value: verbs must contain at least one value",
                "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
                "rules[0].resources: Required value: resource rules must supply at least one resource",
            ],
        ),
        (
            "non-resource URLs in a namespaced rule",
            rules(
                json!([{"verbs": ["get"], "nonResourceURLs": ["/healthz"], "resources": ["pods"]}]),
            ),
            &[
                "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs",
                "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\"}: rules cannot apply to both regular resources and non-resource URLs",
            ],
        ),
    ];
    check(G, "Role", cases);
}

#[test]
fn cluster_role_rules() {
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "non-resource URLs",
            rules(json!([{"verbs": ["get"], "nonResourceURLs": ["/healthz", "/version"]}])),
            &[],
        ),
        (
            "mixed",
            rules(json!([{"verbs": ["get"], "nonResourceURLs": ["/x"], "apiGroups": [""]}])),
            &[
                "rules[0].nonResourceURLs: Invalid value: []string{\"/x\"}: rules cannot apply to both regular resources and non-resource URLs",
            ],
        ),
        (
            "aggregation",
            json!({"metadata": {"name": "a"}, "aggregationRule": {"clusterRoleSelectors": [
                {"matchLabels": {"rbac.example.com/aggregate": "true"}}]}}),
            &[],
        ),
        (
            "aggregation without selectors",
            json!({"metadata": {"name": "a"}, "aggregationRule": {}}),
            &[
                "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil",
            ],
        ),
        (
            "aggregation with a bad selector",
            json!({"metadata": {"name": "a"}, "aggregationRule": {"clusterRoleSelectors": [
                {"matchExpressions": [{"key": "k", "operator": "In"}]}]}}),
            &[
                "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "aggregationRule.clusterRoleSelectors[0]: Invalid value: null: invalid label selector.",
            ],
        ),
    ];
    check(G, "ClusterRole", cases);
}

fn binding(kind: &str, name: &str, subjects: Value) -> Value {
    json!({"metadata": {"name": "b"},
        "roleRef": {"apiGroup": G, "kind": kind, "name": name},
        "subjects": subjects})
}

#[test]
fn role_binding_rules() {
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            binding(
                "Role",
                "reader",
                json!([
                    {"kind": "ServiceAccount", "name": "default"},
                    {"kind": "User", "name": "jane", "apiGroup": G},
                    {"kind": "Group", "name": "system:masters", "apiGroup": G},
                ]),
            ),
            &[],
        ),
        (
            "bad role ref",
            json!({"metadata": {"name": "b"}, "roleRef": {"apiGroup": "rbac", "kind": "Pod", "name": "a/b"}}),
            &[
                "roleRef.apiGroup: Unsupported value: \"rbac\": supported values: \"rbac.authorization.k8s.io\"",
                "roleRef.kind: Unsupported value: \"Pod\": supported values: \"Role\", \"ClusterRole\"",
                "roleRef.name: Invalid value: \"a/b\": may not contain '/'",
            ],
        ),
        (
            "no role ref",
            json!({"metadata": {"name": "b"}}),
            &[
                "roleRef.apiGroup: Unsupported value: \"\": supported values: \"rbac.authorization.k8s.io\"",
                "roleRef.kind: Unsupported value: \"\": supported values: \"Role\", \"ClusterRole\"",
                "roleRef.name: Required value",
            ],
        ),
        (
            "bad subjects",
            binding(
                "ClusterRole",
                "view",
                json!([
                    {"kind": "ServiceAccount", "name": "Bad_Name", "apiGroup": "x"},
                    {"kind": "User", "name": ""},
                    {"kind": "Robot", "name": "r2"},
                ]),
            ),
            &[
                "subjects[0].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                "subjects[0].apiGroup: Unsupported value: \"x\": supported values: \"\"",
                "subjects[1].name: Required value",
                "subjects[1].apiGroup: Unsupported value: \"\": supported values: \"rbac.authorization.k8s.io\"",
                "subjects[2].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
            ],
        ),
    ];
    check(G, "RoleBinding", cases);
}

#[test]
fn cluster_role_binding_rules() {
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            binding(
                "ClusterRole",
                "cluster-admin",
                json!([{"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"}]),
            ),
            &[],
        ),
        (
            "role kind and namespace-less service account",
            binding(
                "Role",
                "x",
                json!([{"kind": "ServiceAccount", "name": "default"}]),
            ),
            &[
                "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
                "subjects[0].namespace: Required value",
            ],
        ),
    ];
    check(G, "ClusterRoleBinding", cases);
}

#[test]
fn role_ref_is_immutable() {
    let old = binding("ClusterRole", "view", json!([]));
    let mut new = old.clone();
    new["subjects"] = json!([{"kind": "User", "name": "bob", "apiGroup": G}]);
    assert!(lines(G, "RoleBinding", &new, Some(&old)).is_empty());
    new["roleRef"]["name"] = json!("edit");
    assert_eq!(
        lines(G, "RoleBinding", &new, Some(&old)),
        [
            "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef"
        ]
    );
    assert_eq!(lines(G, "ClusterRoleBinding", &new, Some(&old)).len(), 1);
}
