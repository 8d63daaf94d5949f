//go:build tools

package compat

// The CLIs are package main, so they cannot be imported by a test; this file
// (never compiled: the "tools" tag is never set) keeps them and their
// dependencies in go.mod and go.sum so TestMain can `go build` them.
import (
	_ "github.com/codenotary/immudb/cmd/immuadmin"
	_ "github.com/codenotary/immudb/cmd/immuclient"
)
