package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sesame-sh/sesame/internal/awsapi"
)

// Session documents, schema 1.0 (protocol.md §5):
//
//	{"schemaVersion": "1.0", "description": "...",
//	 "sessionType": "Standard_Stream" | "Port" | "InteractiveCommands" | "NonInteractiveCommands",
//	 "inputs": {session preferences},       (any session type)
//	 "parameters": {"name": {"type": "String", "default": ..., ...}},
//	 "properties": {...}}                  (Port and *Commands only)
//
// parseSessionDocument checks a document strictly: unknown members,
// wrong types, preferences out of range and parameters that properties or
// inputs use without declaring them are InvalidDocumentContent, each with
// a message that says what to change.

// sessionDoc is a parsed session document.
type sessionDoc struct {
	SchemaVersion string
	Description   string
	SessionType   string
	Inputs        sessionInputs
	Parameters    []docParam // in document order
}

// sessionInputs are the session preferences a document may hold.
type sessionInputs struct {
	IdleSessionTimeout int // minutes, 0: the default (20)
	MaxSessionDuration int // minutes, 0: none
}

// docParam is one declared parameter.
type docParam struct {
	Name           string
	Type           string
	Description    string
	Default        json.RawMessage // nil: none, so the parameter is required
	AllowedValues  []string
	AllowedPattern *regexp.Regexp
	patternText    string
}

// DefaultString is the default as DocumentDescription shows it: the
// string itself, or the JSON of other values.
func (p *docParam) DefaultString() string {
	var s string
	if json.Unmarshal(p.Default, &s) == nil {
		return s
	}
	return string(p.Default)
}

var sessionTypes = []string{"Standard_Stream", "Port", "InteractiveCommands", "NonInteractiveCommands"}

func invalidContent(format string, args ...any) error {
	return awsapi.Errorf(http.StatusBadRequest, "InvalidDocumentContent", format, args...)
}

// maxDocumentSize is the largest document content accepted, AWS's limit.
const maxDocumentSize = 64 << 10

// parseSessionDocument parses and checks a session document.
func parseSessionDocument(content string) (*sessionDoc, error) {
	if len(content) > maxDocumentSize {
		return nil, awsapi.Errorf(http.StatusBadRequest, "MaxDocumentSizeExceeded", "The document content is %d bytes; the limit is %d bytes (64 KB).", len(content), maxDocumentSize)
	}
	top, err := docObject([]byte(content), "the document")
	if err != nil {
		return nil, err
	}
	var d sessionDoc
	for k := range top {
		switch k {
		case "schemaVersion", "description", "sessionType", "inputs", "parameters", "properties":
		default:
			return nil, invalidContent("Unknown member %q at the top level of the document. A session document has schemaVersion, description, sessionType, inputs, parameters and properties.", k)
		}
	}
	if err := docString(top, "schemaVersion", &d.SchemaVersion, true, ""); err != nil {
		return nil, err
	}
	if d.SchemaVersion != "1.0" {
		return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidDocumentSchemaVersion", "Session documents use schemaVersion \"1.0\", not %q.", d.SchemaVersion)
	}
	if err := docString(top, "description", &d.Description, false, ""); err != nil {
		return nil, err
	}
	if err := docString(top, "sessionType", &d.SessionType, true, ""); err != nil {
		return nil, err
	}
	if !slices.Contains(sessionTypes, d.SessionType) {
		return nil, invalidContent("sessionType %q is not valid. Use one of %s.", d.SessionType, strings.Join(sessionTypes, ", "))
	}
	if d.Parameters, err = parseParameters(top["parameters"]); err != nil {
		return nil, err
	}
	var refs []string
	if raw, ok := top["inputs"]; ok {
		if refs, err = d.Inputs.parse(raw); err != nil {
			return nil, err
		}
	}
	props, err := checkProperties(d.SessionType, top["properties"])
	if err != nil {
		return nil, err
	}
	refs = append(refs, props...)
	for _, r := range refs {
		if !slices.ContainsFunc(d.Parameters, func(p docParam) bool { return p.Name == r }) {
			return nil, invalidContent("The document uses the parameter {{ %s }} but does not declare it. Add %q to parameters.", r, r)
		}
	}
	return &d, nil
}

