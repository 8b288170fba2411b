#!/usr/bin/env bash
# One command for a fresh Debian machine (as root): install what the project needs, then run the
# main job on its embedded default (a local S3 server and a real crash). See README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-machine.sh
npm run demo
