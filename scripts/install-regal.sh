#!/usr/bin/env bash
# Installs the pinned Regal linter (Rego) into .tools/regal-v<version>/regal,
# as install-opa.sh does for OPA: the version comes from one place, the tools
# module scripts/regal/go.mod; go.sum pins every module by checksum, and
# -mod=readonly makes the build fail rather than change either file.
#
# Why a tools module and not `go install github.com/open-policy-agent/regal@v…`:
# `go install pkg@version` also reads the module's version list (to look for
# a deprecation notice), and the module proxy reachable here refuses that list
# (403) while it serves the pinned version itself. A build inside a module
# that requires the version needs only the version.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module_dir="$root/scripts/regal"

# A one-line `require M v` or a line of a require block.
version="$(awk '$1 == "require" && $2 == "github.com/open-policy-agent/regal" { sub(/^v/, "", $3); print $3 }
  $1 == "github.com/open-policy-agent/regal" { sub(/^v/, "", $2); print $2 }' "$module_dir/go.mod")"
if [[ -z "$version" ]]; then
  echo "install-regal: no 'require github.com/open-policy-agent/regal' line in scripts/regal/go.mod" >&2
  exit 1
fi

if [[ -n "${HATAGO_REGAL:-}" ]]; then
  if [[ -x "$HATAGO_REGAL" ]]; then
    echo "install-regal: using HATAGO_REGAL=$HATAGO_REGAL; nothing to install"
    exit 0
  fi
  echo "install-regal: HATAGO_REGAL=$HATAGO_REGAL is not an executable file" >&2
  exit 1
fi

dest_dir="$root/.tools/regal-v$version"
dest="$dest_dir/regal"

# Output is captured before it is matched (a pipe into grep -q can SIGPIPE under pipefail).
if [[ -x "$dest" ]] && [[ $'\n'"$("$dest" version 2>/dev/null || true)"$'\n' == *$'\n'"Version:       v$version"$'\n'* ]]; then
  echo "install-regal: Regal $version already at ${dest#"$root/"}"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-regal: Go is not installed (needed once to build Regal $version)." >&2
  echo "  Install Go 1.26+, or point HATAGO_REGAL at a Regal $version binary." >&2
  exit 1
fi

echo "install-regal: building Regal $version with $(go version | awk '{print $3}') (checksums from scripts/regal/go.sum)"
mkdir -p "$dest_dir"
tmp="$dest_dir/regal.partial.$$"
trap 'rm -f "$tmp"' EXIT
(
  cd "$module_dir"
  # The caller's GOFLAGS/GONOSUMDB/GOINSECURE are cleared so they cannot loosen checks.
  GOFLAGS=-mod=readonly GONOSUMDB= GOINSECURE= \
    go build -trimpath -ldflags "-s -w -X github.com/open-policy-agent/regal/pkg/version.Version=v$version" -o "$tmp" github.com/open-policy-agent/regal
)
mv "$tmp" "$dest"
built="$("$dest" version)"
echo "install-regal: ${built%%$'\n'*} at ${dest#"$root/"}"
