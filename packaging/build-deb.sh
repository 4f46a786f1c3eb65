#!/bin/sh
# Builds the kelp .deb with dpkg-deb alone: dist/kelp_<version>_<arch>.deb.
#
#   packaging/build-deb.sh ARCH BINARY
#
# ARCH is amd64 or arm64 (x86_64 and aarch64 are accepted), BINARY the kelp binary for it
# (e.g. dist/kelp-x86_64 from packaging/build-release.sh). The version comes from
# Cargo.toml. DIST overrides the output directory (dist/, as for build-release.sh);
# SOURCE_DATE_EPOCH, when set, is every file's mtime (reproducible packages);
# KELP_DEB_MAINTAINER sets the Maintainer field;
# KELP_DEB_COMPRESSION is xz (default), gzip, zstd or none (none is fast, for tests).
#
# Contents: /usr/bin/kelp, /lib/systemd/system/kelp.service and kelp-agent.service
# (ExecStart=/usr/bin/kelp ...), /etc/kelp/config.yaml (a conffile),
# /usr/share/kelp/uninstall.sh (runtime cleanup, also run by prerm on removal) and
# /usr/share/doc/kelp/. The maintainer scripts use systemctl only when systemd runs.
set -eu

me="build-deb"
die() {
  printf '%s: error: %s\n' "$me" "$*" >&2
  exit 1
}
[ $# -eq 2 ] || die "usage: build-deb.sh ARCH BINARY"
case $1 in
  amd64 | x86_64) arch=amd64 ;;
  arm64 | aarch64) arch=arm64 ;;
  *) die "unknown architecture $1 (amd64 or arm64)" ;;
esac
binary=$2
[ -f "$binary" ] || die "binary $binary not found"
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found (apt-get install dpkg)"
# an ELF binary must be for ARCH (e_machine: 62 x86-64, 183 AArch64)
if [ "$(head -c 4 "$binary" | od -An -c | tr -d ' ')" = 177ELF ]; then
  machine=$(od -An -j18 -N2 -tu2 "$binary" | tr -d ' ')
  case $arch:$machine in
    amd64:62 | arm64:183) ;;
    *) die "$binary is not built for $arch (ELF machine $machine)" ;;
  esac
fi

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
version=$(awk -F'"' '/^\[/ { pkg = ($0 == "[package]") } pkg && /^version *=/ { print $2; exit }' "$root/Cargo.toml")
[ -n "$version" ] || die "no version in $root/Cargo.toml"
dist=${DIST:-$root/dist}
maintainer=${KELP_DEB_MAINTAINER:-kelp maintainers <maintainers@kelp.invalid>}
compression=${KELP_DEB_COMPRESSION:-xz}
case $compression in xz | gzip | zstd | none) ;; *) die "KELP_DEB_COMPRESSION must be xz, gzip, zstd or none" ;; esac

