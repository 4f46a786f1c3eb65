#!/usr/bin/env bash
# shellcheck disable=SC2016 # a single-quoted $ is meant literally here
# Tests the packaging without touching this machine's /etc, /usr, /var, systemd or network:
# install.sh into temporary roots (--destdir), idempotence, systemd-analyze verify of the
# installed units, the .deb (contents, and dpkg --root install and purge), the airgap
# bundle, uninstall.sh leaving nothing behind; as root also uninstall.sh's runtime cleanup
# in private network and mount namespaces, a live install on overlays in private
# namespaces with fake systemctl and apt-get, and uninstall.sh against a private
# containerd. Fails on the first mismatch; says SKIP for a part it cannot run here.
# Needs nftables, iptables, containerd, runc, busybox-static (shellcheck if installed).
#
#   packaging/test-install.sh [BINARY]     (default target/debug/kelp, built when missing)
#   TEST_INSTALL_VERBOSE=1 shows the uninstaller's and dpkg's output
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

fail() {
  echo "test-install: FAIL: $*" >&2
  exit 1
}
ok() { echo "test-install: ok ($((SECONDS - started))s): $*"; }
skipped=0
skip() {
  echo "test-install: SKIP: $*"
  skipped=$((skipped + 1))
}

bin=${1:-target/debug/kelp}
if [ ! -x "$bin" ] && [ "$bin" = target/debug/kelp ]; then cargo build --quiet --bin kelp; fi
[ -x "$bin" ] || fail "binary $bin not found or not executable"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
version=$(awk -F'"' '/^\[/ { pkg = ($0 == "[package]") } pkg && /^version *=/ { print $2; exit }' Cargo.toml)
[ -n "$version" ] || fail "no version in Cargo.toml"
case $(uname -m) in
  x86_64) arch=x86_64 deb_arch=amd64 other_deb_arch=arm64 ;;
  aarch64) arch=aarch64 deb_arch=arm64 other_deb_arch=amd64 ;;
  *) fail "unsupported machine $(uname -m)" ;;
esac

# The scripts must not see the caller's kelp settings.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(INSTALL_KELP_|KELP_|DESTDIR$)' || true)

started=$SECONDS
work=$(mktemp -d /tmp/kelp-test-install.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
# A private copy (target/ is shared, and a build running beside the test may replace the
# binary), without debug info when strip is there: a sixth of the size, so the many copies
# and checksums below take seconds, not a minute.
if command -v strip >/dev/null; then strip -o "$work/kelp" "$bin"; else cp "$bin" "$work/kelp"; fi
bin=$work/kelp
"$bin" --version >/dev/null || fail "$bin --version fails"

# systemctl and apt-get must never be called here: fakes first in PATH record any call.
mkdir "$work/fakebin"
for c in systemctl apt-get; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\nexit 1\n' "$c" "$work" >"$work/fakebin/$c"
  chmod 755 "$work/fakebin/$c"
done
export PATH="$work/fakebin:$PATH"
no_calls() { [ ! -s "$work/calls" ] || fail "$1 called: $(cat "$work/calls")"; }

# The real system's kelp files, to prove afterwards that the test did not touch them.
host_state() {
  for p in /usr/local/bin/kelp /usr/local/bin/kelp-uninstall.sh /usr/bin/kelp /etc/kelp/config.yaml \
    /etc/kelp/install.manifest /etc/kelp/kelp.env /etc/kelp/kelp-agent.env /var/lib/kelp/agent/images \
    /var/lib/kelp/server/manifests \
    /etc/systemd/system/kelp.service /etc/systemd/system/kelp-agent.service \
    /lib/systemd/system/kelp.service /var/lib/dpkg/info/kelp.list; do
    if [ -e "$p" ]; then stat -c '%n %s %Y' "$p"; else echo "$p absent"; fi
  done
}
host_before=$(host_state)

# Everything below a root: type, mode, size, mtime, path, and each file's checksum.
listing() {
  (cd "$1" && find . -mindepth 1 -printf '%y %m %s %T@ %P\n' | LC_ALL=C sort -k5)
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}
files_of() { (cd "$1" && find . -mindepth 1 -printf '%y %m %P\n' | LC_ALL=C sort -k3); }
expect_files() { # ROOT EXPECTED-LISTING ("TYPE MODE PATH" lines): exactly these, no more
  diff -u <(printf '%s\n' "$2" | LC_ALL=C sort -k3) <(files_of "$1") >"$work/diff" ||
    fail "files in $1 differ from the expected ones:
$(cat "$work/diff")"
}
same() { cmp -s "$1" "$2" || fail "$2 differs from $1"; }
has_line() { grep -qxF -- "$2" "$1" || fail "$1 has no line '$2'"; }
contains() { grep -qF -- "$2" "$1" || fail "$1 does not say '$2': $(cat "$1")"; }

# ---- 1. the scripts parse (and pass shellcheck when it is installed) ----------------------

scripts=(packaging/install.sh packaging/uninstall.sh packaging/build-deb.sh packaging/build-airgap.sh)
for s in "${scripts[@]}"; do
  [ -x "$s" ] || fail "$s is not executable"
  sh -n "$s" || fail "$s: syntax error"
done
if command -v shellcheck >/dev/null; then
  shellcheck -s sh "${scripts[@]}" || fail "shellcheck"
  shellcheck packaging/test-install.sh || fail "shellcheck test-install.sh"
  ok "shellcheck"
else
  skip "shellcheck not installed (apt-get install shellcheck)"
fi

# ---- 2. install into a staging root -------------------------------------------------------

unit_dirs=$'d 755 etc\nd 755 etc/systemd\nd 755 etc/systemd/system\nd 755 usr\nd 755 usr/local\nd 755 usr/local/bin'
expected_a="$unit_dirs
d 755 etc/kelp
f 755 usr/local/bin/kelp
f 755 usr/local/bin/kelp-uninstall.sh
f 644 etc/systemd/system/kelp.service
f 644 etc/systemd/system/kelp-agent.service
f 644 etc/kelp/config.yaml
f 644 etc/kelp/install.manifest"

a=$work/a
mkdir "$a"
packaging/install.sh --destdir "$a" --binary "$bin" >"$work/out" 2>&1 || fail "install.sh: $(cat "$work/out")"
expect_files "$a" "$expected_a"
same "$bin" "$a/usr/local/bin/kelp"
same packaging/uninstall.sh "$a/usr/local/bin/kelp-uninstall.sh"
same packaging/config.yaml "$a/etc/kelp/config.yaml"
for u in kelp kelp-agent; do
  f=$a/etc/systemd/system/$u.service
  # the unit is the repository's, with only its ExecStart= rewritten for the install
  diff <(grep -v '^ExecStart=' "systemd/$u.service") <(grep -v '^ExecStart=' "$f") >/dev/null ||
    fail "$f differs from systemd/$u.service beyond ExecStart="
  for l in Type=notify NotifyAccess=main Delegate=yes KillMode=process LimitNOFILE=1048576 \
    TasksMax=infinity Restart=always RestartSec=5s TimeoutStartSec=0 \
    "EnvironmentFile=-/etc/default/$u" "EnvironmentFile=-/etc/kelp/$u.env" WantedBy=multi-user.target; do
    has_line "$f" "$l"
  done
done
has_line "$a/etc/systemd/system/kelp.service" "ExecStart=/usr/local/bin/kelp server"
has_line "$a/etc/systemd/system/kelp-agent.service" "ExecStart=/usr/local/bin/kelp agent"
# the manifest names every installed file with its checksum and mode
while read -r type sum mode path; do
  case $type in
    dir) [ -d "$a$path" ] || fail "manifest: $path is not a directory" ;;
    file)
      [ "$(sha256sum <"$a$path" | cut -d' ' -f1)" = "$sum" ] || fail "manifest: checksum of $path"
      [ "$(stat -c %a "$a$path")" = "$mode" ] || fail "manifest: mode of $path"
      ;;
    *) fail "manifest: bad line $type $sum $mode $path" ;;
  esac
