//! Auto-deployed manifests: every YAML (or JSON) file in
//! `<data-dir>/server/manifests/` is applied with server-side apply (field manager
//! `kelp-deploy`, conflicts forced) at start and whenever it changes; removing a file,
//! or an object from a file, deletes what it had created. `NAME.yaml.skip` next to
//! `NAME.yaml` leaves that file alone (not applied, nothing deleted); `--disable NAME`
//! treats `NAME.yaml` as absent (what it created is deleted), as k3s does for the
//! components it packages.
//!
//! What each file created is recorded in the ConfigMap `kube-system/kelp-manifests`
//! (one key per file: its checksum and object references), so that a restart knows
//! what to delete and unchanged files are not re-applied. The pure part ([`scan`],
//! [`plan`]) decides; [`run`] talks to the API through a kube-rs client.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// The field manager of every apply.
pub const FIELD_MANAGER: &str = "kelp-deploy";
const RECORD_NAMESPACE: &str = "kube-system";
const RECORD_NAME: &str = "kelp-manifests";
/// How often the directory is read. Reading writes nothing, so an idle cluster stays
/// idle on disk.
const POLL: Duration = Duration::from_secs(2);

/// One object a manifest created.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

/// What was applied from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub checksum: String,
    pub objects: Vec<ObjectRef>,
}

/// A manifest file as read from the directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The file name without its extension: `coredns` for `coredns.yaml`.
    pub name: String,
    /// The file, `dir` joined with its name.
    pub path: PathBuf,
    pub checksum: String,
    /// The objects, in file order (`List` kinds flattened); `Err` if the file does not
    /// parse, which applies and deletes nothing for it.
    pub objects: Result<Vec<Value>, String>,
}

/// The directory's manifests, and the names with a `.skip` file.
#[derive(Debug, Default)]
pub struct Scan {
    pub manifests: Vec<Manifest>,
    pub skipped: BTreeSet<String>,
}

impl Scan {
    /// Whether the deployer applies `m`: neither disabled (`--disable NAME`, treated as
    /// absent) nor skipped (`NAME.yaml.skip`, left alone).
    pub fn deploys(&self, m: &Manifest, disabled: &[String]) -> bool {
        !disabled.contains(&m.name) && !self.skipped.contains(&m.name)
    }
}

/// Reads `dir`. A missing directory has no manifests. An error names the directory or
/// the file.
pub fn scan(dir: &Path) -> std::io::Result<Scan> {
    let at = |p: &Path| {
        let p = p.display().to_string();
        move |e: std::io::Error| std::io::Error::new(e.kind(), format!("{p}: {e}"))
    };
    let mut out = Scan::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(at(dir)(e)),
    };
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(at(dir))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with('.') {
            continue;
        }
        if let Some(stem) = file.strip_suffix(".skip") {
            if let Some(name) = manifest_name(stem) {
                out.skipped.insert(key(name));
            }
            continue;
        }
        if let Some(name) = manifest_name(&file)
            && entry.file_type().map_err(at(&entry.path()))?.is_file()
        {
            files.push((key(name), entry.path()));
        }
    }
    files.sort();
    for (name, path) in files {
        let bytes = std::fs::read(&path).map_err(at(&path))?;
        out.manifests.push(Manifest {
            name,
            checksum: checksum(&bytes),
            objects: parse(&bytes),
            path,
        });
    }
    Ok(out)
}

fn manifest_name(file: &str) -> Option<&str> {
    [".yaml", ".yml", ".json"]
        .iter()
        .find_map(|ext| file.strip_suffix(ext))
        .filter(|n| !n.is_empty())
}

fn checksum(bytes: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    // not security relevant: it only tells whether a file changed
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    format!("{:016x}{:08x}", h.finish(), bytes.len())
}

