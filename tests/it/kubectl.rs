//! End to end with the real binary and real `kubectl` 1.33 over TLS, as a user would.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{Server, poll};

/// The kubectl matching the server's minor version (see FACTS.md: the dispatcher
/// picks it from /version; tests call it directly).
pub(crate) fn kubectl_binary() -> PathBuf {
    let dispatcher = which("kubectl").expect("kubectl is not installed (tests need kubectl 1.33)");
    let real = std::fs::canonicalize(dispatcher).unwrap();
    let versioned = real.parent().unwrap().join("kubectl.1.33");
    assert!(
        versioned.exists(),
        "{} not found: tests need kubectl 1.33",
        versioned.display()
    );
    versioned
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

pub(crate) struct Kubectl {
    pub(crate) bin: PathBuf,
    pub(crate) kubeconfig: PathBuf,
}

impl Kubectl {
    pub(crate) fn new(server: &Server) -> Self {
        Kubectl {
            bin: kubectl_binary(),
            kubeconfig: server.kubeconfig.clone(),
        }
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args)
            .env_clear()
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", std::env::temp_dir())
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        c
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs and expects success; returns stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects failure; returns stderr.
    pub(crate) fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} should have failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    fn apply_stdin(&self, args: &[&str], yaml: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(yaml.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

fn started() -> (tempfile::TempDir, Server, Kubectl) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    server.wait_for("API server ready", Duration::from_secs(30));
    let k = Kubectl::new(&server);
    (dir, server, k)
}

const CM: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  labels:
    app: web
data:
  greeting: hello
";

#[test]
fn kubectl_sees_a_kubernetes_server() {
    let (_dir, server, k) = started();
    let version = k.ok(&["version", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&version).unwrap();
    assert_eq!(v["serverVersion"]["major"], "1");
    assert_eq!(v["serverVersion"]["minor"], "33");

    let ns = k.ok(&["get", "namespaces"]);
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(ns.contains(name), "namespace {name} missing:\n{ns}");
    }
    assert!(ns.starts_with("NAME"), "no Table header:\n{ns}");
    assert!(ns.contains("Active"), "no STATUS column:\n{ns}");

    let resources = k.ok(&["api-resources", "-o", "wide"]);
    // -o wide adds the verbs and categories
    let header: Vec<&str> = resources
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "SHORTNAMES",
            "APIVERSION",
            "NAMESPACED",
            "KIND",
            "VERBS",
            "CATEGORIES"
        ],
        "{resources}"
    );
    let pods: Vec<&str> = resources
        .lines()
        .find(|l| l.starts_with("pods "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        pods,
        [
            "pods",
            "po",
            "v1",
            "true",
            "Pod",
            "create,delete,deletecollection,get,list,patch,update,watch",
            "all"
        ],
        "{resources}"
    );
    for r in [
        "configmaps",
        "deployments",
        "leases",
        "customresourcedefinitions",
    ] {
        assert!(resources.contains(r), "api-resources lacks {r}");
    }
    assert!(
        resources.contains("cm "),
        "short names missing:\n{resources}"
    );

    let metrics = k.ok(&["get", "--raw", "/metrics"]);
    assert!(
        metrics.contains("apiserver_request_total{") && metrics.contains("kelp_store_revision"),
        "{metrics}"
    );
    let ready = k.ok(&["get", "--raw", "/readyz?verbose"]);
    assert!(
        ready.contains("[+]ping ok") && ready.contains("readyz check passed"),
        "{ready}"
    );
    assert!(server.terminate().success());
}

#[test]
fn configmap_lifecycle_with_selectors_and_errors() {
    let (_dir, server, k) = started();
    let out = k.apply_stdin(&["create", "--validate=false", "-f", "-"], CM);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("configmap/demo created"));

    // a second create is 409 AlreadyExists, and changes nothing
    let out = k.apply_stdin(&["create", "--validate=false", "-f", "-"], CM);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("AlreadyExists"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let table = k.ok(&["get", "configmaps"]);
    assert!(table.contains("DATA") && table.contains("demo"), "{table}");
    let yaml = k.ok(&["get", "cm", "demo", "-o", "yaml"]);
    for field in [
        "greeting: hello",
        "uid:",
        "resourceVersion:",
        "creationTimestamp:",
    ] {
        assert!(yaml.contains(field), "{field} missing:\n{yaml}");
    }
    // -o json: one object, and a list of them as kubectl prints lists
    let one: serde_json::Value =
        serde_json::from_str(&k.ok(&["get", "cm", "demo", "-o", "json"])).unwrap();
    assert_eq!(
        (&one["apiVersion"], &one["kind"], &one["data"]["greeting"]),
        (
            &serde_json::json!("v1"),
            &serde_json::json!("ConfigMap"),
            &serde_json::json!("hello")
        )
    );
    let list: serde_json::Value =
        serde_json::from_str(&k.ok(&["get", "cm", "-o", "json"])).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["apiVersion"], "v1");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["kind"], "ConfigMap");
    assert_eq!(items[0]["metadata"]["uid"], one["metadata"]["uid"]);
    assert_eq!(
        k.ok(&["get", "cm", "-l", "app=web", "-o", "name"]).trim(),
        "configmap/demo"
    );
    assert_eq!(
        k.ok(&["get", "cm", "-l", "app=db", "-o", "name"]).trim(),
        ""
    );
    assert_eq!(
        k.ok(&[
            "get",
            "cm",
            "--field-selector",
            "metadata.name=demo",
            "-o",
            "name"
        ])
        .trim(),
        "configmap/demo"
    );
    let bad = k.fails(&["get", "cm", "--field-selector", "data.greeting=hello"]);
    assert!(
        bad.contains("BadRequest") && bad.contains("data.greeting"),
        "{bad}"
    );
    let bad = k.fails(&["get", "cm", "-l", "a b c"]);
    assert!(
        bad.contains("unable to parse requirement") || bad.contains("BadRequest"),
        "{bad}"
    );
    let jp = k.ok(&["get", "cm", "demo", "-o", "jsonpath={.data.greeting}"]);
    assert_eq!(jp, "hello");

    let missing = k.fails(&["get", "cm", "nope"]);
    assert!(
        missing.contains(r#"configmaps "nope" not found"#),
        "{missing}"
    );

    // pagination: kubectl lists in chunks and sees every object once
    for i in 0..7 {
        let yaml = CM.replace("name: demo", &format!("name: page-{i}"));
        let out = k.apply_stdin(&["create", "--validate=false", "-f", "-"], &yaml);
        assert!(out.status.success());
    }
    let paged = k.run(&["get", "cm", "--chunk-size=2", "-o", "name", "-v=6"]);
    assert!(paged.status.success());
    // 7 + demo = 8 ConfigMaps in pages of 2: four requests, three of them continuing
    let log = String::from_utf8_lossy(&paged.stderr);
    let pages = log
        .lines()
        .filter(|l| l.contains("/configmaps?") && l.contains("limit=2") && l.contains("200 OK"))
        .count();
    let continued = log
        .lines()
        .filter(|l| l.contains("limit=2") && l.contains("continue=") && l.contains("200 OK"))
        .count();
    assert_eq!((pages, continued), (4, 3), "{log}");
    let names = String::from_utf8(paged.stdout).unwrap();
    assert_eq!(
        names
            .lines()
            .filter(|l| l.starts_with("configmap/page-"))
            .count(),
        7,
        "{names}"
    );

    assert!(
        k.ok(&["delete", "cm", "demo"])
            .contains(r#"configmap "demo" deleted"#)
    );
    k.fails(&["get", "cm", "demo"]);
    // deletecollection deletes what its selector picks, and only that
    k.ok(&["create", "configmap", "unlabelled"]);
    k.ok(&[
        "delete",
        "--raw",
        "/api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb",
    ]);
    assert_eq!(
        k.ok(&["get", "cm", "-o", "name"]).trim(),
        "configmap/unlabelled"
    );
    assert!(server.terminate().success());
}

#[test]
fn get_watch_prints_rows_as_objects_change() {
    let (_dir, server, k) = started();
    k.ok(&["create", "configmap", "first"]);
    let mut watch = k
        .cmd(&["get", "cm", "-w", "--output-watch-events"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut seen: Vec<String> = Vec::new();
    let mut wait_for = |event: &str, name: &str| -> String {
        loop {
            if let Some(row) = seen.iter().find(|l| {
                let mut cells = l.split_whitespace();
                cells.next() == Some(event) && cells.next() == Some(name)
            }) {
                return row.clone();
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(l) => seen.push(l),
                Err(_) => panic!("kubectl get -w never printed {event} {name}: {seen:?}"),
            }
        }
    };
    // the initial list comes first, as ADDED rows under the Table's header; only
    // then is the watch itself running
    wait_for("ADDED", "first");
    let out = k.apply_stdin(&["create", "--validate=false", "-f", "-"], CM);
    assert!(out.status.success());
    let row = wait_for("ADDED", "demo");
    assert_eq!(
        row.split_whitespace().nth(2),
        Some("1"),
        "DATA column: {row}"
    );
    k.ok(&["patch", "cm", "demo", "-p", r#"{"data":{"more":"x"}}"#]);
    let row = wait_for("MODIFIED", "demo");
    assert_eq!(
        row.split_whitespace().nth(2),
        Some("2"),
        "DATA column: {row}"
    );
    k.ok(&["delete", "cm", "demo"]);
    wait_for("DELETED", "demo");
    let header = seen[0].split_whitespace().collect::<Vec<_>>();
    assert_eq!(header, ["EVENT", "NAME", "DATA", "AGE"], "{seen:?}");
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(server.terminate().success());
}

#[test]
fn unauthenticated_and_health() {
    let (_dir, server, k) = started();
    // without credentials: health is open, the API is not
    let anon = tempfile::NamedTempFile::new().unwrap();
    let kc = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: not-a-token}}\n",
        server.port
    );
    std::fs::write(anon.path(), kc).unwrap();
    let anon_k = Kubectl {
        bin: k.bin.clone(),
        kubeconfig: anon.path().to_path_buf(),
    };
    let err = anon_k.fails(&["get", "cm"]);
    assert!(
        err.contains("Unauthorized") || err.contains("must be logged in"),
        "{err}"
    );
    // a bad token is refused everywhere, health included (authentication comes first)
    let err = anon_k.fails(&["get", "--raw", "/healthz"]);
    assert!(err.contains("Unauthorized"), "{err}");
    // no credentials at all: health and /version answer (anonymous-auth defaults to
    // true), the API does not. (kubectl asks for a user name when a kubeconfig has no
    // credentials, so a plain HTTPS client asks: Python's, which the tests need anyway.)
    let script = format!(
        "import ssl, urllib.request, urllib.error\n\
         ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE\n\
         for p in ['/healthz', '/livez', '/readyz', '/readyz?verbose', '/version', '/api/v1/configmaps']:\n\
         \x20   try:\n\
         \x20       r = urllib.request.urlopen('https://127.0.0.1:{}' + p, context=ctx)\n\
         \x20       print(p, r.status, r.read().decode().replace('\\n', ' ')[:80])\n\
         \x20   except urllib.error.HTTPError as e:\n\
         \x20       print(p, e.code)\n",
        server.port
    );
    let out = std::process::Command::new("/usr/bin/python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        &lines[..3],
        ["/healthz 200 ok", "/livez 200 ok", "/readyz 200 ok"],
        "{text}"
    );
    assert!(lines[3].starts_with("/readyz?verbose 200 [+]"), "{text}");
    assert!(
        lines[4].starts_with("/version 200 {\"buildDate\""),
        "{text}"
    );
    assert_eq!(lines[5], "/api/v1/configmaps 401", "{text}");
    assert!(server.terminate().success());
}

#[test]
fn services_get_addresses_and_release_them() {
    let (_dir, server, k) = started();
    let svc = k.ok(&["get", "svc", "kubernetes", "-o", "wide"]);
    assert!(
        svc.contains("10.43.0.1") && svc.contains("443/TCP"),
        "{svc}"
    );
    let eps = k.ok(&["get", "endpoints", "kubernetes"]);
    assert!(eps.contains(&format!("127.0.0.1:{}", server.port)), "{eps}");

    let web = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 80
";
    let out = k.apply_stdin(&["create", "--validate=false", "-f", "-"], web);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ip = k.ok(&["get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}"]);
    assert!(ip.starts_with("10.43.") && ip != "10.43.0.1", "{ip}");
    let port: u16 = k
        .ok(&[
            "get",
            "svc",
            "web",
            "-o",
            "jsonpath={.spec.ports[0].nodePort}",
        ])
        .parse()
        .unwrap();
    assert!((30000..=32767).contains(&port));
    let table = k.ok(&["get", "svc", "web"]);
    assert!(
        table.contains(&format!("80:{port}/TCP")) && table.contains("NodePort"),
        "{table}"
    );

    // the same address requested by another Service is refused and nothing is stored
    let dup = web
        .replace("name: web", "name: dup")
        .replace("type: NodePort", &format!("clusterIP: {ip}"));
    let out = k.apply_stdin(&["create", "--validate=false", "-f", "-"], &dup);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already allocated"));
    k.fails(&["get", "svc", "dup"]);
    // deleting frees the address for a new owner
    k.ok(&["delete", "svc", "web"]);
    let out = k.apply_stdin(&["create", "--validate=false", "-f", "-"], &dup);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(server.terminate().success());
}

#[test]
fn apply_patch_validation_and_explain() {
    let (dir, server, k) = started();
    let dep = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        env:
        - {name: A, value: \"1\"}
        - {name: B, value: \"2\"}
";
    let apply = |yaml: &str| {
        let out = k.apply_stdin(&["apply", "-f", "-"], yaml);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(apply(dep).contains("created"));
    assert!(apply(dep).contains("unchanged"));
    let changed = dep
        .replace("nginx:1.25", "nginx:1.26")
        .replace("        - {name: B, value: \"2\"}\n", "");
    assert!(apply(&changed).contains("configured"));
    let got = k.ok(&[
        "get", "deploy", "web", "-o",
        "jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[*].name} {.metadata.generation}",
    ]);
    assert_eq!(got, "nginx:1.26 A 2");

    k.ok(&["label", "deploy", "web", "tier=front"]);
    k.ok(&["annotate", "deploy", "web", "note=x"]);
    assert_eq!(
        k.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.metadata.annotations.note}"
        ]),
        "x"
    );
    k.ok(&[
        "patch",
        "deploy",
        "web",
        "--type=merge",
        "-p",
        r#"{"spec":{"replicas":3}}"#,
    ]);
    assert_eq!(
        k.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]),
        "3"
    );
    k.ok(&[
        "patch",
        "deploy",
        "web",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/replicas","value":4}]"#,
    ]);
    k.ok(&[
        "patch",
        "deploy",
        "web",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}"#,
    ]);
    let got = k.ok(&["get", "deploy", "web", "-o", "jsonpath={.metadata.labels.tier} {.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].name}"]);
    assert_eq!(got, "front 4 nginx:1.27 A");
    // edit through an editor that rewrites the image
    // (a closed file: an open one cannot be executed)
    let editor = dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i 's/nginx:1.27/nginx:1.28/' \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = k
        .cmd(&["edit", "deploy", "web"])
        .env("KUBE_EDITOR", &editor)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        k.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}"
        ]),
        "nginx:1.28"
    );

    // an unknown field: strict validation (kubectl's default) refuses it and stores nothing
    let bogus = CM.replace("data:", "bogus: 1\ndata:");
    let out = k.apply_stdin(&["create", "-f", "-"], &bogus);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(r#"unknown field "bogus""#),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    k.fails(&["get", "cm", "demo"]);
    // a wrong value type is refused whatever the validation level
    let wrong = dep.replace("replicas: 2", "replicas: two");
    let out = k.apply_stdin(
        &["create", "--validate=false", "-f", "-"],
        &wrong.replace("name: web", "name: web2"),
    );
    assert!(!out.status.success());
    // server dry run stores nothing
    let out = k.apply_stdin(&["create", "--dry-run=server", "-f", "-"], CM);
    assert!(
        out.status.success()
            && String::from_utf8_lossy(&out.stdout)
                .contains("configmap/demo created (server dry run)"),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    k.fails(&["get", "cm", "demo"]);

    let explain = k.ok(&["explain", "pods.spec.containers"]);
    assert!(
        explain.contains("FIELD: containers <[]Container>"),
        "{explain}"
    );
    assert!(server.terminate().success());
}

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    kind: Widget
    plural: widgets
    singular: widget
    shortNames: [wd]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - name: Size
      type: integer
      jsonPath: .spec.size
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
          status:
            type: object
            properties:
              ready: {type: boolean}
";

#[test]
fn custom_resource_definition_lifecycle() {
    let (_dir, server, k) = started();
    let out = k.apply_stdin(&["apply", "-f", "-"], CRD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Established as soon as the create returns
    assert_eq!(
        k.ok(&[
            "get",
            "crd",
            "widgets.example.com",
            "-o",
            r#"jsonpath={.status.conditions[?(@.type=="Established")].status}"#,
        ]),
        "True"
    );
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=20s",
    ]);
    let resources = k.ok(&["api-resources", "--api-group=example.com"]);
    assert!(
        resources.contains("widgets") && resources.contains("wd"),
        "{resources}"
    );

    let widget = "apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
spec:
  size: 3
";
    let out = k.apply_stdin(&["apply", "-f", "-"], widget);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = k.ok(&["get", "widgets"]);
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{table}");
    // the CRD's columns replace the default AGE one, as upstream
    assert_eq!(rows[0], ["NAME", "SIZE"], "{table}");
    assert_eq!(rows[1], ["w1", "3"], "{table}");
    assert!(
        k.ok(&["get", "wd", "-o", "name"])
            .contains("widget.example.com/w1")
    );
    // status goes through the status subresource only
    k.ok(&[
        "patch",
        "widget",
        "w1",
        "--type=merge",
        "--subresource=status",
        "-p",
        r#"{"status":{"ready":true}}"#,
    ]);
    k.ok(&[
        "patch",
        "widget",
        "w1",
        "--type=merge",
        "-p",
        r#"{"spec":{"size":4},"status":{"ready":false}}"#,
    ]);
    let got = k.ok(&[
        "get",
        "widget",
        "w1",
        "-o",
        "jsonpath={.spec.size} {.status.ready}",
    ]);
    assert_eq!(got, "4 true");
    // deleting the CRD removes its objects and stops serving them
    k.ok(&["delete", "crd", "widgets.example.com"]);
    let gone = k.fails(&["get", "widgets"]);
    assert!(
        gone.contains("the server doesn't have a resource type") || gone.contains("NotFound"),
        "{gone}"
    );
    let out = k.apply_stdin(&["apply", "-f", "-"], CRD);
    assert!(out.status.success());
    assert_eq!(
        k.ok(&["get", "widgets", "-o", "name"]).trim(),
        "",
        "objects came back with the CRD"
    );
    assert!(server.terminate().success());
}

