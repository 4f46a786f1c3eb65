//! `kelp check-config`: is this host ready to run kelp? Kernel features, cgroups,
//! containerd and runc, iptables/nft, disk space on the data dir, the user.
//!
//! Start at [`evaluate`], the pure core: it takes what was read from the host
//! ([`HostFacts`]: file contents, command outputs, filesystem sizes) and returns the
//! [`Check`]s; [`render`] prints them. [`run`] is the thin driver (`host.rs`) that
//! reads the host. Only a failed *required* check makes the command exit 1; optional
//! checks and checks that cannot be decided are warnings.

mod cgroups;
mod host;
mod kernel;

use std::fmt::Write as _;
use std::path::PathBuf;

pub use host::run;

/// Flags of `kelp check-config`: the data dir to check is found like `kelp server`'s
/// (flag < `KELP_DATA_DIR` < `data-dir:` in the config file < default).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct CheckConfigFlags {
    /// Data directory whose free space to check, as for `kelp server` [default:
    /// /var/lib/kelp] [env: KELP_DATA_DIR]
    #[arg(long, value_name = "PATH")]
    pub data_dir: Option<String>,
    /// YAML config file to take data-dir from, as for `kelp server` [default:
    /// /etc/kelp/config.yaml] [env: KELP_CONFIG]
    #[arg(long, value_name = "PATH")]
    pub config: Option<String>,
}

/// The sections of the report, in print order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    System,
    Kernel,
    Cgroups,
    Runtime,
    Network,
    Storage,
}

impl Group {
    fn title(self) -> &'static str {
        match self {
            Group::System => "System",
            Group::Kernel => "Kernel features",
            Group::Cgroups => "Cgroups",
            Group::Runtime => "Container runtime",
            Group::Network => "Networking tools",
            Group::Storage => "Storage",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub group: Group,
    pub name: String,
    pub need: Need,
    pub status: Status,
    pub detail: String,
}

impl Check {
    fn new(group: Group, name: &str, need: Need, status: Status, detail: String) -> Check {
        Check {
            group,
            name: name.to_string(),
            need,
            status,
            detail,
        }
    }

    fn ok(group: Group, name: &str, need: Need, detail: String) -> Check {
        Check::new(group, name, need, Status::Ok, detail)
    }

    fn warn(group: Group, name: &str, need: Need, detail: String) -> Check {
        Check::new(group, name, need, Status::Warn, detail)
    }

    /// Known to be absent: a failure if required, a warning if optional.
    fn missing(group: Group, name: &str, need: Need, detail: String) -> Check {
        let status = match need {
            Need::Required => Status::Fail,
            Need::Optional => Status::Warn,
        };
        Check::new(group, name, need, status, detail)
    }

    /// Cannot be decided from what the host shows: never a failure.
    fn unknown(group: Group, name: &str, need: Need, detail: String) -> Check {
        Check::new(group, name, need, Status::Warn, detail)
    }
}

/// Which kernel config was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelConfig {
    Found {
        source: String,
        text: String,
    },
    /// None of `looked` exists.
    NotFound {
        looked: Vec<String>,
    },
    Unreadable {
        source: String,
        error: String,
    },
}

/// The result of running `TOOL --version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tool {
    /// Not on PATH nor in the usual sbin/bin directories.
    Missing,
    Ran {
        path: PathBuf,
        success: bool,
        /// stdout, or stderr when stdout is empty.
        output: String,
    },
    Failed {
        path: PathBuf,
        error: String,
    },
}

/// Free space of the filesystem holding the data dir.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disk {
    pub data_dir: PathBuf,
    /// The data dir or its nearest existing parent, which was measured.
    pub measured: PathBuf,
    pub space: Result<Space, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Space {
    /// Available to unprivileged users (`f_bavail`), as kubelet's eviction counts it.
    pub avail_bytes: u64,
    pub total_bytes: u64,
}