done <"$a/etc/kelp/install.manifest"
[ "$(grep -c '^file ' "$a/etc/kelp/install.manifest")" = 5 ] || fail "manifest should list 5 files"
contains "$work/out" "staged install"
no_calls "install.sh --destdir"
ok "install.sh --destdir installs the expected files, modes and manifest"

# the default config is one kelp accepts (and so is every commented example in it)
config_ok() {
  local rc=0
  timeout 20 "$bin" agent --config "$1" --server https://127.0.0.1:1 --token t >"$work/cfg.out" 2>&1 || rc=$?
  [ "$rc" -ne 64 ] || fail "kelp rejects $2: $(cat "$work/cfg.out")"
}
config_ok "$a/etc/kelp/config.yaml" "the default config"
sed -e 's/^# \([a-z-]*:.*\)/\1/' -e 's/^#   -/  -/' packaging/config.yaml >"$work/uncommented.yaml"
[ "$(grep -c '^[a-z]' "$work/uncommented.yaml")" -ge 10 ] || fail "uncommenting the config's examples"
config_ok "$work/uncommented.yaml" "the default config's examples"
ok "kelp accepts the default config and its examples"

# ---- 3. a second run changes nothing ------------------------------------------------------

before=$(listing "$a")
sleep 1 # a rewritten file would show a later mtime
packaging/install.sh --destdir "$a" --binary "$bin" >"$work/out" 2>&1 || fail "install.sh (2nd): $(cat "$work/out")"
[ "$before" = "$(listing "$a")" ] || fail "the second install.sh changed files: $(diff <(echo "$before") <(listing "$a"))"
contains "$work/out" "nothing to do"
ok "a second install.sh changes nothing (checksums, modes, mtimes) and says so"

# ---- 4. systemd-analyze verify ------------------------------------------------------------

