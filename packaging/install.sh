#!/bin/sh
# Installs kelp: the binary, the systemd units, a default config and kelp's uninstaller,
# then (on a live system with systemd) enables and starts the service. Idempotent: files
# are written only when their content or mode differs, and a second run reports that
# there is nothing to do. See packaging/README.md for every option.
#
#   sh install.sh [--prefix DIR] [--destdir DIR] [--binary PATH] [--skip-deps] [server|agent ARGS...]
set -eu

me="kelp install"
info() { printf '%s: %s\n' "$me" "$*"; }
warn() { printf '%s: warning: %s\n' "$me" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$me" "$*" >&2
  exit 1
}
is_true() { case "${1:-}" in true | TRUE | True | yes | 1) return 0 ;; *) return 1 ;; esac; }

usage() {
  cat <<'EOF'
Usage: install.sh [OPTIONS] [server|agent [KELP ARGS...]]

Installs kelp (binary, systemd units, /etc/kelp/config.yaml when missing, kelp-uninstall.sh),
containerd and runc (apt-get) when missing, and enables and starts kelp under systemd.

Options (installer options come before the kelp command):
  --prefix DIR    install the binary and kelp-uninstall.sh into DIR/bin (default /usr/local);
                  a staged install: nothing is started, enabled or apt-installed
  --destdir DIR   write every file below DIR (like make's DESTDIR; also the DESTDIR variable);
                  the units still name the final paths; a staged install
  --binary PATH   the kelp binary to install (also INSTALL_KELP_BINARY)
  --skip-deps     do not install containerd and runc (also INSTALL_KELP_SKIP_DEPS=true)
  -h, --help      this help

Environment:
  INSTALL_KELP_EXEC         kelp command and flags for the unit, e.g. "agent --server URL"
                            (default: server, or agent when KELP_SERVER is set)
  INSTALL_KELP_SKIP_ENABLE  true: do not enable nor start the unit
  INSTALL_KELP_SKIP_START   true: do not start (or restart) the unit
  INSTALL_KELP_SKIP_DEPS    true: do not install containerd and runc
  INSTALL_KELP_BIN_DIR      directory of the binary (default PREFIX/bin)
  INSTALL_KELP_SYSTEMD_DIR  directory of the units (default /etc/systemd/system)
  INSTALL_KELP_BINARY       the binary to install (default: kelp-ARCH or kelp beside this
                            script, ../dist/kelp-ARCH, or cargo build --release in a checkout)
  INSTALL_KELP_AIRGAP       true: offline install (set automatically in an airgap bundle)
  KELP_*                    written to /etc/kelp/kelp.env (kelp-agent.env for the agent),
                            mode 0600, which the unit reads: e.g. KELP_TOKEN, KELP_SERVER
EOF
}

script_dir=$(cd "$(dirname "$0")" && pwd)
DESTDIR=${DESTDIR:-}
prefix=/usr/local
staged=false
binary=${INSTALL_KELP_BINARY:-}
skip_deps=${INSTALL_KELP_SKIP_DEPS:-false}

while [ $# -gt 0 ]; do
  case $1 in
    --prefix | --destdir | --binary)
      [ $# -ge 2 ] || die "$1 needs a value"
      opt=$1 val=$2
      shift 2
      ;;
    --prefix=* | --destdir=* | --binary=*)
      opt=${1%%=*} val=${1#*=}
      shift
      ;;
    --skip-deps)
      skip_deps=true
      shift
      continue
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    --)
      shift
      break
      ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) break ;;
  esac
  case $opt in
    --prefix)
      prefix=$val
      staged=true
      ;;
    --destdir) DESTDIR=$val ;;
    --binary) binary=$val ;;
  esac
done

# ---- paths -------------------------------------------------------------------------------