/// Everything [`evaluate`] looks at, as read from the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFacts {
    pub euid: Option<u32>,
    /// `/proc/sys/kernel/osrelease` (what `uname -r` prints).
    pub kernel_release: Option<String>,
    pub kernel_config: KernelConfig,
    /// `/proc/filesystems`.
    pub filesystems: Option<String>,
    /// Which of the paths `kernel::evidence_paths` names exist.
    pub existing_paths: std::collections::BTreeSet<String>,
    /// `/proc/self/mounts`.
    pub mounts: Option<String>,
    /// `/proc/cgroups`.
    pub proc_cgroups: Option<String>,
    /// `cgroup.controllers` of the cgroup2 mount, if one is mounted.
    pub cgroup2_controllers: Option<String>,
    pub containerd: Tool,
    pub runc: Tool,
    pub iptables: Tool,
    pub nft: Tool,
    pub disk: Disk,
    /// Why the configuration (file, `KELP_*`) was refused, if it was.
    pub config_error: Option<String>,
}

/// Below this, the data dir fails the check: the store and images need room.
pub const DISK_FAIL_BYTES: u64 = 1 << 30;
/// Below this (or below [`DISK_WARN_PERCENT`] of the filesystem), a warning.
pub const DISK_WARN_BYTES: u64 = 5 << 30;
/// kubelet's default hard eviction threshold is `nodefs.available<10%`.
pub const DISK_WARN_PERCENT: u64 = 10;
/// containerd 1.6 is the oldest release kelp's client is tested against.
const CONTAINERD_MIN: (u32, u32) = (1, 6);
/// cgroup v2's cpu controller arrived in 4.15; older kernels are not supported.
const KERNEL_MIN: (u32, u32) = (4, 15);

/// The report: every check, in group order.
pub fn evaluate(facts: &HostFacts) -> Vec<Check> {
    let mut checks = system(facts);
    checks.extend(kernel::features(
        &facts.kernel_config,
        facts.filesystems.as_deref(),
        &facts.existing_paths,
    ));
    checks.extend(cgroups::checks(
        facts.mounts.as_deref(),
        facts.proc_cgroups.as_deref(),
        facts.cgroup2_controllers.as_deref(),
    ));
    checks.extend(runtime(facts));
    checks.extend(network_tools(facts));
    checks.push(disk(&facts.disk));
    checks.sort_by_key(|c| c.group);
    checks
}

fn system(facts: &HostFacts) -> Vec<Check> {
    let g = Group::System;
    let req = Need::Required;
    let mut out = Vec::new();
    if let Some(error) = &facts.config_error {
        out.push(Check::missing(
            g,
            "configuration",
            req,
            format!("{error} (kelp server refuses to start with it)"),
        ));
    }
    out.push(match facts.euid {
        Some(0) => Check::ok(g, "user", req, "root".to_string()),
        Some(uid) => Check::missing(
            g,
            "user",
            req,
            format!(
                "uid {uid}, not root: kelp creates namespaces, cgroups and network \
                 rules, and runs as root (some checks below may be incomplete)"
            ),
        ),
        None => Check::unknown(g, "user", req, "cannot tell the user id".to_string()),
    });
    out.push(match &facts.kernel_release {
        None => Check::unknown(
            g,
            "kernel",
            req,
            "cannot read /proc/sys/kernel/osrelease".to_string(),
        ),
        Some(release) => match kernel::release_version(release) {
            Some(v) if v < KERNEL_MIN => Check::missing(
                g,
                "kernel",
                req,
                format!(
                    "{release} is older than {}.{} (cgroup v2's cpu controller)",
                    KERNEL_MIN.0, KERNEL_MIN.1
                ),
            ),
            Some(_) => Check::ok(g, "kernel", req, release.clone()),
            None => Check::unknown(
                g,
                "kernel",
                req,
                format!("unrecognised release {release:?}"),
            ),
        },
    });
    out.push(match &facts.kernel_config {
        KernelConfig::Found { source, .. } => Check::ok(
            g,
            "kernel config",
            Need::Required,
            format!("{source} (kernel features below are read from it)"),
        ),
        KernelConfig::NotFound { looked } => Check::unknown(
            g,
            "kernel config",
            Need::Required,
            format!(
                "not found ({}); kernel features below are inferred from /proc and /sys",
                looked.join(", ")
            ),
        ),
        KernelConfig::Unreadable { source, error } => Check::unknown(
            g,
            "kernel config",
            Need::Required,
            format!("{source}: {error}; kernel features below are inferred from /proc and /sys"),
        ),
    });
    out
}

