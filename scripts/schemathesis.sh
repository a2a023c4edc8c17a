#!/usr/bin/env bash
# Holds the service to its OpenAPI description: schemathesis (from PyPI, in a throwaway
# virtualenv) runs every check over every operation of openapi.yaml against the debug binary
# (.build/debug/parloir, built by `swift build`), served on a free loopback port with a temporary
# data directory and the example campaign. Setup goes through the API: a worker records two takes
# that are rejected and appeals them, a verifier claims both appeals, so that the runs reach a
# real campaign, assignment, recording and tasks (fixed path parameters).
# Three runs, one per token: the admin's over every operation, then the worker's and the
# verifier's over the operations of their role, so those are exercised beyond 403. Any failure
# (a server error, a status or a body the description does not allow, 404 where 405 is right,
# data refused or accepted against the schema) makes the script exit non-zero. The server and
# the temporary folder go when it ends. Rate limits are off for the run: thousands of requests,
# many with no or a wrong token, from one address would spend every budget and test 429s instead
# of the operations (HardeningTests pins the 429s).
#
#   scripts/schemathesis.sh                              # 100 examples per operation and phase
#   PARLOIR_SCHEMATHESIS_EXAMPLES=200 scripts/schemathesis.sh
#   PARLOIR_SCHEMATHESIS_SEED=7 scripts/schemathesis.sh   # another draw (the default one is fixed)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/system-packages.sh

schemathesis_version=4.32.5
examples="${PARLOIR_SCHEMATHESIS_EXAMPLES:-100}"
seed="${PARLOIR_SCHEMATHESIS_SEED:-20261130}"
binary=.build/debug/parloir
spec="$PWD/openapi.yaml"
if [ ! -x "$binary" ]; then
    echo "schemathesis.sh: $binary is missing; run swift build first" >&2
    exit 1
fi
if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; else python=python3; fi

work="$(mktemp -d /tmp/parloir-schemathesis.XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "schemathesis==$schemathesis_version"

# The embedded store in the temporary folder, whatever the environment names.
unset PARLOIR_DATABASE_URL PARLOIR_BLOBS_URL
port="$(_parloir_free_port)"
base="http://127.0.0.1:$port"
"$binary" serve --data-dir "$work/data" --host 127.0.0.1 --port "$port" \
    --campaign prompts/assistant-maison/campaign.yaml --log-level error --no-rate-limits --access-log off >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do
    if curl -fsS "$base/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "schemathesis.sh: the server did not start:" >&2
        cat "$work/server.log" >&2
        exit 1
    fi
    sleep 0.2
done
admin="$(tr -d '[:space:]' <"$work/data/admin.token")"

