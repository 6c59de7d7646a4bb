//go:build tools

// Package tools keeps the Regal CLI in this module's requirements so
// `go mod tidy` records its dependencies in go.sum.
package tools

import _ "github.com/open-policy-agent/regal"
