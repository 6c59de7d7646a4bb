#!/usr/bin/env bash
# The pinned OPA CLI (policy compiler and test runner): scripts/opa/go.mod.
exec bash "$(dirname "${BASH_SOURCE[0]}")/install-go-tool.sh" opa OPA github.com/open-policy-agent/opa HATAGO_OPA
