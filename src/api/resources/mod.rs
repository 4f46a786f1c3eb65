//! The resources kelp serves: one [`ResourceInfo`] row per group/version/resource,
//! with upstream's names, scope, verbs, short names, categories and subresources.
//!
//! The built-in rows come from a static table ([`builtin_resources`]); rows are owned
//! so CRDs can add theirs at runtime ([`ResourceTable::insert`]). [`discovery`] turns a
//! table into the discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/G/V`, and
//! aggregated discovery v2).

pub mod discovery;
mod table;

use crate::api::gvk::{GroupKind, GroupResource, api_version};
use std::cmp::Ordering;

/// A subresource (`pods/log`, `deployments/scale`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubresourceInfo {
    /// The part after the `/`, e.g. `status`.
    pub name: String,
    /// Group and version of `kind` when it is not the parent's (e.g. `autoscaling`/`v1`
    /// for `Scale`); empty means the parent's group version, as upstream leaves them.
    pub group: String,
    pub version: String,
    pub kind: String,
    pub verbs: Vec<String>,
}

/// One resource at one group version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    /// `""` for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The plural resource name used in URLs, e.g. `deployments`.
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    /// Upstream's verbs, in upstream's (sorted) order.
    pub verbs: Vec<String>,
    pub subresources: Vec<SubresourceInfo>,
}

impl ResourceInfo {
    pub fn group_resource(&self) -> GroupResource {
        GroupResource::new(self.group.clone(), self.plural.clone())
    }

    pub fn group_kind(&self) -> GroupKind {
        GroupKind::new(self.group.clone(), self.kind.clone())
    }

    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        api_version(&self.group, &self.version)
    }

    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    pub fn subresource(&self, name: &str) -> Option<&SubresourceInfo> {
        self.subresources.iter().find(|s| s.name == name)
    }
}

/// Every built-in resource kelp serves, in table order.
pub fn builtin_resources() -> Vec<ResourceInfo> {
    table::BUILTIN
        .iter()
        .map(table::StaticResource::to_info)
        .collect()
}

/// The resource at `group`/`version` named `plural`.
pub fn find_resource<'a>(
    resources: &'a [ResourceInfo],
    group: &str,
    version: &str,
    plural: &str,
) -> Option<&'a ResourceInfo> {
    resources
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// A group and its versions, preferred version first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupVersions {
    pub group: String,
    pub versions: Vec<String>,
}

impl GroupVersions {
    pub fn preferred_version(&self) -> &str {
        &self.versions[0]
    }
}

/// The resources being served: the built-ins plus whatever is added at runtime.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceTable {
    resources: Vec<ResourceInfo>,
}

impl ResourceTable {
    /// The built-in resources.
    pub fn builtin() -> Self {
        Self::new(builtin_resources())
    }

    pub fn new(resources: Vec<ResourceInfo>) -> Self {
        Self { resources }
    }

    pub fn resources(&self) -> &[ResourceInfo] {
        &self.resources
    }

    /// Adds a row, replacing (and returning) one at the same group/version/plural.
    pub fn insert(&mut self, info: ResourceInfo) -> Option<ResourceInfo> {
        let existing = self.resources.iter_mut().find(|r| {
            r.group == info.group && r.version == info.version && r.plural == info.plural
        });
        match existing {
            Some(slot) => Some(std::mem::replace(slot, info)),
            None => {
                self.resources.push(info);
                None
            }
        }
    }

    pub fn remove(&mut self, group: &str, version: &str, plural: &str) -> Option<ResourceInfo> {
        let i = self
            .resources
            .iter()
            .position(|r| r.group == group && r.version == version && r.plural == plural)?;
        Some(self.resources.remove(i))
    }

    /// The resource at `group`/`version` named `plural`.
    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceInfo> {
        find_resource(&self.resources, group, version, plural)
    }

    /// The resource whose kind is `kind` at `group`/`version`.
    pub fn find_kind(&self, group: &str, version: &str, kind: &str) -> Option<&ResourceInfo> {
        self.resources
            .iter()
            .find(|r| r.group == group && r.version == version && r.kind == kind)
    }

    /// Groups in discovery order (core first), see [`ordered_groups`].
    pub fn groups(&self) -> Vec<GroupVersions> {
        ordered_groups(&self.resources)
    }
}

