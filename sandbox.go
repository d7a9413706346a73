// Package simgate embeds the repository files the binary ships with.
package simgate

import _ "embed"

// Sandbox is the demo inventory of testdata/sandbox.jsonl, loaded by
// `simgate serve --demo` into an empty database.
//
//go:embed testdata/sandbox.jsonl
var Sandbox []byte
