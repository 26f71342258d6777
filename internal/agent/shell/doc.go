// Package shell starts the programs of sesame-agent's sessions: a login
// shell or sh -c on a pseudo-terminal (Standard_Stream and
// InteractiveCommands sessions) or a command run directly with pipes
// (NonInteractiveCommands), as the account the session runs as.
//
// Which account: a session that names one (RunAs) runs as it, which
// needs an agent running as root; otherwise an agent running as root
// runs sessions as ssm-user, which it creates when missing (useradd -m,
// and sudo rights as AWS's agent grants them), and any other agent runs
// them as itself. Programs get a clean environment (PATH, HOME, USER,
// LOGNAME, SHELL, TERM=xterm-256color, LANG) and start in the account's
// home directory.
package shell
