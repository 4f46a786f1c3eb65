//! Discovery documents built from resource rows, field for field as upstream's
//! `metav1` and `apidiscovery/v2` types serialize (struct order = Go field order,
//! `omitempty` fields skipped when empty).
//!
//! Upstream quirks kept: `/api` and `/api/v1` carry no `apiVersion` (legacy
//! "unversioned" core discovery), `/apis` and `/apis/G/V` say `"apiVersion":"v1"`;
//! a subresource's `group`/`version` appear only when its kind lives in another group
//! version; in aggregated discovery `responseKind` repeats those (empty strings for
//! the resource's own group version) and each group's `metadata` holds
//! `"creationTimestamp":null` (v1.33 does not omit zero timestamps yet). Serialize
//! with [`crate::api::json::to_vec`].

use super::{ResourceInfo, ordered_groups};
use crate::api::gvk::api_version;
use serde::Serialize;

/// `{}`: an empty `ListMeta`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EmptyObject {}

/// `metav1.ServerAddressByClientCIDR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerAddressByClientCidr {
    #[serde(rename = "clientCIDR")]
    pub client_cidr: String,
    #[serde(rename = "serverAddress")]
    pub server_address: String,
}

/// `metav1.APIVersions`, the `/api` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiVersions {
    pub kind: &'static str,
    pub versions: Vec<String>,
    #[serde(rename = "serverAddressByClientCIDRs")]
    pub server_address_by_client_cidrs: Vec<ServerAddressByClientCidr>,
}

/// `metav1.GroupVersionForDiscovery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupVersionForDiscovery {
    pub group_version: String,
    pub version: String,
}

/// `metav1.APIGroup`; `kind`/`apiVersion` only when served alone at `/apis/G`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<&'static str>,
    pub name: String,
    pub versions: Vec<GroupVersionForDiscovery>,
    pub preferred_version: GroupVersionForDiscovery,
}

/// `metav1.APIGroupList`, the `/apis` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGroupList {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub groups: Vec<ApiGroup>,
}

/// `metav1.APIResource`: one row of an `APIResourceList` (a resource or `res/sub`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResource {
    pub name: String,
    pub singular_name: String,
    pub namespaced: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    pub kind: String,
    pub verbs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub short_names: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
}

/// `metav1.APIResourceList`, the `/api/v1` and `/apis/G/V` documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResourceList {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<&'static str>,
    pub group_version: String,
    pub resources: Vec<ApiResource>,
}

/// `metav1.GroupVersionKind` (no `omitempty`: empty strings are sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupVersionKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

/// `apidiscovery/v2.APISubresourceDiscovery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiSubresourceDiscovery {
    pub subresource: String,
    pub response_kind: GroupVersionKind,
    pub verbs: Vec<String>,
}

/// `apidiscovery/v2.APIResourceDiscovery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResourceDiscovery {
    pub resource: String,
    pub response_kind: GroupVersionKind,
    /// `Namespaced` or `Cluster`.
    pub scope: &'static str,
    pub singular_resource: String,
    pub verbs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub short_names: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subresources: Vec<ApiSubresourceDiscovery>,
}

/// `apidiscovery/v2.APIVersionDiscovery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiVersionDiscovery {
    pub version: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ApiResourceDiscovery>,
    /// Always `Current` for resources served in-process.
    pub freshness: &'static str,
}

/// The `ObjectMeta` of an `APIGroupDiscovery`: only the name (empty for core).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryObjectMeta {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Always `null`: upstream v1.33 serializes the zero timestamp.
    pub creation_timestamp: Option<String>,
}

/// `apidiscovery/v2.APIGroupDiscovery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiGroupDiscovery {
    pub metadata: DiscoveryObjectMeta,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<ApiVersionDiscovery>,
}

/// `apidiscovery/v2.APIGroupDiscoveryList`, the aggregated `/api` or `/apis` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGroupDiscoveryList {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub metadata: EmptyObject,
    pub items: Vec<ApiGroupDiscovery>,
}

/// Which aggregated document: `/api` (the core group only) or `/apis` (the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryRoot {
    Api,
    Apis,
}

/// The `/api` document; `server_address` is `host:port` as the client should use it.
pub fn api_versions(server_address: &str) -> ApiVersions {
    ApiVersions {
        kind: "APIVersions",
        versions: vec!["v1".to_string()],
        server_address_by_client_cidrs: vec![ServerAddressByClientCidr {
            client_cidr: "0.0.0.0/0".to_string(),
            server_address: server_address.to_string(),
        }],
    }
}