/// The groups of `resources` in upstream's discovery order: the core group, then the
/// built-in groups in the order a real apiserver lists them under `/apis` (its group
/// priorities), then any other group (CRDs) by name. Versions are in Kubernetes
/// version priority order (`v2` > `v1` > `v1beta2` > `v1beta1` > `v1alpha1` > others
/// by name), so the first one is the preferred version.
pub fn ordered_groups(resources: &[ResourceInfo]) -> Vec<GroupVersions> {
    let mut groups: Vec<GroupVersions> = Vec::new();
    for r in resources {
        match groups.iter_mut().find(|g| g.group == r.group) {
            Some(g) if g.versions.contains(&r.version) => {}
            Some(g) => g.versions.push(r.version.clone()),
            None => groups.push(GroupVersions {
                group: r.group.clone(),
                versions: vec![r.version.clone()],
            }),
        }
    }
    for g in &mut groups {
        g.versions.sort_by(|a, b| compare_kube_versions(a, b));
    }
    groups.sort_by(|a, b| {
        let rank = |g: &str| {
            table::GROUP_ORDER
                .iter()
                .position(|x| *x == g)
                .unwrap_or(table::GROUP_ORDER.len())
        };
        rank(&a.group)
            .cmp(&rank(&b.group))
            .then_with(|| a.group.cmp(&b.group))
    });
    groups
}