# api METHOD PATH TOKEN [curl arguments]: the JSON answer, or the script stops on an error status.
api() {
    local method="$1" path="$2" token="$3"
    shift 3
    curl -fsS -X "$method" -H "Authorization: Bearer $token" "$@" "$base$path"
}
# field NAME: that member of the JSON object on standard input.
field() { "$python" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

campaign="$(api GET /v1/campaigns "$admin" | "$python" -c 'import json, sys; print(json.load(sys.stdin)["campaigns"][0]["id"])')"
worker="$(api POST /v1/members "$admin" -H 'Content-Type: application/json' \
    -d '{"role": "worker", "profile": {"accent": "belge", "region": "belgique", "gender": "female", "age_band": "25-34", "native_language": "fr", "consent_at": "2026-01-05T10:00:00Z"}}' | field token)"
verifier="$(api POST /v1/members "$admin" -H 'Content-Type: application/json' -d '{"role": "verifier"}' | field token)"
assignment="$(api POST "/v1/campaigns/$campaign/assignments" "$worker" | field assignment_id)"
# take FILE: a take of the worker's assignment, judged and rejected; its recording id.
take() {
    api PUT "/v1/assignments/$assignment/recording" "$worker" -H 'Content-Type: audio/wav' --data-binary "@corpora/samples/$1" | field recording_id
}
recording="$(take digital_silence.wav)"
clipped="$(take clipped_heavy.wav)"
for appealed in "$recording" "$clipped"; do
    api POST "/v1/recordings/$appealed/appeal" "$worker" -H 'Content-Type: application/json' -d '{"comment": "On m entend, pourtant."}' >/dev/null
done
# Two appeals claimed: one for the result, one to give back (release), whichever comes first.
task="$(api POST /v1/verification/claim "$verifier" | field task_id)"
released="$(api POST /v1/verification/claim "$verifier" | field task_id)"

# An Idempotency-Key names one upload: a valid key drawn again for another upload would be
# refused (422 idempotency_key_reused, as documented), so each request gets a fresh one, as the
# schemathesis documentation advises for unique fields. Bodies of audio uploads: schema-valid ones are what the schema's string stands for, a WAV
# file (the generated bytes as one second of 16 kHz PCM), as schemathesis itself sends real
# images for image types; schema-invalid ones go as they were drawn.
cat >"$work/hooks.py" <<'PY'
import json
import struct
import uuid

import schemathesis
from schemathesis.core.parameters import ParameterLocation


def _bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


@schemathesis.hook
def before_call(context, case, kwargs):
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and 1 <= len(key) <= 200:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex


@schemathesis.serializer("audio/wav", "audio/flac", "audio/ogg", "audio/mpeg")
def audio(ctx, value):
    if value is None:
        return None
    meta = ctx.case.meta
    body = meta.components.get(ParameterLocation.BODY) if meta is not None else None
    if body is not None and body.mode.is_negative:
        return _bytes(value)
    pcm = _bytes(value) or b"\x00\x01"
    pcm = (pcm * (32000 // len(pcm) + 1))[:32000]
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(pcm), b"WAVE", b"fmt ", 16, 1, 1, 16000, 32000, 2, 16,
                         b"data", len(pcm))
    return header + pcm
PY

# Nothing kept between runs (no crash cache, no example database, nothing written in the tree);
# ids that exist, used for every path parameter of that name; and the campaign spec's rules
# between fields, which JSON Schema cannot say (targets naming listed values, a count or a
# share, min <= target <= max...): a spec that passes the schema may still be refused with 400.
cat >"$work/schemathesis.toml" <<TOML
[cache]
enabled = false

[generation]
database = "none"

[parameters]
"path.campaign" = "$campaign"
"path.assignment" = "$assignment"
"path.recording" = "$recording"
"path.task" = "$task"

[auth.openapi.bearer]
bearer = "\${PARLOIR_TOKEN}"

[[operations]]
include-operation-id = "releaseTask"
parameters = { "path.task" = "$released" }

[[operations]]
include-operation-id = "createCampaign"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429", "5xx"]

# An invite's expiry must lie in the future, which a schema cannot say either.
[[operations]]
include-operation-id = "createInvite"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "429", "5xx"]

# An invite the run itself used up or revoked is gone (410), as documented.
[[operations]]
include-operation-id = "showInvite"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "410", "429", "5xx"]

# A profile must use the campaign's own values, which the invite lists and no schema can.
[[operations]]
include-operation-id = "joinInvite"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "410", "429", "5xx"]

# Erasing oneself must repeat one's own member id, which no schema can say: a schema-valid body
# naming another id is rightly refused 400 confirmation_required.
[[operations]]
include-operation-id = "eraseMe"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429", "5xx"]
TOML

status=0
# run NAME TOKEN [schemathesis arguments]: one run of every check as that member.
run() {
    local name="$1" token="$2"
    shift 2
    echo "== schemathesis $schemathesis_version as $name: $examples examples per operation, seed $seed"
    if ! (cd "$work" && PARLOIR_TOKEN="$token" SCHEMATHESIS_HOOKS="$work/hooks.py" "$work/venv/bin/schemathesis" \
        --config-file "$work/schemathesis.toml" run "$spec" --url "$base" --checks all --max-examples "$examples" --seed "$seed" \
        "$@"); then
        status=1
    fi
}
run admin "$admin"
run worker "$worker" --include-operation-id assign --include-operation-id uploadRecording \
    --include-operation-id getRecording --include-operation-id appeal --include-operation-id me --include-operation-id exportMe \
    --include-operation-id myRecordings --include-operation-id skipAssignment --include-operation-id setConsent
run verifier "$verifier" --include-operation-id claimTask --include-operation-id taskAudio --include-operation-id taskPeaks \
    --include-operation-id normalizeTranscript --include-operation-id taskResult --include-operation-id releaseTask \
    --include-operation-id me --include-operation-id exportMe

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "schemathesis.sh: the server stopped during the runs:" >&2
    cat "$work/server.log" >&2
    status=1
fi
if grep -q "request failed" "$work/server.log"; then
    echo "schemathesis.sh: the server logged failed requests:" >&2
    grep "request failed" "$work/server.log" >&2
    status=1
fi
exit "$status"
