package iam

import (
	"fmt"
	"strings"
)

// arnPattern matches ARNs field by field: partition, service, region and
// account each stay within their colon-separated field, and the resource
// part (everything after the fifth colon, which may hold more colons and
// slashes) is matched as one string.
type arnPattern struct {
	src    string
	any    bool // the pattern "*" alone
	isARN  bool
	fields [5]pattern
	res    pattern
}

func compileArnPattern(s string, vars bool) arnPattern {
	p := arnPattern{src: s}
	if s == "*" {
		p.any = true
		return p
	}
	parts := strings.SplitN(s, ":", 6)
	if parts[0] != "arn" {
		// Not an ARN: compared as a whole, so "foo" matches only "foo".
		p.res = compilePattern(s, true, false)
		return p
	}
	p.isARN = true
	for i := 0; i < 5; i++ {
		f := "*"
		if i < len(parts) {
			f = parts[i]
		}
		p.fields[i] = compilePattern(f, true, false)
	}
	r := "*"
	if len(parts) == 6 {
		r = parts[5]
	}
	p.res = compilePattern(r, true, vars)
	return p
}

// match reports whether arn matches. foldFields compares the partition,
// service, region and account fields ignoring case (Resource elements do;
// Arn condition operators do not). The resource part is always
// case-sensitive.
func (p *arnPattern) match(arn string, env *env, foldFields bool) bool {
	if p.any {
		return true
	}
	if !p.isARN {
		ok, _ := p.res.match(arn, false, env)
		return ok
	}
	rest := arn
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return false
		}
		if ok, _ := p.fields[i].match(rest[:j], foldFields, env); !ok {
			return false
		}
		rest = rest[j+1:]
	}
	ok, _ := p.res.match(rest, false, env)
	return ok
}

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits an ARN into its fields.
func ParseARN(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return ARN{}, fmt.Errorf("invalid ARN %q: expected arn:partition:service:region:account:resource", s)
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, nil
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}
