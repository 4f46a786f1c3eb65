//! The cgroup hierarchy: which version is mounted (from the mount table) and whether the
//! controllers pods need are usable (from /proc/cgroups and the v2 `cgroup.controllers`).
//! Pure; the driver reads the files.

use std::collections::{BTreeMap, BTreeSet};

use super::{Check, Group, Need};

/// The controllers kelp sets limits with; each is required.
pub const CONTROLLERS: &[&str] = &["cpu", "cpuset", "memory", "pids"];

/// Where systemd and every distribution mount the hierarchy.
const ROOT: &str = "/sys/fs/cgroup";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Version {
    /// Only cgroup2, at /sys/fs/cgroup.
    V2,
    /// Controllers on v1 hierarchies, and cgroup2 mounted (without them) somewhere.
    Hybrid {
        unified: String,
    },
    V1,
    None,
}

/// The cgroup mounts of a mount table (`/proc/self/mounts` format).
#[derive(Debug, Default)]
pub struct Mounts {
    /// cgroup2 mount points.
    pub v2: Vec<String>,
    /// v1 mount point of each controller.
    pub v1: BTreeMap<String, String>,
}

pub fn parse_mounts(text: &str) -> Mounts {
    let mut mounts = Mounts::default();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, point, fstype, options, ..] = fields[..] else {
            continue;
        };
        match fstype {
            "cgroup2" => mounts.v2.push(point.to_string()),
            "cgroup" => {
                // the options are the mount flags, `name=…` and the controllers
                for option in options.split(',') {
                    if is_controller_name(option) {
                        mounts
                            .v1
                            .entry(option.to_string())
                            .or_insert_with(|| point.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    mounts
}

fn is_controller_name(option: &str) -> bool {
    const FLAGS: &[&str] = &[
        "rw",
        "ro",
        "relatime",
        "noatime",
        "nosuid",
        "nodev",
        "noexec",
        "none",
        "noprefix",
        "clone_children",
        "xattr",
    ];
    !option.is_empty() && !option.contains('=') && !FLAGS.contains(&option)
}

impl Mounts {
    pub fn version(&self) -> Version {
        match (self.v1.is_empty(), self.v2.first()) {
            (true, Some(_)) if self.v2.iter().any(|p| p == ROOT) => Version::V2,
            (true, _) => Version::None,
            (false, Some(unified)) => Version::Hybrid {
                unified: unified.clone(),
            },
            (false, None) => Version::V1,
        }
    }

    /// Where the driver should read `cgroup.controllers`: the cgroup2 mount, if any.
    pub fn unified(&self) -> Option<&str> {
        self.v2
            .iter()
            .find(|p| *p == ROOT)
            .or_else(|| self.v2.first())
            .map(String::as_str)
    }
}

/// A row of /proc/cgroups: `subsys_name hierarchy num_cgroups enabled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Subsystem {
    /// 0 when the controller is on no v1 hierarchy (so it is free for cgroup2).
    hierarchy: u32,
    enabled: bool,
}

fn parse_proc_cgroups(text: &str) -> BTreeMap<String, Subsystem> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let [name, hierarchy, _, enabled] = f[..] else {
                return None;
            };
            let sub = Subsystem {
                hierarchy: hierarchy.parse().ok()?,
                enabled: enabled == "1",
            };
            Some((name.to_string(), sub))
        })
        .collect()
}

/// The version check followed by one check per required controller.
pub fn checks(
    mounts_text: Option<&str>,
    proc_cgroups: Option<&str>,
    v2_controllers: Option<&str>,
) -> Vec<Check> {
    let Some(mounts_text) = mounts_text else {
        return vec![Check::unknown(
            Group::Cgroups,
            "cgroup version",
            Need::Required,
            "cannot read the mount table (/proc/self/mounts)".to_string(),
        )];
    };
    let mounts = parse_mounts(mounts_text);
    let version = mounts.version();
    let mut out = vec![version_check(&version)];
    if version == Version::None {
        return out;
    }
    let subsystems = proc_cgroups.map(parse_proc_cgroups).unwrap_or_default();
    let v2: BTreeSet<&str> = v2_controllers
        .map(|t| t.split_whitespace().collect())
        .unwrap_or_default();
    for name in CONTROLLERS {
        let check_name = format!("{name} controller");
        let found = match (&version, mounts.v1.get(*name)) {
            (Version::V1 | Version::Hybrid { .. }, Some(point)) => Some(format!("v1, {point}")),
            _ if v2.contains(name) => Some(format!("v2, {}", mounts.unified().unwrap_or(ROOT))),
            _ => None,
        };
        out.push(match found {
            Some(at) => Check::ok(Group::Cgroups, &check_name, Need::Required, at),
            None => Check::missing(
                Group::Cgroups,
                &check_name,
                Need::Required,
                why_missing(
                    name,
                    &version,
                    subsystems.get(*name),
                    proc_cgroups.is_some(),
                ),
            ),
        });
    }
    out
}

fn version_check(version: &Version) -> Check {
    let name = "cgroup version";
    let legacy = "Kubernetes keeps cgroup v1 in maintenance mode; v2 is recommended \
                  (boot with systemd.unified_cgroup_hierarchy=1)";
    match version {
        Version::V2 => Check::ok(
            Group::Cgroups,
            name,
            Need::Required,
            format!("v2 (unified, {ROOT})"),
        ),
        Version::Hybrid { unified } => Check::warn(
            Group::Cgroups,
            name,
            Need::Required,
            format!("hybrid (v1 controllers, v2 at {unified}); {legacy}"),
        ),
        Version::V1 => Check::warn(
            Group::Cgroups,
            name,
            Need::Required,
            format!("v1; {legacy}"),
        ),
        Version::None => Check::missing(
            Group::Cgroups,
            name,
            Need::Required,
            format!("no cgroup filesystem is mounted (expected at {ROOT})"),
        ),
    }
}

fn why_missing(
    name: &str,
    version: &Version,
    sub: Option<&Subsystem>,
    have_proc_cgroups: bool,
) -> String {
    match sub {
        Some(s) if !s.enabled => {
            let mut why = format!("disabled on the kernel command line (cgroup_disable={name})");
            if name == "memory" {
                why.push_str(
                    "; add cgroup_enable=memory cgroup_memory=1 to it \
                     (Raspberry Pi: /boot/firmware/cmdline.txt) and reboot",
                );
            }
            why
        }
        Some(s) if *version == Version::V2 && s.hierarchy != 0 => {
            "bound to a cgroup v1 hierarchy, so cgroup v2 cannot use it".to_string()
        }
        None if have_proc_cgroups => "not in this kernel (absent from /proc/cgroups)".to_string(),
        _ => match version {
            Version::V2 => format!("not in {ROOT}/cgroup.controllers"),
            _ => "no cgroup v1 hierarchy has it mounted".to_string(),
        },
    }
}
