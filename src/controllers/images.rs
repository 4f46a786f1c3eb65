//! The container images the auto-deployed manifests need, for `kelp airgap list-images`:
//! what an airgapped node must have imported before those manifests' pods can start.
//! kelp itself needs no image: by design its node agent runs pods through containerd's
//! own API (no CRI, so no pause image) and cluster DNS runs inside kelp.
//!
//! [`images`] is the pure core: the images named by parsed objects (Pods, pod templates,
//! `List`s). [`in_dir`] reads a manifests directory exactly as the deployer does
//! ([`manifests::scan`], `.skip` files, `--disable`); [`in_files`] reads given files.
//! Images are returned as written, not normalised (`nginx` stays `nginx`): that is what
//! `ctr image pull` or `docker pull` is given.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::manifests;

/// The fields of a pod spec that hold containers.
const CONTAINER_FIELDS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// Where a kind keeps its pod spec, for the built-in kinds that run pods (any version of
/// their API group; the group keeps a custom resource of the same kind out).
fn pod_spec_path(api_version: &str, kind: &str) -> Option<&'static [&'static str]> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    Some(match (group, kind) {
        ("", "Pod") => &["spec"],
        ("", "PodTemplate") => &["template", "spec"],
        ("", "ReplicationController")
        | ("apps" | "extensions", "Deployment" | "ReplicaSet" | "DaemonSet")
        | ("apps", "StatefulSet")
        | ("batch", "Job") => &["spec", "template", "spec"],
        ("batch", "CronJob") => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    })
}

/// The images one object runs, in the order written; a `List`'s items are searched.
/// A missing field means no image; a field of the wrong type is an error naming it.
pub fn object_images(object: &Value) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    collect(object, &mut out)?;
    Ok(out)
}

fn collect<'a>(object: &'a Value, out: &mut Vec<&'a str>) -> Result<(), String> {
    let s = |k: &str| object.get(k).and_then(Value::as_str).unwrap_or("");
    let kind = s("kind");
    if kind.ends_with("List")
        && let Some(items) = object.get("items")
    {
        let items = items.as_array().ok_or("items: not a list")?;
        for (i, item) in items.iter().enumerate() {
            collect(item, out).map_err(|e| format!("items[{i}]: {e}"))?;
        }
        return Ok(());
    }
    let Some(path) = pod_spec_path(s("apiVersion"), kind) else {
        return Ok(());
    };
    let mut spec = object;
    for (depth, field) in path.iter().enumerate() {
        match spec.get(field) {
            None | Some(Value::Null) => return Ok(()),
            Some(v @ Value::Object(_)) => spec = v,
            Some(_) => return Err(format!("{}: not an object", path[..=depth].join("."))),
        }
    }
    let at = path.join(".");
    for field in CONTAINER_FIELDS {
        let containers = match spec.get(field) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(a)) => a,
            Some(_) => return Err(format!("{at}.{field}: not a list")),
        };
        for (i, c) in containers.iter().enumerate() {
            if !c.is_object() {
                return Err(format!("{at}.{field}[{i}]: not an object"));
            }
            match c.get("image") {
                None | Some(Value::Null) => {}
                Some(Value::String(image)) if image.is_empty() => {}
                Some(Value::String(image)) => out.push(image),
                Some(_) => return Err(format!("{at}.{field}[{i}].image: not a string")),
            }
        }
    }
    Ok(())
}

/// Every image `objects` name, sorted and unique. An error names the object (its
/// position, kind, namespace and name) and the field.
pub fn images<'a>(
    objects: impl IntoIterator<Item = &'a Value>,
) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    for (i, o) in objects.into_iter().enumerate() {
        let found = object_images(o).map_err(|e| {
            let what = manifests::describe(&manifests::object_ref(o));
            format!("object {} ({what}): {e}", i + 1)
        })?;
        out.extend(found.into_iter().map(str::to_string));
    }
    Ok(out)
}

/// The images the manifests in `dir` need: those of every file `kelp server` deploys
/// from it (`NAME.yaml.skip` and `--disable NAME` leave `NAME.yaml` out). `None` when
/// there is no such directory. The first file that cannot be read or parsed is an
/// error naming it.
pub fn in_dir(dir: &Path, disabled: &[String]) -> Result<Option<BTreeSet<String>>, String> {
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
        Ok(_) => {}
    }
    let scan = manifests::scan(dir).map_err(|e| e.to_string())?;
    let mut out = BTreeSet::new();
    for m in scan.manifests.iter().filter(|m| scan.deploys(m, disabled)) {
        out.extend(of_manifest(&m.path, &m.objects)?);
    }
    Ok(Some(out))
}