/// Orders version strings by Kubernetes priority (upstream
/// `version.CompareKubeAwareVersionStrings`): `Less` means `a` is preferred.
pub fn compare_kube_versions(a: &str, b: &str) -> Ordering {
    match (parse_kube_version(a), parse_kube_version(b)) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// `v<major>[(alpha|beta)<minor>]` as a key that sorts ascending by priority:
/// stability (GA > beta > alpha), then major, then minor.
fn parse_kube_version(v: &str) -> Option<(u8, u64, u64)> {
    let rest = v.strip_prefix('v')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let major: u64 = rest[..digits].parse().ok()?;
    let tail = &rest[digits..];
    let (stability, minor_str) = if tail.is_empty() {
        return Some((2, major, 0));
    } else if let Some(m) = tail.strip_prefix("beta") {
        (1, m)
    } else if let Some(m) = tail.strip_prefix("alpha") {
        (0, m)
    } else {
        return None;
    };
    if minor_str.is_empty() || !minor_str.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stability, major, minor_str.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_resource_is_well_formed() {
        let all = builtin_resources();
        let mut seen = HashSet::new();
        let mut kinds = HashSet::new();
        for r in &all {
            assert!(!r.verbs.is_empty(), "{} has no verbs", r.plural);
            assert!(
                seen.insert((r.group.clone(), r.version.clone(), r.plural.clone())),
                "duplicate {}/{} {}",
                r.group,
                r.version,
                r.plural
            );
            assert!(kinds.insert((r.group.clone(), r.version.clone(), r.kind.clone())));
            assert!(!r.singular.is_empty() && !r.kind.is_empty());
            assert_eq!(r.plural, r.plural.to_lowercase());
            let mut verbs = r.verbs.clone();
            verbs.sort();
            assert_eq!(verbs, r.verbs, "{} verbs are not sorted", r.plural);
            let mut subs = HashSet::new();
            for s in &r.subresources {
                assert!(!s.verbs.is_empty(), "{}/{} has no verbs", r.plural, s.name);
                assert!(
                    subs.insert(s.name.clone()),
                    "duplicate {}/{}",
                    r.plural,
                    s.name
                );
                assert_eq!(s.group.is_empty(), s.version.is_empty());
            }
        }
        // Short names must not be ambiguous across resources.
        let mut short = HashSet::new();
        for r in &all {
            for s in &r.short_names {
                if !(r.plural == "events" && s == "ev") {
                    assert!(short.insert(s.clone()), "short name {s} used twice");
                }
            }
        }
    }

    #[test]
    fn builtin_table_has_the_issue_list() {
        let table = ResourceTable::builtin();
        let want = [
            ("", "v1", "namespaces"),
            ("", "v1", "pods"),
            ("", "v1", "services"),
            ("", "v1", "endpoints"),
            ("", "v1", "configmaps"),
            ("", "v1", "secrets"),
            ("", "v1", "serviceaccounts"),
            ("", "v1", "nodes"),
            ("", "v1", "events"),
            ("", "v1", "podtemplates"),
            ("", "v1", "replicationcontrollers"),
            ("", "v1", "limitranges"),
            ("", "v1", "resourcequotas"),
            ("", "v1", "persistentvolumes"),
            ("", "v1", "persistentvolumeclaims"),
            ("apps", "v1", "deployments"),
            ("apps", "v1", "replicasets"),
            ("apps", "v1", "statefulsets"),
            ("apps", "v1", "daemonsets"),
            ("apps", "v1", "controllerrevisions"),
            ("batch", "v1", "jobs"),
            ("batch", "v1", "cronjobs"),
            ("autoscaling", "v2", "horizontalpodautoscalers"),
            ("coordination.k8s.io", "v1", "leases"),
            ("discovery.k8s.io", "v1", "endpointslices"),
            ("events.k8s.io", "v1", "events"),
            ("rbac.authorization.k8s.io", "v1", "roles"),
            ("rbac.authorization.k8s.io", "v1", "rolebindings"),
            ("rbac.authorization.k8s.io", "v1", "clusterroles"),
            ("rbac.authorization.k8s.io", "v1", "clusterrolebindings"),
            ("networking.k8s.io", "v1", "ingresses"),
            ("networking.k8s.io", "v1", "ingressclasses"),
            ("networking.k8s.io", "v1", "networkpolicies"),
            ("node.k8s.io", "v1", "runtimeclasses"),
            ("scheduling.k8s.io", "v1", "priorityclasses"),
            ("storage.k8s.io", "v1", "storageclasses"),
            ("storage.k8s.io", "v1", "csidrivers"),
            ("storage.k8s.io", "v1", "csinodes"),
            ("policy", "v1", "poddisruptionbudgets"),
            ("certificates.k8s.io", "v1", "certificatesigningrequests"),
            ("apiextensions.k8s.io", "v1", "customresourcedefinitions"),
            ("authentication.k8s.io", "v1", "selfsubjectreviews"),
            ("authorization.k8s.io", "v1", "selfsubjectaccessreviews"),
            ("authorization.k8s.io", "v1", "selfsubjectrulesreviews"),
        ];
        for (g, v, p) in want {
            assert!(table.get(g, v, p).is_some(), "missing {g}/{v} {p}");
        }
        assert_eq!(table.resources().len(), want.len());
        assert!(table.get("", "v1", "componentstatuses").is_none());
    }

    #[test]
    fn lookups_and_row_facts() {
        let table = ResourceTable::builtin();
        let pods = table.get("", "v1", "pods").unwrap();
        assert_eq!((pods.kind.as_str(), pods.namespaced), ("Pod", true));
        assert_eq!(pods.group_resource().to_string(), "pods");
        assert_eq!(pods.api_version(), "v1");
        assert!(pods.has_verb("deletecollection"));
        let eviction = pods.subresource("eviction").unwrap();
        assert_eq!(
            (eviction.group.as_str(), eviction.kind.as_str()),
            ("policy", "Eviction")
        );
        assert_eq!(pods.subresource("log").unwrap().verbs, ["get"]);
        let ns = table.get("", "v1", "namespaces").unwrap();
        assert!(!ns.namespaced && !ns.has_verb("deletecollection"));
        let deploy = table.find_kind("apps", "v1", "Deployment").unwrap();
        assert_eq!(deploy.group_resource().to_string(), "deployments.apps");
        assert_eq!(deploy.group_kind().to_string(), "Deployment.apps");
        let scale = deploy.subresource("scale").unwrap();
        assert_eq!(
            (
                scale.group.as_str(),
                scale.version.as_str(),
                scale.kind.as_str()
            ),
            ("autoscaling", "v1", "Scale")
        );
        let ssr = table
            .get("authentication.k8s.io", "v1", "selfsubjectreviews")
            .unwrap();
        assert_eq!(
            (ssr.verbs.as_slice(), ssr.namespaced),
            (&["create".to_string()][..], false)
        );
        assert!(table.get("apps", "v1", "pods").is_none());
    }

    #[test]
    fn runtime_rows_replace_and_order_after_builtins() {
        let mut table = ResourceTable::builtin();
        let crd = |version: &str| ResourceInfo {
            group: "example.com".into(),
            version: version.into(),
            kind: "Widget".into(),
            plural: "widgets".into(),
            singular: "widget".into(),
            namespaced: true,
            short_names: vec![],
            categories: vec!["all".into()],
            verbs: table::RW.iter().map(|s| s.to_string()).collect(),
            subresources: vec![],
        };
        assert!(table.insert(crd("v1beta1")).is_none());
        assert!(table.insert(crd("v1")).is_none());
        assert!(table.insert(crd("v1")).is_some());
        let groups = table.groups();
        assert_eq!(groups[0].group, "");
        let last = groups.last().unwrap();
        assert_eq!(last.group, "example.com");
        assert_eq!(last.versions, ["v1", "v1beta1"]);
        assert!(table.remove("example.com", "v1", "widgets").is_some());
        assert!(table.get("example.com", "v1", "widgets").is_none());
    }

    #[test]
    fn kube_version_order() {
        let mut v = vec![
            "foo",
            "v1alpha1",
            "v1",
            "v11alpha2",
            "v2",
            "v1beta1",
            "v12",
            "v10beta3",
            "v3beta1",
            "bar",
            "v1beta2",
        ];
        v.sort_by(|a, b| compare_kube_versions(a, b));
        assert_eq!(
            v,
            [
                "v12",
                "v2",
                "v1",
                "v10beta3",
                "v3beta1",
                "v1beta2",
                "v1beta1",
                "v11alpha2",
                "v1alpha1",
                "bar",
                "foo"
            ]
        );
    }
}
