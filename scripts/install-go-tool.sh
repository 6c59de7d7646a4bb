#!/usr/bin/env bash
# Builds one pinned Go tool into .tools/<name>-v<version>/<name>: the OPA CLI
# (policy compiler and test runner) or the Regal linter. The version comes
# from one place, the tool's own module scripts/<name>/go.mod; go.sum pins
# every module by checksum, and -mod=readonly makes the build fail rather
# than change either file.
#
# Why a tools module and not `go install <module>@v…`: `go install
# pkg@version` also reads the module's version list (to look for a
# deprecation notice), and the module proxy reachable here refuses that list
# (403) while it serves the pinned version itself. A build inside a module
# that requires the version needs only the version.
#
#   install-go-tool.sh <name> <Label> <module> <override env var> [<ldflags -X value, {v} = version>]
set -euo pipefail

name="$1" label="$2" module="$3" override_var="$4" stamp="${5:-}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module_dir="$root/scripts/$name"
say() { echo "install-$name: $*"; }
fail() { echo "install-$name: $*" >&2; exit 1; }

# A one-line `require M v` or a line of a require block.
version="$(awk -v m="$module" '$1 == "require" && $2 == m { sub(/^v/, "", $3); print $3 }
  $1 == m { sub(/^v/, "", $2); print $2 }' "$module_dir/go.mod")"
[[ -n "$version" ]] || fail "no 'require $module' line in scripts/$name/go.mod"

override="${!override_var:-}"
if [[ -n "$override" ]]; then
  [[ -x "$override" ]] || fail "$override_var=$override is not an executable file"
  say "using $override_var=$override; nothing to install"
  exit 0
fi

dest_dir="$root/.tools/$name-v$version"
dest="$dest_dir/$name"

# The installed binary says its version on a line "Version: [v]<version>".
# Output is captured before it is matched: a pipe into `grep -q` can end
# with SIGPIPE, which pipefail turns into a failure.
has_version() {
  local line
  while IFS= read -r line; do
    [[ "$line" =~ ^Version:[[:space:]]+v?(.*)$ ]] && [[ "${BASH_REMATCH[1]}" == "$version" ]] && return 0
  done <<< "$("$dest" version 2>/dev/null || true)"
  return 1
}
if [[ -x "$dest" ]] && has_version; then
  say "$label $version already at ${dest#"$root/"}"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-$name: Go is not installed (needed once to build $label $version)." >&2
  fail "  Install Go 1.26+ from https://go.dev/dl/, or point $override_var at a $label $version binary."
fi

say "building $label $version with $(go version | awk '{print $3}') (checksums from scripts/$name/go.sum)"
ldflags="-s -w"
[[ -z "$stamp" ]] || ldflags="$ldflags -X ${stamp//\{v\}/$version}"
mkdir -p "$dest_dir"
tmp="$dest_dir/$name.partial.$$"
trap 'rm -f "$tmp"' EXIT
(
  cd "$module_dir"
  # GOFLAGS=-mod=readonly: go.mod/go.sum are used as committed, never rewritten.
  # The caller's GOFLAGS/GONOSUMDB/GOINSECURE are cleared so they cannot loosen checks.
  GOFLAGS=-mod=readonly GONOSUMDB= GOINSECURE= \
    go build -trimpath -ldflags "$ldflags" -o "$tmp" "$module"
)
mv "$tmp" "$dest"
built="$("$dest" version)"
say "${built%%$'\n'*} at ${dest#"$root/"}"
