//! The built-in kinds' columns and cells, after upstream's `AddHandlers` and its
//! `print<Kind>` functions (pkg/printers/internalversion, v1.33). Each printer
//! works on the stored (external, defaulted) JSON and computes what upstream
//! computes from the internal object, so unset fields print as upstream's zero
//! values (`0`, `""`, `<none>`, `<unset>`).

use std::collections::BTreeSet;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::{
    AGE, Column, NAME, age, col, containers, count, format_label_selector, format_labels,
    human_duration, human_signed, int, int_or_string, items, join_or_none, label_selector,
    quantity, quantity_ptr, secs_between, since, text, text_or, time,
};

/// Computes one row's cells, in column order.
pub(super) type Cells = fn(&Value) -> Vec<Value>;

const fn s(name: &'static str) -> Column {
    col(name, "string", 0)
}
const fn i(name: &'static str) -> Column {
    col(name, "integer", 0)
}
const fn b(name: &'static str) -> Column {
    col(name, "boolean", 0)
}
const fn wide(name: &'static str) -> Column {
    col(name, "string", 1)
}
const CONTAINERS: Column = wide("Containers");
const IMAGES: Column = wide("Images");
const SELECTOR: Column = wide("Selector");

/// The columns and cell function of a built-in kind; `None` for kinds upstream
/// prints with the default Name / Created At.
pub(super) fn printer(group: &str, kind: &str) -> Option<(Vec<Column>, Cells)> {
    let (cols, cells): (Vec<Column>, Cells) = match (group, kind) {
        ("", "Pod") => (
            vec![
                NAME,
                s("Ready"),
                s("Status"),
                s("Restarts"),
                AGE,
                wide("IP"),
                wide("Node"),
                wide("Nominated Node"),
                wide("Readiness Gates"),
            ],
            pod,
        ),
        ("", "PodTemplate") => (
            vec![NAME, s("Containers"), s("Images"), s("Pod Labels")],
            pod_template,
        ),
        ("policy", "PodDisruptionBudget") => (
            vec![
                NAME,
                s("Min Available"),
                s("Max Unavailable"),
                i("Allowed Disruptions"),
                AGE,
            ],
            pod_disruption_budget,
        ),
        ("", "ReplicationController") => (
            vec![
                NAME,
                i("Desired"),
                i("Current"),
                i("Ready"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            replication_controller,
        ),
        ("apps", "ReplicaSet") => (
            vec![
                NAME,
                i("Desired"),
                i("Current"),
                i("Ready"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            replica_set,
        ),
        ("apps", "DaemonSet") => (
            vec![
                NAME,
                i("Desired"),
                i("Current"),
                i("Ready"),
                i("Up-to-date"),
                i("Available"),
                s("Node Selector"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            daemon_set,
        ),
        ("batch", "Job") => (
            vec![
                NAME,
                s("Status"),
                s("Completions"),
                s("Duration"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            job,
        ),
        ("batch", "CronJob") => (
            vec![
                NAME,
                s("Schedule"),
                s("Timezone"),
                b("Suspend"),
                i("Active"),
                s("Last Schedule"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            cron_job,
        ),
        ("", "Service") => (
            vec![
                NAME,
                s("Type"),
                s("Cluster-IP"),
                s("External-IP"),
                s("Port(s)"),
                AGE,
                SELECTOR,
            ],
            service,
        ),
        ("networking.k8s.io", "Ingress") => (
            vec![NAME, s("Class"), s("Hosts"), s("Address"), s("Ports"), AGE],
            ingress,
        ),
        ("networking.k8s.io", "IngressClass") => (
            vec![NAME, s("Controller"), s("Parameters"), AGE],
            ingress_class,
        ),
        ("apps", "StatefulSet") => (
            vec![NAME, s("Ready"), AGE, CONTAINERS, IMAGES],
            stateful_set,
        ),
        ("", "Endpoints") => (vec![NAME, s("Endpoints"), AGE], endpoints),
        ("", "Node") => (
            vec![
                NAME,
                s("Status"),
                s("Roles"),
                AGE,
                s("Version"),
                wide("Internal-IP"),
                wide("External-IP"),
                wide("OS-Image"),
                wide("Kernel-Version"),
                wide("Container-Runtime"),
            ],
            node,
        ),
        ("", "Event") | ("events.k8s.io", "Event") => (
            vec![
                s("Last Seen"),
                s("Type"),
                s("Reason"),
                s("Object"),
                wide("Subobject"),
                wide("Source"),
                s("Message"),
                wide("First Seen"),
                wide("Count"),
                Column {
                    priority: 1,
                    ..NAME
                },
            ],
            if group.is_empty() {
                core_event
            } else {
                events_event
            },
        ),
        ("", "Namespace") => (vec![NAME, s("Status"), AGE], namespace),
        ("", "Secret") => (vec![NAME, s("Type"), s("Data"), AGE], secret),
        ("", "ServiceAccount") => (vec![NAME, s("Secrets"), AGE], service_account),
        ("", "PersistentVolume") => (
            vec![
                NAME,
                s("Capacity"),
                s("Access Modes"),
                s("Reclaim Policy"),
                s("Status"),
                s("Claim"),
                s("StorageClass"),
                s("VolumeAttributesClass"),
                s("Reason"),
                AGE,
                wide("VolumeMode"),
            ],
            persistent_volume,
        ),
        ("", "PersistentVolumeClaim") => (
            vec![
                NAME,
                s("Status"),
                s("Volume"),
                s("Capacity"),
                s("Access Modes"),
                s("StorageClass"),
                s("VolumeAttributesClass"),
                AGE,
                wide("VolumeMode"),
            ],
            persistent_volume_claim,
        ),
        ("apps", "Deployment") => (
            vec![
                NAME,
                s("Ready"),
                s("Up-to-date"),
                s("Available"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            deployment,
        ),
        ("autoscaling", "HorizontalPodAutoscaler") => (
            vec![
                NAME,
                s("Reference"),
                s("Targets"),
                s("MinPods"),
                s("MaxPods"),
                s("Replicas"),
                AGE,
            ],
            horizontal_pod_autoscaler,
        ),
        ("", "ConfigMap") => (vec![NAME, s("Data"), AGE], config_map),
        ("networking.k8s.io", "NetworkPolicy") => {
            (vec![NAME, s("Pod-Selector"), AGE], network_policy)
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => (
            vec![
                NAME,
                s("Role"),
                AGE,
                wide("Users"),
                wide("Groups"),
                wide("ServiceAccounts"),
            ],
            role_binding,
        ),
        ("certificates.k8s.io", "CertificateSigningRequest") => (
            vec![
                NAME,
                AGE,
                s("SignerName"),
                s("Requestor"),
                s("RequestedDuration"),
                s("Condition"),
            ],
            certificate_signing_request,
        ),
        ("coordination.k8s.io", "Lease") => (vec![NAME, s("Holder"), AGE], lease),
        ("storage.k8s.io", "StorageClass") => (
            vec![
                NAME,
                s("Provisioner"),
                s("ReclaimPolicy"),
                s("VolumeBindingMode"),
                s("AllowVolumeExpansion"),
                AGE,
            ],
            storage_class,
        ),
        ("apps", "ControllerRevision") => (
            vec![NAME, s("Controller"), s("Revision"), AGE],
            controller_revision,
        ),
        ("", "ResourceQuota") => (vec![NAME, s("Request"), s("Limit"), AGE], resource_quota),
        ("scheduling.k8s.io", "PriorityClass") => (
            vec![
                NAME,
                i("Value"),
                b("Global-Default"),
                AGE,
                s("PreemptionPolicy"),
            ],
            priority_class,
        ),
        ("node.k8s.io", "RuntimeClass") => (vec![NAME, s("Handler"), AGE], runtime_class),
        ("discovery.k8s.io", "EndpointSlice") => (
            vec![NAME, s("AddressType"), s("Ports"), s("Endpoints"), AGE],
            endpoint_slice,
        ),
        ("storage.k8s.io", "CSINode") => (vec![NAME, i("Drivers"), AGE], csi_node),
        ("storage.k8s.io", "CSIDriver") => (
            vec![
                NAME,
                b("AttachRequired"),
                b("PodInfoOnMount"),
                b("StorageCapacity"),
                s("TokenRequests"),
                b("RequiresRepublish"),
                s("Modes"),
                AGE,
            ],
            csi_driver,
        ),
        _ => return None,
    };
    Some((cols, cells))
}

fn name(obj: &Value) -> Value {
    json!(text(&obj["metadata"]["name"]))
}

fn wide_containers(pod_spec: &Value) -> [Value; 2] {
    let (names, images) = containers(pod_spec);
    [json!(names), json!(images)]
}

// ---- core workloads ------------------------------------------------------------

fn condition_true(conditions: &Value, ty: &str) -> bool {
    items(conditions)
        .iter()
        .find(|c| c["type"] == ty)
        .is_some_and(|c| c["status"] == "True")
}

/// The later of `current` and a container status's last termination time.
fn later(current: Option<SystemTime>, status: &Value) -> Option<SystemTime> {
    let t = time(&status["lastState"]["terminated"]["finishedAt"]);
    match (current, t) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn pod(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let init_specs = items(&spec["initContainers"]);
    let restartable = |name: &str| {
        init_specs
            .iter()
            .any(|c| c["name"] == name && c["restartPolicy"] == "Always")
    };
    let total = items(&spec["containers"]).len()
        + init_specs
            .iter()
            .filter(|c| c["restartPolicy"] == "Always")
            .count();
    let mut ready = 0;
    let mut restarts = 0;
    let mut sidecar_restarts = 0;
    let mut last_restart = None;
    let mut sidecar_last_restart = None;
    let phase = text(&st["phase"]);
    let mut reason = text_or(&st["reason"], phase).to_string();
    if items(&st["conditions"])
        .iter()
        .any(|c| c["type"] == "PodScheduled" && c["reason"] == "SchedulingGated")
    {
        reason = "SchedulingGated".into();
    }

    let mut initializing = false;
    for (n, c) in items(&st["initContainerStatuses"]).iter().enumerate() {
        restarts += int(&c["restartCount"]);
        last_restart = later(last_restart, c);
        let sidecar = restartable(text(&c["name"]));
        if sidecar {
            sidecar_restarts += int(&c["restartCount"]);
            sidecar_last_restart = later(sidecar_last_restart, c);
        }
        let state = &c["state"];
        let terminated = &state["terminated"];
        let waiting_reason = text(&state["waiting"]["reason"]);
        if terminated.is_object() && int(&terminated["exitCode"]) == 0 {
            continue;
        }
        if sidecar && c["started"] == json!(true) {
            if c["ready"] == json!(true) {
                ready += 1;
            }
            continue;
        }
        reason = if terminated.is_object() {
            match text(&terminated["reason"]) {
                "" if int(&terminated["signal"]) != 0 => {
                    format!("Init:Signal:{}", int(&terminated["signal"]))
                }
                "" => format!("Init:ExitCode:{}", int(&terminated["exitCode"])),
                r => format!("Init:{r}"),
            }
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            format!("Init:{waiting_reason}")
        } else {
            format!("Init:{n}/{}", init_specs.len())
        };
        initializing = true;
        break;
    }

    if !initializing || condition_true(&st["conditions"], "Initialized") {
        restarts = sidecar_restarts;
        last_restart = sidecar_last_restart;
        let mut has_running = false;
        let mut error_reason = String::new();
        for c in items(&st["containerStatuses"]).iter().rev() {
            restarts += int(&c["restartCount"]);
            last_restart = later(last_restart, c);
            let state = &c["state"];
            let terminated = &state["terminated"];
            let waiting_reason = text(&state["waiting"]["reason"]);
            if state["waiting"].is_object() && !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if terminated.is_object() {
                reason = match text(&terminated["reason"]) {
                    "" if int(&terminated["signal"]) != 0 => {
                        format!("Signal:{}", int(&terminated["signal"]))
                    }
                    "" => format!("ExitCode:{}", int(&terminated["exitCode"])),
                    r => r.to_string(),
                };
                if int(&terminated["exitCode"]) != 0 {
                    error_reason = reason.clone();
                }
            } else if c["ready"] == json!(true) && state["running"].is_object() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" {
            if has_running && condition_true(&st["conditions"], "Ready") {
                reason = "Running".into();
            } else if !error_reason.is_empty() {
                reason = error_reason;
            } else if has_running {
                reason = "NotReady".into();
            }
        }
    }

    let deleting = !obj["metadata"]["deletionTimestamp"].is_null();
    if deleting && st["reason"] == "NodeLost" {
        reason = "Unknown".into();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".into();
    }

    let restarts = match last_restart {
        Some(t) if restarts != 0 => format!(
            "{restarts} ({} ago)",
            human_signed(secs_between(t, super::now()))
        ),
        _ => restarts.to_string(),
    };
    let pod_ip = items(&st["podIPs"])
        .first()
        .map_or_else(|| text(&st["podIP"]), |ip| text(&ip["ip"]));
    let gates = items(&spec["readinessGates"]);
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let passing = gates
            .iter()
            .filter(|g| condition_true(&st["conditions"], text(&g["conditionType"])))
            .count();
        format!("{passing}/{}", gates.len())
    };
    vec![
        name(obj),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts),
        json!(age(obj)),
        json!(if pod_ip.is_empty() { "<none>" } else { pod_ip }),
        json!(text_or(&spec["nodeName"], "<none>")),
        json!(text_or(&st["nominatedNodeName"], "<none>")),
        json!(readiness_gates),
    ]
}

fn pod_template(obj: &Value) -> Vec<Value> {
    let template = &obj["template"];
    let [names, images] = wide_containers(&template["spec"]);
    vec![
        name(obj),
        names,
        images,
        json!(format_labels(&template["metadata"]["labels"])),
    ]
}

fn pod_disruption_budget(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let or_na = |v: &Value| {
        if v.is_null() {
            "N/A".to_string()
        } else {
            int_or_string(v)
        }
    };
    vec![
        name(obj),
        json!(or_na(&spec["minAvailable"])),
        json!(or_na(&spec["maxUnavailable"])),
        json!(int(&obj["status"]["disruptionsAllowed"])),
        json!(age(obj)),
    ]
}

/// Desired replicas: `spec.replicas`, which defaulting sets to 1.
fn desired(spec: &Value) -> i64 {
    spec["replicas"].as_i64().unwrap_or(1)
}

fn replication_controller(obj: &Value) -> Vec<Value> {
    replicas_row(obj, format_labels(&obj["spec"]["selector"]))
}

fn replica_set(obj: &Value) -> Vec<Value> {
    replicas_row(obj, format_label_selector(&obj["spec"]["selector"]))
}

/// ReplicationController and ReplicaSet rows: the same cells, the selector formatted
/// as each kind's is (a label map, a label selector).
fn replicas_row(obj: &Value, selector: String) -> Vec<Value> {
    let spec = &obj["spec"];
    let [names, images] = wide_containers(&spec["template"]["spec"]);
    vec![
        name(obj),
        json!(desired(spec)),
        json!(int(&obj["status"]["replicas"])),
        json!(int(&obj["status"]["readyReplicas"])),
        json!(age(obj)),
        names,
        images,
        json!(selector),
    ]
}

fn daemon_set(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let [names, images] = wide_containers(&spec["template"]["spec"]);
    vec![
        name(obj),
        json!(int(&st["desiredNumberScheduled"])),
        json!(int(&st["currentNumberScheduled"])),
        json!(int(&st["numberReady"])),
        json!(int(&st["updatedNumberScheduled"])),
        json!(int(&st["numberAvailable"])),
        json!(format_labels(&spec["template"]["spec"]["nodeSelector"])),
        json!(age(obj)),
        names,
        images,
        json!(format_label_selector(&spec["selector"])),
    ]
}

fn stateful_set(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let [names, images] = wide_containers(&spec["template"]["spec"]);
    vec![
        name(obj),
        json!(format!(
            "{}/{}",
            int(&obj["status"]["readyReplicas"]),
            desired(spec)
        )),
        json!(age(obj)),
        names,
        images,
    ]
}

fn deployment(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let [names, images] = wide_containers(&spec["template"]["spec"]);
    vec![
        name(obj),
        json!(format!("{}/{}", int(&st["readyReplicas"]), desired(spec))),
        json!(int(&st["updatedReplicas"])),
        json!(int(&st["availableReplicas"])),
        json!(age(obj)),
        names,
        images,
        json!(label_selector(&spec["selector"])),
    ]
}

fn controller_revision(obj: &Value) -> Vec<Value> {
    let controller = items(&obj["metadata"]["ownerReferences"])
        .iter()
        .find(|r| r["controller"] == json!(true))
        .map_or_else(
            || "<none>".to_string(),
            |r| {
                let group = text(&r["apiVersion"])
                    .rsplit_once('/')
                    .map_or("", |(g, _)| g);
                let kind = text(&r["kind"]);
                let gk = if group.is_empty() {
                    kind.to_string()
                } else {
                    format!("{kind}.{group}")
                };
                if gk.is_empty() {
                    text(&r["name"]).to_string()
                } else {
                    format!("{}/{}", gk.to_lowercase(), text(&r["name"]))
                }
            },
        );
    vec![
        name(obj),
        json!(controller),
        json!(int(&obj["revision"])),
        json!(age(obj)),
    ]
}

// ---- batch ----------------------------------------------------------------------

fn job(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let succeeded = int(&st["succeeded"]);
    let completions = match spec["completions"].as_i64() {
        Some(c) => format!("{succeeded}/{c}"),
        None => match int(&spec["parallelism"]) {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let duration = match (time(&st["startTime"]), time(&st["completionTime"])) {
        (None, _) => String::new(),
        (Some(start), None) => human_signed(secs_between(start, super::now())),
        (Some(start), Some(end)) => human_signed(secs_between(start, end)),
    };
    // upstream looks at the first condition of each type
    let has = |ty: &str| condition_true(&st["conditions"], ty);
    let status = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if !obj["metadata"]["deletionTimestamp"].is_null() {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else if has("SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else {
        "Running"
    };
    let [names, images] = wide_containers(&spec["template"]["spec"]);
    vec![
        name(obj),
        json!(status),
        json!(completions),
        json!(duration),
        json!(age(obj)),
        names,
        images,
        json!(format_label_selector(&spec["selector"])),
    ]
}

/// Upstream's `printBoolPtr`.
fn bool_ptr(v: &Value) -> &'static str {
    match v.as_bool() {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    }
}

fn cron_job(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let last = &obj["status"]["lastScheduleTime"];
    let last = if last.is_null() {
        "<none>".to_string()
    } else {
        since(last)
    };
    let job_spec = &spec["jobTemplate"]["spec"];
    let [names, images] = wide_containers(&job_spec["template"]["spec"]);
    vec![
        name(obj),
        json!(text(&spec["schedule"])),
        json!(spec["timeZone"].as_str().unwrap_or("<none>")),
        json!(bool_ptr(&spec["suspend"])),
        json!(items(&obj["status"]["active"]).len()),
        json!(last),
        json!(age(obj)),
        names,
        images,
        json!(format_label_selector(&job_spec["selector"])),
    ]
}

// ---- services and networking -------------------------------------------------------

/// Load-balancer ingress points: each one's IP, else hostname, sorted and
/// deduplicated (never clipped: server-side rows are wide).
fn load_balancer(status: &Value) -> String {
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

fn service(obj: &Value) -> Vec<Value> {
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
fn host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// At most three entries, then `+ N more...`, of `count` in all.
fn at_most_three(list: &[String], count: usize) -> String {
    let shown = list[..list.len().min(3)].join(",");
    if count > 3 {
        format!("{shown} + {} more...", count - 3)
    } else {
        shown
    }
}

fn endpoints(obj: &Value) -> Vec<Value> {
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
fn list_or_unset(list: &[String]) -> String {
    match at_most_three(list, list.len()) {
        out if out.is_empty() => "<unset>".into(),
        out => out,
    }
}

fn endpoint_slice(obj: &Value) -> Vec<Value> {
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

fn ingress(obj: &Value) -> Vec<Value> {
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

fn ingress_class(obj: &Value) -> Vec<Value> {
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

fn network_policy(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(format_label_selector(&obj["spec"]["podSelector"])),
        json!(age(obj)),
    ]
}

// ---- cluster objects ------------------------------------------------------------------

fn node(obj: &Value) -> Vec<Value> {
    let st = &obj["status"];
    let mut status = match items(&st["conditions"])
        .iter()
        .find(|c| c["type"] == "Ready")
    {
        Some(c) if c["status"] == "True" => vec!["Ready"],
        Some(_) => vec!["NotReady"],
        None => vec!["Unknown"],
    };
    if obj["spec"]["unschedulable"] == json!(true) {
        status.push("SchedulingDisabled");
    }
    let mut roles = BTreeSet::new();
    if let Some(labels) = obj["metadata"]["labels"].as_object() {
        for (k, v) in labels {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.insert(role);
                }
            } else if k == "kubernetes.io/role" && !text(v).is_empty() {
                roles.insert(text(v));
            }
        }
    }
    let roles = roles.into_iter().collect::<Vec<_>>().join(",");
    let address = |ty: &str| {
        items(&st["addresses"])
            .iter()
            .find(|a| a["type"] == ty)
            .map_or("<none>", |a| text(&a["address"]))
    };
    let info = &st["nodeInfo"];
    vec![
        name(obj),
        json!(status.join(",")),
        json!(if roles.is_empty() {
            "<none>"
        } else {
            roles.as_str()
        }),
        json!(age(obj)),
        json!(text(&info["kubeletVersion"])),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(text_or(&info["osImage"], "<unknown>")),
        json!(text_or(&info["kernelVersion"], "<unknown>")),
        json!(text_or(&info["containerRuntimeVersion"], "<unknown>")),
    ]
}

fn namespace(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(text(&obj["status"]["phase"])),
        json!(age(obj)),
    ]
}

fn lease(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(text(&obj["spec"]["holderIdentity"])),
        json!(age(obj)),
    ]
}

fn runtime_class(obj: &Value) -> Vec<Value> {
    vec![name(obj), json!(text(&obj["handler"])), json!(age(obj))]
}

fn priority_class(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(int(&obj["value"])),
        json!(obj["globalDefault"].as_bool().unwrap_or(false)),
        json!(age(obj)),
        json!(text(&obj["preemptionPolicy"])),
    ]
}

// ---- config ----------------------------------------------------------------------------

fn config_map(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(count(&obj["data"]) + count(&obj["binaryData"])),
        json!(age(obj)),
    ]
}

fn secret(obj: &Value) -> Vec<Value> {
    // the internal Secret holds stringData merged into data
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for field in ["data", "stringData"] {
        if let Some(m) = obj[field].as_object() {
            keys.extend(m.keys().map(String::as_str));
        }
    }
    vec![
        name(obj),
        json!(text(&obj["type"])),
        json!(keys.len()),
        json!(age(obj)),
    ]
}

fn service_account(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(items(&obj["secrets"]).len()),
        json!(age(obj)),
    ]
}

fn resource_quota(obj: &Value) -> Vec<Value> {
    let st = &obj["status"];
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    // serde_json's map is sorted by key, as upstream sorts the resource names
    if let Some(hard) = st["hard"].as_object() {
        for (resource, hard) in hard {
            let entry = format!(
                "{resource}: {}/{}",
                quantity(&st["used"][resource]),
                quantity(hard)
            );
            match resource.split_once('.') {
                Some(("limits", _)) => limits.push(entry),
                _ => requests.push(entry),
            }
        }
    }
    vec![
        name(obj),
        json!(requests.join(", ")),
        json!(limits.join(", ")),
        json!(age(obj)),
    ]
}

// ---- storage ---------------------------------------------------------------------------

/// `GetAccessModesAsString`: abbreviations in a fixed order.
fn access_modes(modes: &Value) -> String {
    let modes = items(modes);
    let out: Vec<&str> = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .into_iter()
    .filter(|(mode, _)| modes.iter().any(|m| m == mode))
    .map(|(_, abbr)| abbr)
    .collect();
    out.join(",")
}

/// The beta storage-class annotation wins over `storageClassName`.
fn storage_class_of(obj: &Value) -> &str {
    obj["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"]
        .as_str()
        .unwrap_or_else(|| text(&obj["spec"]["storageClassName"]))
}

fn deleting_or(obj: &Value) -> &str {
    if obj["metadata"]["deletionTimestamp"].is_null() {
        text(&obj["status"]["phase"])
    } else {
        "Terminating"
    }
}

fn persistent_volume(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let claim = &spec["claimRef"];
    let claim = if claim.is_object() {
        format!("{}/{}", text(&claim["namespace"]), text(&claim["name"]))
    } else {
        String::new()
    };
    vec![
        name(obj),
        json!(quantity(&spec["capacity"]["storage"])),
        json!(access_modes(&spec["accessModes"])),
        json!(text(&spec["persistentVolumeReclaimPolicy"])),
        json!(deleting_or(obj)),
        json!(claim),
        json!(storage_class_of(obj)),
        json!(
            spec["volumeAttributesClassName"]
                .as_str()
                .unwrap_or("<unset>")
        ),
        json!(text(&obj["status"]["reason"])),
        json!(age(obj)),
        json!(spec["volumeMode"].as_str().unwrap_or("<unset>")),
    ]
}

fn persistent_volume_claim(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let volume = text(&spec["volumeName"]);
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity(&st["capacity"]["storage"]),
            access_modes(&st["accessModes"]),
        )
    };
    vec![
        name(obj),
        json!(deleting_or(obj)),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(storage_class_of(obj)),
        json!(
            spec["volumeAttributesClassName"]
                .as_str()
                .unwrap_or("<unset>")
        ),
        json!(age(obj)),
        json!(spec["volumeMode"].as_str().unwrap_or("<unset>")),
    ]
}

fn storage_class(obj: &Value) -> Vec<Value> {
    let annotations = &obj["metadata"]["annotations"];
    let default = [
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    ]
    .iter()
    .any(|a| annotations[*a] == "true");
    let mut shown = text(&obj["metadata"]["name"]).to_string();
    if default {
        shown.push_str(" (default)");
    }
    vec![
        json!(shown),
        json!(text(&obj["provisioner"])),
        json!(obj["reclaimPolicy"].as_str().unwrap_or("Delete")),
        json!(obj["volumeBindingMode"].as_str().unwrap_or("Immediate")),
        json!(obj["allowVolumeExpansion"].as_bool().unwrap_or(false)),
        json!(age(obj)),
    ]
}

fn csi_node(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(items(&obj["spec"]["drivers"]).len()),
        json!(age(obj)),
    ]
}

fn csi_driver(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let flag = |f: &str, default: bool| json!(spec[f].as_bool().unwrap_or(default));
    let tokens = match spec["tokenRequests"].as_array() {
        Some(ts) => ts
            .iter()
            .map(|t| text(&t["audience"]))
            .collect::<Vec<_>>()
            .join(","),
        None => "<unset>".to_string(),
    };
    let modes: Vec<String> = items(&spec["volumeLifecycleModes"])
        .iter()
        .map(|m| text(m).to_string())
        .collect();
    vec![
        name(obj),
        flag("attachRequired", true),
        flag("podInfoOnMount", false),
        flag("storageCapacity", false),
        json!(tokens),
        flag("requiresRepublish", false),
        json!(join_or_none(modes)),
        json!(age(obj)),
    ]
}

// ---- autoscaling -----------------------------------------------------------------------

/// One metric of upstream's `formatHPAMetrics`, `status` being the current
/// metric at the same index (if any).
fn hpa_metric(spec: &Value, status: Option<&Value>) -> String {
    // the status entry's source of the same type, if it has one
    let current = |source: &str| status.map(|s| &s[source]).filter(|v| v.is_object());
    let unknown = || "<unknown>".to_string();
    match text(&spec["type"]) {
        ty @ ("External" | "Object") => {
            let key = if ty == "External" {
                "external"
            } else {
                "object"
            };
            let target = &spec[key]["target"];
            if !target["averageValue"].is_null() {
                let cur = current(key)
                    .map(|c| &c["current"]["averageValue"])
                    .filter(|v| !v.is_null())
                    .map_or_else(unknown, quantity);
                format!("{cur}/{} (avg)", quantity(&target["averageValue"]))
            } else {
                let cur =
                    current(key).map_or_else(unknown, |c| quantity_ptr(&c["current"]["value"]));
                format!("{cur}/{}", quantity_ptr(&target["value"]))
            }
        }
        "Pods" => {
            let cur = current("pods")
                .map_or_else(unknown, |c| quantity_ptr(&c["current"]["averageValue"]));
            format!(
                "{cur}/{}",
                quantity_ptr(&spec["pods"]["target"]["averageValue"])
            )
        }
        ty @ ("Resource" | "ContainerResource") => {
            let key = if ty == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let source = &spec[key];
            let target = &source["target"];
            let resource = text(&source["name"]);
            if !target["averageValue"].is_null() {
                let cur = current(key)
                    .map_or_else(unknown, |c| quantity_ptr(&c["current"]["averageValue"]));
                format!("{resource}: {cur}/{}", quantity(&target["averageValue"]))
            } else {
                let cur = current(key)
                    .and_then(|c| c["current"]["averageUtilization"].as_i64())
                    .map_or_else(unknown, |u| format!("{u}%"));
                let target = target["averageUtilization"]
                    .as_i64()
                    .map_or_else(|| "<auto>".to_string(), |u| format!("{u}%"));
                format!("{resource}: {cur}/{target}")
            }
        }
        _ => "<unknown type>".to_string(),
    }
}

fn horizontal_pod_autoscaler(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let metrics = items(&spec["metrics"]);
    let statuses = items(&obj["status"]["currentMetrics"]);
    let targets = if metrics.is_empty() {
        "<none>".to_string()
    } else {
        let list: Vec<String> = metrics
            .iter()
            .enumerate()
            .map(|(n, m)| hpa_metric(m, statuses.get(n)))
            .collect();
        if list.len() > 2 {
            format!("{} + {} more...", list[..2].join(", "), list.len() - 2)
        } else {
            list.join(", ")
        }
    };
    let target = &spec["scaleTargetRef"];
    vec![
        name(obj),
        json!(format!(
            "{}/{}",
            text(&target["kind"]),
            text(&target["name"])
        )),
        json!(targets),
        json!(
            spec["minReplicas"]
                .as_i64()
                .map_or_else(|| "<unset>".to_string(), |m| m.to_string())
        ),
        json!(int(&spec["maxReplicas"])),
        json!(int(&obj["status"]["currentReplicas"])),
        json!(age(obj)),
    ]
}

// ---- RBAC, certificates ------------------------------------------------------------------

fn role_binding(obj: &Value) -> Vec<Value> {
    let role = &obj["roleRef"];
    let (mut users, mut groups, mut sas) = (vec![], vec![], vec![]);
    for subject in items(&obj["subjects"]) {
        let n = text(&subject["name"]);
        match text(&subject["kind"]) {
            "User" => users.push(n.to_string()),
            "Group" => groups.push(n.to_string()),
            "ServiceAccount" => sas.push(format!("{}/{n}", text(&subject["namespace"]))),
            _ => {}
        }
    }
    vec![
        name(obj),
        json!(format!("{}/{}", text(&role["kind"]), text(&role["name"]))),
        json!(age(obj)),
        json!(users.join(", ")),
        json!(groups.join(", ")),
        json!(sas.join(", ")),
    ]
}

fn certificate_signing_request(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let has = |ty: &str| items(&st["conditions"]).iter().any(|c| c["type"] == ty);
    let mut condition = if has("Denied") {
        "Denied"
    } else if has("Approved") {
        "Approved"
    } else {
        "Pending"
    }
    .to_string();
    if has("Failed") {
        condition.push_str(",Failed");
    }
    if !text(&st["certificate"]).is_empty() {
        condition.push_str(",Issued");
    }
    let requested = spec["expirationSeconds"].as_u64().map_or_else(
        || "<none>".to_string(),
        |secs| human_duration(std::time::Duration::from_secs(secs)),
    );
    vec![
        name(obj),
        json!(age(obj)),
        json!(text_or(&spec["signerName"], "<none>")),
        json!(text(&spec["username"])),
        json!(requested),
        json!(condition),
    ]
}

// ---- events ------------------------------------------------------------------------------

/// An event's fields under their internal names, from either API's field names.
struct EventFields<'a> {
    first: &'a Value,
    last: &'a Value,
    event_time: &'a Value,
    series: &'a Value,
    count: &'a Value,
    object: &'a Value,
    source: &'a Value,
    reporting_controller: &'a Value,
    reporting_instance: &'a Value,
    message: &'a Value,
}

fn core_event(obj: &Value) -> Vec<Value> {
    event(
        obj,
        EventFields {
            first: &obj["firstTimestamp"],
            last: &obj["lastTimestamp"],
            event_time: &obj["eventTime"],
            series: &obj["series"],
            count: &obj["count"],
            object: &obj["involvedObject"],
            source: &obj["source"],
            reporting_controller: &obj["reportingComponent"],
            reporting_instance: &obj["reportingInstance"],
            message: &obj["message"],
        },
    )
}

fn events_event(obj: &Value) -> Vec<Value> {
    event(
        obj,
        EventFields {
            first: &obj["deprecatedFirstTimestamp"],
            last: &obj["deprecatedLastTimestamp"],
            event_time: &obj["eventTime"],
            series: &obj["series"],
            count: &obj["deprecatedCount"],
            object: &obj["regarding"],
            source: &obj["deprecatedSource"],
            reporting_controller: &obj["reportingController"],
            reporting_instance: &obj["reportingInstance"],
            message: &obj["note"],
        },
    )
}

fn event(obj: &Value, f: EventFields) -> Vec<Value> {
    let first = if time(f.first).is_some() {
        since(f.first)
    } else {
        since(f.event_time)
    };
    let mut last = if time(f.last).is_some() {
        since(f.last)
    } else {
        first.clone()
    };
    let mut count = int(f.count);
    if f.series.is_object() {
        last = since(&f.series["lastObservedTime"]);
        count = int(&f.series["count"]);
    } else if count == 0 {
        // singleton events have no count in the new API
        count = 1;
    }
    let kind = text(&f.object["kind"]).to_lowercase();
    let target = match text(&f.object["name"]) {
        "" => kind,
        n => format!("{kind}/{n}"),
    };
    let component = text_or(&f.source["component"], text(f.reporting_controller));
    let instance = text_or(&f.source["host"], text(f.reporting_instance));
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    vec![
        json!(last),
        json!(text(&obj["type"])),
        json!(text(&obj["reason"])),
        json!(target),
        json!(text(&f.object["fieldPath"])),
        json!(source),
        json!(text(f.message).trim()),
        json!(first),
        json!(count),
        name(obj),
    ]
}