fn runtime(facts: &HostFacts) -> Vec<Check> {
    let g = Group::Runtime;
    let agent = "the node agent runs every pod through it; a server with --disable-agent \
                 does not need it";
    let containerd = match &facts.containerd {
        Tool::Missing => Check::missing(
            g,
            "containerd",
            Need::Required,
            format!("not found ({agent}; Debian: apt-get install containerd)"),
        ),
        tool => version_check(g, "containerd", Need::Required, tool, Some(CONTAINERD_MIN)),
    };
    let runc = match &facts.runc {
        Tool::Missing => Check::missing(
            g,
            "runc",
            Need::Required,
            "not found (containerd starts every container with it; Debian: apt-get \
             install runc)"
                .to_string(),
        ),
        tool => version_check(g, "runc", Need::Required, tool, None),
    };
    vec![containerd, runc]
}

fn network_tools(facts: &HostFacts) -> Vec<Check> {
    let g = Group::Network;
    let nft = match &facts.nft {
        Tool::Missing => Check::missing(
            g,
            "nft",
            Need::Optional,
            "not found; only needed to inspect kelp's rules (apt-get install nftables)".to_string(),
        ),
        tool => version_check(g, "nft", Need::Optional, tool, None),
    };
    let iptables = match &facts.iptables {
        Tool::Missing => Check::missing(
            g,
            "iptables",
            Need::Optional,
            "not found; only tools and CNI plugins that use iptables need it \
             (apt-get install iptables)"
                .to_string(),
        ),
        tool => {
            let mut check = version_check(g, "iptables", Need::Optional, tool, None);
            if check.status == Status::Ok && tool_output(tool).contains("legacy") {
                check.status = Status::Warn;
                check.detail.push_str(
                    "; legacy backend: its rules live beside kelp's nftables rules and \
                     both apply (prefer iptables-nft)",
                );
            }
            check
        }
    };
    vec![nft, iptables]
}

fn tool_output(tool: &Tool) -> &str {
    match tool {
        Tool::Ran { output, .. } => output,
        _ => "",
    }
}