fn group_version_for_discovery(group: &str, version: &str) -> GroupVersionForDiscovery {
    GroupVersionForDiscovery {
        group_version: api_version(group, version),
        version: version.to_string(),
    }
}

fn api_group_entry(group: &str, versions: &[String]) -> ApiGroup {
    ApiGroup {
        kind: None,
        api_version: None,
        name: group.to_string(),
        versions: versions
            .iter()
            .map(|v| group_version_for_discovery(group, v))
            .collect(),
        preferred_version: group_version_for_discovery(group, &versions[0]),
    }
}

/// The `/apis` document: every non-core group, in discovery order.
pub fn api_group_list(resources: &[ResourceInfo]) -> ApiGroupList {
    ApiGroupList {
        kind: "APIGroupList",
        api_version: "v1",
        groups: ordered_groups(resources)
            .iter()
            .filter(|g| !g.group.is_empty())
            .map(|g| api_group_entry(&g.group, &g.versions))
            .collect(),
    }
}

/// The `/apis/<group>` document, or `None` for an unknown (or the core) group.
pub fn api_group(resources: &[ResourceInfo], group: &str) -> Option<ApiGroup> {
    if group.is_empty() {
        return None;
    }
    let g = ordered_groups(resources)
        .into_iter()
        .find(|g| g.group == group)?;
    Some(ApiGroup {
        kind: Some("APIGroup"),
        api_version: Some("v1"),
        ..api_group_entry(&g.group, &g.versions)
    })
}

/// The resources of one group version, sorted by plural as upstream sorts its paths.
fn resources_of<'a>(
    resources: &'a [ResourceInfo],
    group: &str,
    version: &str,
) -> Vec<&'a ResourceInfo> {
    let mut rows: Vec<&ResourceInfo> = resources
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    rows.sort_by(|a, b| a.plural.cmp(&b.plural));
    rows
}

/// The `/api/v1` or `/apis/<group>/<version>` document (`group` empty for core), or
/// `None` when nothing is served there. Each resource is followed by its subresources
/// (`pods/log`, …), sorted.
pub fn api_resource_list(
    resources: &[ResourceInfo],
    group: &str,
    version: &str,
) -> Option<ApiResourceList> {
    let rows = resources_of(resources, group, version);
    if rows.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for r in rows {
        out.push(ApiResource {
            name: r.plural.clone(),
            singular_name: r.singular.clone(),
            namespaced: r.namespaced,
            group: String::new(),
            version: String::new(),
            kind: r.kind.clone(),
            verbs: r.verbs.clone(),
            short_names: r.short_names.clone(),
            categories: r.categories.clone(),
        });
        for s in sorted_subresources(r) {
            out.push(ApiResource {
                name: format!("{}/{}", r.plural, s.name),
                singular_name: String::new(),
                namespaced: r.namespaced,
                group: s.group.clone(),
                version: s.version.clone(),
                kind: s.kind.clone(),
                verbs: s.verbs.clone(),
                short_names: Vec::new(),
                categories: Vec::new(),
            });
        }
    }
    Some(ApiResourceList {
        kind: "APIResourceList",
        api_version: (!group.is_empty()).then_some("v1"),
        group_version: api_version(group, version),
        resources: out,
    })
}

fn sorted_subresources(r: &ResourceInfo) -> Vec<&super::SubresourceInfo> {
    let mut subs: Vec<_> = r.subresources.iter().collect();
    subs.sort_by(|a, b| a.name.cmp(&b.name));
    subs
}

fn resource_discovery(r: &ResourceInfo) -> ApiResourceDiscovery {
    ApiResourceDiscovery {
        resource: r.plural.clone(),
        response_kind: GroupVersionKind {
            group: String::new(),
            version: String::new(),
            kind: r.kind.clone(),
        },
        scope: if r.namespaced {
            "Namespaced"
        } else {
            "Cluster"
        },
        singular_resource: r.singular.clone(),
        verbs: r.verbs.clone(),
        short_names: r.short_names.clone(),
        categories: r.categories.clone(),
        subresources: sorted_subresources(r)
            .into_iter()
            .map(|s| ApiSubresourceDiscovery {
                subresource: s.name.clone(),
                response_kind: GroupVersionKind {
                    group: s.group.clone(),
                    version: s.version.clone(),
                    kind: s.kind.clone(),
                },
                verbs: s.verbs.clone(),
            })
            .collect(),
    }
}

