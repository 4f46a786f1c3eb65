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
        "airgap",
    ] {
        assert!(help.contains(sub), "--help does not list {sub}:\n{help}");
    }
}

#[test]
fn version_names_commit_target_and_build_date() {
    // kelp 0.1.0 (commit abc1234, x86_64-unknown-linux-gnu, built 2026-12-03)
    let out = kelp(&["--version"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    let line = String::from_utf8(out.stdout).unwrap();
    let shape = "kelp VERSION (commit HASH, TARGET, built YYYY-MM-DD)";
    let inner = line
        .strip_suffix(")\n")
        .and_then(|l| l.strip_prefix(&format!("kelp {} (", env!("CARGO_PKG_VERSION"))))
        .unwrap_or_else(|| panic!("not {shape}: {line:?}"));
    let parts: Vec<&str> = inner.split(", ").collect();
    let [commit, target, built] = parts[..] else {
        panic!("not {shape}: {line:?}")
    };
    let commit = commit.strip_prefix("commit ").unwrap_or("");
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "commit: {line:?}"
    );
    // the test and the binary are built for the same target
    let arch = std::env::consts::ARCH;
    assert!(
        target.starts_with(&format!("{arch}-")) && target.contains(std::env::consts::OS),
        "target is not {arch}-…-{}: {line:?}",
        std::env::consts::OS
    );
    let date = built.strip_prefix("built ").unwrap_or("").as_bytes();
    assert!(
        date.len() == 10
            && date.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                _ => c.is_ascii_digit(),
            }),
        "date: {line:?}"
    );
    // -V says the same
    let short = kelp(&["-V"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&short.stdout), line);
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

/// One `[ ok ]`/`[warn]`/`[FAIL]` line of `kelp check-config`: (marker, name, detail).
fn check_lines(report: &str) -> Vec<(&str, &str, &str)> {
    let titles = [
        "System",
        "Kernel features",
        "Cgroups",
        "Container runtime",
        "Networking tools",
        "Storage",
    ];
    let mut checks = Vec::new();
    for line in report.lines() {
        if let Some(rest) = line.strip_prefix("  ") {
            let (marker, rest) = rest.split_at_checked(6).unwrap_or(("", rest));
            assert!(
                ["[ ok ]", "[warn]", "[FAIL]"].contains(&marker),
                "bad marker in {line:?}"
            );
            let (name, detail) = rest
                .strip_prefix(' ')
                .and_then(|r| r.split_once(": "))
                .unwrap_or_else(|| panic!("no `name: detail` in {line:?}"));
            checks.push((marker, name, detail));
        } else {
            assert!(
                line.is_empty()
                    || titles.contains(&line)
                    || line.starts_with("Summary: ")
                    || line.starts_with("This host "),
                "unexpected line {line:?} in\n{report}"
            );
        }
    }
    checks
}

