use std::collections::BTreeSet;
use std::path::PathBuf;

use super::*;

const GIB: u64 = 1 << 30;

/// Every option any feature asks for, built in.
fn full_config() -> String {
    let mut text = String::from("#\n# Automatically generated file; DO NOT EDIT.\n");
    for option in [
        "NAMESPACES",
        "NET_NS",
        "PID_NS",
        "IPC_NS",
        "UTS_NS",
        "USER_NS",
        "CGROUPS",
        "CGROUP_CPUACCT",
        "CGROUP_DEVICE",
        "CGROUP_FREEZER",
        "CGROUP_SCHED",
        "CGROUP_PIDS",
        "CPUSETS",
        "MEMCG",
        "CFS_BANDWIDTH",
        "CGROUP_BPF",
        "OVERLAY_FS",
        "POSIX_MQUEUE",
        "NETFILTER",
        "NF_CONNTRACK",
        "NF_NAT",
        "NF_TABLES",
        "NF_TABLES_INET",
        "NFT_CT",
        "NFT_NAT",
        "NFT_MASQ",
        "IP_NF_IPTABLES",
        "IP_NF_FILTER",
        "IP_NF_NAT",
        "IP_NF_TARGET_MASQUERADE",
        "NETFILTER_XT_MATCH_CONNTRACK",
        "NETFILTER_XT_MATCH_ADDRTYPE",
        "BRIDGE",
        "VETH",
        "BRIDGE_NETFILTER",
        "SECCOMP",
        "SECCOMP_FILTER",
        "VXLAN",
    ] {
        text.push_str(&format!("CONFIG_{option}=y\n"));
    }
    text
}

/// `full_config` with `option` unset the way Kconfig writes it.
fn config_without(option: &str) -> String {
    full_config().replace(
        &format!("CONFIG_{option}=y\n"),
        &format!("# CONFIG_{option} is not set\n"),
    )
}

const V2_MOUNTS: &str = "\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
";
const V2_CONTROLLERS: &str = "cpuset cpu io memory hugetlb pids rdma misc\n";
const V2_PROC_CGROUPS: &str = "\
#subsys_name\thierarchy\tnum_cgroups\tenabled
cpuset\t0\t80\t1
cpu\t0\t80\t1
memory\t0\t80\t1
pids\t0\t80\t1
";

const HYBRID_MOUNTS: &str = "\
tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0
cgroup /sys/fs/cgroup/cpuset cgroup rw,relatime,cpuset 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0
cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
";
const V1_PROC_CGROUPS: &str = "\
#subsys_name\thierarchy\tnum_cgroups\tenabled
cpuset\t3\t1\t1
cpu\t1\t1\t1
cpuacct\t2\t1\t1
memory\t4\t61\t1
pids\t8\t1\t1
";

fn ran(path: &str, output: &str) -> Tool {
    Tool::Ran {
        path: PathBuf::from(path),
        success: true,
        output: output.to_string(),
    }
}

/// A host with everything: cgroup v2, a full kernel config, every tool, 100 GiB free.
fn healthy() -> HostFacts {
    HostFacts {
        euid: Some(0),
        kernel_release: Some("6.1.0-13-amd64".into()),
        kernel_config: KernelConfig::Found {
            source: "/boot/config-6.1.0-13-amd64".into(),
            text: full_config(),
        },
        filesystems: Some("nodev\tcgroup2\nnodev\toverlay\nnodev\tmqueue\n\text4\n".into()),
        existing_paths: BTreeSet::new(),
        mounts: Some(V2_MOUNTS.into()),
        proc_cgroups: Some(V2_PROC_CGROUPS.into()),
        cgroup2_controllers: Some(V2_CONTROLLERS.into()),
        containerd: ran(
            "/usr/bin/containerd",
            "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1\n",
        ),
        runc: ran(
            "/usr/sbin/runc",
            "runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1\nspec: 1.0.2-dev\n",
        ),
        iptables: ran("/usr/sbin/iptables", "iptables v1.8.9 (nf_tables)\n"),
        nft: ran("/usr/sbin/nft", "nftables v1.0.6 (Lester Gooch #5)\n"),
        disk: Disk {
            data_dir: "/var/lib/kelp".into(),
            measured: "/var/lib".into(),
            space: Ok(Space {
                avail_bytes: 100 * GIB,
                total_bytes: 200 * GIB,
            }),
        },
        config_error: None,
    }
}

fn find<'a>(checks: &'a [Check], name: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name:?} in {checks:#?}"))
}

