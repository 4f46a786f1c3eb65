use serde_json::{Value, json};

use super::{check, lines};

const G: &str = "networking.k8s.io";

fn ingress(spec: Value) -> Value {
    json!({"metadata": {"name": "i"}, "spec": spec})
}

fn svc_backend(name: &str, port: Value) -> Value {
    json!({"service": {"name": name, "port": port}})
}

fn http_rule(host: &str, paths: Value) -> Value {
    json!({"host": host, "http": {"paths": paths}})
}

#[test]
fn ingress_rules() {
    let web = svc_backend("web", json!({"number": 80}));
    let wildcard_err = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    let subdomain_err = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            ingress(json!({
                "ingressClassName": "nginx",
                "rules": [http_rule("*.example.com", json!([
                    {"path": "/", "pathType": "Prefix", "backend": web},
                    {"path": "/api", "pathType": "Exact",
                     "backend": svc_backend("api", json!({"name": "http"}))},
                    {"pathType": "ImplementationSpecific",
                     "backend": {"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket", "name": "b"}}},
                ]))],
                "tls": [{"hosts": ["*.example.com", "a.example.com"], "secretName": "tls"}],
            })),
            &[],
        ),
        (
            "default backend only",
            ingress(json!({"defaultBackend": web})),
            &[],
        ),
        (
            "empty",
            ingress(json!({})),
            &[
                "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified",
            ],
        ),
        (
            "hosts",
            ingress(json!({"rules": [
                {"host": "10.0.0.1"}, {"host": "*"}, {"host": "a.*.com"}, {"host": "Foo"}
            ]})),
            &[
                "spec.rules[0].host: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address",
                &format!("spec.rules[1].host: Invalid value: \"*\": {wildcard_err}"),
                &format!("spec.rules[2].host: Invalid value: \"a.*.com\": {wildcard_err}"),
                &format!("spec.rules[3].host: Invalid value: \"Foo\": {subdomain_err}"),
            ],
        ),
        (
            "paths",
            ingress(json!({"rules": [http_rule("a.com", json!([
                {"path": "/", "backend": web},
                {"path": "api", "pathType": "Prefix", "backend": web},
                {"path": "/a//b/..", "pathType": "Exact", "backend": web},
                {"path": "x", "pathType": "ImplementationSpecific", "backend": web},
                {"path": "/", "pathType": "Regex", "backend": web},
            ])), http_rule("b.com", json!([]))]})),
            &[
                "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
                "spec.rules[0].http.paths[1].path: Invalid value: \"api\": must be an absolute path",
                "spec.rules[0].http.paths[2].path: Invalid value: \"/a//b/..\": must not contain '//'",
                "spec.rules[0].http.paths[2].path: Invalid value: \"/a//b/..\": cannot end with '/..'",
                "spec.rules[0].http.paths[3].path: Invalid value: \"x\": must be an absolute path",
                "spec.rules[0].http.paths[4].pathType: Unsupported value: \"Regex\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\"",
                "spec.rules[1].http.paths: Required value",
            ],
        ),
        (
            "backends",
            ingress(json!({"rules": [http_rule("a.com", json!([
                {"path": "/", "pathType": "Prefix", "backend": {}},
                {"path": "/", "pathType": "Prefix", "backend": {
                    "service": {"name": "s", "port": {"number": 80}}, "resource": {"kind": "K", "name": "n"}}},
                {"path": "/", "pathType": "Prefix", "backend": svc_backend("", json!({}))},
                {"path": "/", "pathType": "Prefix", "backend": svc_backend("1st", json!({"name": "h", "number": 8}))},
                {"path": "/", "pathType": "Prefix", "backend": svc_backend("s", json!({"number": 70000}))},
                {"path": "/", "pathType": "Prefix", "backend": {"resource": {"kind": "a/b"}}},
            ]))]})),
            &[
                "spec.rules[0].http.paths[0].backend: Invalid value: \"\": resource or service backend is required",
                "spec.rules[0].http.paths[1].backend: Invalid value: \"\": cannot set both resource and service backends",
                "spec.rules[0].http.paths[2].backend.service.name: Required value",
                "spec.rules[0].http.paths[2].backend: Required value: port name or number is required",
                "spec.rules[0].http.paths[3].backend.service.name: Invalid value: \"1st\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
                "spec.rules[0].http.paths[3].backend: Invalid value: \"\": cannot set both port name & port number",
                "spec.rules[0].http.paths[4].backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.rules[0].http.paths[5].backend.resource.kind: Invalid value: \"a/b\": may not contain '/'",
                "spec.rules[0].http.paths[5].backend.resource.name: Required value",
            ],
        ),
        (
            "tls and class",
            ingress(json!({"defaultBackend": web, "ingressClassName": "Nginx",
                "tls": [{"hosts": ["*.*.com"], "secretName": "Bad"}]})),
            &[
                &format!("spec.tls[0].hosts[0]: Invalid value: \"*.*.com\": {wildcard_err}"),
                &format!("spec.tls[0].secretName: Invalid value: \"Bad\": {subdomain_err}"),
                &format!("spec.ingressClassName: Invalid value: \"Nginx\": {subdomain_err}"),
            ],
        ),
        (
            "class annotation disagrees",
            json!({"metadata": {"name": "i", "annotations": {"kubernetes.io/ingress.class": "a"}},
                "spec": {"defaultBackend": web, "ingressClassName": "b"}}),
            &[
                "annotations.kubernetes.io/ingress.class: Invalid value: \"a\": must match `ingressClassName` when both are specified",
            ],
        ),
    ];
    check(G, "Ingress", cases);
}

