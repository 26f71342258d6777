package iam

import "strings"

// Context holds the condition keys of a request: global keys such as
// aws:username or aws:SourceIp, service keys, and a resource's tags. Key
// names are case-insensitive. The zero value is an empty context.
type Context struct {
	keys map[string]contextValue
}

type contextValue struct {
	vals  []string
	multi bool
	name  string // as first set, for display
}

// Set sets a single-valued key.
func (c *Context) Set(key, value string) {
	c.put(key, contextValue{vals: []string{value}, name: key})
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
	return c.get(strings.ToLower(key))
}

func (c *Context) get(lower string) ([]string, bool, bool) {
	if c == nil {
		return nil, false, false
	}
	v, ok := c.keys[lower]
	return v.vals, v.multi, ok
}

// Keys returns the key names as they were set.
func (c *Context) Keys() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.keys))
	for _, v := range c.keys {
		out = append(out, v.name)
	}
	return out
}

// Clone returns a copy that can be changed independently.
func (c *Context) Clone() *Context {
	out := &Context{}
	if c != nil {
		for k, v := range c.keys {
			out.put(k, v)
		}
	}
	return out
}

// SetResourceTags sets the tag keys of a resource: aws:ResourceTag/K for
// every service, and the service's own ssm:resourceTag/K for SSM resources
// (instances and managed instances included, as SSM authorizes them).
func (c *Context) SetResourceTags(tags map[string]string, ssm bool) {
	for k, v := range tags {
		c.Set("aws:ResourceTag/"+k, v)
		if ssm {
			c.Set("ssm:resourceTag/"+k, v)
		}
	}
}

// env is what conditions and variables read: a resource's own keys first,
// then the request's.
type env struct {
	res, req *Context
}

func (e *env) get(key string) ([]string, bool, bool) {
	if e == nil {
		return nil, false, false
	}
	if v, m, ok := e.res.get(key); ok {
		return v, m, true
	}
	return e.req.get(key)
}