#[test]
fn a_healthy_host_passes_everything() {
    let checks = evaluate(&healthy());
    let not_ok: Vec<&Check> = checks.iter().filter(|c| c.status != Status::Ok).collect();
    assert!(not_ok.is_empty(), "{not_ok:#?}");
    assert!(!failed(&checks));
    // groups come out in order, each once
    let groups: Vec<Group> = checks.iter().map(|c| c.group).collect();
    let mut sorted = groups.clone();
    sorted.sort();
    assert_eq!(groups, sorted);
}

/// (what changes, check name, expected status, text the detail must contain)
type Case = (
    &'static str,
    fn(&mut HostFacts),
    &'static str,
    Status,
    &'static str,
);

#[test]
fn each_problem_is_reported_by_its_check() {
    let cases: &[Case] = &[
        (
            "kernel config without overlayfs",
            |f| {
                f.kernel_config = KernelConfig::Found {
                    source: "/proc/config.gz".into(),
                    text: config_without("OVERLAY_FS"),
                }
            },
            "overlay filesystem",
            Status::Fail,
            "missing CONFIG_OVERLAY_FS",
        ),
        (
            "kernel config without veth",
            |f| {
                f.kernel_config = KernelConfig::Found {
                    source: "/proc/config.gz".into(),
                    text: config_without("VETH"),
                }
            },
            "veth",
            Status::Fail,
            "CONFIG_VETH",
        ),
        (
            "an optional option missing only warns",
            |f| {
                f.kernel_config = KernelConfig::Found {
                    source: "/proc/config.gz".into(),
                    text: config_without("USER_NS"),
                }
            },
            "user namespaces",
            Status::Warn,
            "missing CONFIG_USER_NS",
        ),
        (
            "one of several options missing names just that one",
            |f| {
                f.kernel_config = KernelConfig::Found {
                    source: "/proc/config.gz".into(),
                    text: config_without("NFT_MASQ"),
                }
            },
            "nf_tables",
            Status::Fail,
            "missing CONFIG_NFT_MASQ (",
        ),
        (
            "a module is fine",
            |f| {
                f.kernel_config = KernelConfig::Found {
                    source: "/proc/config.gz".into(),
                    text: full_config().replace("CONFIG_BRIDGE=y", "CONFIG_BRIDGE=m"),
                }
            },
            "bridge",
            Status::Ok,
            "CONFIG_BRIDGE as module",
        ),
        (
            "no kernel config: overlay in /proc/filesystems",
            |f| f.kernel_config = KernelConfig::NotFound { looked: vec![] },
            "overlay filesystem",
            Status::Ok,
            "overlay in /proc/filesystems",
        ),
        (
            "no kernel config and no overlay registered: cannot tell, so a warning",
            |f| {
                f.kernel_config = KernelConfig::NotFound { looked: vec![] };
                f.filesystems = Some("nodev\tcgroup2\n".into());
            },
            "overlay filesystem",
            Status::Warn,
            "not in /proc/filesystems",
        ),
        (
            "no kernel config: br_netfilter from /proc/sys",
            |f| {
                f.kernel_config = KernelConfig::NotFound { looked: vec![] };
                f.existing_paths
                    .insert("/proc/sys/net/bridge/bridge-nf-call-iptables".into());
            },
            "br_netfilter",
            Status::Ok,
            "bridge-nf-call-iptables exists",
        ),
        (
            "no kernel config: veth leaves no trace",
            |f| f.kernel_config = KernelConfig::NotFound { looked: vec![] },
            "veth",
            Status::Warn,
            "/sys/module/veth is absent",
        ),
        (
            "no kernel config: the source line says where it looked",
            |f| {
                f.kernel_config = KernelConfig::NotFound {
                    looked: vec!["/proc/config.gz".into(), "/boot/config-6.1".into()],
                }
            },
            "kernel config",
            Status::Warn,
            "not found (/proc/config.gz, /boot/config-6.1); kernel features below are inferred",
        ),
        (
            "the kernel config source is named",
            |_| {},
            "kernel config",
            Status::Ok,
            "/boot/config-6.1.0-13-amd64",
        ),
        (
            "an old kernel",
            |f| f.kernel_release = Some("4.9.0-rpi".into()),
            "kernel",
            Status::Fail,
            "older than 4.15",
        ),
        (
            "runc missing",
            |f| f.runc = Tool::Missing,
            "runc",
            Status::Fail,
            "apt-get install runc",
        ),
        (
            "containerd missing says why it is required and for what",
            |f| f.containerd = Tool::Missing,
            "containerd",
            Status::Fail,
            "--disable-agent",
        ),
        (
            "containerd too old",
            |f| {
                f.containerd = ran(
                    "/usr/bin/containerd",
                    "containerd github.com/containerd/containerd v1.5.9 1407cab\n",
                )
            },
            "containerd",
            Status::Fail,
            "1.5.9 (/usr/bin/containerd) is older than 1.6",
        ),
        (
            "containerd version is reported",
            |_| {},
            "containerd",
            Status::Ok,
            "1.6.20~ds1 (/usr/bin/containerd)",
        ),
        (
            "runc that cannot run",
            |f| {
                f.runc = Tool::Ran {
                    path: "/usr/sbin/runc".into(),
                    success: false,
                    output: "runc: error while loading shared libraries\n".into(),
                }
            },
            "runc",
            Status::Fail,
            "--version failed: runc: error while loading shared libraries",
        ),
        (
            "nft missing is only a warning",
            |f| f.nft = Tool::Missing,
            "nft",
            Status::Warn,
            "not found",
        ),
        (
            "legacy iptables warns",
            |f| f.iptables = ran("/usr/sbin/iptables", "iptables v1.8.7 (legacy)\n"),
            "iptables",
            Status::Warn,
            "legacy backend",
        ),
        (
            "low disk fails",
            |f| {
                f.disk.space = Ok(Space {
                    avail_bytes: 500 << 20,
                    total_bytes: 16 * GIB,
                })
            },
            "disk space",
            Status::Fail,
            "500.0 MiB free of 16.0 GiB on /var/lib (nearest existing parent of /var/lib/kelp)",
        ),
        (
            "a few GiB warns",
            |f| {
                f.disk.space = Ok(Space {
                    avail_bytes: 3 * GIB,
                    total_bytes: 16 * GIB,
                })
            },
            "disk space",
            Status::Warn,
            "3.0 GiB free",
        ),
        (
            "under 10% of a big disk warns (kubelet would evict)",
            |f| {
                f.disk.space = Ok(Space {
                    avail_bytes: 50 * GIB,
                    total_bytes: 1024 * GIB,
                })
            },
            "disk space",
            Status::Warn,
            "10% free",
        ),
        (
            "an existing data dir is measured itself",
            |f| f.disk.measured = "/var/lib/kelp".into(),
            "disk space",
            Status::Ok,
            "100.0 GiB free of 200.0 GiB on /var/lib/kelp",
        ),
        (
            "not root",
            |f| f.euid = Some(1000),
            "user",
            Status::Fail,
            "uid 1000, not root",
        ),
        (
            "a refused configuration",
            |f| f.config_error = Some("invalid value for cluster-dns: 1.2.3.4".into()),
            "configuration",
            Status::Fail,
            "cluster-dns",
        ),
    ];
    for (what, change, name, status, text) in cases {
        let mut facts = healthy();
        change(&mut facts);
        let checks = evaluate(&facts);
        let check = find(&checks, name);
        assert_eq!(check.status, *status, "{what}: {check:?}");
        assert!(check.detail.contains(text), "{what}: {:?}", check.detail);
        assert_eq!(failed(&checks), *status == Status::Fail, "{what}");
        // nothing else changed (without a kernel config, several features are guesses)
        if !matches!(facts.kernel_config, KernelConfig::NotFound { .. }) {
            let others: Vec<&Check> = checks
                .iter()
                .filter(|c| c.name != *name && c.status != Status::Ok)
                .collect();
            assert!(others.is_empty(), "{what}: {others:#?}");
        }
    }
}