#[test]
fn long_wildcard_hosts_are_only_too_long() {
    use super::super::networking::is_wildcard_dns1123_subdomain;
    let label = "a".repeat(60);
    let host = format!("*.{}", [label.as_str(); 5].join("."));
    assert_eq!(
        is_wildcard_dns1123_subdomain(&host),
        ["must be no more than 253 characters"]
    );
    assert!(is_wildcard_dns1123_subdomain("*.example.com").is_empty());
}

#[test]
fn ingress_updates_keep_stored_bad_values() {
    let web = svc_backend("web", json!({"number": 80}));
    let old = ingress(
        json!({"defaultBackend": web, "tls": [{"secretName": "Bad"}],
        "rules": [{"host": "*.a.com", "http": {"paths": []}}]}),
    );
    assert_eq!(lines(G, "Ingress", &old, None).len(), 2);
    assert!(lines(G, "Ingress", &old, Some(&old)).is_empty());
}

#[test]
fn ingress_class_rules() {
    let class = |spec: Value| json!({"metadata": {"name": "c"}, "spec": spec});
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            class(json!({"controller": "example.com/ingress", "parameters": {
                "apiGroup": "k8s.example.com", "kind": "Params", "name": "p",
                "scope": "Namespace", "namespace": "ns"}})),
            &[],
        ),
        (
            "no controller",
            class(json!({})),
            &["spec.controller: Required value"],
        ),
        (
            "controller not a domain path",
            class(json!({"controller": "nginx"})),
            &[
                "spec.controller: Invalid value: \"nginx\": must be a domain-prefixed path (such as \"acme.io/foo\")",
            ],
        ),
        (
            "controller path characters",
            class(json!({"controller": "a.io/b c"})),
            &[
                "spec.controller: Invalid value: \"b c\": Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')",
            ],
        ),
        (
            "parameters",
            class(
                json!({"controller": "a.io/b", "parameters": {"scope": "Cluster", "namespace": "x"}}),
            ),
            &[
                "spec.parameters.kind: Required value",
                "spec.parameters.name: Required value",
                "spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'",
            ],
        ),
        (
            "namespaced parameters without a namespace",
            class(
                json!({"controller": "a.io/b", "parameters": {"kind": "K", "name": "n", "scope": "Namespace"}}),
            ),
            &[
                "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'",
            ],
        ),
        (
            "scope",
            class(
                json!({"controller": "a.io/b", "parameters": {"kind": "K", "name": "n", "scope": "Global"}}),
            ),
            &[
                "spec.parameters.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespace\"",
            ],
        ),
    ];
    check(G, "IngressClass", cases);
    let old = class(json!({"controller": "a.io/b"}));
    let new = class(json!({"controller": "a.io/c"}));
    assert_eq!(
        lines(G, "IngressClass", &new, Some(&old)),
        ["spec.controller: Invalid value: \"a.io/c\": field is immutable"]
    );
}

