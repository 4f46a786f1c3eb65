#!/bin/sh
# Uninstalls kelp: stops it (systemd), removes what install.sh installed (its manifest,
# /etc/kelp/install.manifest, lists it) and kelp's runtime leftovers: the pods' containers,
# kelp's network rules, bridge and routes, and mounts below its data and run directories.
# With --purge, also the data directory and everything in /etc/kelp. Every step only
# touches kelp's own things and does nothing when they are not there. install.sh installs
# this script as kelp-uninstall.sh beside the binary.
#
#   sh uninstall.sh [--destdir DIR] [--purge] [--runtime-only]
set -eu

me="kelp uninstall"
info() { printf '%s: %s\n' "$me" "$*"; }
warn() { printf '%s: warning: %s\n' "$me" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$me" "$*" >&2
  exit 1
}
is_true() { case "${1:-}" in true | TRUE | True | yes | 1) return 0 ;; *) return 1 ;; esac; }

usage() {
  cat <<'EOF'
Usage: uninstall.sh [OPTIONS]

Stops kelp and removes it: the files install.sh installed, the pods' containers, kelp's
nftables table and iptables chains, its bridge, its routes for the cluster and service
CIDRs, and mounts below its data and run directories. The data directory
(/var/lib/kelp), the admin kubeconfig and a config.yaml you changed are kept unless
--purge is given.

Options:
  --destdir DIR    uninstall from a staging root made with install.sh --destdir (also the
                   DESTDIR variable): only files are removed, nothing on this host is touched
  --prefix DIR     where the binary is when there is no install manifest (default /usr/local)
  --purge          also remove the data directory and everything in /etc/kelp
                   (also KELP_UNINSTALL_PURGE=true)
  --runtime-only   stop kelp and clean up its runtime leftovers only; keep the installation
  -h, --help       this help

Environment (kelp's own names; defaults from /etc/kelp/config.yaml, then kelp's defaults):
  KELP_DATA_DIR                    data directory (/var/lib/kelp)
  KELP_CLUSTER_CIDR                pod CIDRs, comma-separated (10.42.0.0/16)
  KELP_SERVICE_CIDR                service CIDRs, comma-separated (10.43.0.0/16)
  KELP_UNINSTALL_RUN_DIR           runtime directory (/run/kelp)
  KELP_UNINSTALL_BRIDGE            pod bridge (kelp0)
  KELP_UNINSTALL_NFT_TABLE         nftables table, in any family (kelp)
  KELP_UNINSTALL_IPTABLES_PREFIX   prefix of kelp's iptables chains (KELP-)
  KELP_UNINSTALL_NETNS_PREFIX      prefix of pods' network namespaces in /run/netns (kelp-)
  KELP_UNINSTALL_CONTAINERD_NAMESPACE  containerd namespace of the pods (kelp)
  KELP_UNINSTALL_CONTAINERD_ADDRESS    containerd socket (/run/containerd/containerd.sock)
  KELP_UNINSTALL_CGROUP            parent cgroup of the pods, in every hierarchy (kelp)
EOF
}

DESTDIR=${DESTDIR:-}
prefix=/usr/local
purge=${KELP_UNINSTALL_PURGE:-false}
runtime_only=false
while [ $# -gt 0 ]; do
  case $1 in
    --destdir | --prefix)
      [ $# -ge 2 ] || die "$1 needs a value"
      if [ "$1" = --destdir ]; then DESTDIR=$2; else prefix=$2; fi
      shift 2
      ;;
    --destdir=*)
      DESTDIR=${1#*=}
      shift
      ;;
    --prefix=*)
      prefix=${1#*=}
      shift
      ;;
    --purge)
      purge=true
      shift
      ;;
    --runtime-only)
      runtime_only=true
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
is_true "$purge" && purge=true || purge=false

