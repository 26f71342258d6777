package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sesame-sh/sesame/internal/audit"
)

func Example() {
	dir, _ := os.MkdirTemp("", "sesame")
	defer os.RemoveAll(dir)
	l, err := audit.New(audit.Config{
		Path:  audit.PathIn(dir),
		Clock: func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	// The server writes one record per call, after authorizing it.
	doc := "arn:aws:ssm:us-east-1:123456789012:document/SSM-SessionManagerRunShell"
	l.Write(context.Background(), &audit.Record{
		UserIdentity: audit.UserIdentity{Type: audit.IAMUser, ARN: "arn:aws:iam::123456789012:user/alice", UserName: "alice"},
		EventSource:  "ssm.amazonaws.com", EventName: "StartSession", SourceIPAddress: "192.0.2.10",
		ErrorCode:           "AccessDenied",
		RequestParameters:   map[string]any{"target": "mi-0123456789abcdef0"},
		Resources:           []audit.Resource{audit.ResourceOf(doc)},
		AdditionalEventData: &audit.EventData{Decision: audit.ImplicitDeny, DeniedResource: doc, Reason: "no statement allows the document"},
	})
	l.Close()

	for r, err := range audit.Query(context.Background(), audit.PathIn(dir), audit.Filter{User: "alice", Decision: audit.Denied}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(r.EventTime, r.EventName, r.Decision(), filepath.Base(r.AdditionalEventData.DeniedResource))
	}
	// Output: 2024-05-01 12:00:00 +0000 UTC StartSession implicitDeny SSM-SessionManagerRunShell
}
