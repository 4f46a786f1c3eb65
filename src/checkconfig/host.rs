//! The driver: reads this host into [`HostFacts`], evaluates, prints, picks the exit code.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::{Args, FromArgMatches};

use super::{CheckConfigFlags, Disk, HostFacts, KernelConfig, Space, Tool, cgroups, kernel};
use crate::server::config::{ServerConfig, ServerFlags};

/// `kelp server`'s default data dir, used when the configuration is refused.
const DEFAULT_DATA_DIR: &str = "/var/lib/kelp";
/// Where tools are looked for after PATH: a non-root PATH often lacks the sbin dirs
/// iptables and nft live in, and kelp (as root under systemd) would find them there.
const FALLBACK_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];
/// A `--version` that takes longer than this is treated as broken.
const TOOL_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `kelp check-config`: prints the report to stdout; exit 1 if a required check
/// failed, else 0.
pub fn run(flags: CheckConfigFlags, env: &dyn Fn(&str) -> Option<String>) -> ExitCode {
    let (data_dir, config_error) = data_dir(&flags, env);
    let facts = gather(data_dir, config_error, env);
    let checks = super::evaluate(&facts);
    let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = std::io::stdout().is_terminal() && !no_color;
    let mut stdout = std::io::stdout().lock();
    // a closed stdout (`| head`) is not a reason to report a different verdict
    let _ = stdout.write_all(super::render(&checks, color).as_bytes());
    let _ = stdout.flush();
    if super::failed(&checks) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The data dir exactly as `kelp server` would resolve it from the same flags,
/// environment and config file; if that configuration is refused, the error and the
/// data dir from the flag, `KELP_DATA_DIR` or the default.
pub(super) fn data_dir(
    flags: &CheckConfigFlags,
    env: &dyn Fn(&str) -> Option<String>,
) -> (PathBuf, Option<String>) {
    let mut argv = vec!["check-config".to_string()];
    if let Some(dir) = &flags.data_dir {
        argv.push(format!("--data-dir={dir}"));
    }
    if let Some(config) = &flags.config {
        argv.push(format!("--config={config}"));
    }
    let loaded = ServerFlags::augment_args(clap::Command::new("check-config"))
        .try_get_matches_from(argv)
        .and_then(|m| ServerFlags::from_arg_matches(&m))
        .map_err(|e| e.to_string())
        .and_then(|server_flags| ServerConfig::load(server_flags, env).map_err(|e| e.to_string()));
    match loaded {
        Ok(cfg) => (cfg.data_dir, None),
        Err(error) => {
            let dir = [flags.data_dir.clone(), env("KELP_DATA_DIR")]
                .into_iter()
                .flatten()
                .find(|d| !d.is_empty())
                .unwrap_or_else(|| DEFAULT_DATA_DIR.to_string());
            (PathBuf::from(dir), Some(error))
        }
    }
}

fn gather(
    data_dir: PathBuf,
    config_error: Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> HostFacts {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let kernel_release = read("/proc/sys/kernel/osrelease").map(|r| r.trim().to_string());
    let kernel_config = kernel_config(kernel_release.as_deref());
    let mounts = read("/proc/self/mounts");
    let cgroup2_controllers = mounts
        .as_deref()
        .map(cgroups::parse_mounts)
        .and_then(|m| m.unified().map(|p| format!("{p}/cgroup.controllers")))
        .and_then(|p| read(&p));
    let existing_paths: BTreeSet<String> = kernel::evidence_paths()
        .filter(|p| Path::new(p).exists())
        .map(String::from)
        .collect();
    let path = env("PATH").unwrap_or_default();
    let tool = |name: &str| tool_version(name, &path);
    HostFacts {
        euid: Some(nix::unistd::geteuid().as_raw()),
        kernel_release,
        kernel_config,
        filesystems: read("/proc/filesystems"),
        existing_paths,
        mounts,
        proc_cgroups: read("/proc/cgroups"),
        cgroup2_controllers,
        containerd: tool("containerd"),
        runc: tool("runc"),
        iptables: tool("iptables"),
        nft: tool("nft"),
        disk: disk(data_dir),
        config_error,
    }
}

/// The first kernel config that can be read, in [`kernel::config_candidates`] order.
fn kernel_config(release: Option<&str>) -> KernelConfig {
    let looked = kernel::config_candidates(release.unwrap_or("unknown"));
    let mut first_error = None;
    for source in &looked {
        match read_config(Path::new(source)) {
            Ok(Some(text)) => {
                return KernelConfig::Found {
                    source: source.clone(),
                    text,
                };
            }
            Ok(None) => {}
            Err(error) => {
                first_error.get_or_insert((source.clone(), error));
            }
        }
    }
    match first_error {
        Some((source, error)) => KernelConfig::Unreadable { source, error },
        None => KernelConfig::NotFound { looked },
    }
}

/// `Ok(None)` when the file does not exist; gunzips `.gz` files.
fn read_config(path: &Path) -> Result<Option<String>, String> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut text = String::new();
    let result = if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::MultiGzDecoder::new(file).read_to_string(&mut text)
    } else {
        std::io::BufReader::new(file).read_to_string(&mut text)
    };
    result.map(|_| Some(text)).map_err(|e| e.to_string())
}

/// An executable file named `name` in PATH, then in [`FALLBACK_DIRS`].
fn find_executable(name: &str, path: &str) -> Option<PathBuf> {
    path.split(':')
        .filter(|d| !d.is_empty())
        .chain(FALLBACK_DIRS.iter().copied())
        .map(|dir| Path::new(dir).join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

fn tool_version(name: &str, path: &str) -> Tool {
    let Some(exe) = find_executable(name, path) else {
        return Tool::Missing;
    };
    match run_version(&exe) {
        Ok((success, output)) => Tool::Ran {
            path: exe,
            success,
            output,
        },
        Err(error) => Tool::Failed { path: exe, error },
    }
}

/// Runs `EXE --version` with a deadline; returns success and stdout (or stderr).
fn run_version(exe: &Path) -> Result<(bool, String), String> {
    let mut child = Command::new(exe)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if start.elapsed() > TOOL_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("--version did not finish in {TOOL_TIMEOUT:?}"));
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    let output = if stdout.trim().is_empty() {
        stderr
    } else {
        stdout
    };
    Ok((status.success(), output))
}

/// Free space of the data dir, or of its nearest existing parent before it is created.
fn disk(data_dir: PathBuf) -> Disk {
    let measured = data_dir
        .ancestors()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"))
        .to_path_buf();
    let space = nix::sys::statvfs::statvfs(&measured)
        .map(|s| {
            // u64 on the 64-bit Linux targets kelp is built for
            let fragment = s.fragment_size();
            Space {
                avail_bytes: s.blocks_available().saturating_mul(fragment),
                total_bytes: s.blocks().saturating_mul(fragment),
            }
        })
        .map_err(|e| format!("statvfs: {e}"));
    Disk {
        data_dir,
        measured,
        space,
    }
}