/// The objects of a multi-document YAML file; empty documents are skipped and `List`
/// kinds are flattened.
pub fn parse(bytes: &[u8]) -> Result<Vec<Value>, String> {
    use serde::Deserialize as _;
    let mut out = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_slice(bytes).enumerate() {
        let v = Value::deserialize(doc).map_err(|e| format!("document {}: {e}", i + 1))?;
        match v {
            Value::Null => {}
            Value::Object(ref o)
                if o.get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.ends_with("List"))
                    && o.get("items").is_some_and(Value::is_array) =>
            {
                out.extend(o["items"].as_array().cloned().unwrap_or_default());
            }
            Value::Object(_) => out.push(v),
            _ => return Err(format!("document {}: not an object", i + 1)),
        }
    }
    for (i, o) in out.iter().enumerate() {
        let s = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("");
        if s("apiVersion").is_empty() || s("kind").is_empty() {
            return Err(format!(
                "object {}: apiVersion and kind are required",
                i + 1
            ));
        }
        if o["metadata"]["name"].as_str().unwrap_or("").is_empty() {
            return Err(format!("object {}: metadata.name is required", i + 1));
        }
    }
    Ok(out)
}

/// What to do for one file.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Apply these objects, then delete `stale` (created before, no longer in the file).
    Apply {
        name: String,
        checksum: String,
        objects: Vec<Value>,
        stale: Vec<ObjectRef>,
    },
    /// The file is gone (or disabled): delete what it created and forget it.
    Remove {
        name: String,
        objects: Vec<ObjectRef>,
    },
}

