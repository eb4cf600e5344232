#!/usr/bin/env bash
# Make PostgreSQL server binaries (initdb, pg_ctl, postgres) available to the test suite.
#
# Idempotent: if /usr/lib/postgresql/<ver>/bin already holds them (or SERVANDA_PG_BINDIR
# points at a directory that does), it only says so. Otherwise it installs Debian's
# `postgresql` package, with sudo when not root. It never starts a cluster: the tests start
# their own throwaway server (tests/postgres_server.py). The Debian package may create and
# start its default cluster on install; the tests neither use nor need it.
set -euo pipefail

log() { echo "ensure-postgres: $*"; }
die() { echo "ensure-postgres: ERROR: $*" >&2; exit 1; }

# The directory holding the server binaries, highest version first; empty when none.
find_bindir() {
    local dir
    if [[ -n "${SERVANDA_PG_BINDIR:-}" ]]; then
        candidates=("$SERVANDA_PG_BINDIR")
    else
        mapfile -t candidates < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -rV)
    fi
    for dir in "${candidates[@]}"; do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 0
}

# As root the tests run the server as the `postgres` user (initdb refuses to run as root).
check_user() {
    if [[ "$(id -u)" -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        die "found $1, but there is no 'postgres' system user to run it as root; create one (e.g. 'apt-get install postgresql' does)."
    fi
}

bindir="$(find_bindir)"
if [[ -n "$bindir" ]]; then
    check_user "$bindir"
    log "PostgreSQL server binaries found in $bindir ($("$bindir/postgres" --version))."
    exit 0
fi
if [[ -n "${SERVANDA_PG_BINDIR:-}" ]]; then
    die "SERVANDA_PG_BINDIR=$SERVANDA_PG_BINDIR does not contain initdb, pg_ctl and postgres."
fi

command -v apt-get >/dev/null 2>&1 \
    || die "PostgreSQL server binaries are missing and apt-get is not available; install PostgreSQL (initdb, pg_ctl, postgres) or set SERVANDA_PG_BINDIR."
if [[ "$(id -u)" -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    die "PostgreSQL server binaries are missing; run as root (or install sudo) so this script can 'apt-get install postgresql'."
fi

log "PostgreSQL server binaries not found; installing Debian's postgresql package..."
if ! { "${sudo[@]}" apt-get update \
        && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends postgresql; }; then
    die "'apt-get install postgresql' failed (see the output above); install PostgreSQL server binaries under /usr/lib/postgresql/<ver>/bin and re-run."
fi

bindir="$(find_bindir)"
[[ -n "$bindir" ]] \
    || die "installed the postgresql package, but no initdb/pg_ctl/postgres under /usr/lib/postgresql/*/bin."
check_user "$bindir"
log "installed PostgreSQL server binaries in $bindir ($("$bindir/postgres" --version))."
