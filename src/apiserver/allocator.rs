//! Service ClusterIP and NodePort allocation.
//!
//! Each allocated address or port is a key in the store
//! (`/registry/ranges/serviceips/<ip>`, `/registry/ranges/servicenodeports/<port>`)
//! written in the same transaction as the Service, with a compare that it is absent:
//! two Services can never hold the same one, however concurrent, and deleting the
//! Service releases them in its own transaction.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::{Value, json};

use crate::api::status::{ApiError, Cause};
use crate::api::{GroupKind, ResourceInfo};
use crate::store::{KeyRange, RangeRequest, Store};

use super::registry::{meta_str, store_error};

pub const NODE_PORTS: std::ops::RangeInclusive<u16> = 30000..=32767;
const IP_PREFIX: &str = "/registry/ranges/serviceips/";
const PORT_PREFIX: &str = "/registry/ranges/servicenodeports/";

/// The service range kelp allocates from.
#[derive(Debug, Clone)]
pub struct ServiceRanges {
    pub cidr: Ipv4Net,
}

impl Default for ServiceRanges {
    fn default() -> Self {
        ServiceRanges {
            cidr: "10.43.0.0/16".parse().expect("valid CIDR"),
        }
    }
}

pub fn ip_key(ip: Ipv4Addr) -> Vec<u8> {
    format!("{IP_PREFIX}{ip}").into_bytes()
}

pub fn port_key(port: u16) -> Vec<u8> {
    format!("{PORT_PREFIX}{port}").into_bytes()
}

pub fn is_service(info: &ResourceInfo) -> bool {
    info.group.is_empty() && info.kind == "Service"
}

fn service_type(obj: &Value) -> &str {
    obj["spec"]["type"].as_str().unwrap_or("ClusterIP")
}

/// The allocation keys a stored Service holds.
pub fn held_keys(obj: &Value) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    if let Some(ips) = obj["spec"]["clusterIPs"].as_array() {
        for ip in ips.iter().filter_map(Value::as_str) {
            if let Ok(ip) = ip.parse::<Ipv4Addr>() {
                keys.push(ip_key(ip));
            }
        }
    }
    if let Some(ports) = obj["spec"]["ports"].as_array() {
        for p in ports {
            if let Some(n) = p["nodePort"].as_u64() {
                keys.push(port_key(n as u16));
            }
        }
    }
    keys
}

fn invalid(name: &str, causes: Vec<Cause>) -> ApiError {
    ApiError::invalid(&GroupKind::new("", "Service"), name, causes)
}

async fn taken(store: &dyn Store, prefix: &str) -> Result<Vec<String>, ApiError> {
    let resp = store
        .range(RangeRequest {
            range: KeyRange::prefix(prefix.as_bytes()),
            limit: 0,
            revision: 0,
            count_only: false,
            keys_only: true,
        })
        .await
        .map_err(store_error)?;
    Ok(resp
        .kvs
        .into_iter()
        .map(|kv| String::from_utf8_lossy(&kv.key[prefix.len()..]).into_owned())
        .collect())
}

