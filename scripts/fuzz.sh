#!/usr/bin/env bash
# Fuzz the input boundary for a fixed time: the programme-folder fuzz (tests/test_fuzz_inputs.py) and the
# spreadsheet fuzz (tests/test_fuzz_sheets.py) in rounds of random examples until the budget is spent.
# docs/errors.md ("The fuzz suite") explains what each round asserts.
#
#   RACKFORGE_FUZZ_SECONDS=600 bash scripts/fuzz.sh          # the documented 10-minute run
#
# RACKFORGE_FUZZ_SECONDS: the budget [s] (default 600); a round that starts before it ends is finished,
# so the run may overshoot by one round. RACKFORGE_FUZZ_EXAMPLES: examples per test and round (default
# 60; above 50 every round draws new random examples). Exit status 1 on the first failure, with
# hypothesis's smallest failing example printed; 0 when the budget passes with none.
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${RACKFORGE_FUZZ_SECONDS:-600}"
export RACKFORGE_FUZZ_EXAMPLES="${RACKFORGE_FUZZ_EXAMPLES:-60}"
export PYTHONPATH="${PYTHONPATH:-src}"
start=$SECONDS
rounds=0
while (( SECONDS - start < budget )); do
    rounds=$((rounds + 1))
    echo "== fuzz round $rounds ($((SECONDS - start)) s of ${budget} s)"
    if ! python -m pytest tests/test_fuzz_inputs.py tests/test_fuzz_sheets.py -x -q -p no:cacheprovider; then
        echo "fuzz: FAILED in round $rounds after $((SECONDS - start)) s"
        exit 1
    fi
done
echo "fuzz: no failure in $rounds rounds of ${RACKFORGE_FUZZ_EXAMPLES} examples per fuzz test, $((SECONDS - start)) s"
