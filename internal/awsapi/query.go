package awsapi

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// ParseQuery reads a Query protocol request: the form body of a POST (or
// the URL query of a GET). It returns the action and the parameters.
func ParseQuery(r *http.Request, body []byte) (action string, params url.Values, err error) {
	params = r.URL.Query()
	if len(body) > 0 {
		form, perr := url.ParseQuery(string(body))
		if perr != nil {
			return "", nil, Errorf(http.StatusBadRequest, "MalformedQueryString", "The request body is not a valid form: %v", perr)
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	action = params.Get("Action")
	if action == "" {
		return "", nil, Errorf(http.StatusBadRequest, "MissingAction", "Missing Action")
	}
	return action, params, nil
}

// DecodeQuery fills the struct pointed to by v from Query parameters.
// Field names come from the `query` tag or the field name. Lists are
// Name.member.N (1-based), maps Name.entry.N.key / .value, nested structs
// Name.Field. Strings, bools, ints and pointers to them are supported.
func DecodeQuery(params url.Values, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("awsapi: DecodeQuery needs a pointer to a struct, got %T", v)
	}
	return decodeStruct(params, "", rv.Elem())
}

func decodeStruct(params url.Values, prefix string, v reflect.Value) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Tag.Get("query")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if err := decodeValue(params, prefix+name, v.Field(i)); err != nil {
			return err
		}
	}
	return nil
}

func decodeValue(params url.Values, key string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer:
		if !hasPrefix(params, key) {
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := decodeValue(params, key, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Struct:
		return decodeStruct(params, key+".", v)
	case reflect.Slice:
		for n := 1; ; n++ {
			item := fmt.Sprintf("%s.member.%d", key, n)
			if !hasPrefix(params, item) {
				if n == 1 && params.Has(key) && params.Get(key) == "" {
					v.Set(reflect.MakeSlice(v.Type(), 0, 0)) // an explicitly empty list
				}
				return nil
			}
			if n > 1000 {
				return Errorf(http.StatusBadRequest, "ValidationError", "Too many members in %s", key)
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := decodeValue(params, item, e); err != nil {
				return err
			}
			v.Set(reflect.Append(v, e))
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for n := 1; ; n++ {
			k := fmt.Sprintf("%s.entry.%d.key", key, n)
			if !params.Has(k) {
				break
			}
			val := reflect.New(v.Type().Elem()).Elem()
			if err := decodeValue(params, fmt.Sprintf("%s.entry.%d.value", key, n), val); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(params.Get(k)), val)
		}
		if m.Len() > 0 {
			v.Set(m)
		}
	case reflect.String:
		if params.Has(key) {
			v.SetString(params.Get(key))
		}
	case reflect.Bool:
		if params.Has(key) {
			b, err := strconv.ParseBool(params.Get(key))
			if err != nil {
				return Errorf(http.StatusBadRequest, "ValidationError", "Invalid boolean value %q for %s", params.Get(key), key)
			}
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		if params.Has(key) {
			n, err := strconv.ParseInt(params.Get(key), 10, 64)
			if err != nil {
				return Errorf(http.StatusBadRequest, "ValidationError", "Invalid integer value %q for %s", params.Get(key), key)
			}
			v.SetInt(n)
		}
	default:
		return fmt.Errorf("awsapi: unsupported field kind %s for %s", v.Kind(), key)
	}
	return nil
}

func hasPrefix(params url.Values, key string) bool {
	if params.Has(key) {
		return true
	}
	p := key + "."
	for k := range params {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// Namespaces of the Query services' XML.
var xmlNamespaces = map[string]string{
	"iam": "https://iam.amazonaws.com/doc/2010-05-08/",
	"sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}

// WriteXML writes a Query protocol response:
// <ActionResponse><ActionResult>result</ActionResult><ResponseMetadata>...
// result may be nil for actions without a result.
func WriteXML(w http.ResponseWriter, service, action, requestID string, result any) {
	type metadata struct {
		RequestID string `xml:"RequestId"`
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<%sResponse xmlns=\"%s\">", action, xmlNamespaces[service])
	if result != nil {
		out, err := xml.Marshal(result)
		if err != nil {
			writeXMLError(w, service, requestID, Internal())
			return
		}
		fmt.Fprintf(&b, "<%sResult>", action)
		// The result's own element is replaced by <ActionResult>.
		inner := string(out)
		if i := strings.IndexByte(inner, '>'); i >= 0 && !strings.HasSuffix(inner[:i], "/") {
			inner = inner[i+1 : strings.LastIndexByte(inner, '<')]
		} else {
			inner = ""
		}
		b.WriteString(inner)
		fmt.Fprintf(&b, "</%sResult>", action)
	}
	meta, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"ResponseMetadata"`
		metadata
	}{metadata: metadata{RequestID: requestID}})
	b.Write(meta)
	fmt.Fprintf(&b, "</%sResponse>", action)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(b.String()))
}

func writeXMLError(w http.ResponseWriter, service, requestID string, e *Error) {
	typ := "Sender"
	if e.Server {
		typ = "Receiver"
	}
	out, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		NS      string   `xml:"xmlns,attr,omitempty"`
		Error   struct {
			Type    string
			Code    string
			Message string
		}
		RequestID string `xml:"RequestId"`
	}{NS: xmlNamespaces[service], Error: struct {
		Type    string
		Code    string
		Message string
	}{typ, e.Code, e.Message}, RequestID: requestID})
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(e.Status)
	w.Write([]byte(xml.Header))
	w.Write(out)
}

// SortedKeys returns the keys of a map in order, for deterministic output.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