check_path() { # NAME PATH: absolute, no whitespace (the manifest is whitespace-separated)
  case $2 in /*) ;; *) die "$1 must be an absolute path: $2" ;; esac
  case $2 in *[[:space:]]*) die "$1 must not contain whitespace: $2" ;; esac
}
if [ -n "$DESTDIR" ]; then
  check_path DESTDIR "$DESTDIR"
  DESTDIR=${DESTDIR%/}
  staged=true
fi
check_path --prefix "$prefix"
prefix=${prefix%/}
BIN_DIR=${INSTALL_KELP_BIN_DIR:-$prefix/bin}
SYSTEMD_DIR=${INSTALL_KELP_SYSTEMD_DIR:-/etc/systemd/system}
CONFIG_DIR=/etc/kelp
MANIFEST=$CONFIG_DIR/install.manifest
check_path INSTALL_KELP_BIN_DIR "$BIN_DIR"
check_path INSTALL_KELP_SYSTEMD_DIR "$SYSTEMD_DIR"
BIN_DIR=${BIN_DIR%/} SYSTEMD_DIR=${SYSTEMD_DIR%/}

if [ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (or install into a staging root with --destdir DIR)"
fi

airgap=false
if is_true "${INSTALL_KELP_AIRGAP:-}" || [ -f "$script_dir/AIRGAP" ]; then airgap=true; fi

# The units and the default config: beside this script (airgap bundle) or in the checkout.
units_src=""
for d in "$script_dir/systemd" "$script_dir/../systemd"; do
  if [ -f "$d/kelp.service" ] && [ -f "$d/kelp-agent.service" ]; then
    units_src=$(cd "$d" && pwd)
    break
  fi
done
[ -n "$units_src" ] || die "kelp.service and kelp-agent.service not found in $script_dir/systemd or $script_dir/../systemd"
[ -f "$script_dir/config.yaml" ] || die "default config $script_dir/config.yaml not found"
[ -f "$script_dir/uninstall.sh" ] || die "$script_dir/uninstall.sh not found"

# ---- the kelp command the unit runs -------------------------------------------------------

# INSTALL_KELP_EXEC is split into words at blanks (no quoting, as k3s's INSTALL_K3S_EXEC);
# the script's own arguments are kept as they are and come after it.
case ${INSTALL_KELP_EXEC:-} in *"
"*) die "INSTALL_KELP_EXEC must be one line" ;; esac
set -f # no globbing while splitting
# shellcheck disable=SC2086 # word splitting is the point
set -- ${INSTALL_KELP_EXEC:-} "$@"
set +f
for word in "$@"; do
  case $word in *"
"*) die "the kelp arguments must not contain newlines" ;; esac
done
default_cmd=server
[ -z "${KELP_SERVER:-}" ] || default_cmd=agent
case ${1:-} in
  server | agent)
    cmd=$1
    shift
    ;;
  "" | -*) cmd=$default_cmd ;;
  *) die "the kelp command must be server or agent, not '$1'" ;;
esac
if [ "$cmd" = server ]; then unit=kelp.service env_name=kelp.env; else unit=kelp-agent.service env_name=kelp-agent.env; fi

# kelp's data directory, where the airgap images and manifests go: as kelp will see it
# (flag, then KELP_DATA_DIR, then config.yaml, then the default)
DATA_DIR=""
prev=""
for word in "$@"; do
  if [ "$prev" = --data-dir ]; then
    DATA_DIR=$word
  else
    case $word in --data-dir=*) DATA_DIR=${word#--data-dir=} ;; esac
  fi
  prev=$word
done
[ -n "$DATA_DIR" ] || DATA_DIR=${KELP_DATA_DIR:-}
if [ -z "$DATA_DIR" ] && [ -f "$DESTDIR$CONFIG_DIR/config.yaml" ]; then
  DATA_DIR=$(sed -n 's/^data-dir:[[:space:]]*\([^#]*\).*/\1/p' "$DESTDIR$CONFIG_DIR/config.yaml" | tail -n 1 |
    sed -e 's/[[:space:]]*$//' -e 's/^"\(.*\)"$/\1/' -e "s/^'\\(.*\\)'\$/\\1/")
fi
DATA_DIR=${DATA_DIR:-/var/lib/kelp}
check_path "the data directory" "$DATA_DIR"
DATA_DIR=${DATA_DIR%/}

# One word quoted for a systemd ExecStart= line: % and $ doubled, quoted when needed.
sd_quote() {
  w=$(printf '%s' "$1" | sed -e 's/%/%%/g' -e 's/\$/$$/g')
  case $w in
    '' | *[!-A-Za-z0-9_./:=,@+%\$]*)
      w=$(printf '%s' "$w" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
      printf '"%s"' "$w"
      ;;
    *) printf '%s' "$w" ;;
  esac
}
exec_start="ExecStart=$BIN_DIR/kelp $cmd"
for word in "$@"; do exec_start="$exec_start $(sd_quote "$word")"; done
case " $* " in *" --token "* | *" --token="*)
  warn "--token in INSTALL_KELP_EXEC ends up in the world-readable unit file; prefer KELP_TOKEN=... (written to $CONFIG_DIR/$env_name, mode 0600)"
  ;;
