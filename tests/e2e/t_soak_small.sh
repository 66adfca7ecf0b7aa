#!/usr/bin/env bash
# A small crash soak (tests/soak/soak.sh): the station SIGKILLed 5 times at
# random points on three simulated fixtures; after each kill the log passes
# integrity_check, keeps every step reported finished, the interrupted runs
# are marked aborted on the next start, and the station's guardian powers
# every board off.  Run `tests/soak/soak.sh 200`
# for the full soak.
set -euo pipefail
exec bash "$(dirname "$0")/../soak/soak.sh" "${SOAK_KILLS:-5}"