#[test]
fn typed_generators_send_protobuf_and_it_is_understood() {
    let (_dir, server, k) = started();
    assert!(
        k.ok(&["create", "namespace", "team-a"])
            .contains("namespace/team-a created")
    );
    k.ok(&[
        "create",
        "configmap",
        "settings",
        "-n",
        "team-a",
        "--from-literal=mode=fast",
    ]);
    k.ok(&[
        "create",
        "secret",
        "generic",
        "token",
        "-n",
        "team-a",
        "--from-literal=key=s3cret",
    ]);
    k.ok(&[
        "create",
        "deployment",
        "api",
        "-n",
        "team-a",
        "--image=nginx:1.27",
        "--replicas=2",
    ]);
    k.ok(&["create", "serviceaccount", "robot", "-n", "team-a"]);
    let got = k.ok(&[
        "get",
        "cm",
        "settings",
        "-n",
        "team-a",
        "-o",
        "jsonpath={.data.mode}",
    ]);
    assert_eq!(got, "fast");
    // Secret data travels as bytes in protobuf and is base64 in JSON
    let got = k.ok(&[
        "get",
        "secret",
        "token",
        "-n",
        "team-a",
        "-o",
        "jsonpath={.data.key}",
    ]);
    assert_eq!(got, "czNjcmV0");
    let got = k.ok(&[
        "get",
        "deploy",
        "api",
        "-n",
        "team-a",
        "-o",
        "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}",
    ]);
    assert_eq!(got, "2 nginx:1.27");
    assert_eq!(k.ok(&["auth", "can-i", "create", "pods"]).trim(), "yes");
    let who = k.ok(&["auth", "whoami"]);
    assert!(
        who.contains("system:admin") && who.contains("system:masters"),
        "{who}"
    );
    assert!(server.terminate().success());
}

