//! End to end with the real `kelp` binary: the CLI contract, configuration errors,
//! start/stop of `kelp server`, and an idle server leaving the disk alone.

use std::path::Path;
use std::time::Duration;

use crate::support::{Server, kelp};

#[test]
fn help_lists_every_subcommand() {
    let out = kelp(&["--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for sub in [
        "server",
        "agent",
        "snapshot",
        "token",
        "kubectl",
        "check-config",
    ] {
        assert!(help.contains(sub), "--help does not list {sub}:\n{help}");
    }
}

#[test]
fn unbuilt_subcommands_say_so_and_fail() {
    let cases: &[&[&str]] = &[
        &[
            "agent",
            "--server",
            "https://127.0.0.1:6443",
            "--token",
            "t",
        ],
        &["snapshot", "save"],
        &["token", "list"],
        &["check-config"],
    ];
    for args in cases {
        let out = kelp(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(69), "{args:?}: {err}");
        assert!(err.contains("not implemented"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    }
}

#[test]
fn invalid_configuration_stops_with_one_line_and_exit_64() {
    let dir = tempfile::tempdir().unwrap();
    let bad_file = dir.path().join("bad.yaml");
    std::fs::write(&bad_file, "data-dirr: /x\n").unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    // (flags, environment, the key the error must name)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec!["--https-listen-port", "0"],
            vec![],
            "https-listen-port",
        ),
        (
            vec!["--service-cidr", "10.42.0.0/24"],
            vec![],
            "service-cidr",
        ),
        (
            vec![],
            vec![("KELP_CLUSTER_DNS", "192.168.1.1")],
            "cluster-dns",
        ),
        (
            vec!["--config", bad_file.to_str().unwrap()],
            vec![],
            "data-dirr",
        ),
        (vec!["--node-label", "bad label=x"], vec![], "node-label"),
    ];
    for (flags, env, key) in cases {
        let mut args = vec!["server", "--data-dir", data];
        args.extend(flags.iter());
        let mut cmd = kelp(&args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{flags:?} {env:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
        assert!(err.contains(key), "error does not name {key}: {err}");
    }
    assert!(
        !Path::new(data).exists(),
        "an invalid config must not touch the data dir"
    );
}

#[test]
fn server_starts_its_store_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..2 {
        let mut server = Server::start(dir.path(), &[]);
        server.wait_for("API server ready", Duration::from_secs(30));
        let status = server.terminate();
        assert!(status.success(), "round {round}: exit {status:?}");
    }
    assert!(dir.path().join("server/db/kelp.redb").exists());
}

fn written_bytes(pid: u32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn mtimes(dir: &Path) -> Vec<(std::path::PathBuf, std::time::SystemTime, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            out.extend(mtimes(&entry.path()));
        } else {
            out.push((entry.path(), meta.modified().unwrap(), meta.len()));
        }
    }
    out.sort();
    out
}

#[test]
fn idle_server_does_not_write_to_disk() {
    let dir = tempfile::tempdir().unwrap();
    // a store with history, already compacted, so there is nothing left to do
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use kelp::store::Store;
        let store = kelp::raft::RaftStore::open(&dir.path().join("server/db"))
            .await
            .unwrap();
        for i in 0..100 {
            store
                .put(format!("/idle/{i}").as_bytes(), b"v")
                .await
                .unwrap();
        }
        let head = store.status().await.unwrap().revision;
        store.compact(head).await.unwrap();
        store.shutdown().await.unwrap();
    });
    // a short age window so the compactor ticks many times during the observation
    let mut server = Server::start(dir.path(), &["--store-keep-duration", "1s"]);
    server.wait_for("API server ready", Duration::from_secs(30));
    // let start-up writes (if any) settle, then observe a quiet window
    std::thread::sleep(Duration::from_secs(2));
    let (bytes0, files0) = (written_bytes(server.pid()), mtimes(dir.path()));
    std::thread::sleep(Duration::from_secs(4));
    let (bytes1, files1) = (written_bytes(server.pid()), mtimes(dir.path()));
    assert_eq!(
        bytes1 - bytes0,
        0,
        "idle server wrote {} bytes",
        bytes1 - bytes0
    );
    assert_eq!(files0, files1, "idle server modified files");
    assert!(server.terminate().success());
}
