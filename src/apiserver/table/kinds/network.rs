//! Printers of Services, Endpoints, EndpointSlices, Ingresses and NetworkPolicies.

use super::*;

// ---- services and networking -------------------------------------------------------

/// Load-balancer ingress points: each one's IP, else hostname, sorted and
/// deduplicated (never clipped: server-side rows are wide).
pub(super) fn load_balancer(status: &Value) -> String {
    let set: BTreeSet<&str> = items(&status["ingress"])
        .iter()
        .filter_map(|i| {
            [&i["ip"], &i["hostname"]]
                .into_iter()
                .map(text)
                .find(|s| !s.is_empty())
        })
        .collect();
    set.into_iter().collect::<Vec<_>>().join(",")
}

pub(super) fn service(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    // defaulting sets the type and protocols; stay sane without it
    let ty = text_or(&spec["type"], "ClusterIP");
    let cluster_ip = items(&spec["clusterIPs"])
        .first()
        .map(text)
        .or_else(|| spec["clusterIP"].as_str())
        .unwrap_or("<none>");
    let external_ips: Vec<&str> = items(&spec["externalIPs"]).iter().map(text).collect();
    let external = match ty {
        "ClusterIP" | "NodePort" if external_ips.is_empty() => "<none>".to_string(),
        "ClusterIP" | "NodePort" => external_ips.join(","),
        "LoadBalancer" => {
            let lb = load_balancer(&obj["status"]["loadBalancer"]);
            if !external_ips.is_empty() {
                let mut all: Vec<&str> = if lb.is_empty() {
                    vec![]
                } else {
                    lb.split(',').collect()
                };
                all.extend(&external_ips);
                all.join(",")
            } else if lb.is_empty() {
                "<pending>".to_string()
            } else {
                lb
            }
        }
        "ExternalName" => text(&spec["externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = items(&spec["ports"])
        .iter()
        .map(|p| {
            let proto = text_or(&p["protocol"], "TCP");
            match int(&p["nodePort"]) {
                np if np > 0 => format!("{}:{np}/{proto}", int(&p["port"])),
                _ => format!("{}/{proto}", int(&p["port"])),
            }
        })
        .collect();
    vec![
        name(obj),
        json!(ty),
        json!(cluster_ip),
        json!(external),
        json!(join_or_none(ports)),
        json!(age(obj)),
        json!(format_labels(&spec["selector"])),
    ]
}

/// `host:port`, bracketing IPv6 addresses as Go's `net.JoinHostPort` does.
pub(super) fn host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// At most three entries, then `+ N more...`, of `count` in all.
pub(super) fn at_most_three(list: &[String], count: usize) -> String {
    let shown = list[..list.len().min(3)].join(",");
    if count > 3 {
        format!("{shown} + {} more...", count - 3)
    } else {
        shown
    }
}

pub(super) fn endpoints(obj: &Value) -> Vec<Value> {
    let subsets = items(&obj["subsets"]);
    let shown = if subsets.is_empty() {
        "<none>".to_string()
    } else {
        let mut list = Vec::new();
        for ss in subsets {
            let addrs = items(&ss["addresses"]);
            let ports = items(&ss["ports"]);
            if ports.is_empty() {
                // headless services may have no ports
                list.extend(addrs.iter().map(|a| text(&a["ip"]).to_string()));
            }
            for p in ports {
                list.extend(
                    addrs
                        .iter()
                        .map(|a| host_port(text(&a["ip"]), int(&p["port"]))),
                );
            }
        }
        at_most_three(&list, list.len())
    };
    vec![name(obj), json!(shown), json!(age(obj))]
}

/// Upstream's `listWithMoreString`: `<unset>` for nothing.
pub(super) fn list_or_unset(list: &[String]) -> String {
    match at_most_three(list, list.len()) {
        out if out.is_empty() => "<unset>".into(),
        out => out,
    }
}

pub(super) fn endpoint_slice(obj: &Value) -> Vec<Value> {
    let ports: Vec<String> = items(&obj["ports"])
        .iter()
        .map(|p| match (&p["port"], &p["name"]) {
            (Value::Number(n), _) => n.to_string(),
            (_, Value::String(name)) => name.clone(),
            _ => "*".to_string(),
        })
        .collect();
    let addresses: Vec<String> = items(&obj["endpoints"])
        .iter()
        .flat_map(|e| items(&e["addresses"]).iter().map(|a| text(a).to_string()))
        .collect();
    vec![
        name(obj),
        json!(text(&obj["addressType"])),
        json!(list_or_unset(&ports)),
        json!(list_or_unset(&addresses)),
        json!(age(obj)),
    ]
}

pub(super) fn ingress(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let rules = items(&spec["rules"]);
    let mut hosts: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        if hosts.len() == 3 {
            more = true;
        }
        let host = text(&rule["host"]);
        if !more && !host.is_empty() {
            hosts.push(host);
        }
    }
    let hosts = if hosts.is_empty() {
        "*".to_string()
    } else if more {
        format!("{} + {} more...", hosts.join(","), rules.len() - 3)
    } else {
        hosts.join(",")
    };
    let ports = if items(&spec["tls"]).is_empty() {
        "80"
    } else {
        "80, 443"
    };
    vec![
        name(obj),
        json!(spec["ingressClassName"].as_str().unwrap_or("<none>")),
        json!(hosts),
        json!(load_balancer(&obj["status"]["loadBalancer"])),
        json!(ports),
        json!(age(obj)),
    ]
}

pub(super) fn ingress_class(obj: &Value) -> Vec<Value> {
    let p = &obj["spec"]["parameters"];
    let parameters = if p.is_object() {
        let kind = match p["apiGroup"].as_str() {
            Some(g) => format!("{}.{g}", text(&p["kind"])),
            None => text(&p["kind"]).to_string(),
        };
        format!("{kind}/{}", text(&p["name"]))
    } else {
        "<none>".to_string()
    };
    vec![
        name(obj),
        json!(text(&obj["spec"]["controller"])),
        json!(parameters),
        json!(age(obj)),
    ]
}

pub(super) fn network_policy(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(format_label_selector(&obj["spec"]["podSelector"])),
        json!(age(obj)),
    ]
}
