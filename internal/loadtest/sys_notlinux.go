//go:build !linux

package loadtest

import "os/exec"

// dieWithParent does nothing where the system cannot tie a child's life
// to its parent's: a bench killed outright leaves its server running.
func dieWithParent(*exec.Cmd) {}
