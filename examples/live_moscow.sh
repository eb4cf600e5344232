#!/usr/bin/env bash
# The README's live negotiation, end to end: a server, five people each in their own
# terminal (their own XDG_CONFIG_HOME), the Moscow scenario, one offer accepted by all, the
# agreement drafted, signed by office holders, ratified, exported and verified offline.
# Usage: examples/live_moscow.sh   (uses `servanda` on the PATH, or $SERVANDA)
set -euo pipefail
cd "$(dirname "$0")/.."
SERVANDA=${SERVANDA:-servanda}
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d)
PORT=${PORT:-$($PYTHON -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
URL="http://127.0.0.1:$PORT"

SERVANDA_DATA="$WORK/data" "$SERVANDA" serve --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'status=$?; kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"; exit $status' EXIT
for _ in $(seq 100); do
  $PYTHON -c "import urllib.request; urllib.request.urlopen('$URL/openapi.json')" 2>/dev/null && break
  sleep 0.2
done

as() { local who=$1; shift; XDG_CONFIG_HOME="$WORK/$who" "$SERVANDA" "$@"; }
json() { $PYTHON -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }

# Accounts (each person on their own machine; here, their own config directory)
for who in convener rubio lavrov zelensky kallas; do
  SERVANDA_PASSWORD="correct horse $who" as $who login "$URL" "$who" --register >/dev/null
done

# The convener opens the room and invites one representative per party
ROOM=$(as convener room create examples/moscow-2025.yaml --rounds 20 --json | json room)
join() { as "$1" room join "$(as convener room invite "$ROOM" --party "$2" --as "$3" ${4:+--representative-role "$4"} --json | json token)" >/dev/null; }
join rubio "United States" "Marco Rubio"
join lavrov Russia "Sergey Lavrov"
join zelensky Ukraine "Volodymyr Zelensky"
join kallas "European allies" "EU foreign policy chief" foreign_minister

# Russia relaxes the red line that blocks every agreement (see `servanda diagnose`)
as lavrov room preferences "$ROOM" > "$WORK/russia.yaml"
$PYTHON - "$WORK/russia.yaml" <<'PY'
import sys, yaml
path = sys.argv[1]
block = yaml.safe_load(open(path))
block["red_lines"] = [line for line in block["red_lines"] if line["name"] != "de jure recognition of the four oblasts"]
yaml.safe_dump(block, open(path, "w"), sort_keys=False)
PY
as lavrov room preferences "$ROOM" --set-file "$WORK/russia.yaml" >/dev/null

# The United States offer the Nash point of the relaxed scenario; everyone accepts in turn
as rubio room propose "$ROOM" form_of_agreement=binding_treaty territorial_status=de_facto \
  donbass=partial_withdrawal army_cap=800000 security_guarantees=european_coordinated \
  sanctions_relief=phased_at_us_discretion nato_expansion=binding_non_expansion \
  missile_deployments=limited russia_nato_dialogue=structured_security_architecture
as lavrov room accept "$ROOM"
as zelensky room accept "$ROOM"
as kallas room accept "$ROOM"

# Keys: each party's root key, each representative's own key (never sent to the server)
mkdir "$WORK/keys"
for name in us ru ua eu rubio lavrov zelensky eu-chief; do "$SERVANDA" keys new $name --dir "$WORK/keys" >/dev/null; done
K="$WORK/keys"
register() {  # person, root key, holder, role, holder's key
  as "$1" room sign "$ROOM" --key "$K/$2.key" --act party >/dev/null
  as "$1" room sign "$ROOM" --key "$K/$2.key" --act office --field "holder=$3" --field "role=$4" --field "key=@$K/$5.pub.jwk" >/dev/null
}
register rubio us "Marco Rubio" foreign_minister rubio
register lavrov ru "Sergey Lavrov" foreign_minister lavrov
register zelensky ua "Volodymyr Zelensky" head_of_state zelensky
register kallas eu "EU foreign policy chief" foreign_minister eu-chief

# The agreement becomes a text; the office holders sign it; the parties ratify it
as rubio room sign "$ROOM" --key "$K/rubio.key" --act draft --field "title=Moscow framework" --field requires_ratification=true
for pair in rubio:rubio lavrov:lavrov zelensky:zelensky kallas:eu-chief; do
  as "${pair%%:*}" room sign "$ROOM" --key "$K/${pair##*:}.key"
done
for pair in rubio:us lavrov:ru zelensky:ua kallas:eu; do
  as "${pair%%:*}" room sign "$ROOM" --key "$K/${pair##*:}.key" --act ratification
done
as convener room show "$ROOM"
as convener room export "$ROOM" -o "$WORK/bundle.json"
"$SERVANDA" verify "$WORK/bundle.json"