/// The aggregated discovery document (`Accept: application/json;g=apidiscovery.k8s.io;
/// v=v2;as=APIGroupDiscoveryList`) for `/api` or `/apis`.
pub fn aggregated_discovery(
    resources: &[ResourceInfo],
    root: DiscoveryRoot,
) -> ApiGroupDiscoveryList {
    let items = ordered_groups(resources)
        .into_iter()
        .filter(|g| g.group.is_empty() == (root == DiscoveryRoot::Api))
        .map(|g| ApiGroupDiscovery {
            metadata: DiscoveryObjectMeta {
                name: g.group.clone(),
                creation_timestamp: None,
            },
            versions: g
                .versions
                .iter()
                .map(|v| ApiVersionDiscovery {
                    version: v.clone(),
                    resources: resources_of(resources, &g.group, v)
                        .into_iter()
                        .map(resource_discovery)
                        .collect(),
                    freshness: "Current",
                })
                .collect(),
        })
        .collect();
    ApiGroupDiscoveryList {
        kind: "APIGroupDiscoveryList",
        api_version: "apidiscovery.k8s.io/v2",
        metadata: EmptyObject {},
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::json::to_vec;
    use crate::api::resources::builtin_resources;

    fn json<T: Serialize>(v: &T) -> String {
        String::from_utf8(to_vec(v).unwrap()).unwrap()
    }

    const RW: &str =
        r#"["create","delete","deletecollection","get","list","patch","update","watch"]"#;

    #[test]
    fn api_root() {
        assert_eq!(
            json(&api_versions("10.0.0.1:6443")),
            r#"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.1:6443"}]}"#
        );
    }

    #[test]
    fn apis_root_lists_groups_in_upstream_order() {
        let list = api_group_list(&builtin_resources());
        let names: Vec<&str> = list.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "apps",
                "events.k8s.io",
                "authentication.k8s.io",
                "authorization.k8s.io",
                "autoscaling",
                "batch",
                "certificates.k8s.io",
                "networking.k8s.io",
                "policy",
                "rbac.authorization.k8s.io",
                "storage.k8s.io",
                "apiextensions.k8s.io",
                "scheduling.k8s.io",
                "coordination.k8s.io",
                "node.k8s.io",
                "discovery.k8s.io",
            ]
        );
        let s = json(&list);
        assert!(s.starts_with(r#"{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}},{"name":"events.k8s.io","#), "{s}");
        assert!(s.contains(r#"{"name":"autoscaling","versions":[{"groupVersion":"autoscaling/v2","version":"v2"}],"preferredVersion":{"groupVersion":"autoscaling/v2","version":"v2"}}"#));
    }

    #[test]
    fn single_group_document() {
        let g = api_group(&builtin_resources(), "batch").unwrap();
        assert_eq!(
            json(&g),
            r#"{"kind":"APIGroup","apiVersion":"v1","name":"batch","versions":[{"groupVersion":"batch/v1","version":"v1"}],"preferredVersion":{"groupVersion":"batch/v1","version":"v1"}}"#
        );
        assert!(api_group(&builtin_resources(), "").is_none());
        assert!(api_group(&builtin_resources(), "nope.io").is_none());
    }

    #[test]
    fn core_resource_list_matches_upstream_rows() {
        let list = api_resource_list(&builtin_resources(), "", "v1").unwrap();
        let names: Vec<&str> = list.resources.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "configmaps",
                "endpoints",
                "events",
                "limitranges",
                "namespaces",
                "namespaces/finalize",
                "namespaces/status",
                "nodes",
                "nodes/proxy",
                "nodes/status",
                "persistentvolumeclaims",
                "persistentvolumeclaims/status",
                "persistentvolumes",
                "persistentvolumes/status",
                "pods",
                "pods/attach",
                "pods/binding",
                "pods/ephemeralcontainers",
                "pods/eviction",
                "pods/exec",
                "pods/log",
                "pods/portforward",
                "pods/proxy",
                "pods/resize",
                "pods/status",
                "podtemplates",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "replicationcontrollers/status",
                "resourcequotas",
                "resourcequotas/status",
                "secrets",
                "serviceaccounts",
                "serviceaccounts/token",
                "services",
                "services/proxy",
                "services/status",
            ]
        );
        let s = json(&list);
        assert!(s.starts_with(&format!(
            r#"{{"kind":"APIResourceList","groupVersion":"v1","resources":[{{"name":"configmaps","singularName":"configmap","namespaced":true,"kind":"ConfigMap","verbs":{RW},"shortNames":["cm"]}},"#
        )), "{s}");
        for row in [
            format!(r#"{{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":{RW},"shortNames":["po"],"categories":["all"]}}"#),
            r#"{"name":"pods/eviction","singularName":"","namespaced":true,"group":"policy","version":"v1","kind":"Eviction","verbs":["create"]}"#.to_string(),
            r#"{"name":"pods/exec","singularName":"","namespaced":true,"kind":"PodExecOptions","verbs":["create","get"]}"#.to_string(),
            r#"{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["ns"]}"#.to_string(),
            r#"{"name":"serviceaccounts/token","singularName":"","namespaced":true,"group":"authentication.k8s.io","version":"v1","kind":"TokenRequest","verbs":["create"]}"#.to_string(),
            r#"{"name":"nodes/proxy","singularName":"","namespaced":false,"kind":"NodeProxyOptions","verbs":["create","delete","get","patch","update"]}"#.to_string(),
        ] {
            assert!(s.contains(&row), "missing {row}");
        }
    }

    #[test]
    fn group_resource_list_has_api_version() {
        let list = api_resource_list(&builtin_resources(), "apps", "v1").unwrap();
        let s = json(&list);
        assert!(s.starts_with(&format!(
            r#"{{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"apps/v1","resources":[{{"name":"controllerrevisions","singularName":"controllerrevision","namespaced":true,"kind":"ControllerRevision","verbs":{RW}}},{{"name":"daemonsets","#
        )), "{s}");
        assert!(s.contains(r#"{"name":"deployments/scale","singularName":"","namespaced":true,"group":"autoscaling","version":"v1","kind":"Scale","verbs":["get","patch","update"]}"#));
        assert!(api_resource_list(&builtin_resources(), "apps", "v2").is_none());
    }

    #[test]
    fn aggregated_documents() {
        let all = builtin_resources();
        let apis = aggregated_discovery(&all, DiscoveryRoot::Apis);
        let s = json(&apis);
        assert!(s.starts_with(r#"{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[{"metadata":{"name":"apps","creationTimestamp":null},"versions":[{"version":"v1","resources":[{"resource":"controllerrevisions","responseKind":{"group":"","version":"","kind":"ControllerRevision"},"scope":"Namespaced","singularResource":"controllerrevision","verbs":"#), "{s}");
        let deploy = format!(
            r#"{{"resource":"deployments","responseKind":{{"group":"","version":"","kind":"Deployment"}},"scope":"Namespaced","singularResource":"deployment","verbs":{RW},"shortNames":["deploy"],"categories":["all"],"subresources":[{{"subresource":"scale","responseKind":{{"group":"autoscaling","version":"v1","kind":"Scale"}},"verbs":["get","patch","update"]}},{{"subresource":"status","responseKind":{{"group":"","version":"","kind":"Deployment"}},"verbs":["get","patch","update"]}}]}}"#
        );
        assert!(s.contains(&deploy), "missing {deploy}");
        assert!(s.contains(r#"{"resource":"selfsubjectreviews","responseKind":{"group":"","version":"","kind":"SelfSubjectReview"},"scope":"Cluster","singularResource":"selfsubjectreview","verbs":["create"]}],"freshness":"Current"}]}"#));
        assert_eq!(apis.items.len(), api_group_list(&all).groups.len());
        assert!(apis.items.iter().all(|g| !g.metadata.name.is_empty()));

        let api = aggregated_discovery(&all, DiscoveryRoot::Api);
        let s = json(&api);
        assert!(s.starts_with(r#"{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[{"metadata":{"creationTimestamp":null},"versions":[{"version":"v1","resources":[{"resource":"configmaps","#), "{s}");
        assert_eq!(api.items.len(), 1);
        let core = &api.items[0].versions[0].resources;
        let pods = core.iter().find(|r| r.resource == "pods").unwrap();
        let eviction = pods
            .subresources
            .iter()
            .find(|s| s.subresource == "eviction")
            .unwrap();
        assert_eq!(
            json(eviction),
            r#"{"subresource":"eviction","responseKind":{"group":"policy","version":"v1","kind":"Eviction"},"verbs":["create"]}"#
        );
    }
}