impl ServiceRanges {
    /// The `kubernetes` Service's address: the range's first usable address.
    pub fn first(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.cidr.network()) + 1)
    }

    fn usable(&self, ip: Ipv4Addr) -> bool {
        self.cidr.contains(&ip) && ip != self.cidr.network() && ip != self.cidr.broadcast()
    }

    /// Fills in `spec.clusterIP(s)` and node ports of a Service being created (or
    /// checks the requested ones), and returns the keys to claim with it. `avoid`
    /// holds keys a previous attempt lost to another writer.
    pub async fn allocate(
        &self,
        store: &dyn Store,
        obj: &mut Value,
        avoid: &[Vec<u8>],
    ) -> Result<Vec<Vec<u8>>, ApiError> {
        let name = meta_str(obj, "name").unwrap_or("").to_string();
        let ty = service_type(obj).to_string();
        let mut keys = Vec::new();
        if ty != "ExternalName" {
            let requested = obj["spec"]["clusterIP"].as_str().unwrap_or("").to_string();
            match requested.as_str() {
                "None" => {
                    obj["spec"]["clusterIPs"] = json!(["None"]);
                }
                "" => {
                    let used = taken(store, IP_PREFIX).await?;
                    let size = 1u64 << (32 - self.cidr.prefix_len());
                    let base = u32::from(self.cidr.network());
                    // start from a random offset so concurrent creates rarely collide
                    let start = uuid::Uuid::new_v4().as_u128() as u64 % size.max(1);
                    let ip = (0..size)
                        .map(|i| Ipv4Addr::from(base + ((start + i) % size) as u32))
                        .filter(|ip| self.usable(*ip) && *ip != self.first())
                        .find(|ip| {
                            !used.iter().any(|u| u == &ip.to_string())
                                && !avoid.contains(&ip_key(*ip))
                        })
                        .ok_or_else(|| {
                            ApiError::internal(&format!(
                                "failed to allocate a serviceIP: range is full ({})",
                                self.cidr
                            ))
                        })?;
                    obj["spec"]["clusterIP"] = json!(ip.to_string());
                    obj["spec"]["clusterIPs"] = json!([ip.to_string()]);
                    keys.push(ip_key(ip));
                }
                ip => {
                    let parsed: Ipv4Addr = ip.parse().map_err(|_| {
                        invalid(
                            &name,
                            vec![Cause::invalid(
                                "spec.clusterIPs[0]",
                                ip,
                                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                            )],
                        )
                    })?;
                    if !self.usable(parsed) {
                        return Err(invalid(
                            &name,
                            vec![Cause::invalid(
                                "spec.clusterIPs",
                                ip,
                                &format!(
                                    "failed to allocate IP {ip}: provided IP is not in the valid range. The range of valid IPs is {}",
                                    self.cidr
                                ),
                            )],
                        ));
                    }
                    obj["spec"]["clusterIPs"] = json!([ip]);
                    keys.push(ip_key(parsed));
                }
            }
        }
        if matches!(ty.as_str(), "NodePort" | "LoadBalancer") {
            let used = taken(store, PORT_PREFIX).await?;
            let mut claimed: Vec<u16> = Vec::new();
            let ports = obj["spec"]["ports"].as_array_mut();
            for (i, p) in ports.into_iter().flatten().enumerate() {
                let port = match p["nodePort"].as_u64() {
                    Some(n) => {
                        let n = u16::try_from(n).ok().filter(|n| NODE_PORTS.contains(n));
                        let Some(n) = n else {
                            return Err(invalid(
                                &name,
                                vec![Cause::invalid(
                                    &format!("spec.ports[{i}].nodePort"),
                                    p["nodePort"].as_i64().unwrap_or(0),
                                    "provided port is not in the valid range. The range of valid ports is 30000-32767",
                                )],
                            ));
                        };
                        n
                    }
                    None => {
                        let span = (*NODE_PORTS.end() - *NODE_PORTS.start()) as u64 + 1;
                        let start = uuid::Uuid::new_v4().as_u128() as u64 % span;
                        (0..span)
                            .map(|k| *NODE_PORTS.start() + ((start + k) % span) as u16)
                            .find(|n| {
                                !used.iter().any(|u| u == &n.to_string())
                                    && !claimed.contains(n)
                                    && !avoid.contains(&port_key(*n))
                            })
                            .ok_or_else(|| {
                                ApiError::internal("failed to allocate a nodePort: range is full")
                            })?
                    }
                };
                if claimed.contains(&port) {
                    return Err(invalid(
                        &name,
                        vec![Cause::duplicate(
                            &format!("spec.ports[{i}].nodePort"),
                            port as i64,
                        )],
                    ));
                }
                claimed.push(port);
                p["nodePort"] = json!(port);
                keys.push(port_key(port));
            }
        }
        Ok(keys)
    }
}

/// Upstream's Service defaults (pkg/apis/core/v1/defaults.go and the registry).
pub fn default_service(obj: &mut Value) {
    let spec = &mut obj["spec"];
    if !spec.is_object() {
        *spec = json!({});
    }
    let ty = spec["type"].as_str().unwrap_or("ClusterIP").to_string();
    spec["type"] = json!(ty);
    if spec.get("sessionAffinity").is_none() {
        spec["sessionAffinity"] = json!("None");
    }
    if ty != "ExternalName" {
        if spec.get("ipFamilies").is_none() {
            spec["ipFamilies"] = json!(["IPv4"]);
        }
        if spec.get("ipFamilyPolicy").is_none() {
            spec["ipFamilyPolicy"] = json!("SingleStack");
        }
        if spec.get("internalTrafficPolicy").is_none() {
            spec["internalTrafficPolicy"] = json!("Cluster");
        }
    }
    if matches!(ty.as_str(), "NodePort" | "LoadBalancer")
        && spec.get("externalTrafficPolicy").is_none()
    {
        spec["externalTrafficPolicy"] = json!("Cluster");
    }
    if ty == "LoadBalancer" && spec.get("allocateLoadBalancerNodePorts").is_none() {
        spec["allocateLoadBalancerNodePorts"] = json!(true);
    }
    if let Some(ports) = spec["ports"].as_array_mut() {
        for p in ports {
            if p.get("protocol").is_none() {
                p["protocol"] = json!("TCP");
            }
            if p.get("targetPort").is_none() {
                p["targetPort"] = p["port"].clone();
            }
        }
    }
    if obj.get("status").is_none() {
        obj["status"] = json!({"loadBalancer": {}});
    }
}

