#!/usr/bin/env bash
# Run one stage of `make test` between a header and a timed result line; .ci/run reads the result lines back from
# its log to report which stages failed and how long each took.
#
# Usage: hacking/stage.sh NAME COMMAND [ARGUMENT...]
set -uo pipefail

name="$1"
shift
echo "=== stage $name: $*"
started="$(date +%s%N)"
"$@"
status=$?
elapsed="$(( ($(date +%s%N) - started) / 100000000 ))"
duration="$((elapsed / 10)).$((elapsed % 10))s"
if ((status == 0)); then
    echo "=== stage $name: passed in $duration"
else
    echo "=== stage $name: FAILED (exit $status) in $duration"
fi
exit "$status"
