#!/usr/bin/env bash
# Installs everything the project needs on a Debian machine (run as root): the Debian packages
# for the real S3 server, containerd, the kernel test programs and the zip/core checks, then the
# npm packages including the Node LTS runtime. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
# The arm64 image's glibc and C++ runtime come from Debian's arm64 packages (multiarch).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then dpkg --add-architecture arm64; fi
packages=(
  ceph-mon ceph-osd radosgw ceph-common uuid-runtime curl   # local S3: Ceph RGW
  containerd runc busybox-static                            # real CRI runtime for e2e tests
  gcc libc6-dev gdb unzip zstd pigz rclone                  # crash programs, zip/core checks, bench peers
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static  # aarch64 triage test (qemu-user cores)
  tmux                                                      # cdh tables checked in a real terminal
  golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev  # helm-template (chart
  golang-gopkg-yaml.v2-dev golang-gopkg-yaml.v3-dev golang-github-xeipuuv-gojsonschema-dev  # tests
  golang-github-burntsushi-toml-dev                                           # when helm is absent)
  buildah umoci skopeo qemu-user-static                     # npm run image (no engine) and the arm64 smoke test
  libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libatomic1:arm64  # the arm64 image's runtime libraries
)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  # An :arm64 package needs the arm64 index, which an update run before add-architecture lacks.
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 -qq update
  apt-get -o DPkg::Lock::Timeout=300 -qq install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
echo "node runtime: $(node_modules/.bin/node --version)"
