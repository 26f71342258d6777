package agent_test

import "github.com/sesame-sh/sesame/internal/agent"

func agentConfig(fs *fakeServer) agent.Config {
	return agent.Config{Credentials: fs.credentials()}
}