check_path() {
  case $2 in /*) ;; *) die "$1 must be an absolute path: $2" ;; esac
  case $2 in / | //*) die "$1 must not be /" ;; esac
}
live=true
if [ -n "$DESTDIR" ]; then
  check_path DESTDIR "$DESTDIR"
  DESTDIR=${DESTDIR%/}
  live=false
fi
check_path --prefix "$prefix"
if $live && [ "$(id -u)" -ne 0 ]; then die "run as root"; fi

CONFIG_DIR=/etc/kelp
MANIFEST=$CONFIG_DIR/install.manifest
CONFIG=$DESTDIR$CONFIG_DIR/config.yaml

# A setting: the environment, else the units' environment files (as systemd gives them to
# kelp), else the key in config.yaml (top-level "key: value"), else the default.
setting() { # ENV_NAME CONFIG_KEY DEFAULT
  eval "v=\${$1:-}"
  # shellcheck disable=SC2154 # v is set by the eval
  if [ -z "$v" ]; then
    for f in /etc/kelp/kelp.env /etc/default/kelp /etc/kelp/kelp-agent.env /etc/default/kelp-agent; do
      [ -f "$DESTDIR$f" ] || continue
      v=$(sed -n "s/^[[:space:]]*$1=//p" "$DESTDIR$f" | tail -n 1 |
        sed -e 's/[[:space:]]*$//' -e 's/^"\(.*\)"$/\1/' -e "s/^'\\(.*\\)'\$/\\1/")
      [ -z "$v" ] || break
    done
  fi
  if [ -z "$v" ] && [ -n "$2" ] && [ -f "$CONFIG" ]; then
    v=$(sed -n "s/^$2:[[:space:]]*\\([^#]*\\).*/\\1/p" "$CONFIG" | tail -n 1 |
      sed -e 's/[[:space:]]*$//' -e 's/^"\(.*\)"$/\1/' -e "s/^'\\(.*\\)'\$/\\1/")
  fi
  printf '%s' "${v:-$3}"
}
DATA_DIR=$(setting KELP_DATA_DIR data-dir /var/lib/kelp)
RUN_DIR=$(setting KELP_UNINSTALL_RUN_DIR "" /run/kelp)
CLUSTER_CIDRS=$(setting KELP_CLUSTER_CIDR cluster-cidr 10.42.0.0/16)
SERVICE_CIDRS=$(setting KELP_SERVICE_CIDR service-cidr 10.43.0.0/16)
BRIDGE=$(setting KELP_UNINSTALL_BRIDGE "" kelp0)
NFT_TABLE=$(setting KELP_UNINSTALL_NFT_TABLE "" kelp)
IPT_PREFIX=$(setting KELP_UNINSTALL_IPTABLES_PREFIX "" KELP-)
NETNS_PREFIX=$(setting KELP_UNINSTALL_NETNS_PREFIX "" kelp-)
CTR_NS=$(setting KELP_UNINSTALL_CONTAINERD_NAMESPACE "" kelp)
CTR_ADDR=$(setting KELP_UNINSTALL_CONTAINERD_ADDRESS "" /run/containerd/containerd.sock)
CGROUP=$(setting KELP_UNINSTALL_CGROUP "" kelp)
check_path KELP_DATA_DIR "$DATA_DIR"
check_path KELP_UNINSTALL_RUN_DIR "$RUN_DIR"
DATA_DIR=${DATA_DIR%/} RUN_DIR=${RUN_DIR%/}
for n in BRIDGE NFT_TABLE IPT_PREFIX NETNS_PREFIX CTR_NS CGROUP; do
  eval "v=\$$n"
  case $v in '' | *[!A-Za-z0-9_.-]*) die "$n must be a plain name, not '$v'" ;; esac
done

