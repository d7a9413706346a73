// Package wsdl holds the Emersion userapi service descriptions that simgate
// serves, and (in its sub-packages) the Go bindings gowsdl generates from
// them. The bindings are committed; `make generate` rebuilds them and
// `make test` fails when they no longer match the WSDL files.
package wsdl

import "embed"

// Files holds Services.wsdl and Authentication.wsdl as written in this folder.
//
//go:embed Services.wsdl Authentication.wsdl
var Files embed.FS
