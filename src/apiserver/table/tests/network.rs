//! Services, endpoints, ingresses and network policies.

use serde_json::json;

use super::*;

#[test]
fn networking_kinds_print_like_upstream() {
    let ingress_cols = |cells: [Value; 6]| -> Vec<(&'static str, Value)> {
        ["Name", "Class", "Hosts", "Address", "Ports", "Age"]
            .into_iter()
            .zip(cells)
            .collect()
    };
    let rule = |host: &str| json!({"host": host, "http": {"paths": []}});
    check(
        "networking.k8s.io",
        "Ingress",
        json!({
            "metadata": meta("web", H3M5),
            "spec": {
                "ingressClassName": "nginx",
                "rules": [rule("a.example.com"), rule("b.example.com")],
                "tls": [{"hosts": ["a.example.com"], "secretName": "tls"}],
            },
            "status": {"loadBalancer": {"ingress": [
                {"ip": "203.0.113.9"}, {"hostname": "lb.example.com"}, {"ip": "203.0.113.9"},
            ]}},
        }),
        &ingress_cols([
            json!("web"),
            json!("nginx"),
            json!("a.example.com,b.example.com"),
            json!("203.0.113.9,lb.example.com"),
            json!("80, 443"),
            json!("3h5m"),
        ]),
    );
    check(
        "networking.k8s.io",
        "Ingress",
        json!({
            "metadata": meta("many", 45),
            "spec": {"rules": [rule("a"), rule("b"), rule("c"), rule("d"), rule("e")]},
            "status": {"loadBalancer": {}},
        }),
        &ingress_cols([
            json!("many"),
            json!("<none>"),
            json!("a,b,c + 2 more..."),
            json!(""),
            json!("80"),
            json!("45s"),
        ]),
    );
    check(
        "networking.k8s.io",
        "Ingress",
        json!({"metadata": meta("catch-all", 45), "spec": {"defaultBackend": {}}}),
        &ingress_cols([
            json!("catch-all"),
            json!("<none>"),
            json!("*"),
            json!(""),
            json!("80"),
            json!("45s"),
        ]),
    );
    check(
        "networking.k8s.io",
        "IngressClass",
        json!({
            "metadata": meta("nginx", M83),
            "spec": {"controller": "k8s.io/ingress-nginx", "parameters": {
                "apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb",
            }},
        }),
        &[
            ("Name", json!("nginx")),
            ("Controller", json!("k8s.io/ingress-nginx")),
            (
                "Parameters",
                json!("IngressParameters.k8s.example.com/external-lb"),
            ),
            ("Age", json!("83m")),
        ],
    );
    check(
        "networking.k8s.io",
        "NetworkPolicy",
        json!({"metadata": meta("deny-all", 45), "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}),
        &[
            ("Name", json!("deny-all")),
            ("Pod-Selector", json!("<none>")),
            ("Age", json!("45s")),
        ],
    );
    check(
        "networking.k8s.io",
        "NetworkPolicy",
        json!({"metadata": meta("db", 45), "spec": {"podSelector": {"matchLabels": {"role": "db"}}}}),
        &[
            ("Name", json!("db")),
            ("Pod-Selector", json!("role=db")),
            ("Age", json!("45s")),
        ],
    );
    let slice_cols = |cells: [Value; 5]| -> Vec<(&'static str, Value)> {
        ["Name", "AddressType", "Ports", "Endpoints", "Age"]
            .into_iter()
            .zip(cells)
            .collect()
    };
    let endpoint = |ip: &str| json!({"addresses": [ip], "conditions": {"ready": true}});
    check(
        "discovery.k8s.io",
        "EndpointSlice",
        json!({
            "metadata": meta("web-abcde", H3M5),
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "metrics"}, {}],
            "endpoints": [
                endpoint("10.0.0.1"), endpoint("10.0.0.2"), endpoint("10.0.0.3"),
                endpoint("10.0.0.4"), endpoint("10.0.0.5"),
            ],
        }),
        &slice_cols([
            json!("web-abcde"),
            json!("IPv4"),
            json!("80,metrics,*"),
            json!("10.0.0.1,10.0.0.2,10.0.0.3 + 2 more..."),
            json!("3h5m"),
        ]),
    );
    check(
        "discovery.k8s.io",
        "EndpointSlice",
        json!({"metadata": meta("empty", 45), "addressType": "IPv6", "endpoints": []}),
        &slice_cols([
            json!("empty"),
            json!("IPv6"),
            json!("<unset>"),
            json!("<unset>"),
            json!("45s"),
        ]),
    );
    check(
        "",
        "Endpoints",
        json!({
            "metadata": meta("web", M83),
            "subsets": [{
                "addresses": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}],
                "ports": [{"port": 80}, {"port": 443}],
            }],
        }),
        &[
            ("Name", json!("web")),
            (
                "Endpoints",
                json!("10.0.0.1:80,[fd00::1]:80,10.0.0.1:443 + 1 more..."),
            ),
            ("Age", json!("83m")),
        ],
    );
    check(
        "",
        "Endpoints",
        json!({"metadata": meta("none", 45)}),
        &[
            ("Name", json!("none")),
            ("Endpoints", json!("<none>")),
            ("Age", json!("45s")),
        ],
    );
    check(
        "",
        "Service",
        json!({
            "metadata": meta("lb", 45),
            "spec": {
                "type": "LoadBalancer",
                "clusterIP": "10.43.0.10",
                "clusterIPs": ["10.43.0.10"],
                "selector": {"app": "web", "tier": "fe"},
                "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}, {"port": 53, "protocol": "UDP"}],
            },
            "status": {"loadBalancer": {}},
        }),
        &[
            ("Name", json!("lb")),
            ("Type", json!("LoadBalancer")),
            ("Cluster-IP", json!("10.43.0.10")),
            ("External-IP", json!("<pending>")),
            ("Port(s)", json!("80:30080/TCP,53/UDP")),
            ("Age", json!("45s")),
            ("Selector:s:1", json!("app=web,tier=fe")),
        ],
    );
}