/// (mounts, /proc/cgroups, cgroup.controllers, version status and text, controller
/// statuses for cpu, cpuset, memory, pids, text the first non-ok controller has)
type CgroupCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    (Status, &'static str),
    [Status; 4],
    &'static str,
);

#[test]
fn cgroup_versions_and_controllers() {
    use Status::{Fail, Ok, Warn};
    let no_memory_v2 = "cpuset cpu io hugetlb pids\n";
    let memory_disabled = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n\
                           cpuset\t0\t1\t1\ncpu\t0\t1\t1\nmemory\t0\t1\t0\npids\t0\t1\t1\n";
    let v1_without_pids: String = HYBRID_MOUNTS
        .lines()
        .filter(|l| !l.contains("pids") && !l.contains("cgroup2"))
        .map(|l| format!("{l}\n"))
        .collect();
    let v1_without_pids: &'static str = v1_without_pids.leak();
    let cases: &[CgroupCase] = &[
        (
            V2_MOUNTS,
            V2_PROC_CGROUPS,
            Some(V2_CONTROLLERS),
            (Ok, "v2 (unified, /sys/fs/cgroup)"),
            [Ok; 4],
            "",
        ),
        (
            HYBRID_MOUNTS,
            V1_PROC_CGROUPS,
            Some(""),
            (
                Warn,
                "hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)",
            ),
            [Ok; 4],
            "",
        ),
        (
            v1_without_pids,
            V1_PROC_CGROUPS,
            None,
            (Warn, "v1;"),
            [Ok, Ok, Ok, Fail],
            "no cgroup v1 hierarchy has it mounted",
        ),
        (
            V2_MOUNTS,
            memory_disabled,
            Some(no_memory_v2),
            (Ok, "v2"),
            [Ok, Ok, Fail, Ok],
            "cgroup_enable=memory cgroup_memory=1",
        ),
        (
            V2_MOUNTS,
            V1_PROC_CGROUPS,
            Some(no_memory_v2),
            (Ok, "v2"),
            [Ok, Ok, Fail, Ok],
            "bound to a cgroup v1 hierarchy",
        ),
        (
            V2_MOUNTS,
            "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t0\t1\t1\n",
            Some("cpu\n"),
            (Ok, "v2"),
            [Ok, Fail, Fail, Fail],
            "not in this kernel",
        ),
    ];
    for (mounts, proc_cgroups, controllers, (status, text), want, missing_text) in cases {
        let mut facts = healthy();
        facts.mounts = Some(mounts.to_string());
        facts.proc_cgroups = Some(proc_cgroups.to_string());
        facts.cgroup2_controllers = controllers.map(String::from);
        let checks = evaluate(&facts);
        let version = find(&checks, "cgroup version");
        assert_eq!(version.status, *status, "{mounts}: {version:?}");
        assert!(version.detail.contains(text), "{mounts}: {version:?}");
        let got: Vec<Status> = ["cpu", "cpuset", "memory", "pids"]
            .iter()
            .map(|c| find(&checks, &format!("{c} controller")).status)
            .collect();
        assert_eq!(got, want.to_vec(), "{mounts}\n{proc_cgroups}");
        if let Some(bad) = checks
            .iter()
            .find(|c| c.name.ends_with("controller") && c.status != Ok)
        {
            assert!(bad.detail.contains(missing_text), "{bad:?}");
        }
    }
}

