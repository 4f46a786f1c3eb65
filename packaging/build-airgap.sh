#!/bin/sh
# Builds the airgap bundle: one tarball holding everything an offline install needs.
#
#   packaging/build-airgap.sh [--arch ARCH] [--binary PATH] [--images DIR] [--images-list FILE]
#                             [--manifests DIR] [--output FILE]
#
#   --arch ARCH          x86_64 or aarch64 (amd64/arm64 accepted; default: this machine's)
#   --binary PATH        the kelp binary (default $DIST/kelp-ARCH from packaging/build-release.sh)
#   --images DIR         image archives to include: every *.tar, *.tar.gz, *.tgz, *.tar.zst in DIR
#   --images-list FILE   image archives to include, one path a line (# comments; relative
#                        paths are relative to FILE's directory); may be given with --images
#   --manifests DIR      manifests for kelp server to deploy on the target: DIR's *.yaml, *.yml
#                        and *.json files (not NAME.yaml when NAME.yaml.skip is beside it) go
#                        to manifests/, which install.sh puts into <data-dir>/server/manifests;
#                        images.txt lists the images they need, one per line, written by the
#                        bundled binary (kelp airgap list-images), under qemu-user when it is
#                        for another architecture (skipped, saying so, without qemu)
#   --output FILE        default $DIST/kelp-airgap_<version>_<arch>.tar.gz (.tar without
#                        compression); DIST is dist/ in this checkout unless set
#
# KELP_AIRGAP_COMPRESSION is gzip (default), xz, zstd or none; SOURCE_DATE_EPOCH, when set,
# is every member's mtime. Each image archive must be an OCI layout or docker-save tarball
# (index.json or manifest.json at its top); install.sh copies them to the agent's images
# directory (<data-dir>/agent/images) for kelp to import at start.
#
# The bundle (kelp-<version>-<arch>/): kelp-<arch>, install.sh, uninstall.sh, config.yaml,
# systemd/kelp.service, systemd/kelp-agent.service, images/, with --manifests manifests/
# and images.txt, AIRGAP (marks an offline install: install.sh then installs no packages
# and says what is missing), SHA256SUMS.
# On the target: tar -xf kelp-airgap_*.tar.gz && sh kelp-*/install.sh
set -eu

me="build-airgap"
die() {
  printf '%s: error: %s\n' "$me" "$*" >&2
  exit 1
}
note() { printf '%s: %s\n' "$me" "$*" >&2; }

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
arch=$(uname -m)
binary=""
images_dir=""
images_list=""
manifests_dir=""
output=""
while [ $# -gt 0 ]; do
  case $1 in
    --arch | --binary | --images | --images-list | --manifests | --output)
      [ $# -ge 2 ] || die "$1 needs a value"
      case $1 in
        --arch) arch=$2 ;;
        --binary) binary=$2 ;;
        --images) images_dir=$2 ;;
        --images-list) images_list=$2 ;;
        --manifests) manifests_dir=$2 ;;
        --output) output=$2 ;;
      esac
      shift 2
      ;;
    -h | --help)
      sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
case $arch in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) die "unknown architecture $arch (x86_64 or aarch64)" ;;
esac
version=$(awk -F'"' '/^\[/ { pkg = ($0 == "[package]") } pkg && /^version *=/ { print $2; exit }' "$root/Cargo.toml")
[ -n "$version" ] || die "no version in $root/Cargo.toml"
dist=${DIST:-$root/dist}
binary=${binary:-$dist/kelp-$arch}
[ -f "$binary" ] || die "binary $binary not found (build it with packaging/build-release.sh, or pass --binary)"
# an ELF binary must be for ARCH (e_machine: 62 x86-64, 183 AArch64)
if [ "$(head -c 4 "$binary" | od -An -c | tr -d ' ')" = 177ELF ]; then
  machine=$(od -An -j18 -N2 -tu2 "$binary" | tr -d ' ')
  case $arch:$machine in
    x86_64:62 | aarch64:183) ;;
    *) die "$binary is not built for $arch (ELF machine $machine)" ;;
  esac
fi
compression=${KELP_AIRGAP_COMPRESSION:-gzip}
case $compression in
  gzip) ext=tar.gz zflag=--gzip ;;
  xz) ext=tar.xz zflag=--xz ;;
  zstd) ext=tar.zst zflag=--zstd ;;
  none) ext=tar zflag="" ;;
  *) die "KELP_AIRGAP_COMPRESSION must be gzip, xz, zstd or none" ;;
esac
output=${output:-$dist/kelp-airgap_${version}_$arch.$ext}

stage=$(mktemp -d "${TMPDIR:-/tmp}/kelp-airgap.XXXXXX")
trap 'rm -rf "$stage"' EXIT
name=kelp-$version-$arch
b=$stage/$name
umask 022
mkdir -p "$b/systemd" "$b/images"

