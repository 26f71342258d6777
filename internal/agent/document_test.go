package agent

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-sh/sesame/internal/protocol"
)

func TestResolveDocument(t *testing.T) {
	t.Parallel()
	const cmdDoc = `{"schemaVersion":"1.0","sessionType":"InteractiveCommands",
	  "parameters":{
	    "command":{"type":"String","allowedPattern":"^[a-z /.|-]+$"},
	    "lines":{"type":"String","default":"10","allowedValues":["10","100"]},
	    "files":{"type":"StringList","default":["/var/log/syslog"]}},
	  "properties":{"linux":{"commands":"tail -n {{lines}} {{ files }} | {{ command }}","runAsElevated":false},
	    "windows":{"commands":"{{ command }}"},"extra":"{{ files }}"}}`
	tests := []struct {
		name      string
		typ       protocol.SessionType
		doc       string
		params    map[string][]string
		wantProps string // properties in the handshake
		wantCmd   string
		wantProf  string
		wantErr   string
	}{
		{name: "defaults", typ: protocol.SessionInteractiveCommands, doc: cmdDoc, params: map[string][]string{"command": {"grep -v x"}},
			wantCmd:   `tail -n 10 ["/var/log/syslog"] | grep -v x`,
			wantProps: `{"extra":["/var/log/syslog"],"linux":{"commands":"tail -n 10 [\"/var/log/syslog\"] | grep -v x","runAsElevated":false},"windows":{"commands":"grep -v x"}}`},
		{name: "given", typ: protocol.SessionInteractiveCommands, doc: cmdDoc,
			params:  map[string][]string{"command": {"wc -l"}, "lines": {"100"}, "files": {"/a", "/b"}},
			wantCmd: `tail -n 100 ["/a","/b"] | wc -l`},
		{name: "pattern refused", typ: protocol.SessionInteractiveCommands, doc: cmdDoc, params: map[string][]string{"command": {"rm -rf /; echo"}},
			wantErr: `parameter "command": value "rm -rf /; echo" does not match the allowed pattern ^[a-z /.|-]+$`},
		{name: "allowed values", typ: protocol.SessionInteractiveCommands, doc: cmdDoc, params: map[string][]string{"command": {"wc"}, "lines": {"5"}},
			wantErr: `parameter "lines": value "5" is not one of the allowed values`},
		{name: "two values for a String", typ: protocol.SessionInteractiveCommands, doc: cmdDoc, params: map[string][]string{"command": {"a", "b"}},
			wantErr: `parameter "command" takes one value, not 2`},
		{name: "required", typ: protocol.SessionInteractiveCommands, doc: cmdDoc, wantErr: `parameter "command" is required`},
		{name: "unknown", typ: protocol.SessionInteractiveCommands, doc: cmdDoc, params: map[string][]string{"command": {"wc"}, "x": {"1"}},
			wantErr: `parameter "x" is not a parameter of the session document`},
		{name: "wrong type", typ: protocol.SessionNonInteractiveCommands, doc: cmdDoc, params: map[string][]string{"command": {"wc"}},
			wantErr: "is a InteractiveCommands document, not NonInteractiveCommands"},
		{name: "schema version", typ: protocol.SessionStandardStream, doc: `{"schemaVersion":"2.2","sessionType":"Standard_Stream"}`,
			wantErr: "Document with schema version 2.2 is not supported"},
		{name: "shell profile", typ: protocol.SessionStandardStream,
			doc:      `{"schemaVersion":"1.0","sessionType":"Standard_Stream","parameters":{"p":{"type":"String","default":"x"}},"inputs":{"shellProfile":{"linux":"cd /tmp; echo {{ p }}","windows":""}}}`,
			wantProf: "cd /tmp; echo x"},
		{name: "no document", typ: protocol.SessionStandardStream, doc: ``},
		{name: "kms refused", typ: protocol.SessionStandardStream, doc: `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"kmsKeyId":"alias/x"}}`,
			wantErr: "KMS encryption"},
		{name: "no commands", typ: protocol.SessionNonInteractiveCommands, doc: `{"schemaVersion":"1.0","sessionType":"NonInteractiveCommands","properties":{"windows":{"commands":"dir"}}}`,
			wantErr: "has no commands for linux"},
		{name: "bad prefix", typ: protocol.SessionNonInteractiveCommands,
			doc:     `{"schemaVersion":"1.0","sessionType":"NonInteractiveCommands","properties":{"linux":{"commands":"id","separateOutputStream":true,"stdErrSeparatorPrefix":"<err>"}}}`,
			wantErr: `invalid stdErrSeparatorPrefix "<err>"`},
		{name: "value cannot change the shape", typ: protocol.SessionInteractiveCommands,
			doc:       `{"schemaVersion":"1.0","sessionType":"InteractiveCommands","parameters":{"c":{"type":"String"}},"properties":{"linux":{"commands":"echo {{c}}"}}}`,
			params:    map[string][]string{"c": {`x", "runAsElevated": true, "y": "`}},
			wantCmd:   `echo x", "runAsElevated": true, "y": "`,
			wantProps: `{"linux":{"commands":"echo x\", \"runAsElevated\": true, \"y\": \""}}`},
		{name: "port", typ: protocol.SessionPort,
			doc:       `{"schemaVersion":"1.0","sessionType":"Port","parameters":{"portNumber":{"type":"String","default":"22"}},"properties":{"portNumber":"{{ portNumber }}"}}`,
			wantProps: `{"portNumber":"22"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := resolveDocument(&protocol.SessionStart{DocumentName: "Doc", Document: json.RawMessage(tt.doc), SessionType: tt.typ, Parameters: tt.params})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantProps != "" {
				if diff := cmp.Diff(tt.wantProps, string(p.properties)); diff != "" {
					t.Errorf("properties (-want +got):\n%s", diff)
				}
			}
			if tt.wantCmd != "" && (p.commands == nil || p.commands.Commands != tt.wantCmd) {
				t.Errorf("commands %+v, want %q", p.commands, tt.wantCmd)
			}
			if p.shellProfile != tt.wantProf {
				t.Errorf("shell profile %q, want %q", p.shellProfile, tt.wantProf)
			}
			if tt.typ == protocol.SessionStandardStream && p.properties != nil {
				t.Errorf("Standard_Stream properties %s, want null", p.properties)
			}
		})
	}
}

func FuzzResolveDocument(f *testing.F) {
	f.Add(`{"schemaVersion":"1.0","sessionType":"InteractiveCommands","parameters":{"c":{"type":"String","allowedPattern":"^a"}},"properties":{"linux":{"commands":"{{c}}"}}}`, "abc")
	f.Add(`{"schemaVersion":"1.0","sessionType":"InteractiveCommands","parameters":{"c":{"type":"StringList","default":["x"]}},"properties":{"linux":{"commands":"a {{ c }}"}}}`, "{{c}}")
	f.Fuzz(func(t *testing.T, doc, value string) {
		p, err := resolveDocument(&protocol.SessionStart{Document: json.RawMessage(doc), SessionType: protocol.SessionInteractiveCommands,
			Parameters: map[string][]string{"c": {value}}})
		if err != nil {
			return
		}
		if p.commands == nil || !json.Valid(p.properties) {
			t.Fatalf("plan %+v with properties %q", p, p.properties)
		}
	})
}

func TestLinePrefix(t *testing.T) {
	t.Parallel()
	var l lineStart
	var got []byte
	for _, chunk := range []string{"one\ntw", "o\n", "", "three", "\nfour\n\n"} {
		got = append(got, l.prefix([]byte(chunk), "E:")...)
	}
	if want := "E:one\nE:two\nE:three\nE:four\nE:\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestVersionAtMost(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		v    string
		want bool
	}{{"1.2.295.0", true}, {"1.2.0.0", true}, {"1.2.295.1", false}, {"1.3.0.0", false}, {"1.2", true}, {"", false}, {"sesame", false}} {
		if got := versionAtMost(tt.v, "1.2.295.0"); got != tt.want {
			t.Errorf("versionAtMost(%q) = %v", tt.v, got)
		}
	}
}

func TestOSRelease(t *testing.T) {
	t.Parallel()
	name, version := osRelease([]byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"))
	if name != "Debian GNU/Linux" || version != "12" {
		t.Errorf("osRelease = %q %q", name, version)
	}
}
