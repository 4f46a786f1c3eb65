//! What both benchmarks share: running a command, the date, and rewriting their
//! own marked section of BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::{Context, Result, ensure};

pub fn output(program: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running {program}"))?;
    ensure!(out.status.success(), "{program} {args:?}: {}", out.status);
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `t` as `YYYY-MM-DD HH:MM UTC`.
pub fn utc(t: SystemTime) -> String {
    let s = humantime::format_rfc3339_seconds(t).to_string();
    format!("{} {} UTC", &s[..10], &s[11..16])
}

pub fn utc_now() -> String {
    utc(SystemTime::now())
}

/// Replaces the section between `start` and `end` of `BENCHMARKS.md` with
/// `section`, keeping everything outside it.
pub fn write_benchmarks(path: &Path, start: &str, end: &str, section: &str) -> Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::from(
            "# Benchmarks\n\n\
             Measured numbers for kelp. Each marked section is rewritten by the benchmark \
             that produced it; edit outside the markers only.\n",
        ),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let block = format!("{start}\n{section}{end}");
    let new = match (old.find(start), old.find(end)) {
        (Some(a), Some(b)) if a < b => format!("{}{block}{}", &old[..a], &old[b + end.len()..]),
        _ => format!("{}\n\n{block}\n", old.trim_end()),
    };
    std::fs::write(path, new).with_context(|| format!("writing {}", path.display()))
}

/// The directory to create data dirs in: `/tmp` unless it is tmpfs (a benchmark of
/// fsync on memory would mean nothing), else `target/`.
pub fn temp_parent() -> Result<PathBuf> {
    let tmp = std::env::temp_dir();
    if fs_type(&tmp)? != "tmpfs" {
        return Ok(tmp);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-tmp");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// The type of the filesystem holding `path`, from the longest matching mount point.
pub fn fs_type(path: &Path) -> Result<String> {
    let path = path.canonicalize()?;
    let mounts = std::fs::read_to_string("/proc/self/mounts")?;
    let mut best: Option<(usize, String)> = None;
    for line in mounts.lines() {
        let mut fields = line.split(' ');
        let (Some(_), Some(mount), Some(kind)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let mount = mount.replace("\\040", " ");
        if path.starts_with(&mount) && best.as_ref().is_none_or(|(len, _)| mount.len() >= *len) {
            best = Some((mount.len(), kind.to_string()));
        }
    }
    best.map(|(_, kind)| kind)
        .with_context(|| format!("no mount holds {}", path.display()))
}