/// The images the given manifest files need: every document of each counts, whatever
/// the file's name.
pub fn in_files(files: &[PathBuf]) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    for path in files {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        out.extend(of_manifest(path, &manifests::parse(&bytes))?);
    }
    Ok(out)
}

fn of_manifest(
    path: &Path,
    objects: &Result<Vec<Value>, String>,
) -> Result<BTreeSet<String>, String> {
    let named = |e: &str| format!("{}: {e}", path.display());
    let objects = objects.as_ref().map_err(|e| named(e))?;
    images(objects).map_err(|e| named(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A pod spec with one container of each field, images named after `tag`.
    fn pod_spec(tag: &str) -> Value {
        json!({
            "initContainers": [{"name": "i", "image": format!("init:{tag}")}],
            "containers": [{"name": "c", "image": format!("main:{tag}")},
                           {"name": "d", "image": format!("side:{tag}")}],
            "ephemeralContainers": [{"name": "e", "image": format!("debug:{tag}")}],
        })
    }

    fn workload(api_version: &str, kind: &str, spec: Value) -> Value {
        json!({"apiVersion": api_version, "kind": kind,
               "metadata": {"name": "x", "namespace": "ns"}, "spec": spec})
    }

    fn template(tag: &str) -> Value {
        json!({"template": {"spec": pod_spec(tag)}})
    }

    fn all_four(tag: &str) -> Vec<String> {
        ["init", "main", "side", "debug"]
            .iter()
            .map(|i| format!("{i}:{tag}"))
            .collect()
    }

    #[test]
    fn every_kind_that_runs_pods() {
        // (kind, the object, the tag of its images)
        let cases: Vec<(&str, Value, &str)> = vec![
            ("Pod", workload("v1", "Pod", pod_spec("pod")), "pod"),
            (
                "PodTemplate",
                json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "x"},
                       "template": {"spec": pod_spec("pt")}}),
                "pt",
            ),
            (
                "ReplicationController",
                workload("v1", "ReplicationController", template("rc")),
                "rc",
            ),
            (
                "Deployment",
                workload("apps/v1", "Deployment", template("d")),
                "d",
            ),
            (
                "old Deployment",
                workload("extensions/v1beta1", "Deployment", template("ed")),
                "ed",
            ),
            (
                "ReplicaSet",
                workload("apps/v1", "ReplicaSet", template("rs")),
                "rs",
            ),
            (
                "StatefulSet",
                workload("apps/v1", "StatefulSet", template("ss")),
                "ss",
            ),
            (
                "DaemonSet",
                workload("apps/v1", "DaemonSet", template("ds")),
                "ds",
            ),
            ("Job", workload("batch/v1", "Job", template("j")), "j"),
            (
                "CronJob",
                workload(
                    "batch/v1",
                    "CronJob",
                    json!({"jobTemplate": {"spec": template("cj")}}),
                ),
                "cj",
            ),
        ];
        for (what, object, tag) in &cases {
            // in written order: init, containers, ephemeral
            assert_eq!(object_images(object).unwrap(), all_four(tag), "{what}");
        }
    }

    #[test]
    fn objects_without_pods_or_images() {
        let cases: Vec<(&str, Value)> = vec![
            (
                "ConfigMap",
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"},
                       "data": {"image": "not:this"}}),
            ),
            (
                "a custom resource named like a workload",
                workload("example.com/v1", "Deployment", template("cr")),
            ),
            (
                "Deployment without a template",
                workload("apps/v1", "Deployment", json!({})),
            ),
            (
                "container without an image",
                workload(
                    "v1",
                    "Pod",
                    json!({"containers": [{"name": "c"}, {"name": "d", "image": ""}]}),
                ),
            ),
            (
                "null containers",
                workload("v1", "Pod", json!({"containers": null})),
            ),
        ];
        for (what, object) in &cases {
            assert_eq!(object_images(object).unwrap(), Vec::<&str>::new(), "{what}");
        }
    }

    #[test]
    fn wrong_types_name_the_field() {
        let cases: Vec<(Value, &str)> = vec![
            (workload("v1", "Pod", json!("x")), "spec: not an object"),
            (
                workload("apps/v1", "Deployment", json!({"template": {"spec": []}})),
                "spec.template.spec: not an object",
            ),
            (
                workload("v1", "Pod", json!({"containers": {"image": "a"}})),
                "spec.containers: not a list",
            ),
            (
                workload("v1", "Pod", json!({"initContainers": ["a"]})),
                "spec.initContainers[0]: not an object",
            ),
            (
                workload(
                    "v1",
                    "Pod",
                    json!({"containers": [{"image": "a"}, {"image": 7}]}),
                ),
                "spec.containers[1].image: not a string",
            ),
            (
                json!({"apiVersion": "v1", "kind": "List", "items": [{}, workload("v1", "Pod", json!([]))]}),
                "items[1]: spec: not an object",
            ),
        ];
        for (object, want) in &cases {
            assert_eq!(object_images(object).unwrap_err(), *want, "{object}");
        }
        let err = images([&workload("v1", "ConfigMap", json!({})), &cases[2].0]).unwrap_err();
        assert_eq!(err, "object 2 (Pod ns/x): spec.containers: not a list");
    }

    #[test]
    fn lists_and_multi_document_files_sorted_and_unique() {
        let yaml = "\
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: 'b.io/x:1'}]}}
- {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {containers: [{name: c, image: nginx}]}}
---
# a comment-only document and an empty one are nothing
---
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: kube-system}
spec:
  template:
    spec:
      containers:
      - {name: c, image: 'b.io/x:1'}
      - {name: d, image: 'a.io/y@sha256:0123'}