esac

# ---- the binary ---------------------------------------------------------------------------

case $(uname -m) in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) arch=$(uname -m) ;;
esac
if [ -z "$binary" ]; then
  for b in "$script_dir/kelp-$arch" "$script_dir/kelp" "$script_dir/../dist/kelp-$arch"; do
    if [ -f "$b" ]; then
      binary=$b
      break
    fi
  done
fi
if [ -z "$binary" ]; then
  checkout=$(cd "$script_dir/.." && pwd)
  if [ -f "$checkout/Cargo.toml" ] && grep -q '^name = "kelp"' "$checkout/Cargo.toml"; then
    command -v cargo >/dev/null 2>&1 || die "no kelp binary beside $0 and cargo is not installed to build one (https://rustup.rs)"
    info "no kelp binary found: building one (cargo build --release in $checkout)"
    (cd "$checkout" && cargo build --release --bin kelp) || die "cargo build --release failed"
    binary=$checkout/target/release/kelp
  else
    die "no kelp binary: put kelp-$arch (or kelp) beside this script, or pass --binary PATH"
  fi
fi
[ -f "$binary" ] || die "binary $binary not found"
if version=$("$binary" --version 2>/dev/null); then
  info "installing $version ($binary)"
elif $staged; then
  warn "$binary does not run on this machine (another architecture?); installing it anyway (staged install)"
else
  die "$binary does not run on this machine (wrong architecture for $arch?)"
fi

# ---- writing files: compare, then replace atomically, and record in the manifest ----------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kelp-install.XXXXXX")
writing=false
on_exit() {
  rc=$?
  # Failed halfway: keep a manifest of what was written so far (and what an earlier run
  # wrote), so that uninstall.sh can still remove it.
  if [ "$rc" -ne 0 ] && $writing && [ -s "$tmp/manifest" ] && [ -d "$DESTDIR$CONFIG_DIR" ]; then
    { [ ! -f "$DESTDIR$MANIFEST" ] || cat "$DESTDIR$MANIFEST"; } | cat - "$tmp/manifest" |
      LC_ALL=C sort -u -k4,4 -k1,1 >"$DESTDIR$MANIFEST.kelp-new" &&
      mv -f "$DESTDIR$MANIFEST.kelp-new" "$DESTDIR$MANIFEST"
    printf '%s: failed; %s lists what was written (uninstall.sh removes it)\n' "$me" "$MANIFEST" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap on_exit EXIT
: >"$tmp/manifest"
changes=0
changed_units=false
changed_any=false

sha() { sha256sum "$1" | cut -d' ' -f1; }
old_entry() { # TYPE PATH: the old manifest's line for PATH
  [ -f "$DESTDIR$MANIFEST" ] || return 1
  awk -v t="$1" -v p="$2" '$1 == t && $4 == p { print; found = 1 } END { exit !found }' "$DESTDIR$MANIFEST"
}
record() { printf '%s %s %s %s\n' "$1" "$2" "$3" "$4" >>"$tmp/manifest"; }
note() {
  info "$*"
  changes=$((changes + 1))
  changed_any=true
}

ensure_dir() { # PATH (final path): creates the missing ancestors, records what it creates
  case $1 in / | "") return 0 ;; esac
  ensure_dir "$(dirname "$1")"
  if [ -d "$DESTDIR$1" ]; then
    if old_entry dir "$1" >/dev/null; then record dir - - "$1"; fi
  else
    [ ! -e "$DESTDIR$1" ] || die "$DESTDIR$1 exists and is not a directory"
    mkdir -m 755 "$DESTDIR$1"
    record dir - - "$1"
    note "created $1/"
  fi
}