/// A check of a tool that was found: its version, or why `--version` did not work.
fn version_check(g: Group, name: &str, need: Need, tool: &Tool, min: Option<(u32, u32)>) -> Check {
    match tool {
        Tool::Missing => Check::missing(g, name, need, "not found".to_string()),
        Tool::Failed { path, error } => Check::missing(
            g,
            name,
            need,
            format!("{} cannot run: {error}", path.display()),
        ),
        Tool::Ran {
            path,
            success: false,
            output,
        } => Check::missing(
            g,
            name,
            need,
            format!(
                "{} --version failed: {}",
                path.display(),
                first_line(output)
            ),
        ),
        Tool::Ran { path, output, .. } => {
            let Some(version) = parse_version(output) else {
                return Check::unknown(
                    g,
                    name,
                    need,
                    format!(
                        "{}: unrecognised version {:?}",
                        path.display(),
                        first_line(output)
                    ),
                );
            };
            let detail = format!("{} ({})", version.text, path.display());
            match min {
                Some(min) if (version.major, version.minor) < min => Check::missing(
                    g,
                    name,
                    need,
                    format!("{detail} is older than {}.{}", min.0, min.1),
                ),
                _ => Check::ok(g, name, need, detail),
            }
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// A version found in `--version` output.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Version {
    /// As printed, without a leading `v`: `1.6.20~ds1`.
    text: String,
    major: u32,
    minor: u32,
}

/// The first word of the first line that looks like `[v]MAJOR.MINOR[...]`:
/// `containerd github.com/containerd/containerd 1.6.20~ds1 ...`, `runc version 1.1.5`,
/// `iptables v1.8.9 (nf_tables)`, `nftables v1.0.6 (Lester Gooch #5)`.
fn parse_version(output: &str) -> Option<Version> {
    let line = first_line(output);
    line.split_whitespace().find_map(|word| {
        let text = word.strip_prefix('v').unwrap_or(word);
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor: String = parts
            .next()?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        Some(Version {
            text: text.to_string(),
            major,
            minor: minor.parse().ok()?,
        })
    })
}

fn disk(disk: &Disk) -> Check {
    let g = Group::Storage;
    let name = "disk space";
    let req = Need::Required;
    let place = if disk.measured == disk.data_dir {
        disk.data_dir.display().to_string()
    } else {
        format!(
            "{} (nearest existing parent of {})",
            disk.measured.display(),
            disk.data_dir.display()
        )
    };
    let space = match &disk.space {
        Ok(space) => *space,
        Err(error) => return Check::unknown(g, name, req, format!("{place}: {error}")),
    };
    let detail = format!(
        "{} free of {} on {place}",
        bytes(space.avail_bytes),
        bytes(space.total_bytes)
    );
    let low_share =
        space.avail_bytes.saturating_mul(100) < space.total_bytes.saturating_mul(DISK_WARN_PERCENT);
    if space.avail_bytes < DISK_FAIL_BYTES {
        Check::missing(
            g,
            name,
            req,
            format!(
                "{detail}; at least {} is needed for the store and images",
                bytes(DISK_FAIL_BYTES)
            ),
        )
    } else if space.avail_bytes < DISK_WARN_BYTES || low_share {
        Check::warn(
            g,
            name,
            req,
            format!(
                "{detail}; below {} or {DISK_WARN_PERCENT}% free, kubelet evicts pods",
                bytes(DISK_WARN_BYTES)
            ),
        )
    } else {
        Check::ok(g, name, req, detail)
    }
}

/// `1.5 GiB`, binary units.
fn bytes(n: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// True when a required check failed: the command then exits 1.
pub fn failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == Status::Fail)
}

/// The report as text: one line per check under its group's title, then a summary.
/// `color` adds ANSI colours to the markers (for a terminal).
pub fn render(checks: &[Check], color: bool) -> String {
    let mut out = String::new();
    let mut group = None;
    for check in checks {
        if group != Some(check.group) {
            if group.is_some() {
                out.push('\n');
            }
            group = Some(check.group);
            let _ = writeln!(out, "{}", check.group.title());
        }
        let optional = match check.need {
            Need::Optional => " (optional)",
            Need::Required => "",
        };
        let _ = writeln!(
            out,
            "  {} {}{optional}: {}",
            marker(check.status, color),
            check.name,
            check.detail
        );
    }
    let count = |s| checks.iter().filter(|c| c.status == s).count();
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.name.as_str())
        .collect();
    let _ = writeln!(
        out,
        "\nSummary: {} ok, {} warnings, {} failed",
        count(Status::Ok),
        count(Status::Warn),
        failed.len()
    );
    if failed.is_empty() {
        let _ = writeln!(out, "This host can run kelp.");
    } else {
        let _ = writeln!(
            out,
            "This host cannot run kelp until these are fixed: {}.",
            failed.join(", ")
        );
    }
    out
}

fn marker(status: Status, color: bool) -> String {
    let (text, ansi) = match status {
        Status::Ok => ("[ ok ]", "32"),
        Status::Warn => ("[warn]", "33"),
        Status::Fail => ("[FAIL]", "31;1"),
    };
    if color {
        format!("\x1b[{ansi}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests;