stage=$(mktemp -d "${TMPDIR:-/tmp}/kelp-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
pkg=$stage/kelp
umask 022
mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/kelp" \
  "$pkg/usr/share/kelp" "$pkg/usr/share/doc/kelp"

install -m 755 "$binary" "$pkg/usr/bin/kelp"
for u in kelp.service kelp-agent.service; do
  sed 's#^ExecStart=/usr/local/bin/kelp #ExecStart=/usr/bin/kelp #' "$root/systemd/$u" >"$pkg/lib/systemd/system/$u"
  grep -q '^ExecStart=/usr/bin/kelp ' "$pkg/lib/systemd/system/$u" || die "$u: ExecStart not rewritten"
  chmod 644 "$pkg/lib/systemd/system/$u"
done
install -m 644 "$here/config.yaml" "$pkg/etc/kelp/config.yaml"
install -m 755 "$here/uninstall.sh" "$pkg/usr/share/kelp/uninstall.sh"
install -m 644 "$root/systemd/README.md" "$pkg/usr/share/doc/kelp/README.systemd.md"
cat >"$pkg/usr/share/doc/kelp/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: kelp

Files: *
License: Apache-2.0
 On Debian systems the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
EOF
chmod 644 "$pkg/usr/share/doc/kelp/copyright"

printf '/etc/kelp/config.yaml\n' >"$pkg/DEBIAN/conffiles"

cat >"$pkg/DEBIAN/postinst" <<'EOF'
#!/bin/sh
# kelp postinst: on a first install enable and start kelp.service; on an upgrade restart
# the units that run. Only when systemd runs (and not for dpkg --root).
set -e
if [ "$1" = configure ]; then
  if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
    if [ -z "${2:-}" ]; then
      systemctl enable --quiet kelp.service || true
      systemctl start --no-block kelp.service || true
    else
      systemctl try-restart --no-block kelp.service kelp-agent.service || true
    fi
  elif [ -z "${DPKG_ROOT:-}" ]; then
    echo "kelp: systemd is not running: nothing enabled or started; run kelp in the foreground: /usr/bin/kelp server"
  fi
fi
exit 0
EOF

cat >"$pkg/DEBIAN/prerm" <<'EOF'
#!/bin/sh
# kelp prerm: on removal stop and disable the units (when systemd runs), then remove
# kelp's runtime leftovers (pods' containers, network rules, bridge, routes, mounts).
set -e
if [ "$1" = remove ] && [ -z "${DPKG_ROOT:-}" ]; then
  if [ -d /run/systemd/system ]; then
    systemctl stop kelp.service kelp-agent.service || true
    systemctl disable --quiet kelp.service kelp-agent.service || true
  fi
  sh /usr/share/kelp/uninstall.sh --runtime-only || echo "kelp: runtime cleanup incomplete (see above)"
fi
exit 0
EOF

cat >"$pkg/DEBIAN/postrm" <<'EOF'
#!/bin/sh
# kelp postrm: on purge remove what kelp itself wrote to /etc/kelp (the admin kubeconfig,
# environment files) and dangling unit links. The data directory is kept.
set -e
if [ "$1" = purge ]; then
  rm -f "${DPKG_ROOT:-}/etc/kelp/kelp.yaml" "${DPKG_ROOT:-}/etc/kelp/kelp.env" "${DPKG_ROOT:-}/etc/kelp/kelp-agent.env"
  rmdir "${DPKG_ROOT:-}/etc/kelp" 2>/dev/null || true
  for l in "${DPKG_ROOT:-}"/etc/systemd/system/*.wants/kelp.service "${DPKG_ROOT:-}"/etc/systemd/system/*.wants/kelp-agent.service; do
    if [ -L "$l" ] && [ ! -e "$l" ]; then rm -f "$l"; fi
  done
  if [ -d "${DPKG_ROOT:-}/var/lib/kelp" ]; then
    echo "kelp: the cluster's data is kept in /var/lib/kelp (rm -rf /var/lib/kelp deletes it)"
  fi
fi
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
exit 0
EOF
chmod 755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm" "$pkg/DEBIAN/postrm"

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<EOF
Package: kelp
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Recommends: containerd, runc
Section: admin
Priority: optional
Description: Kubernetes distribution for the edge in one binary
 kelp runs a Kubernetes API server, an embedded Raft-replicated store, the
 scheduler, the controllers and a node agent in one static binary, for small
 and airgapped sites. The package installs the binary, kelp.service (server)
 and kelp-agent.service (agent only), and /etc/kelp/config.yaml.
EOF
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -print | sed 's#^\./##' | LC_ALL=C sort | xargs md5sum) >"$pkg/DEBIAN/md5sums"
chmod 644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/conffiles" "$pkg/DEBIAN/md5sums"

if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
fi
mkdir -p "$dist"
out=$dist/kelp_${version}_$arch.deb
dpkg-deb --root-owner-group "-Z$compression" --build "$pkg" "$out.tmp" >/dev/null
mv -f "$out.tmp" "$out"
echo "$out"
