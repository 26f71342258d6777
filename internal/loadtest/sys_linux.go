package loadtest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the server child get SIGTERM when this process
// dies, even by SIGKILL, so that a killed bench leaves no server behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