// docObject decodes one JSON object, keeping its members raw.
func docObject(b []byte, what string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil || m == nil {
		if err == nil {
			err = fmt.Errorf("null")
		}
		return nil, invalidContent("%s is not a JSON object: %s.", docCapitalize(what), strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return nil, invalidContent("%s holds more than one JSON value.", docCapitalize(what))
	}
	return m, nil
}

func docCapitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// docString reads the string member key of m.
func docString(m map[string]json.RawMessage, key string, dst *string, required bool, where string) error {
	raw, ok := m[key]
	if !ok {
		if required {
			return invalidContent("The member %s%s is required.", where, key)
		}
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalidContent("The member %s%s must be a string.", where, key)
	}
	return nil
}

// parameterRef matches {{ name }} docReferences; {{ ssm:... }} names SSM
// parameters, which are not the document's own.
var parameterRef = regexp.MustCompile(`\{\{\s*([^{}\s]+)\s*\}\}`)

// docReferences returns the document parameters s refers to.
func docReferences(s string) []string {
	var out []string
	for _, m := range parameterRef.FindAllStringSubmatch(s, -1) {
		if !strings.HasPrefix(m[1], "ssm:") {
			out = append(out, m[1])
		}
	}
	return out
}

var parameterName = regexp.MustCompile(`^[a-zA-Z0-9_]{1,50}$`)

var parameterTypes = []string{"String", "StringList", "Boolean", "Integer", "MapList", "StringMap"}

// parseParameters checks the parameters member, keeping the order.
func parseParameters(raw json.RawMessage) ([]docParam, error) {
	if raw == nil {
		return nil, nil
	}
	names, err := docObjectKeys(raw)
	if err != nil {
		return nil, invalidContent("The member parameters must be an object of parameter definitions.")
	}
	m, err := docObject(raw, "parameters")
	if err != nil {
		return nil, err
	}
	var out []docParam
	for _, name := range names {
		if !parameterName.MatchString(name) {
			return nil, invalidContent("Parameter name %q is not valid: use 1 to 50 letters, digits and underscores.", name)
		}
		p, err := parseParameter(name, m[name])
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}

func parseParameter(name string, raw json.RawMessage) (*docParam, error) {
	def, err := docObject(raw, "parameter "+name)
	if err != nil {
		return nil, err
	}
	where := "parameters." + name + "."
	for k := range def {
		switch k {
		case "type", "description", "default", "allowedValues", "allowedPattern", "displayType", "minItems", "maxItems", "minChars", "maxChars":
		default:
			return nil, invalidContent("Unknown member %q in parameter %s. A parameter has type, description, default, allowedValues, allowedPattern, displayType, minItems, maxItems, minChars and maxChars.", k, name)
		}
	}
	p := &docParam{Name: name}
	if err := docString(def, "type", &p.Type, true, where); err != nil {
		return nil, err
	}
	if !slices.Contains(parameterTypes, p.Type) {
		return nil, invalidContent("Parameter %s has type %q; use one of %s.", name, p.Type, strings.Join(parameterTypes, ", "))
	}
	if err := docString(def, "description", &p.Description, false, where); err != nil {
		return nil, err
	}
	if err := docString(def, "allowedPattern", &p.patternText, false, where); err != nil {
		return nil, err
	}
	if p.patternText != "" {
		if p.AllowedPattern, err = regexp.Compile(p.patternText); err != nil {
			return nil, invalidContent("The allowedPattern of parameter %s is not a regular expression sesame can use: %v.", name, err)
		}
	}
	if raw, ok := def["allowedValues"]; ok {
		if err := json.Unmarshal(raw, &p.AllowedValues); err != nil {
			return nil, invalidContent("The allowedValues of parameter %s must be a list of strings.", name)
		}
	}
	for _, k := range []string{"minItems", "maxItems", "minChars", "maxChars"} {
		if raw, ok := def[k]; ok {
			var n uint32
			if err := json.Unmarshal(raw, &n); err != nil {
				return nil, invalidContent("The %s of parameter %s must be a non-negative integer.", k, name)
			}
		}
	}
	if raw, ok := def["default"]; ok {
		p.Default = raw
		if err := p.checkDefault(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkDefault checks that the default has the parameter's type and, for
// strings, passes allowedValues and allowedPattern.
func (p *docParam) checkDefault() error {
	var err error
	switch p.Type {
	case "String":
		var s string
		if err = json.Unmarshal(p.Default, &s); err == nil {
			return p.checkValue(s, "The default of parameter "+p.Name)
		}
	case "StringList":
		var l []string
		err = json.Unmarshal(p.Default, &l)
	case "Boolean":
		var b bool
		err = json.Unmarshal(p.Default, &b)
	case "Integer":
		var n int64
		err = json.Unmarshal(p.Default, &n)
	case "MapList":
		var l []map[string]any
		err = json.Unmarshal(p.Default, &l)
	case "StringMap":
		var m map[string]any
		err = json.Unmarshal(p.Default, &m)
	}
	if err != nil {
		return invalidContent("The default of parameter %s is not a %s.", p.Name, p.Type)
	}
	return nil
}

// checkValue checks one string value against allowedValues and
// allowedPattern; what names the value in the message.
func (p *docParam) checkValue(v, what string) error {
	if len(p.AllowedValues) > 0 && !slices.Contains(p.AllowedValues, v) {
		return invalidContent("%s, %q, is not one of its allowedValues %s.", what, v, strings.Join(p.AllowedValues, ", "))
	}
	if p.AllowedPattern != nil && !p.AllowedPattern.MatchString(v) {
		return invalidContent("%s, %q, does not match its allowedPattern %s.", what, v, p.patternText)
	}
	return nil
}

// docObjectKeys returns the member names of a JSON object in order.
func docObjectKeys(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// The session preferences (inputs) and their kinds.
var inputKinds = map[string]string{
	"s3BucketName": "string", "s3KeyPrefix": "string", "cloudWatchLogGroupName": "string",
	"kmsKeyId": "string", "runAsDefaultUser": "string",
	"s3EncryptionEnabled": "bool", "cloudWatchEncryptionEnabled": "bool", "cloudWatchStreamingEnabled": "bool",
	"runAsEnabled": "bool", "idleSessionTimeout": "minutes", "maxSessionDuration": "minutes",
	"shellProfile": "profile",
}

// parse checks the inputs member and returns the parameters it uses.
func (in *sessionInputs) parse(raw json.RawMessage) ([]string, error) {
	m, err := docObject(raw, "inputs")
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var refs []string
	for _, k := range keys {
		v := m[k]
		kind, ok := inputKinds[k]
		if !ok {
			known := make([]string, 0, len(inputKinds))
			for name := range inputKinds {
				known = append(known, name)
			}
			sort.Strings(known)
			return nil, invalidContent("Unknown session preference inputs.%s. The preferences are %s.", k, strings.Join(known, ", "))
		}
		var s string
		isString := json.Unmarshal(v, &s) == nil
		if isString {
			refs = append(refs, docReferences(s)...)
		}
		switch kind {
		case "string":
			if !isString {
				return nil, invalidContent("inputs.%s must be a string.", k)
			}
		case "bool":
			var b bool
			if json.Unmarshal(v, &b) != nil && !(isString && (s == "true" || s == "false" || len(docReferences(s)) > 0)) {
				return nil, invalidContent("inputs.%s must be true or false.", k)
			}
		case "minutes":
			n, err := minutesInput(k, v)
			if err != nil {
				return nil, err
			}
			if k == "idleSessionTimeout" {
				in.IdleSessionTimeout = n
			} else {
				in.MaxSessionDuration = n
			}
		case "profile":
			r, err := checkShellProfile(v)
			if err != nil {
				return nil, err
			}
			refs = append(refs, r...)
		}
	}
	return refs, nil
}

// minutesInput reads idleSessionTimeout (1-60) or maxSessionDuration
// (1-1440): a string of digits (or a number); "" means unset.
func minutesInput(key string, v json.RawMessage) (int, error) {
	limit := 60
	if key == "maxSessionDuration" {
		limit = 1440
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		var n json.Number
		if json.Unmarshal(v, &n) != nil {
			return 0, invalidContent("inputs.%s must be a number of minutes, from 1 to %d, as a string.", key, limit)
		}
		s = n.String()
	}
	if s == "" || len(docReferences(s)) > 0 {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > limit {
		return 0, invalidContent("inputs.%s is %q; it must be a whole number of minutes from 1 to %d.", key, s, limit)
	}
	return n, nil
}

func checkShellProfile(v json.RawMessage) ([]string, error) {
	m, err := docObject(v, "inputs.shellProfile")
	if err != nil {
		return nil, err
	}
	var refs []string
	for k, raw := range m {
		if k != "linux" && k != "windows" {
			return nil, invalidContent("Unknown member inputs.shellProfile.%s: a shell profile has linux and windows.", k)
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, invalidContent("inputs.shellProfile.%s must be a string of shell commands.", k)
		}
		refs = append(refs, docReferences(s)...)
	}
	return refs, nil
}

// checkProperties checks the properties of a session type and returns
// the parameters they use.
func checkProperties(sessionType string, raw json.RawMessage) ([]string, error) {
	switch sessionType {
	case "Standard_Stream":
		if raw != nil && !docEmptyObject(raw) {
			return nil, invalidContent("A Standard_Stream document has no properties; put shell settings in inputs.shellProfile.")
		}
		return nil, nil
	case "Port":
		if raw == nil {
			return nil, invalidContent("A Port document needs properties with at least portNumber.")
		}
		return checkDocStrings(raw, "properties", []string{"portNumber", "type", "host", "localPortNumber", "localUnixSocket", "localConnectionType"}, "portNumber")
	}
	// InteractiveCommands, NonInteractiveCommands.
	if raw == nil {
		return nil, invalidContent("A %s document needs properties with commands for linux, windows or macos.", sessionType)
	}
	m, err := docObject(raw, "properties")
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, invalidContent("The properties of a %s document need commands for linux, windows or macos.", sessionType)
	}
	var refs []string
	for k, v := range m {
		if k != "linux" && k != "windows" && k != "macos" {
			return nil, invalidContent("Unknown member properties.%s: use linux, windows or macos.", k)
		}
		r, err := checkShellConfig(v, "properties."+k)
		if err != nil {
			return nil, err
		}
		refs = append(refs, r...)
	}
	return refs, nil
}

func docEmptyObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil && len(m) == 0
}

// checkDocStrings checks an object whose members are strings from
// allowed, with the required one present.
func checkDocStrings(raw json.RawMessage, where string, allowed []string, required string) ([]string, error) {
	m, err := docObject(raw, where)
	if err != nil {
		return nil, err
	}
	var refs []string
	for k, v := range m {
		if !slices.Contains(allowed, k) {
			return nil, invalidContent("Unknown member %s.%s. The members are %s.", where, k, strings.Join(allowed, ", "))
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return nil, invalidContent("%s.%s must be a string.", where, k)
		}
		refs = append(refs, docReferences(s)...)
	}
	if _, ok := m[required]; !ok {
		return nil, invalidContent("%s.%s is required.", where, required)
	}
	return refs, nil
}

// checkShellConfig checks the commands of one platform.
func checkShellConfig(raw json.RawMessage, where string) ([]string, error) {
	m, err := docObject(raw, where)
	if err != nil {
		return nil, err
	}
	var refs []string
	for k, v := range m {
		switch k {
		case "commands", "stdOutSeparatorPrefix", "stdErrSeparatorPrefix":
			var s string
			if json.Unmarshal(v, &s) != nil {
				var l []string
				if k != "commands" || json.Unmarshal(v, &l) != nil {
					return nil, invalidContent("%s.%s must be a string.", where, k)
				}
				s = strings.Join(l, "\n")
			}
			refs = append(refs, docReferences(s)...)
		case "runAsElevated", "separateOutputStream":
			var b bool
			if json.Unmarshal(v, &b) != nil {
				return nil, invalidContent("%s.%s must be true or false.", where, k)
			}
		default:
			return nil, invalidContent("Unknown member %s.%s. The members are commands, runAsElevated, separateOutputStream, stdOutSeparatorPrefix and stdErrSeparatorPrefix.", where, k)
		}
	}
	if _, ok := m["commands"]; !ok {
		return nil, invalidContent("%s.commands is required.", where)
	}
	return refs, nil
}

// checkSessionParameters checks StartSession's Parameters against the
// document's: every one declared, String parameters given one value,
// values allowed, and parameters without a default given.
func checkSessionParameters(docName string, d *sessionDoc, params map[string][]string) error {
	bad := func(format string, args ...any) error {
		return awsapi.Errorf(http.StatusBadRequest, "InvalidParameters", format, args...)
	}
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		i := -1
		for j := range d.Parameters {
			if d.Parameters[j].Name == name {
				i = j
			}
		}
		if i < 0 {
			return bad("Parameter %q is not defined in document %s.", name, docName)
		}
		p := &d.Parameters[i]
		values := params[name]
		if p.Type != "StringList" && len(values) != 1 {
			return bad("Parameter %q of document %s takes one value, not %d.", name, docName, len(values))
		}
		for _, v := range values {
			if err := p.checkValue(v, fmt.Sprintf("The value of parameter %q", name)); err != nil {
				return bad("%s", awsapi.As(err).Message)
			}
		}
	}
	for _, p := range d.Parameters {
		if _, ok := params[p.Name]; !ok && p.Default == nil {
			return bad("Parameter %q is required by document %s.", p.Name, docName)
		}
	}
	return nil
}
