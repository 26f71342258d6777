package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// A session document (protocol.md §5) says what a session runs. The
// server sends it as stored with the caller's parameters; the agent
// checks the parameters against the document's declarations, fills in
// defaults, substitutes {{ name }} in the document's inputs and
// properties, and turns the result into a plan.

// plan is what a session runs, resolved from its document.
type plan struct {
	sessionType protocol.SessionType
	// properties are the substituted document properties, sent to the
	// client in the handshake: null for Standard_Stream.
	properties json.RawMessage
	// shellProfile is typed into a Standard_Stream shell at its start.
	shellProfile string
	// commands is this platform's part of the command session types.
	commands *protocol.CommandConfig
}

// document is the part of a session document the agent reads.
type document struct {
	SchemaVersion string                  `json:"schemaVersion"`
	SessionType   protocol.SessionType    `json:"sessionType"`
	Inputs        json.RawMessage         `json:"inputs"`
	Parameters    map[string]docParameter `json:"parameters"`
	Properties    json.RawMessage         `json:"properties"`
}

// docParameter is the declaration of a document parameter.
type docParameter struct {
	Type           string          `json:"type"`
	Default        json.RawMessage `json:"default"`
	AllowedPattern string          `json:"allowedPattern"`
	AllowedValues  []string        `json:"allowedValues"`
}

// inputs are the session preferences the agent honours.
type inputs struct {
	KMSKeyID     string `json:"kmsKeyId"`
	ShellProfile struct {
		Linux string `json:"linux"`
	} `json:"shellProfile"`
}

// separatorPrefix is what AWS's agent accepts as an output prefix.
var separatorPrefix = regexp.MustCompile(`^[0-9a-zA-Z\r\n_:-]{0,30}$`)

// resolveDocument checks a session's document and parameters and
// returns its plan.
func resolveDocument(ss *protocol.SessionStart) (*plan, error) {
	var doc document
	if len(bytes.TrimSpace(ss.Document)) > 0 && !bytes.Equal(bytes.TrimSpace(ss.Document), []byte("null")) {
		if err := json.Unmarshal(ss.Document, &doc); err != nil {
			return nil, fmt.Errorf("document %s is not a session document: %w", ss.DocumentName, err)
		}
		if doc.SchemaVersion != "1.0" {
			return nil, fmt.Errorf("Document with schema version %s is not supported by this version of sesame-agent, please update to latest version", doc.SchemaVersion)
		}
	}
	p := &plan{sessionType: ss.SessionType}
	if doc.SessionType != "" && doc.SessionType != ss.SessionType {
		return nil, fmt.Errorf("document %s is a %s document, not %s", ss.DocumentName, doc.SessionType, ss.SessionType)
	}
	values, err := parameterValues(doc.Parameters, ss.Parameters)
	if err != nil {
		return nil, err
	}
	var in inputs
	if len(doc.Inputs) > 0 {
		raw, err := substitute(doc.Inputs, values)
		if err != nil {
			return nil, fmt.Errorf("document inputs: %w", err)
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, fmt.Errorf("document inputs: %w", err)
		}
	}
	if in.KMSKeyID != "" {
		return nil, errors.New("the session document asks for KMS encryption (inputs.kmsKeyId), which sesame-agent does not support: clear kmsKeyId in the document")
	}
	p.shellProfile = in.ShellProfile.Linux
	if ss.SessionType == protocol.SessionStandardStream {
		return p, nil // its properties are null in the handshake
	}
	if len(doc.Properties) > 0 {
		if p.properties, err = substitute(doc.Properties, values); err != nil {
			return nil, fmt.Errorf("document properties: %w", err)
		}
	}
	if ss.SessionType == protocol.SessionPort {
		return p, nil
	}
	return p, p.resolveCommands(ss.DocumentName)
}

// resolveCommands picks this platform's commands.
func (p *plan) resolveCommands(docName string) error {
	if len(p.properties) == 0 {
		return fmt.Errorf("document %s has no properties: a %s document needs properties.linux.commands", docName, p.sessionType)
	}
	props, err := protocol.SessionTypeRequest{SessionType: p.sessionType, Properties: p.properties}.Commands()
	if err != nil {
		return err
	}
	cfg := props.Linux
	if runtime.GOOS == "darwin" && props.MacOS != nil {
		cfg = props.MacOS
	}
	if cfg == nil || strings.TrimSpace(cfg.Commands) == "" {
		return fmt.Errorf("document %s has no commands for %s (properties.linux.commands)", docName, runtime.GOOS)
	}
	for name, prefix := range map[string]string{"stdOutSeparatorPrefix": cfg.StdOutSeparatorPrefix, "stdErrSeparatorPrefix": cfg.StdErrSeparatorPrefix} {
		if !separatorPrefix.MatchString(prefix) {
			return fmt.Errorf("invalid %s %q: up to 30 letters, digits, _ : - and line breaks", name, prefix)
		}
	}
	p.commands = cfg
	return nil
}