has() { command -v "$1" >/dev/null 2>&1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

manifest=""
[ -f "$DESTDIR$MANIFEST" ] && manifest=$DESTDIR$MANIFEST
binary=$prefix/bin/kelp
deb=false
if [ -z "$manifest" ] && [ -f "$DESTDIR/var/lib/dpkg/info/kelp.list" ]; then
  deb=true
  binary=/usr/bin/kelp
fi
if [ -n "$manifest" ]; then
  b=$(awk '$1 == "file" && $4 ~ /\/kelp$/ { print $4; exit }' "$manifest")
  [ -z "$b" ] || binary=$b
fi

# ---- stop ---------------------------------------------------------------------------------

systemd=false
$live && [ -d /run/systemd/system ] && systemd=true
if ! $live; then
  info "staging root $DESTDIR: not stopping anything, not touching this host's containers, network or mounts"
elif $systemd; then
  for u in kelp.service kelp-agent.service; do
    if systemctl is-active --quiet "$u" 2>/dev/null; then
      info "stopping $u"
      systemctl stop "$u"
    fi
    if ! $runtime_only && systemctl is-enabled --quiet "$u" 2>/dev/null; then
      systemctl disable --quiet "$u"
      info "disabled $u"
    fi
  done
fi
if $live; then
  # Outside systemd (or started by hand): kelp processes of the installed binary.
  pids=""
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    exe=${exe% (deleted)} # the binary was replaced since the process started
    [ "$exe" != "$binary" ] || pids="$pids ${p#/proc/}"
  done
  if [ -n "$pids" ]; then
    die "kelp ($binary) is still running as PID$pids, not under systemd: stop it (kill -TERM$pids), then run this again"
  fi
  $systemd || info "systemd is not running: no service to stop (and no kelp process of $binary runs)"
fi

# ---- runtime leftovers (live host only) ---------------------------------------------------

cleanup_containers() {
  if ! has ctr; then
    info "containers: ctr (containerd) not installed, nothing to remove"
    return 0
  fi
  if [ ! -S "$CTR_ADDR" ]; then
    info "containers: containerd is not running ($CTR_ADDR), nothing to remove"
    return 0
  fi
  c() { ctr --address "$CTR_ADDR" "$@"; }
  if ! c namespaces list -q 2>/dev/null | grep -qx "$CTR_NS"; then
    info "containers: no containerd namespace $CTR_NS"
    return 0
  fi
  for t in $(c -n "$CTR_NS" tasks list -q 2>/dev/null); do
    c -n "$CTR_NS" tasks kill --signal SIGKILL "$t" >/dev/null 2>&1 || true
  done
  for t in $(c -n "$CTR_NS" tasks list -q 2>/dev/null); do
    c -n "$CTR_NS" tasks delete --force "$t" >/dev/null 2>&1 || warn "could not delete task $t"
  done
  n=0
  for ct in $(c -n "$CTR_NS" containers list -q 2>/dev/null); do
    if c -n "$CTR_NS" containers delete "$ct" >/dev/null 2>&1; then n=$((n + 1)); else warn "could not delete container $ct"; fi
  done
  info "containers: removed $n from containerd namespace $CTR_NS"
  if $purge; then
    for im in $(c -n "$CTR_NS" images list -q 2>/dev/null); do
      c -n "$CTR_NS" images delete --sync "$im" >/dev/null 2>&1 || warn "could not delete image $im"
    done
    if c namespaces remove "$CTR_NS" >/dev/null 2>&1; then
      info "containers: removed containerd namespace $CTR_NS and its images"
    else
      warn "containerd namespace $CTR_NS is not empty (snapshots or content left): ctr -n $CTR_NS"
    fi
  fi
}

cleanup_cgroups() {
  # the pods' cgroups (containerd's default parent is the namespace's name), when empty:
  # the kernel refuses to remove a cgroup that still has processes or children
  awk '$9 == "cgroup" || $9 == "cgroup2" { print $5 }' /proc/self/mountinfo | while IFS= read -r h; do
    [ -d "$h/$CGROUP" ] || continue
    find "$h/$CGROUP" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    if [ -d "$h/$CGROUP" ]; then
      warn "cgroup $h/$CGROUP is still in use: left alone"
    else
      info "cgroups: removed $h/$CGROUP"
    fi
  done
}

cleanup_netns() {
  [ -d /run/netns ] || return 0
  for f in /run/netns/"$NETNS_PREFIX"*; do
    [ -e "$f" ] || continue
    if ip netns delete "${f##*/}" 2>/dev/null; then
      info "network: removed network namespace ${f##*/}"
    else
      warn "could not remove network namespace ${f##*/}"
    fi
  done
}

cleanup_bridge() {
  has ip || return 0
  if ! ip link show dev "$BRIDGE" >/dev/null 2>&1; then
    info "network: no bridge $BRIDGE"
    return 0
  fi
  if ! ip -d link show dev "$BRIDGE" | grep -qw bridge; then
    warn "$BRIDGE is not a bridge: left alone"
    return 0
  fi
  # the pods' veths attached to kelp's bridge
  for l in $(ip -o link show master "$BRIDGE" | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
    ip link delete dev "$l" 2>/dev/null || true
  done
  ip link delete dev "$BRIDGE" type bridge
  info "network: removed bridge $BRIDGE"
}

cleanup_nft() {
  has nft || return 0
  nft list tables 2>/dev/null | while read -r _ family name; do
    if [ "$name" = "$NFT_TABLE" ]; then
      nft delete table "$family" "$name"
      info "network: removed nftables table $family $name"
    fi
  done
}

cleanup_iptables() {
  for ipt in iptables ip6tables; do
    has "$ipt" || continue
    for table in filter nat mangle raw; do
      rules=$($ipt -w -t "$table" -S 2>/dev/null) || continue
      # jumps from other chains into kelp's chains, then kelp's chains themselves
      printf '%s\n' "$rules" | grep -E "^-A .* -[jg] ${IPT_PREFIX}[^ ]*( |\$)" | grep -v "^-A ${IPT_PREFIX}" |
        while IFS= read -r rule; do
          # shellcheck disable=SC2086 # the rule is iptables-save words (kelp's own chains and matches)
          eval "$ipt -w -t $table -D ${rule#-A }" || warn "could not delete ($ipt -t $table) $rule"
        done
      chains=$(printf '%s\n' "$rules" | awk -v p="$IPT_PREFIX" '$1 == "-N" && index($2, p) == 1 { print $2 }')
      for ch in $chains; do $ipt -w -t "$table" -F "$ch"; done
      for ch in $chains; do
        $ipt -w -t "$table" -X "$ch"
        info "network: removed $ipt chain $table/$ch"
      done
    done
  done
}

cleanup_routes() {
  has ip || return 0
  for cidr in $(printf '%s,%s' "$CLUSTER_CIDRS" "$SERVICE_CIDRS" | tr ',' ' '); do
    case $cidr in *:*) fam=-6 ;; *) fam=-4 ;; esac
    # routes whose destination lies inside the CIDR, in every routing table
    ip "$fam" route show table all root "$cidr" 2>/dev/null | while IFS= read -r r; do
      case $r in local\ * | broadcast\ * | multicast\ * | anycast\ *) continue ;; esac
      # shellcheck disable=SC2086 # ip's own words, as it printed them
      if ip "$fam" route delete $r 2>/dev/null; then info "network: removed route $r"; else warn "could not remove route $r"; fi
    done
  done
}