/// Checks a Service update: allocated addresses and ports are kept as they were.
pub fn keep_allocations(new: &mut Value, old: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    if service_type(new) != service_type(old) {
        causes.push(Cause::forbidden(
            "spec.type",
            "changing a Service's type is not supported yet; delete and re-create it",
        ));
        return causes;
    }
    for field in ["clusterIP", "clusterIPs"] {
        match (new["spec"].get(field), old["spec"].get(field)) {
            (None, Some(o)) => new["spec"][field] = o.clone(),
            (Some(n), Some(o)) if n != o && n != "" => causes.push(Cause::invalid(
                &format!("spec.{field}"),
                n.as_str().unwrap_or(""),
                "field is immutable",
            )),
            (Some(n), Some(o)) if n == "" => new["spec"][field] = o.clone(),
            _ => {}
        }
    }
    let old_ports: Vec<(Option<u64>, Option<u64>)> = old["spec"]["ports"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| (p["port"].as_u64(), p["nodePort"].as_u64()))
                .collect()
        })
        .unwrap_or_default();
    if let Some(ports) = new["spec"]["ports"].as_array_mut() {
        for (i, p) in ports.iter_mut().enumerate() {
            let was = old_ports
                .iter()
                .find(|(port, _)| *port == p["port"].as_u64())
                .and_then(|(_, np)| *np);
            match (p["nodePort"].as_u64(), was) {
                (None, Some(w)) => p["nodePort"] = json!(w),
                (Some(n), w) if Some(n) != w => causes.push(Cause::forbidden(
                    &format!("spec.ports[{i}].nodePort"),
                    "changing or adding a nodePort on update is not supported yet",
                )),
                _ => {}
            }
        }
    }
    if new["spec"]["ports"].as_array().map(Vec::len)
        != old["spec"]["ports"].as_array().map(Vec::len)
        && old_ports.iter().any(|(_, np)| np.is_some())
    {
        causes.push(Cause::forbidden(
            "spec.ports",
            "adding or removing ports of a Service with node ports is not supported yet",
        ));
    }
    causes
}

/// Whether the Service as the client sent it asked for this address or port itself.
pub fn was_requested(requested: &Value, key: &[u8]) -> bool {
    let key = String::from_utf8_lossy(key);
    if let Some(ip) = key.strip_prefix(IP_PREFIX) {
        return requested["spec"]["clusterIP"].as_str() == Some(ip);
    }
    if let Some(port) = key.strip_prefix(PORT_PREFIX) {
        return requested["spec"]["ports"].as_array().is_some_and(|ps| {
            ps.iter()
                .any(|p| p["nodePort"].as_u64().map(|n| n.to_string()).as_deref() == Some(port))
        });
    }
    false
}