// paramValue is a parameter's value: one string, or a list for
// StringList parameters.
type paramValue struct {
	list   []string
	one    string
	isList bool
}

// json is the value as it replaces a whole "{{ name }}" string.
func (v paramValue) json() any {
	if v.isList {
		return v.list
	}
	return v.one
}

// text is the value as it replaces {{ name }} inside a longer string:
// lists as JSON, as AWS's agent writes them.
func (v paramValue) text() string {
	if !v.isList {
		return v.one
	}
	b, _ := json.Marshal(v.list)
	return string(b)
}

// parameterValues checks the caller's parameters against the
// document's declarations and fills in the defaults.
func parameterValues(decl map[string]docParameter, given map[string][]string) (map[string]paramValue, error) {
	names := make([]string, 0, len(given))
	for name := range given {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := decl[name]; !ok {
			return nil, fmt.Errorf("parameter %q is not a parameter of the session document", name)
		}
	}
	values := make(map[string]paramValue, len(decl))
	for name, d := range decl {
		vals, ok := given[name]
		if !ok {
			var err error
			if vals, ok, err = d.defaultValues(); err != nil {
				return nil, fmt.Errorf("parameter %q: %w", name, err)
			}
		}
		if !ok {
			return nil, fmt.Errorf("parameter %q is required: the session document gives it no default", name)
		}
		v := paramValue{list: vals, isList: d.Type == "StringList"}
		if !v.isList {
			if len(vals) != 1 {
				return nil, fmt.Errorf("parameter %q takes one value, not %d", name, len(vals))
			}
			v.one = vals[0]
		}
		if err := d.check(name, vals); err != nil {
			return nil, err
		}
		values[name] = v
	}
	return values, nil
}

// defaultValues returns the declared default, if any.
func (d docParameter) defaultValues() ([]string, bool, error) {
	raw := bytes.TrimSpace(d.Default)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, false, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, true, nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list, true, nil
	}
	switch raw[0] {
	case '{', '[', '"':
		return nil, false, fmt.Errorf("default %s is neither a string nor a list of strings", raw)
	}
	return []string{string(raw)}, true, nil // a number or boolean, as its text
}

// check refuses values outside the declared allowedPattern and
// allowedValues.
func (d docParameter) check(name string, vals []string) error {
	var re *regexp.Regexp
	if d.AllowedPattern != "" {
		var err error
		if re, err = regexp.Compile(d.AllowedPattern); err != nil {
			return fmt.Errorf("parameter %q: the document's allowedPattern %q is not a regular expression sesame-agent can use: %v", name, d.AllowedPattern, err)
		}
	}
	for _, v := range vals {
		if re != nil && !re.MatchString(v) {
			return fmt.Errorf("parameter %q: value %q does not match the allowed pattern %s", name, v, d.AllowedPattern)
		}
		if len(d.AllowedValues) > 0 && !slices.Contains(d.AllowedValues, v) {
			return fmt.Errorf("parameter %q: value %q is not one of the allowed values %q", name, v, d.AllowedValues)
		}
	}
	return nil
}

// placeholder matches {{ name }}; {{ssm:...}} and other forms do not
// match and stay as they are.
var placeholder = regexp.MustCompile(`\{\{\s*([a-zA-Z0-9]+)\s*\}\}`)

// substitute replaces the placeholders of declared parameters in every
// string of the JSON value raw. A string that is exactly one
// placeholder takes the parameter's value (a list for StringList); the
// JSON is rebuilt, so a value can never change the document's shape.
func substitute(raw json.RawMessage, values map[string]paramValue) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // commands keep their < > &
	if err := enc.Encode(replaceIn(v, values)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

func replaceIn(v any, values map[string]paramValue) any {
	switch v := v.(type) {
	case string:
		if m := placeholder.FindStringSubmatchIndex(v); m != nil && m[0] == 0 && m[1] == len(v) {
			if pv, ok := values[v[m[2]:m[3]]]; ok {
				return pv.json()
			}
		}
		return placeholder.ReplaceAllStringFunc(v, func(s string) string {
			name := placeholder.FindStringSubmatch(s)[1]
			if pv, ok := values[name]; ok {
				return pv.text()
			}
			return s
		})
	case []any:
		for i := range v {
			v[i] = replaceIn(v[i], values)
		}
		return v
	case map[string]any:
		for k := range v {
			v[k] = replaceIn(v[k], values)
		}
		return v
	}
	return v
}
