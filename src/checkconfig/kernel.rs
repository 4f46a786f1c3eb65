//! Kernel features: the kernel config (`CONFIG_*` options) when one is readable, and
//! otherwise evidence the running kernel leaves in /proc and /sys. Pure; the driver
//! reads the files.

use std::collections::{BTreeMap, BTreeSet};

use super::{Check, Group, KernelConfig, Need};

/// Where kernel configs are usually found, in the order tried, for a kernel `release`.
pub fn config_candidates(release: &str) -> Vec<String> {
    vec![
        "/proc/config.gz".to_string(),
        format!("/boot/config-{release}"),
        format!("/lib/modules/{release}/config"),
        format!("/usr/src/linux-{release}/.config"),
    ]
}

/// How an option is set in a kernel config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    BuiltIn,
    Module,
}

/// `CONFIG_FOO=y|m` lines, keyed by `FOO`. Other values (strings, numbers, `n`) and
/// `# CONFIG_FOO is not set` count as absent.
pub fn parse_config(text: &str) -> BTreeMap<String, Setting> {
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.trim().strip_prefix("CONFIG_")?.split_once('=')?;
            let setting = match value.trim() {
                "y" => Setting::BuiltIn,
                "m" => Setting::Module,
                _ => return None,
            };
            Some((key.to_string(), setting))
        })
        .collect()
}

/// What, without a kernel config, shows that a feature is there.
#[derive(Clone, Copy, Debug)]
enum Evidence {
    /// Every one of these paths exists.
    Paths(&'static [&'static str]),
    /// One of these filesystems is registered in /proc/filesystems.
    Filesystem(&'static [&'static str]),
    /// Nothing outside the config tells (a built-in module leaves no trace in /sys).
    None,
}

/// A kernel feature kelp uses, and the config options that make it up.
struct Feature {
    name: &'static str,
    need: Need,
    options: &'static [&'static str],
    evidence: Evidence,
    /// What goes wrong without it; shown when it is missing.
    why: &'static str,
}

const FEATURES: &[Feature] = &[
    Feature {
        name: "namespaces",
        need: Need::Required,
        options: &["NAMESPACES", "NET_NS", "PID_NS", "IPC_NS", "UTS_NS"],
        evidence: Evidence::Paths(&[
            "/proc/self/ns/net",
            "/proc/self/ns/pid",
            "/proc/self/ns/ipc",
            "/proc/self/ns/uts",
            "/proc/self/ns/mnt",
        ]),
        why: "every pod runs in its own network, PID, IPC and UTS namespaces",
    },
    Feature {
        name: "user namespaces",
        need: Need::Optional,
        options: &["USER_NS"],
        evidence: Evidence::Paths(&["/proc/self/ns/user"]),
        why: "pods with hostUsers: false need them",
    },
    Feature {
        name: "cgroups",
        need: Need::Required,
        options: &[
            "CGROUPS",
            "CGROUP_CPUACCT",
            "CGROUP_DEVICE",
            "CGROUP_FREEZER",
            "CGROUP_SCHED",
            "CGROUP_PIDS",
            "CPUSETS",
            "MEMCG",
        ],
        evidence: Evidence::Filesystem(&["cgroup", "cgroup2"]),
        why: "pod resource limits and accounting are cgroups",
    },
    Feature {
        name: "CPU bandwidth limits",
        need: Need::Optional,
        options: &["CFS_BANDWIDTH"],
        evidence: Evidence::None,
        why: "without it, CPU limits are not enforced",
    },
    Feature {
        name: "cgroup BPF",
        need: Need::Optional,
        options: &["CGROUP_BPF"],
        evidence: Evidence::None,
        why: "runc enforces device rules with it on cgroup v2",
    },
    Feature {
        name: "overlay filesystem",
        need: Need::Required,
        options: &["OVERLAY_FS"],
        evidence: Evidence::Filesystem(&["overlay"]),
        why: "containerd's default snapshotter stacks image layers with overlayfs",
    },
    Feature {
        name: "POSIX message queues",
        need: Need::Required,
        options: &["POSIX_MQUEUE"],
        evidence: Evidence::Filesystem(&["mqueue"]),
        why: "runc mounts /dev/mqueue in every container",
    },
    Feature {
        name: "netfilter",
        need: Need::Required,
        options: &["NETFILTER", "NF_CONNTRACK", "NF_NAT"],
        evidence: Evidence::Paths(&["/proc/sys/net/netfilter"]),
        why: "Service addresses and pod egress are NAT rules",
    },
    Feature {
        name: "nf_tables",
        need: Need::Required,
        options: &[
            "NF_TABLES",
            "NF_TABLES_INET",
            "NFT_CT",
            "NFT_NAT",
            "NFT_MASQ",
        ],
        evidence: Evidence::None,
        why: "kelp writes its Service and masquerade rules as nftables",
    },
    Feature {
        name: "iptables kernel support",
        need: Need::Optional,
        options: &[
            "IP_NF_IPTABLES",
            "IP_NF_FILTER",
            "IP_NF_NAT",
            "IP_NF_TARGET_MASQUERADE",
            "NETFILTER_XT_MATCH_CONNTRACK",
            "NETFILTER_XT_MATCH_ADDRTYPE",
        ],
        evidence: Evidence::Paths(&["/proc/net/ip_tables_names"]),
        why: "tools and CNI plugins that still program iptables need it",
    },
    Feature {
        name: "bridge",
        need: Need::Required,
        options: &["BRIDGE"],
        evidence: Evidence::Paths(&["/sys/module/bridge"]),
        why: "pods on a node are joined by a Linux bridge",
    },
    Feature {
        name: "veth",
        need: Need::Required,
        options: &["VETH"],
        evidence: Evidence::Paths(&["/sys/module/veth"]),
        why: "each pod is wired to the bridge by a veth pair",
    },
    Feature {
        name: "br_netfilter",
        need: Need::Required,
        options: &["BRIDGE_NETFILTER"],
        evidence: Evidence::Paths(&["/proc/sys/net/bridge/bridge-nf-call-iptables"]),
        why: "Service rules must see traffic between pods on the same bridge",
    },
    Feature {
        name: "seccomp",
        need: Need::Optional,
        options: &["SECCOMP", "SECCOMP_FILTER"],
        evidence: Evidence::Paths(&["/proc/sys/kernel/seccomp"]),
        why: "seccompProfile: RuntimeDefault needs it",
    },
    Feature {
        name: "VXLAN",
        need: Need::Optional,
        options: &["VXLAN"],
        evidence: Evidence::Paths(&["/sys/module/vxlan"]),
        why: "the pod network between nodes is a VXLAN overlay",
    },
];