/// Runs `kubectl create --raw PATH -f FILE` with `body` and returns stderr.
fn raw_post(k: &Kubectl, dir: &std::path::Path, path: &str, body: &[u8]) -> Output {
    let file = dir.join("body");
    std::fs::write(&file, body).unwrap();
    k.run(&["create", "--raw", path, "-f", file.to_str().unwrap()])
}

#[test]
fn bad_input_gets_the_right_status_and_stores_nothing() {
    let (dir, server, k) = started();
    let cms = "/api/v1/namespaces/default/configmaps";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "malformed JSON",
            b"{\"apiVersion\": \"v1\",".to_vec(),
            "BadRequest",
        ),
        (
            "wrong kind",
            br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}"#.to_vec(),
            "does not match the expected kind",
        ),
        (
            "wrong apiVersion",
            br#"{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}"#.to_vec(),
            "does not match the expected API version",
        ),
        (
            "bad name",
            br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Not_Valid"}}"#.to_vec(),
            "Invalid",
        ),
        (
            "no name",
            br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}"#.to_vec(),
            "name or generateName is required",
        ),
        (
            "over 3 MiB",
            {
                let mut b = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":""#.to_vec();
                b.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024 + 10));
                b.extend(br#""}}"#);
                b
            },
            "RequestEntityTooLarge",
        ),
    ];
    for (what, body, want) in &cases {
        let out = raw_post(&k, dir.path(), cms, body);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: accepted");
        assert!(err.contains(want), "{what}: {err}");
    }
    assert_eq!(
        k.ok(&["get", "cm", "-o", "name"]).trim(),
        "",
        "a bad request stored something"
    );

    let bad_rv = k.fails(&[
        "get",
        "--raw",
        "/api/v1/namespaces/default/configmaps?resourceVersion=abc&resourceVersionMatch=Exact",
    ]);
    assert!(
        bad_rv.contains("BadRequest") || bad_rv.contains("invalid"),
        "{bad_rv}"
    );
    let unknown = k.fails(&["get", "--raw", "/api/v1/namespaces/default/gizmos"]);
    assert!(unknown.contains("NotFound"), "{unknown}");
    let future = k.fails(&[
        "get",
        "--raw",
        "/api/v1/namespaces/default/configmaps?resourceVersion=999999&resourceVersionMatch=Exact",
    ]);
    assert!(
        future.contains("Too large resource version") || future.contains("Timeout"),
        "{future}"
    );
    assert!(server.terminate().success());
}

