#!/usr/bin/env bash
# Prints the path of an nginx binary for checking deploy/nginx.conf: the one installed, or
# Debian's package unpacked (not installed: no daemon is started) into DIR (default
# /tmp/fusion-nginx).
set -euo pipefail
if command -v nginx >/dev/null 2>&1; then command -v nginx; exit 0; fi
dir="${1:-/tmp/fusion-nginx}"
if [ ! -x "$dir/usr/sbin/nginx" ]; then
    mkdir -p "$dir"
    cd "$dir"
    if ! apt-get download -q nginx >/dev/null 2>&1; then
        sudo=""; if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
        $sudo apt-get update -q >/dev/null || true
        apt-get download -q nginx >/dev/null
    fi
    dpkg -x nginx_*.deb "$dir"
fi
echo "$dir/usr/sbin/nginx"