mounts_below() { # DIR...: mount points equal to or below DIR, deepest first
  awk '{ print $5 }' /proc/self/mountinfo | while IFS= read -r m; do
    m=$(printf '%b' "$m") # mountinfo escapes space, tab, newline and \ in octal
    for d in "$@"; do
      case $m in "$d" | "$d"/*) printf '%s\n' "$m" ;; esac
    done
  done | LC_ALL=C sort -u | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-
}

cleanup_mounts() {
  n=0
  mounts_below "$DATA_DIR" "$RUN_DIR" | while IFS= read -r m; do
    if umount "$m" 2>/dev/null || umount -l "$m"; then
      info "mounts: unmounted $m"
    else
      warn "could not unmount $m"
    fi
  done
  [ -z "$(mounts_below "$DATA_DIR" "$RUN_DIR")" ] || warn "mounts left below $DATA_DIR or $RUN_DIR"
  if [ -d "$RUN_DIR" ]; then
    rm -rf --one-file-system "$RUN_DIR"
    info "removed $RUN_DIR"
  fi
}

if $live; then
  cleanup_containers
  cleanup_cgroups
  cleanup_netns
  cleanup_bridge
  cleanup_nft
  cleanup_iptables
  cleanup_routes
  cleanup_mounts
fi
if $runtime_only; then
  info "runtime leftovers cleaned up; the installation is kept"
  exit 0
fi

# ---- files --------------------------------------------------------------------------------

removed_units=false
dirs_created=""
if [ -n "$manifest" ]; then
  dirs_created=$(awk '$1 == "dir" { print length($4) "\t" $4 }' "$manifest" | sort -rn | cut -f2-)
fi
remove_file() { # PATH (final path)
  if [ -e "$DESTDIR$1" ] || [ -L "$DESTDIR$1" ]; then
    rm -f "$DESTDIR$1"
    info "removed $1"
    case $1 in *.service) removed_units=true ;; esac
  fi
}

if [ -n "$manifest" ]; then
  while read -r type sum _mode path; do
    [ "$type" = file ] || continue
    case $path in
      "$CONFIG_DIR"/config.yaml | "$CONFIG_DIR"/*.env)
        if [ -f "$DESTDIR$path" ] && [ "$(sha "$DESTDIR$path")" != "$sum" ] && ! $purge; then
          info "keeping $path: it was changed after install (--purge removes it)"
          continue
        fi
        ;;
    esac
    remove_file "$path"
  done <"$manifest"
  rm -f "$manifest"
  info "removed $MANIFEST"
elif $deb; then
  info "kelp was installed from the .deb: remove its files with apt-get remove kelp (or purge)"
else
  info "no install manifest ($MANIFEST): removing kelp's files at their default places"
  remove_file "$prefix/bin/kelp"
  remove_file "$prefix/bin/kelp-uninstall.sh"
  remove_file /etc/systemd/system/kelp.service
  remove_file /etc/systemd/system/kelp-agent.service
  $purge || info "keeping $CONFIG_DIR (--purge removes it)"
fi

if $purge; then
  if [ -d "$DESTDIR$DATA_DIR" ]; then
    if $live && [ -n "$(mounts_below "$DATA_DIR")" ]; then
      die "mounts are left below $DATA_DIR: not removing it"
    fi
    rm -rf --one-file-system "$DESTDIR$DATA_DIR"
    info "removed $DATA_DIR"
  fi
  if [ -d "$DESTDIR$CONFIG_DIR" ]; then
    rm -rf --one-file-system "$DESTDIR$CONFIG_DIR"
    info "removed $CONFIG_DIR"
  fi
  for f in /etc/default/kelp /etc/default/kelp-agent; do
    [ ! -e "$DESTDIR$f" ] || info "keeping $f (yours; not written by the installer)"
  done
fi

# Directories the installer created, when they are empty now (deepest first).
for d in $dirs_created; do
  if [ -d "$DESTDIR$d" ] && rmdir "$DESTDIR$d" 2>/dev/null; then info "removed $d/"; fi
done

if $systemd && $removed_units; then systemctl daemon-reload; fi
info "kelp is uninstalled"