#[test]
fn watch_resumes_from_a_resource_version_and_expires_after_compaction() {
    let dir = tempfile::tempdir().unwrap();
    // compact history older than 1 s, checked every 100 ms
    let mut server = Server::start(
        dir.path(),
        &["--store-keep-duration", "1s", "--store-keep-revisions", "0"],
    );
    server.wait_for("API server ready", Duration::from_secs(30));
    let k = Kubectl::new(&server);
    let out = k.apply_stdin(&["create", "--validate=false", "-f", "-"], CM);
    assert!(out.status.success());
    let rv = k.ok(&[
        "get",
        "cm",
        "demo",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]);
    for i in 0..3 {
        k.ok(&["label", "cm", "demo", &format!("step={i}"), "--overwrite"]);
    }
    // resuming right away replays exactly the three changes after `rv`
    let events = k.ok(&[
        "get",
        "--raw",
        &format!(
            "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1"
        ),
    ]);
    let types: Vec<String> = events
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(types, vec!["MODIFIED", "MODIFIED", "MODIFIED"], "{events}");
    // once compacted past `rv`, the same watch ends with 410 Expired
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let events = k.ok(&["get", "--raw", &format!("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1")]);
        if events.contains("\"ERROR\"") {
            assert!(
                events.contains("\"code\":410") && events.contains("Expired"),
                "{events}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never compacted: {events}"
        );
        // a write moves the compactor's window forward
        k.ok(&["label", "cm", "demo", "tick=1", "--overwrite"]);
    }
    assert!(server.terminate().success());
}

