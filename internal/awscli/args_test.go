package awscli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseArgs(t *testing.T) {
	t.Parallel()
	opts := []Option{{Name: "names", Values: Many}, {Name: "owner"}, {Name: "skeleton", Values: Maybe}, {Name: "no-paginate", Values: None}}
	tests := []struct {
		name    string
		argv    []string
		want    Args
		usage   string // a part of the usage error
		unknown []string
	}{
		{"many values", []string{"--names", "a", "b", "--owner", "o"}, Args{"names": {"a", "b"}, "owner": {"o"}}, "", nil},
		{"equals", []string{"--names=a", "--owner=x=y"}, Args{"names": {"a"}, "owner": {"x=y"}}, "", nil},
		{"last wins", []string{"--owner", "a", "--owner", "b"}, Args{"owner": {"b"}}, "", nil},
		{"negative number and spaced values", []string{"--names", "-1", "-a b", "--no-paginate"}, Args{"names": {"-1", "-a b"}, "no-paginate": nil}, "", nil},
		{"optional value", []string{"--skeleton", "--names", "a"}, Args{"skeleton": nil, "names": {"a"}}, "", nil},
		{"optional value given", []string{"--skeleton", "output"}, Args{"skeleton": {"output"}}, "", nil},
		{"missing values", []string{"--names", "--owner", "x"}, nil, "argument --names: expected at least one argument", nil},
		{"missing value", []string{"--owner"}, nil, "argument --owner: expected one argument", nil},
		{"flag with a value", []string{"--no-paginate=yes"}, nil, "ignored explicit argument", nil},
		{"unknown", []string{"--foo", "1", "--owner", "x", "-v"}, nil, "", []string{"--foo", "1", "-v"}},
		{"extra value", []string{"--owner", "a", "b"}, nil, "", []string{"b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseArgs(tc.argv, opts)
			var ue *UsageError
			var uo *UnknownOptionsError
			switch {
			case tc.usage != "":
				if !errors.As(err, &ue) || !strings.Contains(ue.Msg, tc.usage) {
					t.Fatalf("err = %v, want usage error %q", err, tc.usage)
				}
			case tc.unknown != nil:
				if !errors.As(err, &uo) {
					t.Fatalf("err = %v, want unknown options", err)
				}
				if diff := cmp.Diff(tc.unknown, uo.Args); diff != "" {
					t.Errorf("unknown (-want +got)\n%s", diff)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("(-want +got)\n%s", diff)
				}
			}
		})
	}
}

func TestLoadParam(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	crlf := write("crlf.json", "{\r\n  \"a\": 1\r\n}\r\n")
	bin := write("bin", "\xff\x00")
	t.Setenv("SIMDIR", dir)
	tests := []struct {
		value, want string
		isFile      bool
		err         string
	}{
		{"plain", "", false, ""},
		{"file://" + crlf, "{\n  \"a\": 1\n}\n", true, ""},
		{"file://$SIMDIR/crlf.json", "{\n  \"a\": 1\n}\n", true, ""},
		{"fileb://" + bin, "\xff\x00", true, ""},
		{"file://" + bin, "", true, "text contents could not be decoded"},
		{"file://" + dir + "/none", "", true, "Unable to load paramfile file://" + dir + "/none"},
	}
	for _, tc := range tests {
		got, isFile, err := LoadParam(tc.value)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.value, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want || isFile != tc.isFile {
			t.Errorf("%s: %q, %v, %v; want %q, %v", tc.value, got, isFile, err, tc.want, tc.isFile)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	entry := &Shape{Kind: Structure, Members: []Member{
		{Name: "Name", Shape: &Shape{Kind: String, Min: 5}},
		{Name: "Values", Shape: &Shape{Kind: List, Elem: &Shape{Kind: String}}},
	}}
	input := &Shape{Kind: Structure, Required: []string{"Policies", "Actions"}, Members: []Member{
		{Name: "Policies", Shape: &Shape{Kind: List, Elem: &Shape{Kind: String, Min: 1}}},
		{Name: "Actions", Shape: &Shape{Kind: List, Elem: &Shape{Kind: String, Min: 3}}},
		{Name: "Entries", Shape: &Shape{Kind: List, Elem: entry}},
		{Name: "MaxItems", Shape: &Shape{Kind: Integer, Min: 1}},
	}}
	tests := []struct {
		name, json string
		want       []string
	}{
		{"valid", `{"Policies":["{}"],"Actions":["s3:GetObject"],"Entries":[{"Name":"aws:x1","Values":["a"]}],"MaxItems":5}`, nil},
		{"missing and unknown", `{"Bogus":1}`, []string{
			`Missing required parameter in input: "Policies"`,
			`Missing required parameter in input: "Actions"`,
			`Unknown parameter in input: "Bogus", must be one of: Policies, Actions, Entries, MaxItems`}},
		{"types and lengths", `{"Policies":"{}","Actions":["s3"],"Entries":[{"Name":"a:b","Values":"v","X":1}],"MaxItems":0}`, []string{
			"Invalid type for parameter Policies, value: {}, type: <class 'str'>, valid types: <class 'list'>, <class 'tuple'>",
			"Invalid length for parameter Actions[0], value: 2, valid min length: 3",
			`Unknown parameter in Entries[0]: "X", must be one of: Name, Values`,
			"Invalid length for parameter Entries[0].Name, value: 3, valid min length: 5",
			"Invalid type for parameter Entries[0].Values, value: v, type: <class 'str'>, valid types: <class 'list'>, <class 'tuple'>",
			"Invalid value for parameter MaxItems, value: 0, valid min value: 1"}},
		{"nested list element", `{"Policies":["{}"],"Actions":["s3:GetObject"],"Entries":[{"Values":["a",["b"],null]}]}`, []string{
			"Invalid type for parameter Entries[0].Values[1], value: ['b'], type: <class 'list'>, valid types: <class 'str'>",
			"Invalid type for parameter Entries[0].Values[2], value: None, type: <class 'NoneType'>, valid types: <class 'str'>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := DecodeJSON(tc.json)
			if err != nil {
				t.Fatal(err)
			}
			err = Validate(v, input)
			var got []string
			var ve *ValidationError
			if errors.As(err, &ve) {
				got = ve.Problems
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestApplyShorthand(t *testing.T) {
	t.Parallel()
	shape := &Shape{Kind: Structure, Members: []Member{
		{Name: "Values", Shape: &Shape{Kind: List, Elem: &Shape{Kind: String}}},
		{Name: "Count", Shape: &Shape{Kind: Integer}},
		{Name: "On", Shape: &Shape{Kind: Boolean}},
	}}
	obj, err := ParseShorthand("Values=one,Count=3,On=TRUE", nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ApplyShorthand(obj, shape)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"Values": []any{"one"}, "Count": 3.0, "On": true}
	if diff := cmp.Diff(want, generic(t, v)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if err := Validate(v, shape); err != nil {
		t.Error(err)
	}
	obj, _ = ParseShorthand("Count=three", nil)
	if _, err := ApplyShorthand(obj, shape); err == nil {
		t.Error("Count=three: no error")
	}
}
