#!/usr/bin/env bash
# The pinned Regal linter (Rego): scripts/regal/go.mod. Its version string is stamped at build time.
exec bash "$(dirname "${BASH_SOURCE[0]}")/install-go-tool.sh" regal Regal github.com/open-policy-agent/regal HATAGO_REGAL 'github.com/open-policy-agent/regal/pkg/version.Version=v{v}'
