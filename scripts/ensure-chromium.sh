#!/usr/bin/env bash
# Make Debian's Chromium available to the browser tests (tests/browser/): Playwright drives
# the binary found on the PATH and never downloads a browser of its own.
#
# Idempotent: if `chromium` is on the PATH it only says so. Otherwise it installs Debian's
# `chromium` package (and fonts-liberation, which it only recommends: pages need a font), with
# sudo when not root.
set -euo pipefail

log() { echo "ensure-chromium: $*"; }
die() { echo "ensure-chromium: ERROR: $*" >&2; exit 1; }

if command -v chromium >/dev/null 2>&1; then
    log "Chromium found: $(command -v chromium) ($(chromium --version 2>/dev/null | head -1))."
    exit 0
fi
command -v apt-get >/dev/null 2>&1 \
    || die "Chromium is missing and apt-get is not available; install Chromium so that 'chromium' is on the PATH."
if [[ "$(id -u)" -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    die "Chromium is missing; run as root (or install sudo) so this script can 'apt-get install chromium'."
fi
log "Chromium not found; installing Debian's chromium package..."
if ! { "${sudo[@]}" apt-get update \
        && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation; }; then
    die "'apt-get install chromium' failed (see the output above)."
fi
command -v chromium >/dev/null 2>&1 || die "installed the chromium package, but 'chromium' is not on the PATH."
log "installed $(chromium --version 2>/dev/null | head -1)."
