#!/usr/bin/env bash
# The web pages' browser libraries, at the versions web/package-lock.json pins, copied from
# the npm registry into the package (src/servanda/server/pages/static/vendor/): the pages
# work on a network with no internet, and pip installs them with the package.
#
#   bash scripts/vendor-web.sh          # npm ci, then copy the files and their licences
#   bash scripts/vendor-web.sh --check  # npm ci, then fail if a vendored file differs
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=src/servanda/server/pages/static/vendor
# package file in node_modules -> name in the vendor folder
FILES=(
    "htmx.org/dist/htmx.min.js:htmx.min.js"
    "htmx.org/LICENSE:htmx.LICENSE"
    "plotly.js-basic-dist-min/plotly-basic.min.js:plotly-basic.min.js"
    "plotly.js-basic-dist-min/LICENSE:plotly.LICENSE"
)
(cd web && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
status=0
for pair in "${FILES[@]}"; do
    source="web/node_modules/${pair%%:*}" target="$VENDOR/${pair##*:}"
    if [[ "${1:-}" == "--check" ]]; then
        cmp -s "$source" "$target" || { echo "vendor-web: $target differs from $source" >&2; status=1; }
    else
        cp "$source" "$target"
    fi
done
[[ "${1:-}" == "--check" && $status == 0 ]] && echo "vendor-web: every vendored file is the locked one"
exit $status