install -m 755 "$binary" "$b/kelp-$arch"
install -m 755 "$here/install.sh" "$b/install.sh"
install -m 755 "$here/uninstall.sh" "$b/uninstall.sh"
install -m 644 "$here/config.yaml" "$b/config.yaml"
install -m 644 "$root/systemd/kelp.service" "$root/systemd/kelp-agent.service" "$b/systemd/"

add_image() { # PATH
  [ -f "$1" ] || die "image archive $1 not found"
  n=$(basename "$1")
  case $n in
    *[[:space:]]*) die "image archive names must not contain whitespace: $n" ;;
    *.tar | *.tar.gz | *.tgz | *.tar.zst) ;;
    *) die "$1: not an image archive (*.tar, *.tar.gz, *.tgz, *.tar.zst)" ;;
  esac
  [ ! -e "$b/images/$n" ] || die "two image archives named $n"
  tar -tf "$1" 2>/dev/null | sed 's#^\./##' | grep -qx -e index.json -e manifest.json ||
    die "$1: no index.json or manifest.json at its top (not an OCI layout or docker-save tarball)"
  install -m 644 "$1" "$b/images/$n"
}
if [ -n "$images_dir" ]; then
  [ -d "$images_dir" ] || die "images directory $images_dir not found"
  for f in "$images_dir"/*; do
    case $f in *.tar | *.tar.gz | *.tgz | *.tar.zst) add_image "$f" ;; esac
  done
fi
if [ -n "$images_list" ]; then
  [ -f "$images_list" ] || die "images list $images_list not found"
  list_dir=$(cd "$(dirname "$images_list")" && pwd)
  while IFS= read -r line || [ -n "$line" ]; do
    line=$(printf '%s' "$line" | sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
    [ -n "$line" ] || continue
    case $line in /*) add_image "$line" ;; *) add_image "$list_dir/$line" ;; esac
  done <"$images_list"
fi
images=$(find "$b/images" -type f | wc -l)

# Manifests, and the images they need as the bundled kelp reads them (the builder's
# KELP_* variables and /etc/kelp/config.yaml kept out: the bundle's config.yaml instead).
manifests_note=""
if [ -n "$manifests_dir" ]; then
  [ -d "$manifests_dir" ] || die "manifests directory $manifests_dir not found"
  mkdir "$b/manifests"
  for f in "$manifests_dir"/*; do
    [ -f "$f" ] || continue
    n=$(basename "$f")
    case $n in *.yaml | *.yml | *.json) ;; *) continue ;; esac
    if [ -e "$f.skip" ]; then
      note "leaving out $n: $n.skip is beside it"
      continue
    fi
    case $n in *[[:space:]]*) die "manifest names must not contain whitespace: $n" ;; esac
    install -m 600 "$f" "$b/manifests/$n"
  done
  run=""
  if "$b/kelp-$arch" --version >/dev/null 2>&1; then
    :
  elif command -v "qemu-$arch-static" >/dev/null && "qemu-$arch-static" "$b/kelp-$arch" --version >/dev/null 2>&1; then
    run="qemu-$arch-static"
  else
    run=none
    note "images.txt not written: the $arch binary does not run here (install qemu-user-static);" \
      "on the target, kelp airgap list-images prints the images"
  fi
  if [ "$run" != none ]; then
    # shellcheck disable=SC2086 # an empty $run vanishes
    env -i PATH="$PATH" $run "$b/kelp-$arch" airgap list-images --config "$b/config.yaml" \
      --manifests "$b/manifests" >"$b/images.txt" 2>"$stage/list-images.err" ||
      die "kelp airgap list-images failed: $(cat "$stage/list-images.err")"
    note "the manifests need $(wc -l <"$b/images.txt") images (images.txt); their archives go in --images"
  fi
  manifests_note="
manifests/ ($(find "$b/manifests" -type f | wc -l) files) goes to kelp server's manifests directory
(<data-dir>/server/manifests); images.txt lists the images they need."
fi

cat >"$b/AIRGAP" <<EOF
kelp $version airgap bundle for $arch.
install.sh in this directory installs offline: it installs no packages (containerd and
runc must come from your own mirror or media; it says when they are missing) and copies
images/ ($images image archives) to the agent's images directory.$manifests_note
EOF
(cd "$b" && find . -type f ! -name SHA256SUMS | sed 's#^\./##' | LC_ALL=C sort | xargs sha256sum) >"$b/SHA256SUMS"

mtime=""
[ -z "${SOURCE_DATE_EPOCH:-}" ] || mtime="--mtime=@$SOURCE_DATE_EPOCH"
mkdir -p "$(dirname "$output")"
# shellcheck disable=SC2086 # empty flags vanish
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner $mtime $zflag -cf "$output.tmp" "$name"
mv -f "$output.tmp" "$output"
echo "$output"