#[test]
fn no_cgroup_filesystem_fails_once() {
    let mut facts = healthy();
    facts.mounts = Some("proc /proc proc rw 0 0\n".into());
    let checks = evaluate(&facts);
    assert_eq!(find(&checks, "cgroup version").status, Status::Fail);
    assert!(!checks.iter().any(|c| c.name.ends_with(" controller")));
}

#[test]
fn kernel_config_lines() {
    let parsed = kernel::parse_config(
        "CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D=\"text\"\nCONFIG_E=n\n \
         CONFIG_F=y \n",
    );
    let want = [
        ("A".to_string(), kernel::Setting::BuiltIn),
        ("B".to_string(), kernel::Setting::Module),
        ("F".to_string(), kernel::Setting::BuiltIn),
    ];
    assert_eq!(parsed.into_iter().collect::<Vec<_>>(), want);
}

#[test]
fn versions_from_tool_output() {
    let cases = [
        (
            "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1",
            Some(("1.6.20~ds1", 1, 6)),
        ),
        (
            "containerd containerd.io v1.7.27 05044ec",
            Some(("1.7.27", 1, 7)),
        ),
        (
            "runc version 1.1.12\ncommit: v1.1.12-0-g51d5e94",
            Some(("1.1.12", 1, 1)),
        ),
        ("iptables v1.8.9 (nf_tables)", Some(("1.8.9", 1, 8))),
        ("nftables v1.0.6 (Lester Gooch #5)", Some(("1.0.6", 1, 0))),
        ("\n  runc version 1.2.0-rc.1\n", Some(("1.2.0-rc.1", 1, 2))),
        ("no version here", None),
        ("", None),
    ];
    for (output, want) in cases {
        let got = parse_version(output).map(|v| (v.text, v.major, v.minor));
        let want = want.map(|(t, a, b)| (t.to_string(), a, b));
        assert_eq!(got, want, "{output:?}");
    }
}

