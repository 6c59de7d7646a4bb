#!/usr/bin/env bash
# Installs the Python MCP SDK (PyPI package `mcp`) for the interop tests, and
# kubernetes-validate (the Kubernetes schemas, offline) for the manifest test
# of deploy/kubernetes/, into
# the git-ignored virtual environment .tools/py-venv, from the committed lock
# file scripts/python/requirements.txt: every package pinned to one version,
# every file checked against its sha256 (`pip install --require-hashes`),
# wheels only (nothing is built on the machine).
#
# Idempotent: the venv records the sha256 of the lock file it was made from
# (.tools/py-venv/hatago-requirements.sha256); when it matches and the venv's
# Python still runs, nothing is done. A changed lock file makes a fresh venv.
#
#   bash scripts/install-python-mcp.sh          install (run by `npm test`'s pretest)
#   bash scripts/install-python-mcp.sh --lock   regenerate requirements.txt from
#                                               requirements.in (pip-tools, pinned below,
#                                               in a scratch venv .tools/py-lock)
#
# HATAGO_PYTHON picks the interpreter (default: python3); Python 3.11+ is needed (the lock file is resolved for 3.11: older ones would need packages it lacks).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lock="$root/scripts/python/requirements.txt"
venv="$root/.tools/py-venv"
stamp="$venv/hatago-requirements.sha256"
python="${HATAGO_PYTHON:-python3}"
pip_tools_version="7.6.2"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "install-python-mcp: $python not found; install Python 3.11+ (Debian: apt-get install python3 python3-venv) or set HATAGO_PYTHON" >&2
  exit 1
fi
if ! "$python" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "install-python-mcp: $python is not Python 3.11+ with the venv and ensurepip modules (Debian: apt-get install python3-venv)" >&2
  exit 1
fi

if [[ "${1:-}" == "--lock" ]]; then
  tools="$root/.tools/py-lock"
  [[ -x "$tools/bin/pip-compile" ]] || { "$python" -m venv "$tools" && "$tools/bin/pip" install --quiet "pip-tools==$pip_tools_version"; }
  cd "$root"
  CUSTOM_COMPILE_COMMAND="bash scripts/install-python-mcp.sh --lock" \
    "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links --no-emit-index-url \
    --output-file scripts/python/requirements.txt scripts/python/requirements.in
  echo "install-python-mcp: wrote scripts/python/requirements.txt"
  exit 0
fi

want="$(sha256sum "$lock" | awk '{print $1}')"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$venv/bin/python" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("mcp") is None or importlib.util.find_spec("kubernetes_validate") is None)' 2>/dev/null; then
  echo "install-python-mcp: mcp already in ${venv#"$root/"} ($("$venv/bin/python" --version))"
  exit 0
fi

echo "install-python-mcp: creating ${venv#"$root/"} with $("$python" --version) from scripts/python/requirements.txt"
mkdir -p "$root/.tools"
# Built aside and moved into place: an interrupted install leaves no half venv behind the stamp.
partial="$venv.partial.$$"
trap 'rm -rf "$partial"' EXIT
"$python" -m venv "$partial"
"$partial/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --require-hashes --only-binary=:all: -r "$lock"
echo "$want" >"$partial/hatago-requirements.sha256"
rm -rf "$venv"
mv "$partial" "$venv"
echo "install-python-mcp: $("$venv/bin/python" -c 'import importlib.metadata as m; print("mcp", m.version("mcp"), "and kubernetes-validate", m.version("kubernetes-validate"))') in ${venv#"$root/"}"
