//! The official Kubernetes Python client (Debian's python3-kubernetes, installed by
//! tests/run.sh) against the real binary: tests/python/client_smoke.py.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::Server;

const PYTHON: &str = "/usr/bin/python3";

#[test]
fn the_official_python_client_drives_the_api() {
    // not skipped when missing: CI installs it, and a silent skip would hide that
    let probe = Command::new(PYTHON)
        .args(["-c", "import kubernetes"])
        .output()
        .expect("running /usr/bin/python3");
    assert!(
        probe.status.success(),
        "the Kubernetes Python client is missing (apt-get install python3-kubernetes): {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    server.wait_for("API server ready", Duration::from_secs(30));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/client_smoke.py");
    let out = Command::new(PYTHON)
        .arg(&script)
        .arg(&server.kubeconfig)
        .arg("py-smoke")
        .env_clear()
        .env("HOME", dir.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "client_smoke.py failed:\n{text}");
    assert!(text.contains("python client: ok"), "{text}");
}
