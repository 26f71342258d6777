// Package e2e holds sesame's end-to-end tests: they build the real
// binaries (cmd/sesame and cmd/sesame-agent, with the race detector when
// the tests have it) and drive real processes over loopback.
//
// The package has no code of its own; everything is in its tests. See
// the test files for what each test proves.
package e2e
