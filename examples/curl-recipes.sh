#!/usr/bin/env bash
# The README's curl recipes ("Try it with curl"), runnable top to bottom. CI runs this script
# against a live server and checks its output (tests/test_curl_recipes.py), and checks that
# every curl command in the README is one of this script's, so neither can rot.
#
#   DL            the service's base URL (default http://127.0.0.1:8000)
#   TOKEN, ALICE  an admin token and a customer token; when unset they are minted here, from
#                 DATALINKS_WORKSPACE_KEY and DATALINKS_WORKSPACE_SECRET when those are set,
#                 else with `./dev datalinks token` (from a checkout, on the server's database)
#
# Needs curl (7.76 or newer, for --fail-with-body) and python3. Safe to run again: the table
# and the integration then exist (409 already_exists) and the rest goes on as before.
set -euo pipefail

DL=${DL:-http://127.0.0.1:8000}
J='Content-Type: application/json'

step() { printf '\n== %s\n' "$*"; }
# One field of the JSON document on stdin ("" when absent).
field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }
# An HS256 token for CLAIMS (JSON), signed with the workspace secret as Membrane's SDK does.
mint() {
  python3 - "$1" <<'PY'
import base64, hashlib, hmac, json, os, sys, time

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

now = int(time.time())
claims = {"iss": os.environ["DATALINKS_WORKSPACE_KEY"], "iat": now, "exp": now + 3600}
claims.update(json.loads(sys.argv[1]))
signed = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims).encode())
secret = os.environ["DATALINKS_WORKSPACE_SECRET"].encode()
print(signed + "." + b64(hmac.new(secret, signed.encode(), hashlib.sha256).digest()))
PY
}

if [ -z "${TOKEN:-}" ] || [ -z "${ALICE:-}" ]; then
  if [ -n "${DATALINKS_WORKSPACE_KEY:-}" ] && [ -n "${DATALINKS_WORKSPACE_SECRET:-}" ]; then
    TOKEN=$(mint '{"isAdmin": true}')
    ALICE=$(mint '{"id": "alice"}')
  else
    TOKEN=$(./dev datalinks token --workspace default --admin)
    # A customer token (the customer is created on first use, as Membrane does):
    ALICE=$(./dev datalinks token --workspace default --customer alice)
  fi
fi

step "Once: an integration and a data-link table (admin; 409 already_exists when run again)"
curl -s -X POST $DL/integrations -H "Authorization: Bearer $TOKEN" -H "$J" -d '{"key": "pipedrive"}'
echo
curl -s -X POST $DL/data-link-tables -H "Authorization: Bearer $TOKEN" -H "$J" \
     -d '{"name": "Contacts", "key": "contacts"}'
echo

step "Alice connects to the integration; her instance of the table is named by a selector"
CONN=$(curl -sS --fail-with-body -X POST $DL/connections -H "Authorization: Bearer $ALICE" -H "$J" \
       -d '{"integrationKey": "pipedrive"}' | field id)
echo "$CONN"
SEL="dataLinkTableKey=contacts&connectionId=$CONN&autoCreate=true"

step "Upsert links: 204 (no body); no direction = both, an import and an export link"
curl -sS --fail-with-body -X POST "$DL/data-link-table-instance/links?$SEL" -w 'HTTP %{http_code}\n' \
     -H "Authorization: Bearer $ALICE" -H "$J" \
     -d '{"externalRecordId": "hs-42", "appRecordId": "user-7", "direction": "import"}'
curl -sS --fail-with-body -X POST "$DL/data-link-table-instance/links?$SEL" -w 'HTTP %{http_code}\n' \
     -H "Authorization: Bearer $ALICE" -H "$J" -d '{"externalRecordId": "hs-43", "appRecordId": "user-8"}'

step "Which app record is external record hs-42?"
curl -sS --fail-with-body "$DL/data-link-table-instance/links?$SEL&direction=import&externalRecordId=hs-42" \
     -H "Authorization: Bearer $ALICE"
echo

step "Which external record is app record user-7?"
curl -sS --fail-with-body "$DL/data-link-table-instance/links?$SEL&appRecordId=user-7" \
     -H "Authorization: Bearer $ALICE"
echo

step "All links of the instance, two a page: pass back cursor until a page has none"
CURSOR=""
while :; do
  PAGE=$(curl -sS --fail-with-body "$DL/data-link-table-instance/links?$SEL&limit=2&cursor=$CURSOR" \
         -H "Authorization: Bearer $ALICE")
  echo "$PAGE"
  CURSOR=$(echo "$PAGE" | field cursor)
  [ -n "$CURSOR" ] || break
done

step "Delete a link by its triple: 200 (also when nothing matched)"
curl -sS --fail-with-body -X DELETE "$DL/data-link-table-instance/links?$SEL" -w 'HTTP %{http_code}\n' \
     -H "Authorization: Bearer $ALICE" -H "$J" \
     -d '{"externalRecordId": "hs-42", "appRecordId": "user-7", "direction": "import"}'

step "Gone: no match is an empty page, not a 404"
curl -sS --fail-with-body "$DL/data-link-table-instance/links?$SEL&externalRecordId=hs-42" \
     -H "Authorization: Bearer $ALICE"
echo

step "An error: an unknown table is a 404 with Membrane's error body"
curl -s "$DL/data-link-tables/no-such-table/links?connectionId=$CONN" -w '\nHTTP %{http_code}\n' \
     -H "Authorization: Bearer $ALICE"

step "Admin: every connection of the workspace"
curl -sS --fail-with-body "$DL/connections" -H "Authorization: Bearer $TOKEN"
echo
