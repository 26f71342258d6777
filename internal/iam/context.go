package iam

import "strings"

// Context holds the condition keys of a request: global keys such as
// aws:username or aws:SourceIp, service keys, and a resource's tags. Key
// names are case-insensitive. The zero value is an empty context.
type Context struct {
	keys map[string]contextValue
	// tags are a resource's tags, read as aws:ResourceTag/K (and, for SSM
	// resources, ssm:resourceTag/K) without copying them into keys.
	tags    map[string]string
	ssmTags bool
}

type contextValue struct {
	one   string   // the value of a single-valued key
	vals  []string // the values of a multivalued key
	multi bool
	name  string // as first set, for display
}

// value is what a lookup finds: one string for a single-valued key, a
// list for a multivalued one. It is returned by value so that lookups
// allocate nothing.
type value struct {
	one   string
	vals  []string
	multi bool
}

// list returns the value's strings.
func (v value) list() []string {
	if v.multi {
		return v.vals
	}
	return []string{v.one}
}

// Set sets a single-valued key.
func (c *Context) Set(key, value string) {
	c.put(key, contextValue{one: value, name: key})
}

// SetMulti sets a multivalued key (ArrayOfString in the Service
// Authorization Reference, such as aws:TagKeys). An empty list is a
// present but empty key.
func (c *Context) SetMulti(key string, values []string) {
	c.put(key, contextValue{vals: append([]string(nil), values...), multi: true, name: key})
}

// Delete removes a key.
func (c *Context) Delete(key string) {
	delete(c.keys, strings.ToLower(key))
}

func (c *Context) put(key string, v contextValue) {
	if c.keys == nil {
		c.keys = make(map[string]contextValue)
	}
	c.keys[strings.ToLower(key)] = v
}

// Get returns the values of a key, whether it is multivalued, and whether
// it is present.
func (c *Context) Get(key string) (values []string, multi, ok bool) {
	v, ok := c.get(strings.ToLower(key))
	if !ok {
		return nil, false, false
	}
	return v.list(), v.multi, true
}

func (c *Context) get(lower string) (value, bool) { return c.getKey(lower, "") }

// getKey looks a key up by its lower-cased name; asWritten is the name as
// the policy spelled it, if known, which finds tags without a scan.
func (c *Context) getKey(lower, asWritten string) (value, bool) {
	if c == nil {
		return value{}, false
	}
	if v, ok := c.keys[lower]; ok {
		return value{one: v.one, vals: v.vals, multi: v.multi}, true
	}
	if c.tags != nil {
		var n int
		switch {
		case strings.HasPrefix(lower, awsTagPrefix):
			n = len(awsTagPrefix)
		case c.ssmTags && strings.HasPrefix(lower, ssmTagPrefix):
			n = len(ssmTagPrefix)
		default:
			return value{}, false
		}
		hint := ""
		if len(asWritten) == len(lower) {
			hint = asWritten[n:]
		}
		if v, ok := c.tag(lower[n:], hint); ok {
			return value{one: v}, true
		}
	}
	return value{}, false
}

// Keys returns the key names as they were set, tags included.
func (c *Context) Keys() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.keys))
	for _, v := range c.keys {
		out = append(out, v.name)
	}
	for k := range c.tags {
		out = append(out, "aws:ResourceTag/"+k)
		if c.ssmTags {
			out = append(out, "ssm:resourceTag/"+k)
		}
	}
	return out
}

// Clone returns a copy that can be changed independently.
func (c *Context) Clone() *Context {
	return c.CloneGrow(0)
}

// CloneGrow is Clone with room for n more keys, for a caller that
// prepares the keys several requests share and adds each one's own.
func (c *Context) CloneGrow(n int) *Context {
	out := &Context{}
	if c != nil {
		out.keys = make(map[string]contextValue, len(c.keys)+n)
		for k, v := range c.keys {
			out.keys[k] = v
		}
		if c.tags != nil {
			out.tags = make(map[string]string, len(c.tags))
			for k, v := range c.tags {
				out.tags[k] = v
			}
			out.ssmTags = c.ssmTags
		}
	}
	return out
}

// SetResourceTags sets the tags of a resource, read as aws:ResourceTag/K
// for every service, and as SSM's own ssm:resourceTag/K for resources SSM
// authorizes (instances and managed instances included). The map is kept,
// not copied: the caller must not change it afterwards. Tag keys are
// matched ignoring case, as AWS does; keys set with Set win.
func (c *Context) SetResourceTags(tags map[string]string, ssm bool) {
	c.tags, c.ssmTags = tags, ssm
}

const (
	awsTagPrefix = "aws:resourcetag/"
	ssmTagPrefix = "ssm:resourcetag/"
)

// tag looks a tag key up among the resource's tags: first as the policy
// spelled it (asWritten), the common case, then ignoring case. When tags
// differ only in case, the smallest key wins, so the answer is stable.
func (c *Context) tag(lowerKey, asWritten string) (string, bool) {
	if v, ok := c.tags[asWritten]; ok && strings.EqualFold(asWritten, lowerKey) {
		return v, true
	}
	if v, ok := c.tags[lowerKey]; ok {
		return v, true
	}
	var best, val string
	found := false
	for k, v := range c.tags {
		if strings.EqualFold(k, lowerKey) && (!found || k < best) {
			best, val, found = k, v, true
		}
	}
	return val, found
}

// env is what conditions and variables read: a resource's own keys first,
// then the request's.
type env struct {
	res, req *Context
	boundary bool // the principal has a permissions boundary
}

func (e *env) get(key string) (value, bool) { return e.getKey(key, "") }

func (e *env) getKey(key, asWritten string) (value, bool) {
	if e == nil {
		return value{}, false
	}
	if v, ok := e.res.getKey(key, asWritten); ok {
		return v, true
	}
	return e.req.getKey(key, asWritten)
}