/// 422 for a requested address or port another Service holds.
pub fn already_allocated(name: &str, key: &[u8]) -> ApiError {
    let key = String::from_utf8_lossy(key);
    match key.strip_prefix(IP_PREFIX) {
        Some(ip) => invalid(
            name,
            vec![Cause::invalid(
                "spec.clusterIPs",
                ip,
                &format!("failed to allocate IP {ip}: provided IP is already allocated"),
            )],
        ),
        None => {
            let port = key.strip_prefix(PORT_PREFIX).unwrap_or("").to_string();
            invalid(
                name,
                vec![Cause::invalid(
                    "spec.ports[0].nodePort",
                    port.parse::<i64>().unwrap_or(0),
                    "provided port is already allocated",
                )],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use super::*;
    use crate::apiserver::registry::{DeleteOptions, Registry, WriteOptions};
    use crate::store::memory::MemoryStore;

    fn services() -> ResourceInfo {
        crate::api::builtin_resources()
            .into_iter()
            .find(|r| r.group.is_empty() && r.plural == "services")
            .unwrap()
    }

    fn svc(name: &str, extra: Value) -> Value {
        let mut s = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name},
            "spec": {"ports": [{"port": 80}]},
        });
        if let Some(e) = extra.as_object() {
            for (k, v) in e {
                s["spec"][k] = v.clone();
            }
        }
        s
    }

    async fn registry(cidr: &str) -> Arc<Registry> {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let ranges = ServiceRanges {
            cidr: cidr.parse().unwrap(),
        };
        let reg = Arc::new(Registry::new(store, ranges));
        let ns = crate::api::builtin_resources()
            .into_iter()
            .find(|r| r.plural == "namespaces")
            .unwrap();
        reg.create(
            &ns,
            None,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
            &WriteOptions::default(),
        )
        .await
        .unwrap();
        reg
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_creates_never_share_an_address_and_delete_frees_it() {
        // a /28 has 14 usable addresses, one of them reserved for `kubernetes`
        let reg = registry("10.96.0.0/28").await;
        let info = services();
        let mut tasks = Vec::new();
        for i in 0..13 {
            let (reg, info) = (reg.clone(), info.clone());
            tasks.push(tokio::spawn(async move {
                reg.create(
                    &info,
                    Some("default"),
                    svc(&format!("s{i}"), json!({})),
                    &WriteOptions::default(),
                )
                .await
                .unwrap()["spec"]["clusterIP"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }));
        }
        let mut ips = BTreeSet::new();
        for t in tasks {
            assert!(ips.insert(t.await.unwrap()), "an address was given twice");
        }
        assert_eq!(ips.len(), 13);
        assert!(
            !ips.contains("10.96.0.1") && !ips.contains("10.96.0.0") && !ips.contains("10.96.0.15")
        );
        let full = reg
            .create(
                &info,
                Some("default"),
                svc("extra", json!({})),
                &WriteOptions::default(),
            )
            .await
            .unwrap_err();
        assert!(
            full.message().contains("range is full"),
            "{}",
            full.message()
        );
        // deleting one frees its address for an explicit request
        let freed = reg.get(&info, Some("default"), "s0").await.unwrap()["spec"]["clusterIP"]
            .as_str()
            .unwrap()
            .to_string();
        reg.delete(&info, Some("default"), "s0", &DeleteOptions::default())
            .await
            .unwrap();
        let again = reg
            .create(
                &info,
                Some("default"),
                svc("again", json!({"clusterIP": freed})),
                &WriteOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(again["spec"]["clusterIP"], json!(freed));
        // an address in use cannot be requested
        let taken = reg
            .create(
                &info,
                Some("default"),
                svc("dup", json!({"clusterIP": freed})),
                &WriteOptions::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(taken.code(), 422);
        assert!(
            taken.message().contains("already allocated"),
            "{}",
            taken.message()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn node_ports_defaults_and_immutability() {
        let reg = registry("10.43.0.0/16").await;
        let info = services();
        let np = reg
            .create(
                &info,
                Some("default"),
                svc("np", json!({"type": "NodePort"})),
                &WriteOptions::default(),
            )
            .await
            .unwrap();
        let port = np["spec"]["ports"][0]["nodePort"].as_u64().unwrap();
        assert!(NODE_PORTS.contains(&(port as u16)));
        assert_eq!(np["spec"]["ports"][0]["protocol"], "TCP");
        assert_eq!(np["spec"]["ports"][0]["targetPort"], 80);
        assert_eq!(np["spec"]["sessionAffinity"], "None");
        assert_eq!(np["spec"]["externalTrafficPolicy"], "Cluster");
        let dup = reg
            .create(
                &info,
                Some("default"),
                svc(
                    "np2",
                    json!({"type": "NodePort", "ports": [{"port": 81, "nodePort": port}]}),
                ),
                &WriteOptions::default(),
            )
            .await
            .unwrap_err();
        assert!(
            dup.message().contains("already allocated"),
            "{}",
            dup.message()
        );
        let bad = reg
            .create(
                &info,
                Some("default"),
                svc(
                    "np3",
                    json!({"type": "NodePort", "ports": [{"port": 81, "nodePort": 80}]}),
                ),
                &WriteOptions::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(bad.code(), 422);
        // clusterIP cannot change; an omitted one is kept
        let ip = np["spec"]["clusterIP"].as_str().unwrap().to_string();
        let err = reg
            .update(
                &info,
                Some("default"),
                "np",
                None,
                &WriteOptions::default(),
                |old| {
                    let mut new = old.clone();
                    new["spec"]["clusterIP"] = json!("10.43.200.200");
                    new["spec"]["clusterIPs"] = json!(["10.43.200.200"]);
                    Ok(new)
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), 422);
        let kept = reg
            .update(
                &info,
                Some("default"),
                "np",
                None,
                &WriteOptions::default(),
                |old| {
                    let mut new = old.clone();
                    new["spec"].as_object_mut().unwrap().remove("clusterIP");
                    new["metadata"]["labels"] = json!({"a": "b"});
                    Ok(new)
                },
            )
            .await
            .unwrap();
        assert_eq!(kept["spec"]["clusterIP"], json!(ip));
    }
}