";
        let objects = manifests::parse(yaml.as_bytes()).unwrap();
        let got: Vec<String> = images(&objects).unwrap().into_iter().collect();
        assert_eq!(got, ["a.io/y@sha256:0123", "b.io/x:1", "nginx"]);

        // a List given as one object (the deployer's parse flattens them), nested too
        let pod = workload("v1", "Pod", pod_spec("l"));
        let nested = json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "PodList", "items": [pod]}, pod]});
        let mut want = all_four("l");
        want.extend(all_four("l"));
        assert_eq!(object_images(&nested).unwrap(), want);
    }

    #[test]
    fn manifests_in_a_directory_as_the_deployer_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let pod = |image: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec: {{containers: [{{name: c, image: '{image}'}}]}}\n"
            )
        };
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("a.yaml", &pod("a:1"));
        write("b.yml", &pod("b:1"));
        write(
            "c.json",
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"c:1"}]}}"#,
        );
        write("skipped.yaml", &pod("skipped:1"));
        write("skipped.yaml.skip", "");
        write("off.yaml", &pod("off:1"));
        write("notes.txt", &pod("txt:1"));
        write(".hidden.yaml", &pod("hidden:1"));
        let got = in_dir(dir.path(), &["off".to_string()]).unwrap().unwrap();
        assert_eq!(got.into_iter().collect::<Vec<_>>(), ["a:1", "b:1", "c:1"]);

        assert_eq!(in_dir(&dir.path().join("missing"), &[]).unwrap(), None);
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(in_dir(empty.path(), &[]).unwrap(), Some(BTreeSet::new()));

        // named files: every document counts, whatever the name
        let files = [
            dir.path().join("notes.txt"),
            dir.path().join("skipped.yaml"),
        ];
        let got = in_files(&files).unwrap();
        assert_eq!(got.into_iter().collect::<Vec<_>>(), ["skipped:1", "txt:1"]);
    }

    #[test]
    fn a_bad_manifest_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.yaml");
        std::fs::write(&ok, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n").unwrap();
        let cases: &[(&str, &str)] = &[
            ("bad YAML", "a: [\n"),
            ("not an object", "- 1\n"),
            ("no name", "apiVersion: v1\nkind: Pod\nmetadata: {}\n"),
            (
                "wrong type",
                "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: 3}\n",
            ),
        ];
        for (what, text) in cases {
            let bad = dir.path().join("zz-bad.yaml");
            std::fs::write(&bad, text).unwrap();
            let prefix = format!("{}: ", bad.display());
            let err = in_dir(dir.path(), &[]).unwrap_err();
            assert!(err.starts_with(&prefix), "{what}: {err}");
            let err = in_files(&[ok.clone(), bad.clone()]).unwrap_err();
            assert!(err.starts_with(&prefix), "{what}: {err}");
        }
        let missing = dir.path().join("missing.yaml");
        let err = in_files(std::slice::from_ref(&missing)).unwrap_err();
        assert!(
            err.starts_with(&format!("{}: ", missing.display())),
            "{err}"
        );
    }
}