#[test]
fn leases_and_events_round_trip() {
    let (_dir, server, k) = started();
    let lease = "apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: leader
  namespace: kube-system
spec:
  holderIdentity: node-a
  leaseDurationSeconds: 15
";
    assert!(k.apply_stdin(&["apply", "-f", "-"], lease).status.success());
    let t = k.ok(&["get", "lease", "-n", "kube-system"]);
    assert!(t.contains("leader") && t.contains("node-a"), "{t}");
    let event = "apiVersion: events.k8s.io/v1
kind: Event
metadata:
  name: e1
eventTime: 2026-01-01T00:00:00.000000Z
reportingController: kelp.test/ctl
reportingInstance: i1
action: Tested
reason: Testing
type: Normal
regarding:
  kind: Lease
  name: leader
  namespace: kube-system
";
    let out = k.apply_stdin(&["create", "-f", "-"], event);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        k.ok(&["get", "events.events.k8s.io", "-o", "name"])
            .contains("e1")
    );
    // updates: a lease renewal, an event seen again
    k.ok(&[
        "patch",
        "lease",
        "leader",
        "-n",
        "kube-system",
        "--type=merge",
        "-p",
        r#"{"spec":{"holderIdentity":"node-b","renewTime":"2026-01-01T00:00:05.000000Z"}}"#,
    ]);
    assert_eq!(
        k.ok(&[
            "get",
            "lease",
            "leader",
            "-n",
            "kube-system",
            "-o",
            "jsonpath={.spec.holderIdentity} {.spec.renewTime}"
        ]),
        "node-b 2026-01-01T00:00:05.000000Z"
    );
    k.ok(&[
        "patch",
        "events.events.k8s.io",
        "e1",
        "--type=merge",
        "-p",
        r#"{"series":{"count":2,"lastObservedTime":"2026-01-01T00:00:09.000000Z"}}"#,
    ]);
    // the core API sees the same event, with its field names
    assert_eq!(
        k.ok(&[
            "get",
            "events",
            "e1",
            "-o",
            "jsonpath={.series.count} {.involvedObject.name}"
        ]),
        "2 leader"
    );
    k.ok(&["delete", "lease", "leader", "-n", "kube-system"]);
    k.ok(&["delete", "events.events.k8s.io", "e1"]);
    assert!(
        k.fails(&["get", "lease", "leader", "-n", "kube-system"])
            .contains(r#"leases.coordination.k8s.io "leader" not found"#)
    );
    assert!(
        k.fails(&["get", "events.events.k8s.io", "e1"])
            .contains(r#"events.events.k8s.io "e1" not found"#)
    );
    assert!(server.terminate().success());
}

#[test]
fn deleting_a_namespace_deletes_what_is_in_it() {
    let (_dir, server, k) = started();
    k.ok(&["create", "namespace", "doomed"]);
    k.ok(&[
        "create",
        "configmap",
        "a",
        "-n",
        "doomed",
        "--from-literal=x=y",
    ]);
    let svc = "apiVersion: v1
kind: Service
metadata:
  name: s
  namespace: doomed
spec:
  clusterIP: 10.43.7.7
  ports: [{port: 80}]
";
    assert!(k.apply_stdin(&["create", "-f", "-"], svc).status.success());
    // an object with a finalizer holds the namespace in Terminating
    let held = "apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  namespace: doomed
  finalizers: [example.com/hold]
";
    assert!(k.apply_stdin(&["create", "-f", "-"], held).status.success());
    k.ok(&["delete", "namespace", "doomed", "--wait=false"]);
    let phase = k.ok(&["get", "ns", "doomed", "-o", "jsonpath={.status.phase}"]);
    assert_eq!(phase, "Terminating");
    assert_eq!(
        k.ok(&["get", "cm", "-n", "doomed", "-o", "name"]).trim(),
        "configmap/held"
    );
    // nothing new may be created in it
    let refused = k.fails(&["create", "configmap", "late", "-n", "doomed"]);
    assert!(refused.contains("being terminated"), "{refused}");
    // releasing the finalizer lets the namespace go, and the Service's address is free
    k.ok(&[
        "patch",
        "cm",
        "held",
        "-n",
        "doomed",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    k.fails(&["get", "ns", "doomed"]);
    let reuse = svc.replace("namespace: doomed", "namespace: default");
    let out = k.apply_stdin(&["create", "-f", "-"], &reuse);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // and a namespace with nothing holding it goes at once
    k.ok(&["create", "namespace", "brief"]);
    k.ok(&["create", "configmap", "b", "-n", "brief"]);
    k.ok(&["delete", "namespace", "brief"]);
    k.fails(&["get", "ns", "brief"]);
    assert!(server.terminate().success());
}

#[test]
fn server_side_apply_owns_fields_and_reports_conflicts() {
    let (_dir, _server, k) = started();
    let dep = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa
  labels: {app: ssa, tier: front}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ssa}
  template:
    metadata:
      labels: {app: ssa}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
";
    let ssa = |yaml: &str, extra: &[&str]| {
        let mut args = vec!["apply", "--server-side", "-f", "-"];
        args.extend_from_slice(extra);
        k.apply_stdin(&args, yaml)
    };
    let text = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let out = ssa(dep, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "deployment.apps/ssa serverside-applied"
    );
    let rv = k.ok(&[
        "get",
        "deploy",
        "ssa",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]);
    let managers = k.ok(&[
        "get",
        "deploy",
        "ssa",
        "--show-managed-fields",
        "-o",
        "jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation} {end}",
    ]);
    assert_eq!(managers.trim(), "kubectl/Apply");
    let owned = k.ok(&[
        "get",
        "deploy",
        "ssa",
        "--show-managed-fields",
        "-o",
        "jsonpath={.metadata.managedFields[0].fieldsV1.f:spec.f:template.f:spec.f:containers}",
    ]);
    assert!(
        owned.contains(r#"k:{\"name\":\"web\"}"#) || owned.contains(r#"k:{"name":"web"}"#),
        "{owned}"
    );

    // the same configuration again writes nothing
    let out = ssa(dep, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let again = k.ok(&[
        "get",
        "deploy",
        "ssa",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]);
    assert_eq!(again, rv, "a no-op apply must not write");

    // another manager takes spec.replicas; re-applying 2 conflicts
    k.ok(&[
        "patch",
        "deploy",
        "ssa",
        "--type=merge",
        "-p",
        r#"{"spec":{"replicas":5}}"#,
    ]);
    let out = ssa(dep, &[]);
    assert!(!out.status.success(), "conflict expected: {}", text(&out));
    let err = text(&out);
    assert!(
        err.contains(r#"Apply failed with 1 conflict: conflict with "kubectl-patch""#)
            && err.contains(".spec.replicas"),
        "{err}"
    );
    assert_eq!(
        k.ok(&["get", "deploy", "ssa", "-o", "jsonpath={.spec.replicas}"]),
        "5"
    );
    let out = ssa(dep, &["--force-conflicts"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        k.ok(&["get", "deploy", "ssa", "-o", "jsonpath={.spec.replicas}"]),
        "2"
    );

    // a label dropped from the configuration is removed; dry-run changes nothing
    let out = ssa(&dep.replace(", tier: front", ""), &["--dry-run=server"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        k.ok(&[
            "get",
            "deploy",
            "ssa",
            "-o",
            "jsonpath={.metadata.labels.tier}"
        ]),
        "front"
    );
    let out = ssa(&dep.replace(", tier: front", ""), &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        k.ok(&[
            "get",
            "deploy",
            "ssa",
            "-o",
            "jsonpath={.metadata.labels.tier}"
        ]),
        ""
    );
    assert_eq!(
        k.ok(&[
            "get",
            "deploy",
            "ssa",
            "-o",
            "jsonpath={.metadata.labels.app}"
        ]),
        "ssa"
    );

    // typed creates are credited to their command
    k.ok(&["create", "configmap", "made", "--from-literal=a=1"]);
    let managers = k.ok(&[
        "get",
        "cm",
        "made",
        "--show-managed-fields",
        "-o",
        "jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation} {end}",
    ]);
    assert_eq!(managers.trim(), "kubectl-create/Update");

    // an unknown field fails a strict server-side apply, and nothing is stored
    let bad =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\ndata: {a: b}\nbogus: 1\n";
    let out = ssa(bad, &[]);
    assert!(!out.status.success());
    assert!(text(&out).contains("bogus"), "{}", text(&out));
    k.fails(&["get", "cm", "strict"]);
}

#[test]
fn manifests_dir_is_applied_updated_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("server").join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    let demo = "apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: demo}
data: {a: \"1\"}
---
apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: second}
data: {b: \"1\"}
";
    std::fs::write(manifests.join("demo.yaml"), demo).unwrap();
    let skipped = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: skipped}\n";
    std::fs::write(manifests.join("off.yaml"), skipped).unwrap();
    std::fs::write(manifests.join("off.yaml.skip"), "").unwrap();
    std::fs::write(
        manifests.join("disabled.yaml"),
        skipped.replace("skipped", "disabled"),
    )
    .unwrap();
    let mut server = Server::start(dir.path(), &["--disable", "disabled"]);
    server.wait_for("API server ready", Duration::from_secs(30));
    let k = Kubectl::new(&server);
    let get = |args: &[&str]| {
        let out = k.run(args);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let deadline = Duration::from_secs(30);
    poll("the manifest's objects", deadline, || {
        get(&["-n", "demo", "get", "cm", "cfg", "-o", "jsonpath={.data.a}"]).filter(|a| a == "1")
    });
    k.ok(&["get", "cm", "second"]);
    let managers = k.ok(&[
        "-n",
        "demo",
        "get",
        "cm",
        "cfg",
        "--show-managed-fields",
        "-o",
        "jsonpath={.metadata.managedFields[*].manager}/{.metadata.managedFields[*].operation}",
    ]);
    assert_eq!(managers, "kelp-deploy/Apply");
    let record = k.ok(&[
        "-n",
        "kube-system",
        "get",
        "cm",
        "kelp-manifests",
        "-o",
        "jsonpath={.data}",
    ]);
    assert!(
        record.contains("demo") && !record.contains("off"),
        "{record}"
    );

    // an edit changes what it names and deletes what it no longer names
    let edited = demo.replace("{a: \"1\"}", "{a: \"2\"}");
    let edited = &edited[..edited
        .find("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: second}")
        .unwrap()];
    std::fs::write(manifests.join("demo.yaml"), edited).unwrap();
    poll("the edited manifest", deadline, || {
        get(&["-n", "demo", "get", "cm", "cfg", "-o", "jsonpath={.data.a}"]).filter(|a| a == "2")
    });
    poll("the dropped object to go", deadline, || {
        get(&["get", "cm", "second"]).is_none().then_some(())
    });

    // skipped and disabled files were never applied
    k.fails(&["get", "cm", "skipped"]);
    k.fails(&["get", "cm", "disabled"]);

    // removing the file removes what it created
    std::fs::remove_file(manifests.join("demo.yaml")).unwrap();
    poll("the removed manifest's namespace to go", deadline, || {
        get(&["get", "ns", "demo"]).is_none().then_some(())
    });
    let record = k.ok(&[
        "-n",
        "kube-system",
        "get",
        "cm",
        "kelp-manifests",
        "-o",
        "jsonpath={.data}",
    ]);
    assert!(!record.contains("demo"), "{record}");
}

#[test]
fn scale_binding_eviction_and_approval_subresources() {
    let (dir, _server, k) = started();
    k.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.25",
        "--replicas=1",
    ]);
    let out = k.ok(&["scale", "deployment", "web", "--replicas=3"]);
    assert_eq!(out.trim(), "deployment.apps/web scaled");
    assert_eq!(
        k.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]),
        "3"
    );
    let scale: serde_json::Value = serde_json::from_str(&k.ok(&[
        "get",
        "--raw",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
    ]))
    .unwrap();
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["apiVersion"], "autoscaling/v1");
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(scale["status"]["selector"], "app=web");
    // kubectl refuses a negative count itself; the server's check needs a raw write
    let err = k.fails(&[
        "patch",
        "deployment",
        "web",
        "--subresource=scale",
        "--type=merge",
        "-p",
        r#"{"spec":{"replicas":-1}}"#,
    ]);
    assert!(
        err.contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        "{err}"
    );
    // the scale write is credited to kubectl's manager, on the scale subresource
    let managers = k.ok(&[
        "get",
        "deploy",
        "web",
        "--show-managed-fields",
        "-o",
        "jsonpath={range .metadata.managedFields[*]}{.manager}:{.subresource} {end}",
    ]);
    assert!(managers.contains(":scale"), "{managers}");

    // binding assigns a node once
    k.ok(&["run", "p", "--image=busybox", "--restart=Never"]);
    let binding = br#"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"node-1"}}"#;
    let out = raw_post(
        &k,
        dir.path(),
        "/api/v1/namespaces/default/pods/p/binding",
        binding,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        k.ok(&["get", "pod", "p", "-o", "jsonpath={.spec.nodeName}"]),
        "node-1"
    );
    assert_eq!(
        k.ok(&[
            "get",
            "pod",
            "p",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].status}"
        ]),
        "True"
    );
    let again = raw_post(
        &k,
        dir.path(),
        "/api/v1/namespaces/default/pods/p/binding",
        binding,
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already assigned"));

    // eviction: a PodDisruptionBudget allowing nothing refuses it, then it evicts
    k.ok(&["label", "pod", "p", "app=p"]);
    k.ok(&[
        "create",
        "pdb",
        "p",
        "--selector=app=p",
        "--min-available=1",
    ]);
    let eviction = br#"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p"}}"#;
    let refused = raw_post(
        &k,
        dir.path(),
        "/api/v1/namespaces/default/pods/p/eviction",
        eviction,
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("disruption budget"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    k.ok(&["delete", "pdb", "p"]);
    let out = raw_post(
        &k,
        dir.path(),
        "/api/v1/namespaces/default/pods/p/eviction",
        eviction,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // a bound pod is deleted gracefully: it is terminating now
    let ts = k.ok(&[
        "get",
        "pod",
        "p",
        "-o",
        "jsonpath={.metadata.deletionTimestamp}",
    ]);
    assert!(!ts.is_empty());

    // CSR approval through kubectl certificate approve
    let csr = "apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: demo}
spec:
  request: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQlZEQ0IvQUlCQURBUU1RNHdEQVlEVlFRRERBVmtaVzF2TUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowRApBUWNEUWdBRS9kWkl4V0ZyWnFXOWNrUHR3UEpiUlVhM0lFeW1Xbjk3b2VqS0FwTUtYN1RvZlpHb3M5S0hOMWRlClRxN0ZxTEtOUGxDTHFNY3NXMzlBOWNnMWVYcmRvYUFBTUFvR0NDcUdTTTQ5QkFNQ0EwY0FNRVFDSUdQU0pWVTIKY3dqc3l5VnlFTTdOQ0RzSGhoK3FoN1hBbllEQnE1RFRJT2JzQWlCWm4wb1ZIZ2IzeDk5cVVnZ1N6THJ2T3p3RAp5VThVR0h5a2pNSHVQTFY1UHc9PQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K
  signerName: example.com/demo
  usages: [client auth]
";
    let out = k.apply_stdin(&["create", "-f", "-"], csr);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = k.ok(&["certificate", "approve", "demo"]);
    assert!(out.contains("approved"), "{out}");
    assert_eq!(
        k.ok(&[
            "get",
            "csr",
            "demo",
            "-o",
            "jsonpath={.status.conditions[0].type}"
        ]),
        "Approved"
    );
    // kubectl refuses to deny an approved CSR itself; the server refuses it too
    let mut both: serde_json::Value =
        serde_json::from_str(&k.ok(&["get", "csr", "demo", "-o", "json"])).unwrap();
    both["status"]["conditions"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"type": "Denied", "status": "True"}));
    let file = dir.path().join("csr.json");
    std::fs::write(&file, both.to_string()).unwrap();
    let err = k.fails(&[
        "replace",
        "--raw",
        "/apis/certificates.k8s.io/v1/certificatesigningrequests/demo/approval",
        "-f",
        file.to_str().unwrap(),
    ]);
    assert!(err.contains("mutually exclusive"), "{err}");
}

#[test]
fn custom_resources_are_pruned_defaulted_validated_and_scaled() {
    let (_dir, _server, k) = started();
    let crd = CRD
        .replace(
            "              size: {type: integer}\n",
            "              size: {type: integer, minimum: 1, maximum: 10}\n              color: {type: string, enum: [red, blue], default: red}\n              replicas: {type: integer}\n",
        )
        .replace(
            "              ready: {type: boolean}\n",
            "              ready: {type: boolean}\n              replicas: {type: integer}\n",
        )
        .replace(
            "      status: {}\n",
            "      status: {}\n      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}\n",
        )
        .replace(
            "          spec:\n            type: object\n",
            "          spec:\n            type: object\n            x-kubernetes-validations:\n            - {rule: \"self.color != 'blue' || self.size >= 5\", message: blue widgets are at least 5}\n",
        );
    let out = k.apply_stdin(&["apply", "-f", "-"], &crd);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=20s",
    ]);
    let widget = |body: &str| {
        format!("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n{body}")
    };

    // unknown fields are pruned (kubectl --validate=false sends fieldValidation=Ignore)
    let out = k.apply_stdin(
        &["create", "--validate=false", "-f", "-"],
        &widget("  size: 3\n  bogus: 1\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spec = k.ok(&["get", "widget", "w", "-o", "jsonpath={.spec}"]);
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    assert_eq!(
        spec,
        serde_json::json!({"size": 3, "color": "red"}),
        "pruned and defaulted"
    );

    // invalid values are 422 with the schema's words, and nothing is stored
    let out = k.apply_stdin(
        &["create", "--validate=false", "-f", "-"],
        &widget("  size: 0\n").replace("name: w", "name: bad"),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"
        ),
        "{err}"
    );
    k.fails(&["get", "widget", "bad"]);
    let err = k.fails(&[
        "patch",
        "widget",
        "w",
        "--type=merge",
        "-p",
        r#"{"spec":{"color":"pink"}}"#,
    ]);
    assert!(err.contains(r#"Unsupported value: "pink""#), "{err}");
    // the CRD's CEL rule
    let err = k.fails(&[
        "patch",
        "widget",
        "w",
        "--type=merge",
        "-p",
        r#"{"spec":{"color":"blue"}}"#,
    ]);
    assert!(
        err.contains(r#"The Widget "w" is invalid: spec: Invalid value: "object": blue widgets are at least 5"#),
        "{err}"
    );
    k.ok(&[
        "patch",
        "widget",
        "w",
        "--type=merge",
        "-p",
        r#"{"spec":{"color":"blue","size":5}}"#,
    ]);
    assert_eq!(
        k.ok(&[
            "get",
            "widget",
            "w",
            "-o",
            "jsonpath={.spec.color} {.spec.size}"
        ]),
        "blue 5"
    );

    // strict field validation refuses unknown fields instead
    let out = k.apply_stdin(
        &["create", "--validate=false", "-f", "-"],
        &widget("  size: 3\n  bogus: 1\n").replace("name: w", "name: strict"),
    );
    assert!(out.status.success());
    let raw = k.apply_stdin(
        &["apply", "--server-side", "-f", "-"],
        &widget("  size: 3\n  bogus: 2\n").replace("name: w", "name: strict"),
    );
    assert!(!raw.status.success());
    assert!(
        String::from_utf8_lossy(&raw.stderr).contains("unknown field"),
        "{}",
        String::from_utf8_lossy(&raw.stderr)
    );

    // the scale subresource maps the CRD's paths
    let out = k.ok(&["scale", "widget", "w", "--replicas=4"]);
    assert!(out.contains("scaled"), "{out}");
    assert_eq!(
        k.ok(&["get", "widget", "w", "-o", "jsonpath={.spec.replicas}"]),
        "4"
    );
}

#[test]
fn duplicate_fields_fail_strict_validation_and_warn_otherwise() {
    let (dir, _server, k) = started();
    let body = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup"},"data":{"a":"1"},"data":{"a":"2"}}"#;
    let strict = raw_post(
        &k,
        dir.path(),
        "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
        body,
    );
    assert!(!strict.status.success());
    let err = String::from_utf8_lossy(&strict.stderr);
    assert!(
        err.contains(
            r#"strict decoding error: duplicate field "metadata.name", duplicate field "data""#
        ),
        "{err}"
    );
    k.fails(&["get", "cm", "dup"]);
    let warned = raw_post(
        &k,
        dir.path(),
        "/api/v1/namespaces/default/configmaps",
        body,
    );
    assert!(
        warned.status.success(),
        "{}",
        String::from_utf8_lossy(&warned.stderr)
    );
    assert!(
        String::from_utf8_lossy(&warned.stderr).contains(r#"duplicate field "data""#),
        "the warning reaches kubectl: {}",
        String::from_utf8_lossy(&warned.stderr)
    );
    assert_eq!(
        k.ok(&["get", "cm", "dup", "-o", "jsonpath={.data.a}"]),
        "2",
        "the last one wins"
    );
}

#[test]
fn replace_and_replace_force() {
    let (_dir, _server, k) = started();
    let out = k.apply_stdin(&["create", "-f", "-"], CM);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let uid = k.ok(&["get", "cm", "demo", "-o", "jsonpath={.metadata.uid}"]);
    let out = k.apply_stdin(&["replace", "-f", "-"], &CM.replace("hello", "bye"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "configmap/demo replaced"
    );
    assert_eq!(
        k.ok(&["get", "cm", "demo", "-o", "jsonpath={.data.greeting}"]),
        "bye"
    );
    assert_eq!(
        k.ok(&["get", "cm", "demo", "-o", "jsonpath={.metadata.uid}"]),
        uid
    );
    // a stale resourceVersion is a conflict
    let stale = CM.replace("  name: demo\n", "  name: demo\n  resourceVersion: \"1\"\n");
    let out = k.apply_stdin(&["replace", "-f", "-"], &stale);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the object has been modified"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --force deletes and recreates: a new uid
    let out = k.apply_stdin(&["replace", "--force", "-f", "-"], CM);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(
        k.ok(&["get", "cm", "demo", "-o", "jsonpath={.metadata.uid}"]),
        uid
    );
    assert_eq!(
        k.ok(&["get", "cm", "demo", "-o", "jsonpath={.data.greeting}"]),
        "hello"
    );
}

#[test]
fn anonymous_auth_off_closes_health_and_version_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--anonymous-auth=false"]);
    server.wait_for("API server ready", Duration::from_secs(30));
    let k = Kubectl::new(&server);
    // with credentials all is as usual
    assert_eq!(k.ok(&["get", "--raw", "/readyz"]), "ok");
    let anon = dir.path().join("anon.yaml");
    let kc = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{}}\n",
        server.port
    );
    std::fs::write(&anon, kc).unwrap();
    let anon_k = Kubectl {
        bin: k.bin.clone(),
        kubeconfig: anon,
    };
    for path in ["/readyz", "/livez", "/healthz", "/version"] {
        // kubectl without credentials asks for a user name only after a 401
        let out = anon_k.run(&["get", "--raw", path]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "{path}: {text}");
        assert!(text.contains("Please enter Username"), "{path}: {text}");
    }
}

/// The claims of a JWT, decoded (not verified).
fn jwt_claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn service_account_tokens_authenticate_while_their_objects_exist() {
    let (dir, server, k) = started();
    k.ok(&["create", "serviceaccount", "robot"]);
    let token = k.ok(&["create", "token", "robot"]).trim().to_string();
    let claims = jwt_claims(&token);
    assert_eq!(claims["sub"], "system:serviceaccount:default:robot");
    assert_eq!(
        claims["aud"],
        serde_json::json!(["https://kubernetes.default.svc.cluster.local"])
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    let uid = k.ok(&["get", "sa", "robot", "-o", "jsonpath={.metadata.uid}"]);
    assert_eq!(
        claims["kubernetes.io"]["serviceaccount"]["uid"],
        uid.as_str()
    );

    // a kubeconfig with only the token (a client certificate would win over it)
    let as_token = |name: &str, token: &str| {
        let path = dir.path().join(name);
        let kc = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: {token}}}\n",
            server.port
        );
        std::fs::write(&path, kc).unwrap();
        Kubectl {
            bin: k.bin.clone(),
            kubeconfig: path,
        }
    };
    let robot = as_token("robot.yaml", &token);
    let who = robot.ok(&["auth", "whoami", "-o", "json"]);
    let who: serde_json::Value = serde_json::from_str(&who).unwrap();
    assert_eq!(
        who["status"]["userInfo"]["username"],
        "system:serviceaccount:default:robot"
    );
    let groups = who["status"]["userInfo"]["groups"].to_string();
    assert!(
        groups.contains("\"system:serviceaccounts\"")
            && groups.contains("\"system:serviceaccounts:default\""),
        "{groups}"
    );
    // authenticated, but not authorized for more (no RBAC yet)
    let err = robot.fails(&["get", "configmaps"]);
    assert!(
        err.contains("Forbidden") && err.contains("system:serviceaccount:default:robot"),
        "{err}"
    );
    // the issuer's discovery documents
    let jwks = k.ok(&["get", "--raw", "/openid/v1/jwks"]);
    assert!(
        jwks.contains("\"kty\":\"EC\"") && jwks.contains("\"crv\":\"P-256\""),
        "{jwks}"
    );
    let oidc = k.ok(&["get", "--raw", "/.well-known/openid-configuration"]);
    assert!(
        oidc.contains("\"issuer\":\"https://kubernetes.default.svc.cluster.local\""),
        "{oidc}"
    );

    // requests the API server refuses
    let err = k.fails(&["create", "token", "robot", "--duration=5m"]);
    assert!(
        err.contains("may not specify a duration less than 10 minutes"),
        "{err}"
    );
    let err = k.fails(&["create", "token", "ghost"]);
    assert!(err.contains("serviceaccounts \"ghost\" not found"), "{err}");
    let err = k.fails(&[
        "create",
        "token",
        "robot",
        "--bound-object-kind=Pod",
        "--bound-object-name=nopod",
    ]);
    assert!(err.contains("pods \"nopod\" not found"), "{err}");

    // another audience is not the API server's
    let other = k
        .ok(&[
            "create",
            "token",
            "robot",
            "--audience=vault",
            "--duration=2h",
        ])
        .trim()
        .to_string();
    assert_eq!(jwt_claims(&other)["aud"], serde_json::json!(["vault"]));
    assert!(
        as_token("vault.yaml", &other)
            .fails(&["auth", "whoami"])
            .contains("Unauthorized")
    );

    // a token bound to a pod ends with the pod
    k.ok(&["run", "p", "--image=busybox", "--restart=Never"]);
    let bound = k
        .ok(&[
            "create",
            "token",
            "robot",
            "--bound-object-kind=Pod",
            "--bound-object-name=p",
        ])
        .trim()
        .to_string();
    assert_eq!(jwt_claims(&bound)["kubernetes.io"]["pod"]["name"], "p");
    let bound_k = as_token("bound.yaml", &bound);
    bound_k.ok(&["auth", "whoami"]);
    k.ok(&["delete", "pod", "p", "--wait=false"]);
    poll("the pod to go", Duration::from_secs(30), || {
        k.run(&["get", "pod", "p"])
            .status
            .success()
            .then_some(())
            .xor(Some(()))
    });
    assert!(bound_k.fails(&["auth", "whoami"]).contains("Unauthorized"));

    // and every token ends with its service account
    robot.ok(&["auth", "whoami"]);
    k.ok(&["delete", "sa", "robot"]);
    assert!(robot.fails(&["auth", "whoami"]).contains("Unauthorized"));
}

#[test]
fn immutable_configmaps_and_secrets_custom_columns_and_pod_defaults() {
    let (_dir, _server, k) = started();
    let frozen = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frozen\nimmutable: true\ndata:\n  a: \"1\"\n";
    let out = k.apply_stdin(&["create", "-f", "-"], frozen);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = k.fails(&[
        "patch",
        "cm",
        "frozen",
        "--type=merge",
        "-p",
        r#"{"data":{"a":"2"}}"#,
    ]);
    assert!(
        err.contains(
            "The ConfigMap \"frozen\" is invalid: data: Forbidden: field is immutable when `immutable` is set"
        ),
        "{err}"
    );
    let err = k.fails(&[
        "patch",
        "cm",
        "frozen",
        "--type=merge",
        "-p",
        r#"{"immutable":false}"#,
    ]);
    assert!(
        err.contains("immutable: Forbidden: field is immutable when `immutable` is set"),
        "{err}"
    );
    assert_eq!(
        k.ok(&["get", "cm", "frozen", "-o", "jsonpath={.data.a}"]),
        "1"
    );
    k.ok(&["create", "secret", "generic", "s", "--from-literal=k=v"]);
    k.ok(&[
        "patch",
        "secret",
        "s",
        "--type=merge",
        "-p",
        r#"{"immutable":true}"#,
    ]);
    let err = k.fails(&[
        "patch",
        "secret",
        "s",
        "--type=merge",
        "-p",
        r#"{"data":{"k":"dw=="}}"#,
    ]);
    assert!(
        err.contains("The Secret \"s\" is invalid: data: Forbidden: field is immutable"),
        "{err}"
    );
    // an immutable object may still be deleted
    k.ok(&["delete", "cm", "frozen"]);

    k.ok(&["create", "cm", "cols", "--from-literal=x=y"]);
    let out = k.ok(&[
        "get",
        "cm",
        "cols",
        "-o",
        "custom-columns=NAME:.metadata.name,X:.data.x,NONE:.data.missing",
    ]);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [["NAME", "X", "NONE"], ["cols", "y", "<none>"]],
        "{out}"
    );

    // a pod gets upstream's defaults and the upstream pod table, wide columns included
    k.ok(&["run", "web", "--image=nginx"]);
    let defaults = k.ok(&[
        "get",
        "pod",
        "web",
        "-o",
        "jsonpath={.spec.restartPolicy} {.spec.dnsPolicy} {.spec.terminationGracePeriodSeconds} {.spec.containers[0].imagePullPolicy} {.spec.schedulerName} {.status.qosClass}",
    ]);
    assert_eq!(
        defaults,
        "Always ClusterFirst 30 Always default-scheduler BestEffort"
    );
    let wide = k.ok(&["get", "pod", "web", "-o", "wide"]);
    let mut lines = wide.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .split("   ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED NODE",
            "READINESS GATES"
        ],
        "{wide}"
    );
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        (row[0], row[1], row[2], row[3]),
        ("web", "0/1", "Pending", "0"),
        "{wide}"
    );
    assert_eq!(
        &row[5..],
        ["<none>", "<none>", "<none>", "<none>"],
        "{wide}"
    );
}