/// Decides what to do from the directory and the records of what was applied.
pub fn plan(scan: &Scan, disabled: &[String], records: &BTreeMap<String, Record>) -> Vec<Action> {
    let mut actions = Vec::new();
    let mut present = BTreeSet::new();
    for m in &scan.manifests {
        if disabled.contains(&m.name) {
            continue;
        }
        present.insert(m.name.clone());
        if !scan.deploys(m, disabled) {
            continue;
        }
        let Ok(objects) = &m.objects else { continue };
        let record = records.get(&m.name);
        if record.is_some_and(|r| r.checksum == m.checksum) {
            continue;
        }
        let now: BTreeSet<ObjectRef> = objects.iter().map(object_ref).collect();
        let stale = record
            .map(|r| {
                r.objects
                    .iter()
                    .filter(|o| !now.contains(*o))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        actions.push(Action::Apply {
            name: m.name.clone(),
            checksum: m.checksum.clone(),
            objects: ordered(objects),
            stale,
        });
    }
    for (name, r) in records {
        // a skipped file's objects stay, even when the file itself is gone
        if !present.contains(name) && !scan.skipped.contains(name) {
            actions.push(Action::Remove {
                name: name.clone(),
                objects: r.objects.clone(),
            });
        }
    }
    actions
}

/// Namespaces and CRDs first: what follows may live in or be one of them.
fn ordered(objects: &[Value]) -> Vec<Value> {
    let rank = |o: &Value| match o["kind"].as_str() {
        Some("Namespace") => 0,
        Some("CustomResourceDefinition") => 1,
        _ => 2,
    };
    let mut out = objects.to_vec();
    out.sort_by_key(rank);
    out
}

pub fn object_ref(o: &Value) -> ObjectRef {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    ObjectRef {
        api_version: s(&o["apiVersion"]),
        kind: s(&o["kind"]),
        namespace: o["metadata"]["namespace"].as_str().map(str::to_string),
        name: s(&o["metadata"]["name"]),
    }
}

/// Applies the directory until `cancel` fires: once at start, then on every change.
pub async fn run(
    client: kube::Client,
    dir: PathBuf,
    disabled: Vec<String>,
    cancel: CancellationToken,
) {
    let mut last_failure = String::new();
    loop {
        match sync(&client, &dir, &disabled).await {
            Ok(()) => last_failure.clear(),
            Err(e) => {
                let text = format!("{e:#}");
                // say it once, not every poll
                if text != last_failure {
                    tracing::warn!(dir = %dir.display(), "manifests: {text}");
                    last_failure = text;
                }
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// One pass: read, plan, act, record.
pub async fn sync(client: &kube::Client, dir: &Path, disabled: &[String]) -> anyhow::Result<()> {
    let scan = {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || scan(&dir)).await??
    };
    let mut failures = Vec::new();
    for m in &scan.manifests {
        if let Err(e) = &m.objects {
            failures.push(format!("{}: {e}", m.name));
        }
    }
    let configmaps: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(client.clone(), RECORD_NAMESPACE);
    let stored = configmaps.get_opt(RECORD_NAME).await?;
    let mut records: BTreeMap<String, Record> = BTreeMap::new();
    for (k, v) in stored.and_then(|c| c.data).unwrap_or_default() {
        if let Ok(r) = serde_json::from_str(&v) {
            records.insert(k, r);
        }
    }
    let actions = plan(&scan, disabled, &records);
    if actions.is_empty() && failures.is_empty() {
        return Ok(());
    }
    let before = records.clone();
    for action in actions {
        match action {
            Action::Apply {
                name,
                checksum,
                objects,
                stale,
            } => {
                let mut applied = Vec::new();
                let mut ok = true;
                for o in &objects {
                    match apply(client, o).await {
                        Ok(r) => applied.push(r),
                        Err(e) => {
                            ok = false;
                            failures.push(format!("{name}: {}: {e:#}", describe(&object_ref(o))));
                        }
                    }
                }
                for s in &stale {
                    if let Err(e) = delete(client, s).await {
                        ok = false;
                        failures.push(format!("{name}: deleting {}: {e:#}", describe(s)));
                    }
                }
                if ok {
                    tracing::info!(manifest = %name, objects = applied.len(), "manifest applied");
                    records.insert(
                        name.clone(),
                        Record {
                            checksum,
                            objects: applied,
                        },
                    );
                }
            }
            Action::Remove { name, objects } => {
                let mut ok = true;
                for o in &objects {
                    if let Err(e) = delete(client, o).await {
                        ok = false;
                        failures.push(format!("{name}: deleting {}: {e:#}", describe(o)));
                    }
                }
                if ok {
                    tracing::info!(manifest = %name, objects = objects.len(), "manifest removed");
                    records.remove(&name);
                }
            }
        }
    }
    if records != before {
        let data: BTreeMap<String, String> = records
            .iter()
            .map(|(k, r)| {
                (
                    k.clone(),
                    serde_json::to_string(r).expect("records serialize"),
                )
            })
            .collect();
        let cm = serde_json::json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": RECORD_NAME, "namespace": RECORD_NAMESPACE},
            "data": data,
        });
        configmaps
            .patch(
                RECORD_NAME,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(cm),
            )
            .await?;
    }
    if failures.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{}", failures.join("; "))
    }
}

/// A manifest's name, usable as a ConfigMap key (`[-._a-zA-Z0-9]`).
fn key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `Kind namespace/name`, or `Kind name` for a cluster-scoped object.
pub(crate) fn describe(o: &ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{} {}/{}", o.kind, ns, o.name),
        None => format!("{} {}", o.kind, o.name),
    }
}

async fn api_for(client: &kube::Client, o: &ObjectRef) -> anyhow::Result<Api<DynamicObject>> {
    let (group, version) = match o.api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", o.api_version.as_str()),
    };
    let gvk = GroupVersionKind::gvk(group, version, &o.kind);
    let (resource, caps) = kube::discovery::pinned_kind(client, &gvk).await?;
    Ok(match caps.scope {
        Scope::Namespaced => Api::namespaced_with(
            client.clone(),
            o.namespace.as_deref().unwrap_or("default"),
            &resource,
        ),
        Scope::Cluster => Api::all_with(client.clone(), &resource),
    })
}

async fn apply(client: &kube::Client, o: &Value) -> anyhow::Result<ObjectRef> {
    let r = object_ref(o);
    let api = api_for(client, &r).await?;
    let applied = api
        .patch(
            &r.name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(o),
        )
        .await?;
    Ok(ObjectRef {
        namespace: applied.metadata.namespace.clone(),
        ..r
    })
}