put() { # SRC DEST MODE: install SRC as DEST (final path) unless identical
  target=$DESTDIR$2
  src_sum=$(sha "$1")
  ensure_dir "$(dirname "$2")"
  if [ -f "$target" ] && [ ! -L "$target" ] && [ "$(sha "$target")" = "$src_sum" ]; then
    if [ "$(stat -c %a "$target")" != "$3" ]; then
      chmod "$3" "$target"
      note "mode of $2 set to $3"
    fi
  else
    cp "$1" "$target.kelp-new"
    chmod "$3" "$target.kelp-new"
    mv -f "$target.kelp-new" "$target"
    note "installed $2"
    case $2 in *.service) changed_units=true ;; esac
  fi
  record file "$src_sum" "$3" "$2"
}

render_unit() { # NAME EXECSTART: the unit with its ExecStart= line replaced
  EXECSTART=$2 awk '/^ExecStart=/ { print ENVIRON["EXECSTART"]; next } { print }' "$units_src/$1" >"$tmp/$1"
  grep -qxF "$2" "$tmp/$1" || die "$units_src/$1 has no ExecStart= line"
}

for u in kelp.service kelp-agent.service; do
  if [ "$u" = "$unit" ]; then
    render_unit "$u" "$exec_start"
  elif [ "$u" = kelp.service ]; then
    render_unit "$u" "ExecStart=$BIN_DIR/kelp server"
  else
    render_unit "$u" "ExecStart=$BIN_DIR/kelp agent"
  fi
done
writing=true
put "$binary" "$BIN_DIR/kelp" 755
put "$script_dir/uninstall.sh" "$BIN_DIR/kelp-uninstall.sh" 755
for u in kelp.service kelp-agent.service; do put "$tmp/$u" "$SYSTEMD_DIR/$u" 644; done

# The config is the user's once it exists: written only when missing, never overwritten.
# The manifest keeps the checksum it was written with, so uninstall.sh can tell whether
# it was changed since.
if [ -e "$DESTDIR$CONFIG_DIR/config.yaml" ]; then
  if old_entry file "$CONFIG_DIR/config.yaml" >>"$tmp/manifest"; then
    ensure_dir "$CONFIG_DIR"
  else
    info "keeping the existing $CONFIG_DIR/config.yaml"
  fi
else
  put "$script_dir/config.yaml" "$CONFIG_DIR/config.yaml" 644
fi

# KELP_* variables given to the installer go to the unit's environment file (mode 0600: it
# may hold the join token). Without any, an existing file is left as it is.
env | grep -E '^KELP_[A-Z0-9_]+=' | grep -v '^KELP_UNINSTALL_' | LC_ALL=C sort >"$tmp/vars" || true
if [ -s "$tmp/vars" ]; then
  while IFS= read -r line; do
    case $line in *\'*) die "the value of ${line%%=*} must not contain a single quote" ;; esac
    printf "%s='%s'\n" "${line%%=*}" "${line#*=}"
  done <"$tmp/vars" >"$tmp/$env_name"
  put "$tmp/$env_name" "$CONFIG_DIR/$env_name" 600
elif [ -e "$DESTDIR$CONFIG_DIR/$env_name" ]; then
  old_entry file "$CONFIG_DIR/$env_name" >>"$tmp/manifest" || true
fi