/// Every path some feature's evidence looks for; the driver reports which exist.
pub fn evidence_paths() -> impl Iterator<Item = &'static str> {
    FEATURES.iter().flat_map(|f| match f.evidence {
        Evidence::Paths(paths) => paths.iter().copied(),
        Evidence::Filesystem(_) | Evidence::None => [].iter().copied(),
    })
}

/// Names of the filesystems registered in /proc/filesystems (`nodev\toverlay`).
pub fn filesystems(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.split_whitespace().last())
        .map(String::from)
        .collect()
}

/// One check per feature, judged from the config when there is one, else from evidence.
pub fn features(
    config: &KernelConfig,
    filesystems_text: Option<&str>,
    existing: &BTreeSet<String>,
) -> Vec<Check> {
    let parsed = match config {
        KernelConfig::Found { text, .. } => Some(parse_config(text)),
        _ => None,
    };
    let registered = filesystems_text.map(filesystems).unwrap_or_default();
    FEATURES
        .iter()
        .map(|f| match &parsed {
            Some(options) => from_config(f, options),
            None => from_evidence(f, filesystems_text.is_some(), &registered, existing),
        })
        .collect()
}

fn from_config(f: &Feature, options: &BTreeMap<String, Setting>) -> Check {
    let name = |o: &&str| format!("CONFIG_{o}");
    let missing: Vec<String> = f
        .options
        .iter()
        .filter(|o| !options.contains_key(**o))
        .map(name)
        .collect();
    if !missing.is_empty() {
        let detail = format!("missing {} ({})", missing.join(", "), f.why);
        return Check::missing(Group::Kernel, f.name, f.need, detail);
    }
    let modules: Vec<String> = f
        .options
        .iter()
        .filter(|o| options.get(**o) == Some(&Setting::Module))
        .map(name)
        .collect();
    let detail = if modules.is_empty() {
        "built in".to_string()
    } else {
        format!("{} as module (must be loadable)", modules.join(", "))
    };
    Check::ok(Group::Kernel, f.name, f.need, detail)
}

fn from_evidence(
    f: &Feature,
    have_filesystems: bool,
    registered: &BTreeSet<String>,
    existing: &BTreeSet<String>,
) -> Check {
    let unknown = |detail: String| Check::unknown(Group::Kernel, f.name, f.need, detail);
    match f.evidence {
        Evidence::None => unknown(format!("cannot tell without a kernel config ({})", f.why)),
        Evidence::Paths(paths) => match paths.iter().find(|p| !existing.contains(**p)) {
            None => Check::ok(
                Group::Kernel,
                f.name,
                f.need,
                format!("present ({} exists)", paths[0]),
            ),
            Some(absent) => unknown(format!(
                "{absent} is absent: missing, or a module not loaded ({})",
                f.why
            )),
        },
        Evidence::Filesystem(_) if !have_filesystems => {
            unknown("/proc/filesystems is unreadable".to_string())
        }
        Evidence::Filesystem(names) => match names.iter().find(|n| registered.contains(**n)) {
            Some(found) => Check::ok(
                Group::Kernel,
                f.name,
                f.need,
                format!("present ({found} in /proc/filesystems)"),
            ),
            None => unknown(format!(
                "{} not in /proc/filesystems: missing, or a module not loaded ({})",
                names.join(" or "),
                f.why
            )),
        },
    }
}

/// `6.1.0-13-amd64` → `(6, 1)`.
pub fn release_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}