# verify checks that ExecStart= names an executable: verify copies of the installed units
# whose ExecStart names the staged binary (the only change), with an empty drop-in path.
verify_units() { # DIR-OF-UNITS FINAL-BINARY STAGED-BINARY LABEL
  local v=$work/verify-$4
  mkdir -p "$v"
  for f in "$1"/*.service; do
    sed "s#^ExecStart=$2 #ExecStart=$3 #" "$f" >"$v/$(basename "$f")"
    grep -q "^ExecStart=$3 " "$v/$(basename "$f")" || fail "$f: ExecStart does not name $2"
  done
  (cd "$v" && SYSTEMD_UNIT_PATH="$v:" systemd-analyze verify --man=no ./*.service) >"$work/verify.out" 2>&1 ||
    fail "systemd-analyze verify ($4): $(cat "$work/verify.out")"
  [ ! -s "$work/verify.out" ] || fail "systemd-analyze verify ($4) warns: $(cat "$work/verify.out")"
}
if command -v systemd-analyze >/dev/null; then
  # first, that verify catches a broken unit at all here
  mkdir "$work/broken"
  sed -e 's/^KillMode=process/KillMode=bogus/' -e "s#^ExecStart=/usr/local/bin/kelp #ExecStart=$a/usr/local/bin/kelp #" \
    "$a/etc/systemd/system/kelp.service" >"$work/broken/kelp.service"
  (cd "$work/broken" && SYSTEMD_UNIT_PATH="$work/broken:" systemd-analyze verify --man=no ./kelp.service) \
    >"$work/verify.out" 2>&1 || true
  grep -q 'kill mode' "$work/verify.out" ||
    fail "systemd-analyze verify does not report a broken unit here, so the check would prove nothing: $(cat "$work/verify.out")"
  verify_units "$a/etc/systemd/system" /usr/local/bin/kelp "$a/usr/local/bin/kelp" install
  ok "systemd-analyze verify: the installed units are clean"
else
  skip "systemd-analyze not installed"
fi

# ---- 5. uninstall.sh leaves nothing behind ------------------------------------------------

"$a/usr/local/bin/kelp-uninstall.sh" --destdir "$a" >"$work/out" 2>&1 || fail "uninstall.sh: $(cat "$work/out")"
[ -z "$(files_of "$a")" ] || fail "uninstall.sh left: $(files_of "$a")"
packaging/uninstall.sh --destdir "$a" >"$work/out" 2>&1 || fail "uninstall.sh (2nd): $(cat "$work/out")"
[ -z "$(files_of "$a")" ] || fail "uninstall.sh (2nd) left: $(files_of "$a")"
no_calls "uninstall.sh --destdir"
ok "uninstall.sh removes everything install.sh wrote, and a second run is harmless"

# ---- 6. agent, prefix, env file, quoting, a user's config ---------------------------------

b=$work/b
mkdir -p "$b/etc/kelp"
printf 'node-name: mine\n' >"$b/etc/kelp/config.yaml"
chmod 640 "$b/etc/kelp/config.yaml"
KELP_TOKEN='s3cret value' KELP_SERVER=https://192.0.2.1:6443 INSTALL_KELP_EXEC="--node-label site=a" \
  packaging/install.sh --destdir "$b" --prefix /opt/kelp --binary "$bin" -- --node-label 'room=b 1' '--x=%h$y"' \
  >"$work/out" 2>&1 || fail "install.sh (agent): $(cat "$work/out")"
expected_b=$'d 755 etc\nd 755 etc/systemd\nd 755 etc/systemd/system\nd 755 opt\nd 755 opt/kelp\nd 755 opt/kelp/bin
d 755 etc/kelp
f 755 opt/kelp/bin/kelp
f 755 opt/kelp/bin/kelp-uninstall.sh
f 644 etc/systemd/system/kelp.service
f 644 etc/systemd/system/kelp-agent.service
f 640 etc/kelp/config.yaml
f 600 etc/kelp/kelp-agent.env
f 644 etc/kelp/install.manifest'
expect_files "$b" "$expected_b"
[ "$(cat "$b/etc/kelp/config.yaml")" = "node-name: mine" ] || fail "install.sh changed the user's config"
if grep -q config.yaml "$b/etc/kelp/install.manifest"; then fail "the user's config is in the manifest"; fi
has_line "$b/etc/systemd/system/kelp-agent.service" \
  'ExecStart=/opt/kelp/bin/kelp agent --node-label site=a --node-label "room=b 1" "--x=%%h$$y\""'
has_line "$b/etc/systemd/system/kelp.service" "ExecStart=/opt/kelp/bin/kelp server"
diff <(printf "KELP_SERVER='https://192.0.2.1:6443'\nKELP_TOKEN='s3cret value'\n") "$b/etc/kelp/kelp-agent.env" >/dev/null ||
  fail "kelp-agent.env: $(cat "$b/etc/kelp/kelp-agent.env")"
if command -v systemd-analyze >/dev/null; then
  verify_units "$b/etc/systemd/system" /opt/kelp/bin/kelp "$b/opt/kelp/bin/kelp" agent
fi
# again without the variables: the env file stays, nothing changes
before=$(listing "$b")
INSTALL_KELP_EXEC="agent --node-label site=a" packaging/install.sh --destdir "$b" --prefix /opt/kelp --binary "$bin" \
  -- --node-label 'room=b 1' '--x=%h$y"' >"$work/out" 2>&1 || fail "install.sh (agent, 2nd): $(cat "$work/out")"
[ "$before" = "$(listing "$b")" ] || fail "the second agent install changed files"
contains "$work/out" "nothing to do"
"$b/opt/kelp/bin/kelp-uninstall.sh" --destdir "$b" >"$work/out" 2>&1 || fail "uninstall.sh (agent): $(cat "$work/out")"
expect_files "$b" $'d 755 etc\nd 755 etc/kelp\nf 640 etc/kelp/config.yaml'
rm -r "$b"
no_calls "install.sh (agent)"
ok "agent install: --prefix, INSTALL_KELP_EXEC and arguments quoted for systemd, env file 0600, user's config untouched and kept"

# a config changed after install is kept by uninstall.sh, and removed by --purge
c=$work/c
mkdir "$c"
packaging/install.sh --destdir "$c" --binary "$bin" >/dev/null 2>&1 || fail "install.sh (c)"
echo "node-name: changed" >>"$c/etc/kelp/config.yaml"
packaging/uninstall.sh --destdir "$c" >"$work/out" 2>&1 || fail "uninstall.sh (c): $(cat "$work/out")"
expect_files "$c" $'d 755 etc\nd 755 etc/kelp\nf 644 etc/kelp/config.yaml'
contains "$work/out" "keeping /etc/kelp/config.yaml"
packaging/install.sh --destdir "$c" --binary "$bin" >/dev/null 2>&1 || fail "install.sh (c, again)"
grep -q 'node-name: changed' "$c/etc/kelp/config.yaml" || fail "install.sh overwrote a changed config"
mkdir -p "$c/var/lib/kelp/server/db" && echo data >"$c/var/lib/kelp/server/db/kelp.redb"
echo kubeconfig >"$c/etc/kelp/kelp.yaml"
KELP_UNINSTALL_PURGE=true packaging/uninstall.sh --destdir "$c" >"$work/out" 2>&1 || fail "uninstall.sh --purge: $(cat "$work/out")"
# (/etc stays: the first uninstall kept the changed config in it, so the second install
# found /etc there and does not own it)
expect_files "$c" $'d 755 etc\nd 755 var\nd 755 var/lib'
rm -r "$c"
ok "uninstall.sh keeps a changed config and the data dir, --purge removes them"

# ---- 7. the .deb --------------------------------------------------------------------------

deb=$work/dist/kelp_${version}_$deb_arch.deb
if DIST=$work/dist packaging/build-deb.sh "$other_deb_arch" "$bin" >"$work/out" 2>&1; then
  fail "build-deb.sh packaged a $arch binary as $other_deb_arch"
fi
contains "$work/out" "not built for $other_deb_arch"
out=$(DIST=$work/dist KELP_DEB_COMPRESSION=none packaging/build-deb.sh "$arch" "$bin") || fail "build-deb.sh"
{ [ "$out" = "$deb" ] && [ -f "$deb" ]; } || fail "build-deb.sh wrote $out, not $deb"
for f in Package:kelp Version:"$version" Architecture:"$deb_arch"; do
  [ "$(dpkg-deb -f "$deb" "${f%%:*}")" = "${f#*:}" ] || fail "$deb: ${f%%:*} is not ${f#*:}"
done
dpkg-deb -c "$deb" | awk '{ print substr($1, 1, 1), $2, $6 }' | sed 's#\./##; s#/$##' | grep -v ' $' |
  LC_ALL=C sort -k3 >"$work/deb.list"
diff -u - "$work/deb.list" >"$work/diff" <<'EOF' || fail "the .deb's files:
$(cat "$work/diff")"
d root/root etc
d root/root etc/kelp
- root/root etc/kelp/config.yaml
d root/root lib
d root/root lib/systemd
d root/root lib/systemd/system
- root/root lib/systemd/system/kelp-agent.service
- root/root lib/systemd/system/kelp.service
d root/root usr
d root/root usr/bin
- root/root usr/bin/kelp
d root/root usr/share
d root/root usr/share/doc
d root/root usr/share/doc/kelp
- root/root usr/share/doc/kelp/README.systemd.md
- root/root usr/share/doc/kelp/copyright
d root/root usr/share/kelp
- root/root usr/share/kelp/uninstall.sh
EOF
dpkg-deb -c "$deb" | awk '{ print $1, $6 }' >"$work/deb.modes"
for m in "-rwxr-xr-x ./usr/bin/kelp" "-rw-r--r-- ./etc/kelp/config.yaml" "-rw-r--r-- ./lib/systemd/system/kelp.service" \
  "-rw-r--r-- ./lib/systemd/system/kelp-agent.service" "-rwxr-xr-x ./usr/share/kelp/uninstall.sh"; do
  has_line "$work/deb.modes" "$m"
done
dpkg-deb -I "$deb" >"$work/deb.info"
for s in conffiles control md5sums postinst prerm postrm; do grep -qw "$s" "$work/deb.info" || fail ".deb has no $s"; done
dpkg-deb -e "$deb" "$work/debian"
[ "$(cat "$work/debian/conffiles")" = /etc/kelp/config.yaml ] || fail "conffiles: $(cat "$work/debian/conffiles")"
for s in postinst prerm postrm; do sh -n "$work/debian/$s" || fail "$s: syntax error"; done
for s in postinst prerm; do grep -q '/run/systemd/system' "$work/debian/$s" || fail "$s does not check for systemd"; done
dpkg-deb -x "$deb" "$work/debx"
same "$bin" "$work/debx/usr/bin/kelp"
same packaging/config.yaml "$work/debx/etc/kelp/config.yaml"
same packaging/uninstall.sh "$work/debx/usr/share/kelp/uninstall.sh"
(cd "$work/debx" && md5sum --quiet -c "$work/debian/md5sums") || fail ".deb md5sums"
for u in kelp kelp-agent; do
  diff <(grep -v '^ExecStart=' "systemd/$u.service") <(grep -v '^ExecStart=' "$work/debx/lib/systemd/system/$u.service") >/dev/null ||
    fail ".deb's $u.service differs from systemd/$u.service beyond ExecStart="
done
has_line "$work/debx/lib/systemd/system/kelp.service" "ExecStart=/usr/bin/kelp server"
has_line "$work/debx/lib/systemd/system/kelp-agent.service" "ExecStart=/usr/bin/kelp agent"
if command -v systemd-analyze >/dev/null; then
  verify_units "$work/debx/lib/systemd/system" /usr/bin/kelp "$work/debx/usr/bin/kelp" deb
fi
ok ".deb: fields, files, modes, conffile, maintainer scripts, units"

# dpkg --root: install, then purge, in an empty root (the scripts run chrootless, with
# DPKG_ROOT set, and must then leave systemd alone)
if [ "$(id -u)" -ne 0 ]; then
  skip "dpkg --root needs root"
else
  d=$work/dpkgroot
  mkdir -p "$d/var/lib/dpkg/info" "$d/var/lib/dpkg/updates"
  touch "$d/var/lib/dpkg/status"
  dpkg_root() { dpkg --root="$d" --force-script-chrootless --log=/dev/null "$@"; }
  dpkg_root -i "$deb" >"$work/out" 2>&1 || fail "dpkg --root -i: $(cat "$work/out")"
  same "$bin" "$d/usr/bin/kelp"
  [ -f "$d/lib/systemd/system/kelp.service" ] || fail "dpkg --root -i: no kelp.service"
  grep -q '^Status: install ok installed' <<<"$(dpkg_root -s kelp)" || fail "dpkg --root: kelp not installed"
  [ -z "${TEST_INSTALL_VERBOSE:-}" ] || sed 's/^/    /' "$work/out"
  dpkg_root --purge kelp >"$work/out" 2>&1 || fail "dpkg --root --purge: $(cat "$work/out")"
  [ -z "${TEST_INSTALL_VERBOSE:-}" ] || sed 's/^/    /' "$work/out"
  left=$(cd "$d" && find . -mindepth 1 -not -path './var' -not -path './var/lib' -not -path './var/lib/dpkg' -not -path './var/lib/dpkg/*')
  [ -z "$left" ] || fail "dpkg --purge left: $left"
  no_calls "the .deb's maintainer scripts"
  ok ".deb: dpkg --root installs it and purges it without a trace"
fi

# ---- 8. the airgap bundle -----------------------------------------------------------------

# a small OCI-layout image archive, and something that is not one
img=$work/img
mkdir -p "$img/oci/blobs/sha256"
printf '{"imageLayoutVersion":"1.0.0"}' >"$img/oci/oci-layout"
printf '{"schemaVersion":2,"manifests":[]}' >"$img/oci/index.json"
tar -C "$img/oci" -cf "$img/pause.tar" oci-layout index.json blobs
mkdir "$img/dir" && cp "$img/pause.tar" "$img/dir/"
cp "$img/pause.tar" "$img/extra.tar"
printf '# archives for the bundle\nextra.tar  # relative to the list\n\n' >"$img/list"
tar -C "$img" -cf "$img/bogus.tar" list
# manifests to deploy: workloads of several kinds, a List, a skipped file, a non-manifest
man=$work/manifests
mkdir "$man"
cat >"$man/apps.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: init, image: "registry.test/busybox:1.36"}]
      containers: [{name: web, image: "registry.test/web:2"}]
---
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: agent, namespace: kube-system}
  spec:
    selector: {matchLabels: {app: agent}}
    template:
      metadata: {labels: {app: agent}}
      spec: {containers: [{name: a, image: "registry.test/web:2"}]}
YAML
cat >"$man/jobs.yml" <<'YAML'
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: default}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: b, image: "registry.test/backup@sha256:0123abcd"}]
YAML
printf '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}, "data": {"image": "no"}}\n' >"$man/settings.json"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: off}\nspec: {containers: [{name: o, image: registry.test/off:1}]}\n' >"$man/off.yaml"
: >"$man/off.yaml.skip"
echo "not a manifest" >"$man/README.txt"
want_images=$'registry.test/backup@sha256:0123abcd\nregistry.test/busybox:1.36\nregistry.test/web:2'
# kelp itself: the images of the files kelp server would deploy, sorted and unique
list_images() { "$bin" airgap list-images --config /dev/null "$@"; }
out=$(list_images --manifests "$man" 2>"$work/err") || fail "list-images: $(cat "$work/err")"
[ "$out" = "$want_images" ] || fail "kelp airgap list-images printed: $out"
[ ! -s "$work/err" ] || fail "kelp airgap list-images said: $(cat "$work/err")"
out=$(list_images --manifests "$man" --disable apps) || fail "list-images --disable"
[ "$out" = registry.test/backup@sha256:0123abcd ] || fail "kelp airgap list-images --disable apps printed: $out"
out=$(list_images --manifests "$work/none" 2>"$work/err") || fail "list-images (no directory)"
[ -z "$out" ] || fail "list-images of a missing directory printed: $out"
contains "$work/err" "$work/none"
mkdir "$work/badman"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [\n' >"$work/badman/broken.yaml"
rc=0
list_images --manifests "$work/badman" >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" = 1 ] || fail "list-images of a broken manifest exited $rc"
contains "$work/err" "$work/badman/broken.yaml"
ok "kelp airgap list-images: workloads and Lists, .skip and --disable honoured, no directory is empty, a broken file is named"

name=kelp-$version-$arch
bundle=$work/dist/kelp-airgap_${version}_$arch.tar
if packaging/build-airgap.sh --arch "$deb_arch" --binary "$bin" --images-list <(echo "$img/bogus.tar") --output "$work/x.tar" >"$work/out" 2>&1; then
  fail "build-airgap.sh accepted a tarball that is not an image archive"
fi
if packaging/build-airgap.sh --arch "$arch" --binary "$bin" --manifests "$work/badman" --output "$work/x.tar" >"$work/out" 2>&1; then
  fail "build-airgap.sh accepted a manifest that does not parse"
fi
contains "$work/out" "broken.yaml"
out=$(KELP_AIRGAP_COMPRESSION=none packaging/build-airgap.sh --arch "$arch" --binary "$bin" --images "$img/dir" \
  --images-list "$img/list" --manifests "$man" --output "$bundle" 2>"$work/err") || fail "build-airgap.sh: $(cat "$work/err")"
contains "$work/err" "leaving out off.yaml"
{ [ "$out" = "$bundle" ] && [ -f "$bundle" ]; } || fail "build-airgap.sh wrote $out"
tar -tvf "$bundle" | awk '{ print $1, $2, $6 }' | LC_ALL=C sort -k3 >"$work/bundle.list"
diff -u - "$work/bundle.list" >"$work/diff" <<EOF || fail "the airgap bundle's files:
$(cat "$work/diff")"
drwxr-xr-x 0/0 $name/
-rw-r--r-- 0/0 $name/AIRGAP
-rw-r--r-- 0/0 $name/SHA256SUMS
-rw-r--r-- 0/0 $name/config.yaml
-rw-r--r-- 0/0 $name/images.txt
drwxr-xr-x 0/0 $name/images/
-rw-r--r-- 0/0 $name/images/extra.tar
-rw-r--r-- 0/0 $name/images/pause.tar
-rwxr-xr-x 0/0 $name/install.sh
-rwxr-xr-x 0/0 $name/kelp-$arch
drwxr-xr-x 0/0 $name/manifests/
-rw------- 0/0 $name/manifests/apps.yaml
-rw------- 0/0 $name/manifests/jobs.yml
-rw------- 0/0 $name/manifests/settings.json
drwxr-xr-x 0/0 $name/systemd/
-rw-r--r-- 0/0 $name/systemd/kelp-agent.service
-rw-r--r-- 0/0 $name/systemd/kelp.service
-rwxr-xr-x 0/0 $name/uninstall.sh
EOF
mkdir "$work/bx"
tar -C "$work/bx" -xf "$bundle"
(cd "$work/bx/$name" && sha256sum --quiet -c SHA256SUMS) || fail "airgap SHA256SUMS"
same "$bin" "$work/bx/$name/kelp-$arch"
same packaging/install.sh "$work/bx/$name/install.sh"
same systemd/kelp.service "$work/bx/$name/systemd/kelp.service"
same "$man/apps.yaml" "$work/bx/$name/manifests/apps.yaml"
[ "$(cat "$work/bx/$name/images.txt")" = "$want_images" ] || fail "the bundle's images.txt: $(cat "$work/bx/$name/images.txt")"
# the default (gzip) bundle with no images, built from a tiny stand-in binary
printf '#!/bin/sh\necho kelp 0.0.0\n' >"$work/tiny"
chmod 755 "$work/tiny"
out=$(packaging/build-airgap.sh --arch aarch64 --binary "$work/tiny" --output "$work/dist/tiny.tar.gz") || fail "build-airgap.sh (gzip)"
grep -qx "kelp-$version-aarch64/kelp-aarch64" <<<"$(tar -tzf "$out")" || fail "gzip bundle has no kelp-aarch64"
ok "airgap bundle: files, modes, checksums; image archives from a dir and a list; non-images refused; manifests and images.txt"

# installing from the unpacked bundle: binary found beside install.sh, images installed
e=$work/e
mkdir "$e"
(cd /tmp && sh "$work/bx/$name/install.sh" --destdir "$e") >"$work/out" 2>&1 || fail "bundle install.sh: $(cat "$work/out")"
expect_files "$e" "$expected_a
d 755 var
d 755 var/lib
d 755 var/lib/kelp
d 755 var/lib/kelp/agent
d 755 var/lib/kelp/agent/images
f 644 var/lib/kelp/agent/images/pause.tar
f 644 var/lib/kelp/agent/images/extra.tar
d 755 var/lib/kelp/server
d 755 var/lib/kelp/server/manifests
f 600 var/lib/kelp/server/manifests/apps.yaml
f 600 var/lib/kelp/server/manifests/jobs.yml
f 600 var/lib/kelp/server/manifests/settings.json"
same "$bin" "$e/usr/local/bin/kelp"
same "$img/pause.tar" "$e/var/lib/kelp/agent/images/pause.tar"
same "$man/jobs.yml" "$e/var/lib/kelp/server/manifests/jobs.yml"
# kelp finds the installed manifests below its data dir
out=$(list_images --data-dir "$e/var/lib/kelp") || fail "list-images of the installed manifests"
[ "$out" = "$want_images" ] || fail "list-images of the installed manifests printed: $out"
before=$(listing "$e")
sleep 1
sh "$work/bx/$name/install.sh" --destdir "$e" >"$work/out" 2>&1 || fail "bundle install.sh (2nd)"
[ "$before" = "$(listing "$e")" ] || fail "the second bundle install changed files"
"$e/usr/local/bin/kelp-uninstall.sh" --destdir "$e" >"$work/out" 2>&1 || fail "uninstall.sh (bundle): $(cat "$work/out")"
[ -z "$(files_of "$e")" ] || fail "uninstall.sh (bundle) left: $(files_of "$e")"
# an agent gets the images, not the manifests: only a server deploys them
e2=$work/e2
mkdir "$e2"
sh "$work/bx/$name/install.sh" --destdir "$e2" agent >"$work/out" 2>&1 || fail "bundle install.sh agent: $(cat "$work/out")"
[ -f "$e2/var/lib/kelp/agent/images/pause.tar" ] || fail "the agent install has no images"
[ ! -e "$e2/var/lib/kelp/server" ] || fail "the agent install wrote $(find "$e2/var/lib/kelp/server")"
contains "$work/out" "only a server deploys them"
no_calls "the airgap install"
ok "airgap bundle: install.sh installs the binary beside it, the images and (server) the manifests, idempotently; uninstall.sh removes all"

# ---- 9. uninstall.sh's runtime cleanup, in a private network and mount namespace ----------

if [ "$(id -u)" -ne 0 ]; then
  skip "runtime cleanup test needs root (unshare --net --mount)"
elif ! unshare --net --mount --propagation private true 2>/dev/null; then
  skip "runtime cleanup test: unshare --net --mount is not permitted here"
elif ! command -v nft >/dev/null || ! command -v iptables >/dev/null || ! command -v ip6tables >/dev/null; then
  fail "runtime cleanup test needs nft, iptables and ip6tables (apt-get install nftables iptables)"
else
  rt=$work/rt
  mkdir -p "$rt/var/lib/kelp/pods/p1" "$rt/var/lib/kelp/pods/p2" "$rt/run/kelp/x" "$rt/var/lib/kelpother" "$rt/usr/local/bin"
  cat >"$work/runtime.sh" <<'EOF'
set -euo pipefail
rt=$1 uninstall=$2
fail() { echo "test-install: FAIL (runtime): $*" >&2; exit 1; }
mounted() { grep -qx -- "$1" <<<"$(awk '{ print $5 }' /proc/self/mountinfo)"; }
# a /run of this mount namespace only (for /run/netns: the pods' kelp-* and a stranger's)
mount -t tmpfs tmpfs /run
ip netns add kelp-pod1
ip netns add other-ns
ip link set lo up
ip link add kelp0 type bridge
ip link add other0 type bridge
ip link add vethk1 type veth peer name vethk1p
ip link set vethk1 master kelp0
ip link add kelp0x type bridge
ip link set kelp0 up
ip link set other0 up
ip addr add 10.42.0.1/24 dev kelp0
ip route add blackhole 10.42.0.0/16
ip route add unreachable 10.43.0.0/16
ip route add blackhole 10.42.7.0/24 table 100
ip route add blackhole 10.99.0.0/16
ip route add 10.98.0.0/16 dev other0
nft add table inet kelp
nft add chain inet kelp svc
nft add table ip kelp
nft add table inet keep
nft add chain inet keep c
iptables -t nat -N KELP-SERVICES
iptables -t nat -N KELP-SVC-A
iptables -t nat -A PREROUTING -m comment --comment "kelp services" -j KELP-SERVICES
iptables -t nat -A OUTPUT -j KELP-SERVICES
iptables -t nat -A KELP-SERVICES -j KELP-SVC-A
iptables -t nat -A KELP-SVC-A -j RETURN
iptables -N KELP-FORWARD
iptables -A FORWARD -j KELP-FORWARD
iptables -N KELP-GOTO
iptables -A OUTPUT -p tcp -g KELP-GOTO
iptables -N KEEP
iptables -A INPUT -j KEEP
iptables -A FORWARD -s 10.0.0.0/8 -j ACCEPT
ip6tables -N KELP-FW
ip6tables -A INPUT -j KELP-FW
mount -t tmpfs tmpfs "$rt/var/lib/kelp/pods/p1"
mkdir "$rt/var/lib/kelp/pods/p1/vol"
mount -t tmpfs tmpfs "$rt/var/lib/kelp/pods/p1/vol"
mount -t tmpfs tmpfs "$rt/var/lib/kelp/pods/p2"
mount -t tmpfs tmpfs "$rt/run/kelp/x"
mount -t tmpfs tmpfs "$rt/var/lib/kelpother"
for round in 1 2; do
  KELP_DATA_DIR=$rt/var/lib/kelp KELP_UNINSTALL_RUN_DIR=$rt/run/kelp \
    KELP_UNINSTALL_CONTAINERD_ADDRESS=$rt/no-containerd.sock KELP_UNINSTALL_CGROUP=kelp-test-none \
    sh "$uninstall" --runtime-only --prefix "$rt/usr/local" >"$rt/out.$round" 2>&1 ||
    fail "uninstall.sh --runtime-only (round $round): $(cat "$rt/out.$round")"
done
[ -z "${TEST_INSTALL_VERBOSE:-}" ] || sed 's/^/    /' "$rt/out.1" "$rt/out.2"
grep -q 'removed bridge kelp0' "$rt/out.1" || fail "no bridge removal reported: $(cat "$rt/out.1")"
grep -q 'no bridge kelp0' "$rt/out.2" || fail "second run: $(cat "$rt/out.2")"
! ip link show kelp0 >/dev/null 2>&1 || fail "kelp0 is still there"
! ip link show vethk1 >/dev/null 2>&1 || fail "kelp0's veth is still there"
ip link show other0 >/dev/null || fail "other0 was removed"
ip link show kelp0x >/dev/null || fail "kelp0x was removed"
[ -z "$(ip route show table all root 10.42.0.0/16)" ] || fail "routes left in 10.42/16: $(ip route show table all root 10.42.0.0/16)"
[ -z "$(ip route show table all root 10.43.0.0/16)" ] || fail "routes left in 10.43/16"
grep -q '^blackhole 10.99.0.0/16' <<<"$(ip route show)" || fail "a foreign route was removed"
grep -q '^10.98.0.0/16 dev other0' <<<"$(ip route show)" || fail "other0's route was removed"
tables=$(nft list tables)
if grep -q ' kelp$' <<<"$tables"; then fail "nft tables left: $tables"; fi
grep -qx 'table inet keep' <<<"$tables" || fail "a foreign nft table was removed: $tables"
nft list chain inet keep c >/dev/null || fail "a foreign nft chain was removed"
if grep -q KELP- <<<"$(iptables-save)"; then fail "iptables: $(iptables-save | grep KELP-)"; fi
if grep -q KELP- <<<"$(ip6tables-save)"; then fail "ip6tables: $(ip6tables-save | grep KELP-)"; fi
grep -qx -- '-A INPUT -j KEEP' <<<"$(iptables -S INPUT)" || fail "a foreign iptables jump was removed"
grep -qx -- '-A FORWARD -s 10.0.0.0/8 -j ACCEPT' <<<"$(iptables -S FORWARD)" || fail "a foreign iptables rule was removed"
for m in "$rt/var/lib/kelp/pods/p1/vol" "$rt/var/lib/kelp/pods/p1" "$rt/var/lib/kelp/pods/p2" "$rt/run/kelp/x"; do
  ! mounted "$m" || fail "$m is still mounted"
done
mounted "$rt/var/lib/kelpother" || fail "a foreign mount ($rt/var/lib/kelpother) was unmounted"
[ ! -e "$rt/run/kelp" ] || fail "$rt/run/kelp is still there"
[ -d "$rt/var/lib/kelp/pods/p1" ] || fail "the data dir was removed without --purge"
[ ! -e /run/netns/kelp-pod1 ] || fail "the pod network namespace kelp-pod1 is still there"
[ -e /run/netns/other-ns ] || fail "a foreign network namespace was removed"
ip netns delete other-ns
umount "$rt/var/lib/kelpother"
umount -l /run
EOF
  unshare --net --mount --propagation private bash "$work/runtime.sh" "$rt" "$repo/packaging/uninstall.sh" ||
    fail "runtime cleanup"
  no_calls "uninstall.sh --runtime-only"
  ok "uninstall.sh cleans kelp's bridge, veths, routes, nftables tables, iptables chains, netns and mounts, and nothing else"
fi

# ---- 10. a live install (no DESTDIR), inside private mount, network and PID namespaces ----
# /etc, /usr/local and /var are overlays whose writes land in $work, /run is a fresh tmpfs;
# systemctl and apt-get are fakes that record their calls. This exercises what only a live
# install does: containerd/runc via apt-get, the no-systemd advice, and the systemd calls.

if [ "$(id -u)" -ne 0 ] || ! unshare --net --mount --pid --fork --mount-proc --propagation private true 2>/dev/null; then
  skip "live install test needs root and unshare --net --mount --pid"
else
  lv=$work/live
  mkdir -p "$lv/fake" "$lv/state"
  for d in etc usr-local var; do mkdir -p "$lv/$d/upper" "$lv/$d/work"; done
  cat >"$lv/fake/systemctl" <<EOF
#!/bin/sh
# fake systemctl: records the call; units' enabled/active state are files in $lv/state
echo "systemctl \$*" >>"$lv/calls"
quiet=false
for a in "\$@"; do [ "\$a" != --quiet ] || quiet=true; done
verb=\$1
for u in "\$@"; do :; done
case \$verb in
  daemon-reload) exit 0 ;;
  is-enabled) [ -e "$lv/state/\$u.enabled" ] ;;
  enable) touch "$lv/state/\$u.enabled" ;;
  disable) for u in "\$@"; do rm -f "$lv/state/\$u.enabled"; done ;;
  start | restart) touch "$lv/state/\$u.active" ;;
  stop) for u in "\$@"; do rm -f "$lv/state/\$u.active"; done ;;
  is-active)
    if [ -e "$lv/state/\$u.active" ]; then \$quiet || echo active; exit 0; fi
    \$quiet || echo inactive
    exit 3
    ;;
  *) echo "fake systemctl: unexpected \$*" >&2; exit 1 ;;
esac
EOF
  cat >"$lv/fake/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$lv/calls"
EOF
  chmod 755 "$lv/fake/systemctl" "$lv/fake/apt-get"
  cat >"$lv/live.sh" <<'EOF'
set -euo pipefail
lv=$1 repo=$2 bin=$3
fail() { echo "test-install: FAIL (live): $*" >&2; exit 1; }
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$lv/etc/upper,workdir=$lv/etc/work" /etc
mount -t overlay overlay -o "lowerdir=/usr/local,upperdir=$lv/usr-local/upper,workdir=$lv/usr-local/work" /usr/local
mount -t overlay overlay -o "lowerdir=/var,upperdir=$lv/var/upper,workdir=$lv/var/work" /var
mount -t tmpfs tmpfs /run
# prove the overlays are in place before anything writes to /etc, /usr/local or /var
for m in /etc /usr/local /var; do
  [ "$(awk -v m="$m" '$5 == m { t = $9 } END { print t }' /proc/self/mountinfo)" = overlay ] || fail "$m is not an overlay"
done
touch /etc/.kelp-test-probe
[ -e "$lv/etc/upper/.kelp-test-probe" ] || fail "writes to /etc do not land in the overlay"
rm /etc/.kelp-test-probe
export PATH="$lv/fake:$PATH"
# containerd and runc look missing (whether or not this machine has them)
: >"$lv/empty"
for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  for c in containerd runc; do [ ! -f "$d/$c" ] || mount --bind "$lv/empty" "$d/$c"; done
done
calls() { if [ -f "$lv/calls" ]; then cat "$lv/calls"; fi; rm -f "$lv/calls"; }
run() { "$repo/packaging/install.sh" --binary "$bin" "$@" >"$lv/out" 2>&1 || fail "install.sh $*: $(cat "$lv/out")"; }
says() { grep -qF -- "$1" "$lv/out" || fail "install.sh does not say '$1': $(cat "$lv/out")"; }

# no systemd: files installed, containerd and runc from apt-get, advice to run in the foreground
run
[ -x /usr/local/bin/kelp ] && [ -f /etc/systemd/system/kelp.service ] && [ -f /etc/kelp/config.yaml ] ||
  fail "live install did not install the files"
says "systemd is not running"
says "/usr/local/bin/kelp server"
[ "$(calls)" = "apt-get install -y -qq containerd runc" ] || fail "expected apt-get install containerd runc"
INSTALL_KELP_SKIP_DEPS=true run
says "not installed: INSTALL_KELP_SKIP_DEPS"
[ -z "$(calls)" ] || fail "INSTALL_KELP_SKIP_DEPS still called something"
INSTALL_KELP_AIRGAP=true run
says "offline (airgap) install"
[ -z "$(calls)" ] || fail "an airgap install called something"
says "nothing to do"

# systemd: daemon-reload (units changed), enable, start; a second run does nothing
mkdir -p /run/systemd/system
INSTALL_KELP_SKIP_DEPS=true run server --disable-agent
says "kelp.service is running"
diff <(calls) - <<'CALLS' >"$lv/diff" || fail "systemctl calls (first start): $(cat "$lv/diff")"
systemctl daemon-reload
systemctl is-enabled --quiet kelp.service
systemctl enable --quiet kelp.service
systemctl is-active --quiet kelp.service
systemctl start --no-block kelp.service
systemctl is-active kelp.service
CALLS
INSTALL_KELP_SKIP_DEPS=true run server --disable-agent
says "nothing to do"
diff <(calls) - <<'CALLS' >"$lv/diff" || fail "systemctl calls (nothing to do): $(cat "$lv/diff")"
systemctl is-enabled --quiet kelp.service
systemctl is-active --quiet kelp.service
systemctl is-active kelp.service
CALLS
# a changed command line: reload and restart the running unit
INSTALL_KELP_SKIP_DEPS=true run server
grep -qx 'ExecStart=/usr/local/bin/kelp server' /etc/systemd/system/kelp.service || fail "ExecStart not updated"
diff <(calls) - <<'CALLS' >"$lv/diff" || fail "systemctl calls (changed unit): $(cat "$lv/diff")"
systemctl daemon-reload
systemctl is-enabled --quiet kelp.service
systemctl is-active --quiet kelp.service
systemctl restart --no-block kelp.service
systemctl is-active kelp.service
CALLS
INSTALL_KELP_SKIP_DEPS=true INSTALL_KELP_SKIP_ENABLE=true run agent --node-label a=b
says "INSTALL_KELP_SKIP_ENABLE"
[ "$(calls)" = "systemctl daemon-reload" ] || fail "INSTALL_KELP_SKIP_ENABLE: $(calls)"

# uninstall: stop and disable through systemd, remove the files, reload
KELP_UNINSTALL_CONTAINERD_ADDRESS=/nonexistent/containerd.sock KELP_UNINSTALL_CGROUP=kelp-test-none \
  /usr/local/bin/kelp-uninstall.sh >"$lv/out" 2>&1 ||
  fail "uninstall.sh: $(cat "$lv/out")"
diff <(calls) - <<'CALLS' >"$lv/diff" || fail "systemctl calls (uninstall): $(cat "$lv/diff")"
systemctl is-active --quiet kelp.service
systemctl stop kelp.service
systemctl is-enabled --quiet kelp.service
systemctl disable --quiet kelp.service
systemctl is-active --quiet kelp-agent.service
systemctl is-enabled --quiet kelp-agent.service
systemctl daemon-reload
CALLS
for f in /usr/local/bin/kelp /usr/local/bin/kelp-uninstall.sh /etc/systemd/system/kelp.service \
  /etc/systemd/system/kelp-agent.service /etc/kelp; do
  [ ! -e "$f" ] || fail "uninstall.sh left $f"
done
EOF
  unshare --net --mount --pid --fork --mount-proc --propagation private bash "$lv/live.sh" "$lv" "$repo" "$bin" ||
    fail "live install"
  ok "live install (private namespaces): apt-get for containerd/runc, skip-deps, airgap, no-systemd advice, systemctl enable/start/restart, uninstall stops and disables"
fi

# ---- 11. uninstall.sh against a real containerd -------------------------------------------
# A private containerd (its own root, state and socket, in private mount and PID namespaces
# with a fresh /run, so every process dies with the test) runs a busybox task in the
# namespace kelp and another in the namespace other; uninstall.sh must remove kelp's
# tasks, containers and cgroups, with --purge its images and namespace, and nothing of
# other's.

busybox=$(command -v busybox || true)
if [ "$(id -u)" -ne 0 ]; then
  skip "containerd cleanup test needs root"
elif ! command -v containerd >/dev/null || ! command -v ctr >/dev/null || ! command -v runc >/dev/null; then
  skip "containerd cleanup test: containerd, ctr or runc not installed (apt-get install containerd runc)"
elif [ -z "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
  skip "containerd cleanup test: no static busybox (apt-get install busybox-static)"
else
  ct=$work/ctd
  mkdir -p "$ct/layer/bin" "$ct/oci/blobs/sha256"
  cp "$busybox" "$ct/layer/bin/busybox"
  ln -s busybox "$ct/layer/bin/sleep"
  tar -C "$ct/layer" -cf "$ct/layer.tar" bin
  blob() { # FILE: stores it as a blob, prints "digest size"
    local d
    d=$(sha256sum "$1" | cut -d' ' -f1)
    cp "$1" "$ct/oci/blobs/sha256/$d"
    echo "$d $(stat -c %s "$1")"
  }
  read -r ld ls < <(blob "$ct/layer.tar")
  printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/sleep","600"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$deb_arch" "$ld" >"$ct/config.json"
  read -r cd cs < <(blob "$ct/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cd" "$cs" "$ld" "$ls" >"$ct/manifest.json"
  read -r md ms < <(blob "$ct/manifest.json")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"kelp.test/sleep:1"}}]}' \
    "$md" "$ms" >"$ct/oci/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$ct/oci/oci-layout"
  tar -C "$ct/oci" -cf "$ct/sleep.tar" oci-layout index.json blobs
  cat >"$ct/containerd.sh" <<'EOF'
set -euo pipefail
ct=$1 uninstall=$2 cg=$3
fail() { echo "test-install: FAIL (containerd): $*" >&2; exit 1; }
mount -t tmpfs tmpfs /run
mkdir -p /run/kelptest
cat >"$ct/config.toml" <<TOML
version = 2
root = "$ct/root"
state = "/run/kelptest/state"
[grpc]
  address = "/run/kelptest/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable = true
TOML
containerd --config "$ct/config.toml" >"$ct/containerd.log" 2>&1 &
ctd=$!
c() { ctr --address /run/kelptest/containerd.sock "$@"; }
cleanup() {
  local rc=$?
  set +e
  for ns in $(c namespaces list -q 2>/dev/null); do
    for t in $(c -n "$ns" tasks list -q 2>/dev/null); do
      c -n "$ns" tasks kill --signal SIGKILL "$t" >/dev/null 2>&1 || true
      c -n "$ns" tasks delete --force "$t" >/dev/null 2>&1 || true
    done
  done
  kill -TERM "$ctd" 2>/dev/null || true
  wait "$ctd" 2>/dev/null || true
  for h in /sys/fs/cgroup/*; do [ ! -d "$h/$cg" ] || find "$h/$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true; done
  for h in /sys/fs/cgroup/*; do [ ! -d "$h/$cg-other" ] || find "$h/$cg-other" -depth -type d -exec rmdir {} \; 2>/dev/null || true; done
  awk -v p="$ct/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  exit "$rc"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S /run/kelptest/containerd.sock ] && break; sleep 0.1; done
c version >/dev/null 2>&1 || fail "containerd did not start: $(cat "$ct/containerd.log")"
for ns in kelp other; do c -n "$ns" images import "$ct/sleep.tar" >/dev/null; done
c -n kelp run -d --cgroup "/$cg/pod1" kelp.test/sleep:1 pod1 >/dev/null
c -n kelp containers create kelp.test/sleep:1 pod2 >/dev/null
c -n other run -d --cgroup "/$cg-other/o1" kelp.test/sleep:1 o1 >/dev/null
grep -q RUNNING <<<"$(c -n kelp tasks list)" || fail "the kelp task does not run"
ls -d /sys/fs/cgroup/*/"$cg"/pod1 >/dev/null 2>&1 || fail "no cgroup $cg/pod1"
run() {
  KELP_DATA_DIR=$ct/rt/var/lib/kelp KELP_UNINSTALL_RUN_DIR=$ct/rt/run/kelp KELP_UNINSTALL_CGROUP=$cg \
    KELP_UNINSTALL_CONTAINERD_ADDRESS=/run/kelptest/containerd.sock \
    sh "$uninstall" --runtime-only --prefix "$ct/rt" "$@" >"$ct/out" 2>&1 || fail "uninstall.sh $*: $(cat "$ct/out")"
  [ -z "${TEST_INSTALL_VERBOSE:-}" ] || sed 's/^/    /' "$ct/out"
}
run
grep -q 'removed 2 from containerd namespace kelp' "$ct/out" || fail "uninstall.sh: $(cat "$ct/out")"
[ -z "$(c -n kelp tasks list -q)" ] || fail "kelp's tasks are left: $(c -n kelp tasks list)"
[ -z "$(c -n kelp containers list -q)" ] || fail "kelp's containers are left"
[ "$(c -n kelp images list -q)" = kelp.test/sleep:1 ] || fail "kelp's images were removed without --purge"
! ls -d /sys/fs/cgroup/*/"$cg" >/dev/null 2>&1 || fail "kelp's cgroups are left: $(ls -d /sys/fs/cgroup/*/"$cg")"
grep -q 'o1 .*RUNNING' <<<"$(c -n other tasks list)" || fail "other's task was touched"
run --purge
grep -qx kelp <<<"$(c namespaces list -q)" && fail "the kelp namespace is left: $(cat "$ct/out")"
[ "$(c -n other containers list -q)" = o1 ] || fail "other's container was removed"
[ "$(c -n other images list -q)" = kelp.test/sleep:1 ] || fail "other's image was removed"
ls -d /sys/fs/cgroup/*/"$cg-other"/o1 >/dev/null 2>&1 || fail "other's cgroup was removed"
EOF
  unshare --mount --pid --fork --mount-proc --propagation private bash "$ct/containerd.sh" "$ct" "$repo/packaging/uninstall.sh" "kelptest-$$" ||
    fail "containerd cleanup"
  if ls -d /sys/fs/cgroup/*/"kelptest-$$"* >/dev/null 2>&1; then fail "cgroups kelptest-$$* left on this machine"; fi
  ok "uninstall.sh removes the tasks, containers, cgroups and (--purge) images and namespace of kelp's containerd namespace, and nothing of another's"
fi

# ---- the host was not touched -------------------------------------------------------------

[ "$host_before" = "$(host_state)" ] || fail "this machine's kelp files changed: $(diff <(echo "$host_before") <(host_state))"
ok "this machine's /etc, /usr, /var and systemd files are untouched"
if [ "$skipped" -eq 0 ]; then
  echo "test-install: all passed in $((SECONDS - started))s"
else
  echo "test-install: passed in $((SECONDS - started))s, with $skipped parts SKIPPED (see above)"
fi