async fn delete(client: &kube::Client, o: &ObjectRef) -> anyhow::Result<()> {
    let api = match api_for(client, o).await {
        Ok(api) => api,
        // the kind is no longer served (its CRD went first): nothing left to delete
        Err(e) if e.downcast_ref::<kube::Error>().is_some_and(is_not_found) => return Ok(()),
        Err(e) => return Err(e),
    };
    match api.delete(&o.name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn is_not_found(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => s.code == 404,
        kube::Error::Discovery(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest(name: &str, yaml: &str) -> Manifest {
        Manifest {
            name: name.into(),
            path: PathBuf::from(format!("{name}.yaml")),
            checksum: checksum(yaml.as_bytes()),
            objects: parse(yaml.as_bytes()),
        }
    }

    const TWO: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n---\n\
        apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n";

    #[test]
    fn parses_documents_lists_and_refuses_nameless_objects() {
        let objects = parse(TWO.as_bytes()).unwrap();
        assert_eq!(objects.len(), 2);
        let list = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n";
        assert_eq!(parse(list.as_bytes()).unwrap()[0]["metadata"]["name"], "b");
        assert!(parse(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n").is_err());
        assert!(parse(b"- 1\n").is_err());
        assert!(parse(b"a: [\n").is_err());
    }

    #[test]
    fn a_new_file_is_applied_namespaces_first() {
        let scan = Scan {
            manifests: vec![manifest("one", TWO)],
            ..Default::default()
        };
        let actions = plan(&scan, &[], &BTreeMap::new());
        let [Action::Apply { objects, stale, .. }] = &actions[..] else {
            panic!("{actions:?}")
        };
        assert_eq!(objects[0]["kind"], "Namespace");
        assert!(stale.is_empty());
    }

    #[test]
    fn unchanged_files_do_nothing_and_changed_ones_delete_dropped_objects() {
        let m = manifest("one", TWO);
        let recorded = Record {
            checksum: m.checksum.clone(),
            objects: m.objects.clone().unwrap().iter().map(object_ref).collect(),
        };
        let records = BTreeMap::from([("one".to_string(), recorded.clone())]);
        let same = Scan {
            manifests: vec![m],
            ..Default::default()
        };
        assert!(plan(&same, &[], &records).is_empty());

        let changed = Scan {
            manifests: vec![manifest(
                "one",
                "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
            )],
            ..Default::default()
        };
        let actions = plan(&changed, &[], &records);
        let [Action::Apply { stale, .. }] = &actions[..] else {
            panic!("{actions:?}")
        };
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].kind, "ConfigMap");
        assert_eq!(stale[0].namespace.as_deref(), Some("x"));
    }

    #[test]
    fn removed_and_disabled_files_are_deleted_skipped_ones_left_alone() {
        let record = Record {
            checksum: "c".into(),
            objects: vec![object_ref(&json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "a"}}))],
        };
        let records = BTreeMap::from([
            ("gone".to_string(), record.clone()),
            ("skipped".to_string(), record.clone()),
            ("off".to_string(), record.clone()),
        ]);
        let scan = Scan {
            manifests: vec![manifest("skipped", TWO), manifest("off", TWO)],
            skipped: BTreeSet::from(["skipped".to_string()]),
        };
        let actions = plan(&scan, &["off".to_string()], &records);
        let removed: Vec<&str> = actions
            .iter()
            .map(|a| match a {
                Action::Remove { name, .. } => name.as_str(),
                Action::Apply { name, .. } => panic!("applied {name}"),
            })
            .collect();
        assert_eq!(removed, ["gone", "off"]);
    }

    #[test]
    fn a_file_that_does_not_parse_changes_nothing() {
        let bad = Manifest {
            name: "bad".into(),
            path: PathBuf::from("bad.yaml"),
            checksum: "x".into(),
            objects: Err("nope".into()),
        };
        let record = Record {
            checksum: "old".into(),
            objects: vec![],
        };
        let records = BTreeMap::from([("bad".to_string(), record)]);
        let scan = Scan {
            manifests: vec![bad],
            ..Default::default()
        };
        assert!(plan(&scan, &[], &records).is_empty());
    }

    #[test]
    fn scan_reads_manifests_and_skip_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), TWO).unwrap();
        std::fs::write(dir.path().join("b.yml"), TWO).unwrap();
        std::fs::write(dir.path().join("b.yml.skip"), "").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        std::fs::write(dir.path().join(".hidden.yaml"), "x").unwrap();
        let scan = scan(dir.path()).unwrap();
        let names: Vec<&str> = scan.manifests.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(scan.skipped.contains("b"));
        assert!(
            super::scan(&dir.path().join("missing"))
                .unwrap()
                .manifests
                .is_empty()
        );
    }
}