# Airgap bundle: image tarballs for the agent to import at start.
if [ -d "$script_dir/images" ]; then
  for img in "$script_dir"/images/*; do
    [ -f "$img" ] || continue
    name=$(basename "$img")
    case $name in *[[:space:]]*) die "image file names must not contain whitespace: $name" ;; esac
    put "$img" "$DATA_DIR/agent/images/$name" 644
  done
fi

# Airgap bundle: manifests for kelp server to deploy (mode 0600: they may hold Secrets).
# Only a server deploys them; like the other files they are replaced when they differ, so
# NAME.yaml.skip beside one on the target is how to keep kelp from applying it.
if [ -d "$script_dir/manifests" ]; then
  if [ "$cmd" = server ]; then
    for m in "$script_dir"/manifests/*; do
      [ -f "$m" ] || continue
      name=$(basename "$m")
      case $name in *[[:space:]]*) die "manifest file names must not contain whitespace: $name" ;; esac
      put "$m" "$DATA_DIR/server/manifests/$name" 600
    done
  else
    info "not installing the bundle's manifests: only a server deploys them"
  fi
fi

# The manifest lists what this installer owns, for uninstall.sh; it is sorted, so a run
# that changed nothing writes the same bytes.
LC_ALL=C sort -u -k4,4 -k1,1 "$tmp/manifest" >"$tmp/manifest.sorted"
if [ -f "$DESTDIR$MANIFEST" ] && cmp -s "$tmp/manifest.sorted" "$DESTDIR$MANIFEST"; then
  :
else
  ensure_dir "$CONFIG_DIR"
  cp "$tmp/manifest.sorted" "$DESTDIR$MANIFEST.kelp-new"
  chmod 644 "$DESTDIR$MANIFEST.kelp-new"
  mv -f "$DESTDIR$MANIFEST.kelp-new" "$DESTDIR$MANIFEST"
  info "wrote $MANIFEST"
fi

# ---- containerd and runc ------------------------------------------------------------------

have_cmd() {
  command -v "$1" >/dev/null 2>&1 && return 0
  for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    [ -x "$d/$1" ] && return 0
  done
  return 1
}
missing=""
for c in containerd runc; do have_cmd "$c" || missing="$missing $c"; done
missing=${missing# }
if $staged; then
  : # the target system, not this one, needs containerd and runc
elif [ -z "$missing" ]; then
  :
elif is_true "$skip_deps"; then
  warn "missing: $missing (not installed: INSTALL_KELP_SKIP_DEPS); kelp needs them to run pods"
elif $airgap; then
  warn "missing: $missing. This is an offline (airgap) install: install the Debian packages ($missing) from your mirror or media; kelp needs them to run pods"
elif command -v apt-get >/dev/null 2>&1; then
  info "installing $missing (apt-get)"
  # shellcheck disable=SC2086 # one word per package
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; then
    apt-get update -qq || true
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null ||
      die "apt-get install $missing failed; install them, or rerun with INSTALL_KELP_SKIP_DEPS=true"
  fi
  note "installed the packages $missing"
else
  warn "missing: $missing and no apt-get here: install containerd and runc with your package manager"
fi

# ---- the service --------------------------------------------------------------------------

fg_cmd="$BIN_DIR/kelp $cmd"
[ $# -eq 0 ] || fg_cmd="$fg_cmd $*"
name=${unit%.service}
if $staged; then
  info "staged install${DESTDIR:+ into $DESTDIR}: nothing enabled or started. On the target system: systemctl daemon-reload && systemctl enable --now $unit"
elif [ ! -d /run/systemd/system ]; then
  info "systemd is not running on this host (no /run/systemd/system): the units are installed but nothing was enabled or started."
  info "run kelp in the foreground instead (with containerd running):"
  if [ -f "$CONFIG_DIR/$env_name" ]; then
    info "  set -a; . $CONFIG_DIR/$env_name; set +a; $fg_cmd"
  else
    info "  $fg_cmd"
  fi
else
  if $changed_units; then
    systemctl daemon-reload
    info "systemctl daemon-reload"
  fi
  if is_true "${INSTALL_KELP_SKIP_ENABLE:-}"; then
    info "not enabling nor starting $unit (INSTALL_KELP_SKIP_ENABLE)"
  else
    if ! systemctl is-enabled --quiet "$unit" 2>/dev/null; then
      systemctl enable --quiet "$unit"
      note "enabled $unit"
    fi
    if is_true "${INSTALL_KELP_SKIP_START:-}"; then
      info "not starting $unit (INSTALL_KELP_SKIP_START)"
    elif systemctl is-active --quiet "$unit"; then
      if $changed_any; then
        systemctl restart --no-block "$unit"
        note "restarting $unit"
      fi
    else
      systemctl start --no-block "$unit"
      note "starting $unit"
    fi
    if ! is_true "${INSTALL_KELP_SKIP_START:-}"; then
      i=0
      state=$(systemctl is-active "$unit" 2>/dev/null || true)
      while [ "$state" != active ] && [ "$state" != failed ] && [ $i -lt 60 ]; do
        sleep 1
        i=$((i + 1))
        state=$(systemctl is-active "$unit" 2>/dev/null || true)
      done
      case $state in
        active) info "$unit is running" ;;
        failed) die "$unit failed to start: journalctl -u $name" ;;
        *) info "$unit is still starting ($state): journalctl -u $name -f" ;;
      esac
    fi
  fi
fi

if [ "$changes" -eq 0 ]; then
  info "nothing to do: kelp is installed and up to date"
else
  info "done ($changes changes). Uninstall with $BIN_DIR/kelp-uninstall.sh"
fi
