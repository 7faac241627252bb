#!/usr/bin/env bash
# Debian's chromium for the browser tests (Playwright drives it; no browser download).
# Prints where it is; installs the package when it is missing.
set -euo pipefail
for candidate in "${FUSION_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
        exit 0
    fi
done
echo "installing Debian's chromium for the browser tests"
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null || true
$sudo apt-get install -y -q --no-install-recommends chromium >/dev/null
test -x /usr/bin/chromium