#[test]
fn kernel_release_versions() {
    assert_eq!(kernel::release_version("6.18.44-fc-v1147"), Some((6, 18)));
    assert_eq!(kernel::release_version("4.15.0"), Some((4, 15)));
    assert_eq!(kernel::release_version("5.10.0-rpi7-rpi-v8"), Some((5, 10)));
    assert_eq!(kernel::release_version("garbage"), None);
}

#[test]
fn report_has_groups_markers_and_a_summary() {
    let mut facts = healthy();
    facts.runc = Tool::Missing;
    facts.nft = Tool::Missing;
    let checks = evaluate(&facts);
    let text = render(&checks, false);
    assert!(!text.contains('\x1b'), "colour without a terminal:\n{text}");
    for title in [
        "System\n",
        "\nKernel features\n",
        "\nCgroups\n",
        "\nContainer runtime\n",
        "\nNetworking tools\n",
        "\nStorage\n",
    ] {
        assert!(text.contains(title), "no {title:?} in\n{text}");
    }
    assert!(text.contains("\n  [FAIL] runc: not found"), "{text}");
    assert!(
        text.contains("\n  [warn] nft (optional): not found"),
        "{text}"
    );
    assert!(text.contains("\n  [ ok ] containerd: 1.6.20~ds1"), "{text}");
    let lines = text.lines().filter(|l| l.starts_with("  [")).count();
    assert_eq!(lines, checks.len());
    let ok = checks.len() - 2;
    assert!(
        text.contains(&format!("Summary: {ok} ok, 1 warnings, 1 failed\n")),
        "{text}"
    );
    assert!(text.ends_with("This host cannot run kelp until these are fixed: runc.\n"));

    let coloured = render(&checks, true);
    assert!(
        coloured.contains("\x1b[31;1m[FAIL]\x1b[0m runc"),
        "{coloured}"
    );
    assert!(coloured.contains("\x1b[32m[ ok ]\x1b[0m"), "{coloured}");

    let good = render(&evaluate(&healthy()), false);
    assert!(good.ends_with("This host can run kelp.\n"), "{good}");
}

#[test]
fn byte_sizes() {
    assert_eq!(bytes(0), "0 B");
    assert_eq!(bytes(1023), "1023 B");
    assert_eq!(bytes(1536), "1.5 KiB");
    assert_eq!(bytes(5 * GIB), "5.0 GiB");
}

#[test]
fn data_dir_is_resolved_like_the_servers() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "data-dir: /from/file\n").unwrap();
    let config = config.display().to_string();
    let empty = dir.path().join("empty.yaml");
    std::fs::write(&empty, "").unwrap();
    let empty = empty.display().to_string();
    let flags = |data_dir: Option<&str>, config: &str| CheckConfigFlags {
        data_dir: data_dir.map(String::from),
        config: Some(config.to_string()),
    };
    let no_env = |_: &str| None;
    let env_dir = |k: &str| (k == "KELP_DATA_DIR").then(|| "/from/env".to_string());
    let bad_env = |k: &str| match k {
        "KELP_CLUSTER_DNS" => Some("192.168.1.1".to_string()),
        _ => None,
    };
    type Env<'a> = &'a dyn Fn(&str) -> Option<String>;
    // (flags, env, data dir, config error)
    let cases: Vec<(CheckConfigFlags, Env, &str, Option<&str>)> = vec![
        (flags(None, &empty), &no_env, "/var/lib/kelp", None),
        (flags(None, &config), &no_env, "/from/file", None),
        (flags(None, &config), &env_dir, "/from/env", None),
        (flags(Some("/flag"), &config), &env_dir, "/flag", None),
        (
            flags(Some("/flag"), &empty),
            &bad_env,
            "/flag",
            Some("cluster-dns"),
        ),
        (
            flags(None, &empty),
            &bad_env,
            "/var/lib/kelp",
            Some("cluster-dns"),
        ),
        (
            flags(None, "/nonexistent/kelp.yaml"),
            &no_env,
            "/var/lib/kelp",
            Some("not found"),
        ),
    ];
    for (flags, env, want_dir, want_error) in cases {
        let (dir, error) = host::data_dir(&flags, env);
        assert_eq!(dir, PathBuf::from(want_dir), "{flags:?}");
        match (error, want_error) {
            (None, None) => {}
            (Some(e), Some(text)) => assert!(e.contains(text), "{flags:?}: {e}"),
            (got, want) => panic!("{flags:?}: error {got:?}, want {want:?}"),
        }
    }
}
