#!/usr/bin/env bash
# Re-resolve the two lock files from pyproject.toml (pip-tools, with hashes), for Python 3.11 on Linux x86_64.
#   requirements-test.txt  runtime + [test] extras + build backend: what the README's test command and CI install
#   requirements.txt       runtime + build backend, pinned to the same versions: what the demo command installs
# Run it after changing dependencies in pyproject.toml, and on the schedule in .github/workflows/update-locks.yml
# (weekly), then run the test suite and scripts/audit_deps.py before committing the result.
# --upgrade moves every pin to the newest release that pyproject.toml allows; without it, pins are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${KLEAN_LOCK_TOOLS:-/tmp/klean-lock-tools}
[ -x "$tools/bin/pip-compile" ] || { python3 -m venv "$tools" && "$tools/bin/pip" install -q "pip-tools>=7.4"; }
flags=(-q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
       --build-deps-for editable "$@")
"$tools/bin/pip-compile" "${flags[@]}" --extra test --output-file requirements-test.txt pyproject.toml
"$tools/bin/pip-compile" "${flags[@]}" --constraint requirements-test.txt --output-file requirements.txt pyproject.toml
echo "locks written: requirements.txt ($(grep -c '^[a-z]' requirements.txt) packages)," \
     "requirements-test.txt ($(grep -c '^[a-z]' requirements-test.txt) packages)"
