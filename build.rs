//! Build metadata for `kelp --version`: sets `KELP_VERSION` to
//! `0.1.0 (commit abc1234, x86_64-unknown-linux-gnu, built 2026-12-03)`.
//!
//! - commit: `KELP_GIT_COMMIT` when set (for builds from a tarball), else
//!   `git rev-parse --short HEAD` of this checkout, else `unknown`;
//! - target: the triple cargo builds for;
//! - date: the UTC day of `SOURCE_DATE_EPOCH` when set (reproducible builds), else today.
//!
//! The script reruns only when HEAD moves (or those variables change), not on every
//! source edit; so without `SOURCE_DATE_EPOCH` the date is that of the build that first
//! saw the commit.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=KELP_GIT_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");

    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let commit = match std::env::var("KELP_GIT_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_string(),
        _ => git_commit(&manifest_dir).unwrap_or_else(|| "unknown".to_string()),
    };
    let target = std::env::var("TARGET").unwrap();
    let epoch = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => s
            .trim()
            .parse::<i64>()
            .unwrap_or_else(|_| panic!("SOURCE_DATE_EPOCH is not a number of seconds: {s:?}")),
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    };
    let (y, m, d) = civil_date(epoch.div_euclid(86_400));
    let version = std::env::var("CARGO_PKG_VERSION").unwrap();
    println!(
        "cargo:rustc-env=KELP_VERSION={version} (commit {commit}, {target}, built {y:04}-{m:02}-{d:02})"
    );
}

/// Runs git in `dir`; its trimmed stdout when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// The short commit of the checkout at `dir`, and rerun-if-changed lines for the files
/// that move when HEAD does. None when `dir` is not the top of a git work tree (an
/// unpacked tarball inside some other repository must not take that one's commit).
fn git_commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let commit = git(dir, &["rev-parse", "--short", "HEAD"])?;
    // Only paths that exist: cargo reruns the script every time for a missing one.
    let watch = |p: PathBuf| {
        let p = if p.is_absolute() { p } else { dir.join(p) };
        if p.exists() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    };
    if let Some(head) = git(dir, &["rev-parse", "--git-path", "HEAD"]) {
        watch(PathBuf::from(head));
    }
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        if let Some(r) = git(dir, &["rev-parse", "--git-path", &branch]) {
            let r = PathBuf::from(r);
            // a packed ref has no file of its own until the next commit writes one;
            // its directory changes then
            match (r.exists(), r.parent()) {
                (true, _) => watch(r),
                (false, Some(parent)) => watch(parent.to_path_buf()),
                _ => {}
            }
        }
        if let Some(packed) = git(dir, &["rev-parse", "--git-path", "packed-refs"]) {
            watch(PathBuf::from(packed));
        }
    }
    Some(commit)
}

/// Year, month (1-12) and day (1-31) of the proleptic Gregorian calendar, `days` after
/// 1970-01-01.
fn civil_date(days: i64) -> (i64, u32, u32) {
    // Count from 0000-03-01 so that the leap day ends each 4/100/400-year cycle.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