/// Whether `name` is an executable on PATH or in the sbin/bin dirs (as kelp looks).
fn on_host(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain([
            "/usr/local/sbin",
            "/usr/local/bin",
            "/usr/sbin",
            "/usr/bin",
            "/sbin",
            "/bin",
        ])
        .filter(|d| !d.is_empty())
        .any(|d| {
            std::fs::metadata(Path::new(d).join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[test]
fn check_config_reports_this_host_and_exits_1_only_on_failures() {
    let dir = tempfile::tempdir().unwrap();
    // the data dir comes from the config file, as for `kelp server`; it does not exist
    let data = dir.path().join("from-file/kelp");
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, format!("data-dir: {}\n", data.display())).unwrap();
    let out = kelp(&["check-config", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(!report.contains('\x1b'), "colour on a pipe:\n{report}");
    let checks = check_lines(&report);
    let find = |name: &str| {
        checks
            .iter()
            .find(|c| c.1 == name)
            .unwrap_or_else(|| panic!("no {name:?} check in\n{report}"))
    };
    for name in [
        "kernel config",
        "namespaces",
        "cgroups",
        "overlay filesystem",
        "netfilter",
        "nf_tables",
        "bridge",
        "veth",
        "br_netfilter",
        "cgroup version",
        "cpu controller",
        "cpuset controller",
        "memory controller",
        "pids controller",
        "nft (optional)",
        "iptables (optional)",
    ] {
        find(name);
    }

    // the verdict agrees with the lines, and the summary with both
    let count = |m: &str| checks.iter().filter(|c| c.0 == m).count();
    let fails = count("[FAIL]");
    assert_eq!(
        out.status.code(),
        Some(if fails > 0 { 1 } else { 0 }),
        "{report}"
    );
    let summary = format!(
        "Summary: {} ok, {} warnings, {fails} failed\n",
        count("[ ok ]"),
        count("[warn]")
    );
    assert!(report.contains(&summary), "want {summary:?} in\n{report}");

    // and each line agrees with what this test sees of the host itself
    for tool in ["containerd", "runc"] {
        let (marker, _, detail) = find(tool);
        if on_host(tool) {
            assert!(!detail.contains("not found"), "{tool}: {detail}");
        } else {
            assert_eq!(*marker, "[FAIL]", "{tool} is not installed: {detail}");
            assert!(detail.contains("apt-get install"), "{detail}");
        }
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert!(find("kernel").2.contains(release.trim()), "{report}");
    let uid = std::fs::read_to_string("/proc/self/status").unwrap();
    let euid = uid
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .to_string();
    let user = find("user");
    if euid == "0" {
        assert_eq!((user.0, user.2), ("[ ok ]", "root"));
    } else {
        assert_eq!(user.0, "[FAIL]", "{user:?}");
    }
    let version = find("cgroup version").2;
    if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        assert!(version.starts_with("v2"), "{version}");
    } else {
        assert!(
            version.starts_with("v1") || version.starts_with("hybrid"),
            "{version}"
        );
    }
    let disk = find("disk space").2;
    let measured = format!(
        "on {} (nearest existing parent of {})",
        dir.path().display(),
        data.display()
    );
    assert!(disk.contains(&measured), "{disk}");
    assert!(!data.exists(), "check-config created the data dir");
}

#[test]
fn check_config_fails_when_the_server_would_refuse_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "cluster-dns: 192.168.1.1\n").unwrap();
    let data = dir.path().to_str().unwrap();
    let out = kelp(&["check-config", "--config", config.to_str().unwrap()])
        .env("KELP_DATA_DIR", data)
        .output()
        .unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    let checks = check_lines(&report);
    let config_line = checks
        .iter()
        .find(|c| c.1 == "configuration")
        .unwrap_or_else(|| panic!("no configuration check in\n{report}"));
    assert_eq!(config_line.0, "[FAIL]");
    assert!(config_line.2.contains("cluster-dns"), "{config_line:?}");
    // the data dir still comes from KELP_DATA_DIR
    let disk = checks.iter().find(|c| c.1 == "disk space").unwrap();
    assert!(disk.2.contains(&format!("on {data}")), "{disk:?}");
}

#[test]
fn airgap_list_images_reads_the_manifests_the_server_would_deploy() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let manifests = data.join("server").join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    let pod = |name: &str, images: &[&str]| {
        let containers: Vec<String> = images
            .iter()
            .enumerate()
            .map(|(i, image)| format!("{{name: c{i}, image: '{image}'}}"))
            .collect();
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec: {{containers: [{}]}}\n",
            containers.join(", ")
        )
    };
    let write = |dir: &Path, file: &str, text: &str| std::fs::write(dir.join(file), text).unwrap();
    write(&manifests, "a.yaml", &pod("a", &["r.io/a:1", "nginx"]));
    write(&manifests, "b.yaml", &pod("b", &["r.io/b:1", "nginx"]));
    write(&manifests, "c.yaml", &pod("c", &["r.io/c:1"]));
    write(&manifests, "c.yaml.skip", "");
    let config = tmp.path().join("config.yaml");
    std::fs::write(
        &config,
        format!("data-dir: {}\ndisable: [b]\n", data.display()),
    )
    .unwrap();
    let config = config.to_str().unwrap();

    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["airgap", "list-images"];
        all.extend(args);
        let mut cmd = kelp(&all);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        (out.status.code(), stdout, stderr)
    };
    let (b_yaml, c_yaml) = (manifests.join("b.yaml"), manifests.join("c.yaml"));
    // (flags, environment, the images printed)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        // data-dir and disable from the config file; c.yaml is skipped
        (vec!["--config", config], vec![], "nginx\nr.io/a:1\n"),
        // the environment replaces the file's list, a flag the environment's
        (
            vec!["--config", config],
            vec![("KELP_DISABLE", "a")],
            "nginx\nr.io/b:1\n",
        ),
        (
            vec!["--config", config, "--disable="],
            vec![("KELP_DISABLE", "a")],
            "nginx\nr.io/a:1\nr.io/b:1\n",
        ),
        // KELP_CONFIG names the file as --config does
        (vec![], vec![("KELP_CONFIG", config)], "nginx\nr.io/a:1\n"),
        // --manifests replaces the directory; --disable still counts
        (
            vec!["--manifests", manifests.to_str().unwrap(), "--disable", "a"],
            vec![],
            "nginx\nr.io/b:1\n",
        ),
        // named files: every document, no .skip or --disable
        (
            vec![c_yaml.to_str().unwrap(), b_yaml.to_str().unwrap()],
            vec![],
            "nginx\nr.io/b:1\nr.io/c:1\n",
        ),
    ];
    for (args, env, want) in &cases {
        let (code, stdout, stderr) = run(args, env);
        assert_eq!(code, Some(0), "{args:?} {env:?}: {stderr}");
        assert_eq!(stdout, *want, "{args:?} {env:?}");
        assert_eq!(stderr, "", "{args:?} {env:?}");
    }

    // no manifests directory: nothing needed, and a note saying where it looked
    let empty = tmp.path().join("empty");
    let (code, stdout, stderr) = run(&["--data-dir", empty.to_str().unwrap()], &[]);
    assert_eq!((code, stdout.as_str()), (Some(0), ""), "{stderr}");
    let looked = empty.join("server").join("manifests");
    assert!(stderr.contains(&looked.display().to_string()), "{stderr}");

    // a manifest that does not parse: exit 1, naming the file
    write(&manifests, "d.yaml", "kind: [\n");
    let (code, stdout, stderr) = run(&["--config", config], &[]);
    assert_eq!((code, stdout.as_str()), (Some(1), ""), "{stderr}");
    let bad = manifests.join("d.yaml").display().to_string();
    assert!(stderr.contains(&bad), "{stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "not one line: {stderr}"
    );

    // a configuration the server would refuse: exit 64, as `kelp server`
    let (code, _, stderr) = run(
        &["--config", config],
        &[("KELP_CLUSTER_DNS", "192.168.1.1")],
    );
    assert_eq!(code, Some(64), "{stderr}");
    assert!(stderr.contains("cluster-dns"), "{stderr}");
    // files and a directory at once are a usage error
    let (code, _, _) = run(&["--manifests", "/x", "/y.yaml"], &[]);
    assert_eq!(code, Some(64));
}
