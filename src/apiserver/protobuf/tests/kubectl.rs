//! Real bodies: what kubectl 1.33 sent (captured with `testdata/capture_stub.py`, a
//! loopback HTTP stub) against what it prints for the same command with
//! `--dry-run=client -o json`.

use serde_json::{Value, json};

use super::decode;

/// Bodies kubectl 1.33 sent to a loopback stub (`tests/testdata/*.bin`), each beside the
/// JSON the same command prints with `--dry-run=client -o json` (Go's `encoding/json`
/// of the same object).
#[test]
fn real_kubectl_bodies_decode_to_kubectls_json() {
    let cases: &[(&[u8], &str)] = &[
        (
            include_bytes!("testdata/create-namespace.bin"),
            include_str!("testdata/create-namespace.json"),
        ),
        (
            include_bytes!("testdata/create-configmap.bin"),
            include_str!("testdata/create-configmap.json"),
        ),
        (
            include_bytes!("testdata/create-secret-generic.bin"),
            include_str!("testdata/create-secret-generic.json"),
        ),
        (
            include_bytes!("testdata/create-deployment.bin"),
            include_str!("testdata/create-deployment.json"),
        ),
        (
            include_bytes!("testdata/create-serviceaccount.bin"),
            include_str!("testdata/create-serviceaccount.json"),
        ),
        (
            include_bytes!("testdata/create-job.bin"),
            include_str!("testdata/create-job.json"),
        ),
    ];
    for (bin, json) in cases {
        let want: Value = serde_json::from_str(json).unwrap();
        assert_eq!(decode(bin), want, "{}", want["kind"]);
    }

    // `kubectl auth can-i create pods -n default` (it prints no JSON of its own).
    let got = decode(include_bytes!("testdata/auth-can-i.bin"));
    let want = json!({
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": {"resourceAttributes": {"namespace": "default", "verb": "create", "resource": "pods"}},
        "status": {"allowed": false},
    });
    assert_eq!(got, want);
}