#[test]
fn delete_cascade_flags_send_their_propagation_policy() {
    let (_dir, server, k) = started();
    for (flag, policy) in [
        ("--cascade=background", "Background"),
        ("--cascade=orphan", "Orphan"),
        ("--cascade=foreground", "Foreground"),
    ] {
        let name = format!("c-{}", policy.to_lowercase());
        k.ok(&["create", "configmap", &name]);
        // -v=8 logs the DeleteOptions kubectl sends
        let out = k.run(&["delete", "cm", &name, flag, "-v=8"]);
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{flag}: {log}");
        assert!(
            log.contains(&format!("\"propagationPolicy\":\"{policy}\"")),
            "{flag} sent no {policy}: {log}"
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&format!("configmap \"{name}\" deleted")),
            "{flag}"
        );
        assert!(k.fails(&["get", "cm", &name]).contains("not found"));
    }
    // a policy kubectl would never send is refused, and nothing is deleted
    k.ok(&["create", "configmap", "kept"]);
    let err = k.fails(&[
        "delete",
        "--raw",
        "/api/v1/namespaces/default/configmaps/kept?propagationPolicy=Sideways",
    ]);
    assert!(
        err.contains("propagationPolicy: Unsupported value: \"Sideways\""),
        "{err}"
    );
    k.ok(&["get", "cm", "kept"]);
    assert!(server.terminate().success());
}
