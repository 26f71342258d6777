package storetest

import (
	"fmt"
	"testing"

	"github.com/sesame-sh/sesame/internal/store"
)

const shellDoc = `{"schemaVersion":"1.0","description":"shell","sessionType":"Standard_Stream","inputs":{"idleSessionTimeout":"20"}}`

func sessionDoc(name, owner string) store.Document {
	return store.Document{Name: name, Owner: owner, DocumentType: "Session", Format: "JSON",
		Description: "shell", Content: shellDoc, CreatedAt: t0}
}

func testDocuments(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := sessionDoc("SSM-SessionManagerRunShell", "123456789012")
	d.VersionName, d.Tags = "first", tags("Env", "Dev")
	must(t, s.CreateDocument(ctx, d))
	wantErr(t, s.CreateDocument(ctx, sessionDoc("SSM-SessionManagerRunShell", "x")), store.ErrExists)
	want := d
	want.Version, want.DefaultVersion, want.LatestVersion = "1", "1", "1"
	want.CreatedAt, want.VersionCreatedAt = micro(t0), micro(t0)
	for _, v := range []string{"", store.VersionDefault, store.VersionLatest, "1"} {
		got, err := s.GetDocument(ctx, d.Name, v)
		must(t, err)
		diff(t, "GetDocument "+v, got, want)
	}
	for _, v := range []string{"2", "0", "x", "$NEWEST"} {
		_, err := s.GetDocument(ctx, d.Name, v)
		wantErr(t, err, store.ErrNotFound)
	}
	_, err := s.GetDocument(ctx, "ssm-sessionmanagerrunshell", "") // document names keep their case
	wantErr(t, err, store.ErrNotFound)

	// Filters and paging.
	for i, name := range []string{"AWS-StartSSHSession", "AWS-StartPortForwardingSession", "Custom-Cmd"} {
		doc := sessionDoc(name, "Amazon")
		if i == 2 {
			doc.Owner, doc.DocumentType, doc.Tags = "123456789012", "Command", tags("Env", "Prod")
		}
		must(t, s.CreateDocument(ctx, doc))
	}
	tests := []struct {
		name string
		f    store.DocumentFilter
		want []string
	}{
		{"all", store.DocumentFilter{}, []string{"AWS-StartPortForwardingSession", "AWS-StartSSHSession", "Custom-Cmd", "SSM-SessionManagerRunShell"}},
		{"owner", store.DocumentFilter{Owner: "Amazon"}, []string{"AWS-StartPortForwardingSession", "AWS-StartSSHSession"}},
		{"type", store.DocumentFilter{DocumentType: "Session", Owner: "123456789012"}, []string{"SSM-SessionManagerRunShell"}},
		{"tag", store.DocumentFilter{Tags: []store.TagFilter{{Key: "Env", Values: []string{"Prod"}}}}, []string{"Custom-Cmd"}},
		{"tag key", store.DocumentFilter{Tags: []store.TagFilter{{Key: "Env"}}}, []string{"Custom-Cmd", "SSM-SessionManagerRunShell"}},
	}
	for _, tt := range tests {
		got, _ := pages(t, 1, func(o store.ListOptions) (store.Page[store.Document], error) {
			return s.ListDocuments(ctx, tt.f, o)
		})
		diff(t, "documents "+tt.name, names(got, func(d store.Document) string { return d.Name }), tt.want)
		for _, d := range got {
			if d.Content != shellDoc || d.Version != "1" {
				t.Errorf("listed %s: version %s, content %q", d.Name, d.Version, d.Content)
			}
		}
	}
	listed, _ := pages(t, 10, func(o store.ListOptions) (store.Page[store.Document], error) {
		return s.ListDocuments(ctx, store.DocumentFilter{}, o)
	})
	diff(t, "listed tags", listed[2].Tags, tags("Env", "Prod"))

	must(t, s.DeleteDocument(ctx, "Custom-Cmd"))
	wantErr(t, s.DeleteDocument(ctx, "Custom-Cmd"), store.ErrNotFound)
	_, err = s.GetDocument(ctx, "Custom-Cmd", "")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.ListTags(ctx, store.Resource{Type: store.ResourceDocument, ID: "Custom-Cmd"})
	wantErr(t, err, store.ErrNotFound)
}

func testDocumentVersions(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateDocument(ctx, sessionDoc("D", "123456789012")))
	content := func(i int) string {
		return fmt.Sprintf(`{"schemaVersion":"1.0","sessionType":"Standard_Stream","description":"v%d"}`, i)
	}

	got, err := s.UpdateDocument(ctx, "D", store.DocumentUpdate{Content: content(2), VersionName: "two"})
	must(t, err)
	if got.Version != "2" || got.LatestVersion != "2" || got.DefaultVersion != "1" || got.Content != content(2) ||
		got.VersionName != "two" || got.Format != "JSON" {
		t.Errorf("UpdateDocument: %+v", got)
	}
	_, err = s.UpdateDocument(ctx, "D", store.DocumentUpdate{Content: content(2)})
	wantErr(t, err, store.ErrExists) // same content as the latest
	_, err = s.UpdateDocument(ctx, "D", store.DocumentUpdate{Content: content(3), VersionName: "two"})
	wantErr(t, err, store.ErrExists) // version name taken
	_, err = s.UpdateDocument(ctx, "nope", store.DocumentUpdate{Content: content(3)})
	wantErr(t, err, store.ErrNotFound)
	got, err = s.UpdateDocument(ctx, "D", store.DocumentUpdate{Content: content(3), Format: "YAML"})
	must(t, err)
	if got.Version != "3" || got.Format != "YAML" {
		t.Errorf("version 3: %+v", got)
	}

	d, err := s.GetDocument(ctx, "D", "")
	must(t, err)
	if d.Version != "1" || d.Content != shellDoc {
		t.Errorf("default is not version 1: %+v", d)
	}
	d, err = s.GetDocument(ctx, "D", store.VersionLatest)
	must(t, err)
	if d.Version != "3" || d.Content != content(3) {
		t.Errorf("latest: %+v", d)
	}

	must(t, s.SetDefaultDocumentVersion(ctx, "D", "2"))
	d, err = s.GetDocument(ctx, "D", "")
	must(t, err)
	if d.Version != "2" || d.DefaultVersion != "2" || d.LatestVersion != "3" {
		t.Errorf("after SetDefault 2: %+v", d)
	}
	wantErr(t, s.SetDefaultDocumentVersion(ctx, "D", "4"), store.ErrNotFound)
	wantErr(t, s.SetDefaultDocumentVersion(ctx, "D", "two"), store.ErrNotFound)
	wantErr(t, s.SetDefaultDocumentVersion(ctx, "nope", "1"), store.ErrNotFound)

	vs, n := pages(t, 2, func(o store.ListOptions) (store.Page[store.DocumentVersion], error) {
		return s.ListDocumentVersions(ctx, "D", o)
	})
	diff(t, "versions", names(vs, func(v store.DocumentVersion) string {
		return fmt.Sprint(v.Version, v.VersionName, v.Format, v.Default)
	}), []string{"1JSONfalse", "2twoJSONtrue", "3YAMLfalse"})
	if n != 2 {
		t.Errorf("%d pages, want 2", n)
	}
	_, err = s.ListDocumentVersions(ctx, "nope", store.ListOptions{})
	wantErr(t, err, store.ErrNotFound)
}