#[test]
fn network_policy_rules() {
    let np = |spec: Value| json!({"metadata": {"name": "n"}, "spec": spec});
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            np(json!({
                "podSelector": {"matchLabels": {"app": "db"}},
                "ingress": [{"from": [
                    {"podSelector": {}, "namespaceSelector": {"matchLabels": {"team": "a"}}},
                    {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                ], "ports": [{"protocol": "TCP", "port": 5432}, {"port": "http"},
                             {"port": 8000, "endPort": 9000}]}],
                "egress": [{"to": [{"ipBlock": {"cidr": "fd00::/8"}}]}],
                "policyTypes": ["Ingress", "Egress"],
            })),
            &[],
        ),
        ("allow nothing", np(json!({"podSelector": {}})), &[]),
        (
            "ports",
            np(json!({"podSelector": {}, "ingress": [{"ports": [
                {"protocol": "ICMP", "port": 0},
                {"port": 90, "endPort": 80},
                {"port": "http", "endPort": 81},
                {"endPort": 82},
            ]}]})),
            &[
                "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\"",
                "spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ingress[0].ports[1].endPort: Invalid value: 80: must be greater than or equal to `port`",
                "spec.ingress[0].ports[2].endPort: Invalid value: 81: may not be specified when `port` is non-numeric",
                "spec.ingress[0].ports[3].endPort: Invalid value: 82: may not be specified when `port` is not specified",
            ],
        ),
        (
            "peers",
            np(json!({"podSelector": {}, "egress": [{"to": [
                {},
                {"podSelector": {}, "ipBlock": {"cidr": "10.0.0.0/8"}},
                {"ipBlock": {}},
                {"ipBlock": {"cidr": "10.0.0.0/33"}},
                {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/16", "11.0.0.0/24", "x"]}},
            ]}]})),
            &[
                "spec.egress[0].to[0]: Required value: must specify a peer",
                "spec.egress[0].to[1]: Forbidden: may not specify both ipBlock and another peer",
                "spec.egress[0].to[2].ipBlock.cidr: Required value",
                "spec.egress[0].to[3].ipBlock.cidr: Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
                "spec.egress[0].to[4].ipBlock.except[0]: Invalid value: \"10.0.0.0/16\": must be a strict subset of `cidr`",
                "spec.egress[0].to[4].ipBlock.except[1]: Invalid value: \"11.0.0.0/24\": must be a strict subset of `cidr`",
                "spec.egress[0].to[4].ipBlock.except[2]: Invalid value: \"x\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
            ],
        ),
        (
            "sloppy CIDRs are still accepted",
            np(json!({"podSelector": {}, "ingress": [{"from": [
                {"ipBlock": {"cidr": "010.0.0.1/08", "except": ["10.1.0.0/16"]}}]}]})),
            &[],
        ),
        (
            "policy types",
            np(json!({"podSelector": {}, "policyTypes": ["Ingress", "Both"]})),
            &[
                "spec.policyTypes[1]: Unsupported value: \"Both\": supported values: \"Ingress\", \"Egress\"",
            ],
        ),
        (
            "too many policy types",
            np(json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress", "Ingress"]})),
            &[
                "spec.policyTypes: Invalid value: []networking.PolicyType{\"Ingress\", \"Egress\", \"Ingress\"}: may not specify more than two policyTypes",
            ],
        ),
        (
            "bad pod selector",
            np(json!({"podSelector": {"matchLabels": {"a b": "c"}}})),
            &[
                "spec.podSelector.matchLabels: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ],
        ),
    ];
    check(G, "NetworkPolicy", cases);
}

#[test]
fn sloppy_cidrs_parse_as_upstream_netutils() {
    use super::super::net::{contains, parse_cidr_sloppy, parse_ip_sloppy};
    let net = |s: &str| parse_cidr_sloppy(s).map(|(ip, len)| format!("{ip}/{len}"));
    assert_eq!(net("10.1.2.3/8").as_deref(), Some("10.0.0.0/8"));
    assert_eq!(net("010.001.0.0/016").as_deref(), Some("10.1.0.0/16"));
    assert_eq!(net("fd00::1/8").as_deref(), Some("fd00::/8"));
    assert_eq!(
        net("::ffff:010.0.0.1/128").as_deref(),
        Some("::ffff:10.0.0.1/128")
    );
    for bad in [
        "10.0.0.0",
        "10.0.0.0/33",
        "10.0.0.0/",
        "10.0.0.256/8",
        "fd00::/129",
        "x/8",
        "10.0.0.0/+8",
    ] {
        assert_eq!(net(bad), None, "{bad}");
    }
    assert!(parse_ip_sloppy("1.2.3.4").is_some());
    assert!(parse_ip_sloppy("1.2.3").is_none());
    let v4 = parse_cidr_sloppy("10.0.0.0/8").unwrap();
    assert!(contains(v4, "10.200.0.0".parse().unwrap()));
    assert!(!contains(v4, "11.0.0.0".parse().unwrap()));
    assert!(!contains(v4, "::a00:0".parse().unwrap()));
    let all = parse_cidr_sloppy("0.0.0.0/0").unwrap();
    assert!(contains(all, "192.168.1.1".parse().unwrap()));
}
