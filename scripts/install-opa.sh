#!/usr/bin/env bash
# Installs the pinned OPA CLI (policy compiler and test runner) into
# .tools/opa-v<version>/opa. The version comes from one place, the tools
# module scripts/opa/go.mod; go.sum pins every module by checksum, and
# -mod=readonly makes the build fail rather than change either file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module_dir="$root/scripts/opa"

version="$(awk '$1 == "github.com/open-policy-agent/opa" { sub(/^v/, "", $2); print $2 }' "$module_dir/go.mod")"
if [[ -z "$version" ]]; then
  echo "install-opa: no github.com/open-policy-agent/opa requirement in scripts/opa/go.mod" >&2
  exit 1
fi

if [[ -n "${HATAGO_OPA:-}" ]]; then
  if [[ -x "$HATAGO_OPA" ]]; then
    given="$("$HATAGO_OPA" version)"
    echo "install-opa: using HATAGO_OPA=$HATAGO_OPA (${given%%$'\n'*}); nothing to install"
    exit 0
  fi
  echo "install-opa: HATAGO_OPA=$HATAGO_OPA is not an executable file" >&2
  exit 1
fi

dest_dir="$root/.tools/opa-v$version"
dest="$dest_dir/opa"

# Output is captured before it is matched: a pipe into `grep -q` or `head`
# can end with SIGPIPE, which pipefail turns into a failure.
if [[ -x "$dest" ]] && [[ $'\n'"$("$dest" version 2>/dev/null || true)"$'\n' == *$'\n'"Version: $version"$'\n'* ]]; then
  echo "install-opa: OPA $version already at ${dest#"$root/"}"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-opa: Go is not installed (needed once to build OPA $version)." >&2
  echo "  Install Go 1.26+ from https://go.dev/dl/, or point HATAGO_OPA at an OPA $version binary." >&2
  exit 1
fi

echo "install-opa: building OPA $version with $(go version | awk '{print $3}') (checksums from scripts/opa/go.sum)"
mkdir -p "$dest_dir"
tmp="$dest_dir/opa.partial.$$"
trap 'rm -f "$tmp"' EXIT
(
  cd "$module_dir"
  # GOFLAGS=-mod=readonly: go.mod/go.sum are used as committed, never rewritten.
  # The caller's GOFLAGS/GONOSUMDB/GOINSECURE are cleared so they cannot loosen checks.
  GOFLAGS=-mod=readonly GONOSUMDB= GOINSECURE= \
    go build -trimpath -ldflags "-s -w" -o "$tmp" github.com/open-policy-agent/opa
)
mv "$tmp" "$dest"
built="$("$dest" version)"
echo "${built%%$'\n'*}"
