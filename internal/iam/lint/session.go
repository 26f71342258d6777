package lint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sesame-sh/sesame/internal/iam"
)

// The Session Manager checks, which no other linter has. They rest on how
// ssm:StartSession is authorized (internal/iam/startsession.go): once for
// the target (an EC2 instance, a managed instance or an ECS task) and once
// for the session document (SSM-SessionManagerRunShell when none is
// named), each with its own tags, every resource having to be allowed.
//
//	SSM_DOCUMENT_TAG_CONDITION    a tag condition also covers the document, which has no such tags (seed S1)
//	SSM_MISSING_SESSION_DOCUMENT  targets allowed, no document allowed (seeds S0, S2, S4)
//	SSM_SESSION_ARN_USERNAME      session/${aws:username}-* fails for roles and lets john match john-doe
//	SSM_SESSION_ARN_USERID        session/${aws:userid}-* never matches a session id
//	SSM_EC2_INSTANCES_ONLY        instance ARNs only, while hosts may be managed instances
//	SSM_DENY_ALL_SESSIONS         a Deny that blocks every session (seed S2)

const startSession = "ssm:StartSession"

// kinds is a set of the resource types Session Manager authorizes.
type kinds uint8

const (
	kDocument kinds = 1 << iota
	kInstance
	kManagedInstance
	kTask
	kSession

	kTargets = kInstance | kManagedInstance | kTask
	kAll     = kDocument | kTargets | kSession
)

// kindExamples are patterns that cover all resources of each kind.
var kindExamples = map[kinds]resourcePattern{
	kDocument:        parseResource("arn:*:ssm:*:*:document/*"),
	kInstance:        parseResource("arn:*:ec2:*:*:instance/*"),
	kManagedInstance: parseResource("arn:*:ssm:*:*:managed-instance/*"),
	kTask:            parseResource("arn:*:ecs:*:*:task/*"),
	kSession:         parseResource("arn:*:ssm:*:*:session/*"),
}

// kinds returns the kinds of resources a pattern may match.
func (p resourcePattern) kinds() kinds {
	if p.any {
		return kAll
	}
	if !p.isARN {
		return 0
	}
	var k kinds
	for _, c := range []struct {
		service, prefix string
		kind            kinds
	}{
		{"ssm", "document/", kDocument},
		{"ec2", "instance/", kInstance},
		{"ssm", "managed-instance/", kManagedInstance},
		{"ecs", "task/", kTask},
		{"ssm", "session/", kSession},
	} {
		if iam.MatchWildcard(p.service(), c.service, true) && canStartWith(p.res, c.prefix) {
			k |= c.kind
		}
	}
	return k
}

// sessionStmt is a statement seen by the Session Manager checks.
type sessionStmt struct {
	*stmt
	res   []resourcePattern
	kinds kinds // what the Resource element may match
}

func newSessionStmt(s *stmt) *sessionStmt {
	ss := &sessionStmt{stmt: s}
	for _, r := range s.Resource {
		ss.res = append(ss.res, parseResource(r.Text))
	}
	switch {
	case !s.HasResource:
		ss.kinds = kAll
	case s.NotResource:
		// Everything but the kinds a listed pattern excludes entirely.
		ss.kinds = kAll
		for k, ex := range kindExamples {
			for _, p := range ss.res {
				if coversResource(p, ex) {
					ss.kinds &^= k
				}
			}
		}
	default:
		for _, p := range ss.res {
			ss.kinds |= p.kinds()
		}
	}
	return ss
}

// first returns the first listed resource of the given kinds, for a
// finding's position, and its pattern.
func (s *sessionStmt) first(k kinds) (iam.Value, resourcePattern, bool) {
	if s.NotResource {
		return iam.Value{}, resourcePattern{}, false
	}
	for i, p := range s.res {
		if p.kinds()&k != 0 {
			return s.Resource[i], p, true
		}
	}
	return iam.Value{}, resourcePattern{}, false
}

// tagRequirements returns the condition keys of s that test a resource
// tag and fail when the resource lacks it.
func (s *sessionStmt) tagRequirements() []string {
	var keys []string
	for i := range s.Conditions {
		e := &s.Conditions[i]
		op, err := iam.ParseOperator(e.Operator)
		if err == nil && resourceTagKey(strings.ToLower(e.Key)) && requiresKey(op, e.Values) {
			keys = append(keys, e.Key)
		}
	}
	return keys
}

func (l *linter) checkSessionManager() {
	var starts []*sessionStmt // Allow statements that cover ssm:StartSession
	docAllowed := false       // one of them allows a document without a tag test
	for _, s := range l.stmts {
		if s.Effect != iam.Allow || !s.MatchesAction(startSession) {
			continue
		}
		ss := newSessionStmt(s)
		starts = append(starts, ss)
		if ss.kinds&kDocument != 0 && len(ss.tagRequirements()) == 0 {
			docAllowed = true
		}
	}
	if !docAllowed && !l.checkDocumentTagCondition(starts) {
		l.checkMissingDocument(starts)
	}
	l.checkInstancesOnly(starts)
	l.checkSessionARNs()
	l.checkDenyAllSessions()
}

// checkDocumentTagCondition: SSM_DOCUMENT_TAG_CONDITION. It reports
// whether it found one.
func (l *linter) checkDocumentTagCondition(starts []*sessionStmt) bool {
	found := false
	for _, s := range starts {
		keys := s.tagRequirements()
		if len(keys) == 0 || s.kinds&kDocument == 0 {
			continue
		}
		v, p, ok := s.first(kDocument)
		if !ok {
			continue
		}
		found = true
		docs, targets := s.splitResources()
		what := fmt.Sprintf("the session document %s", v.Text)
		if p.any {
			what = `"*", which includes the session document,`
		}
		l.add(at(Finding{Severity: Warning, Code: "SSM_DOCUMENT_TAG_CONDITION",
			Message: fmt.Sprintf("ssm:StartSession is allowed on %s only when it has the %s; StartSession authorizes the document with the document's own tags, and session documents carry no such tags, so sessions are denied on the document",
				what, tagList(keys)),
			Fix: fmt.Sprintf("split the statement: allow ssm:StartSession on the document in a statement without the Condition, %s, and keep the Condition for the targets only: \"Resource\": %s",
				jsonText(allowStatement{"Allow", startSession, docs}), jsonText(targets)),
		}, v.Pos, s.valuePath(s.resourceKey(), v)))
	}
	return found
}

// tagList names tag condition keys: "tag K", "tags K1, K2 and K3".
func tagList(keys []string) string {
	if len(keys) == 1 {
		return "tag " + keys[0]
	}
	return "tags " + strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1]
}

// splitResources returns the document and target ARNs of a statement
// that mixes them, "*" standing for all.
func (s *sessionStmt) splitResources() (docs, targets []string) {
	for i, p := range s.res {
		switch {
		case p.any:
			docs = append(docs, documentARN(p, iam.DefaultSessionDocument))
			targets = append(targets, targetARNs(p)...)
		case p.kinds()&kDocument != 0:
			docs = append(docs, s.Resource[i].Text)
		default:
			targets = append(targets, s.Resource[i].Text)
		}
	}
	return docs, targets
}

// checkMissingDocument: SSM_MISSING_SESSION_DOCUMENT.
func (l *linter) checkMissingDocument(starts []*sessionStmt) {
	for _, s := range starts {
		v, p, ok := s.first(kTargets)
		if !ok {
			continue
		}
		l.add(at(Finding{Severity: Warning, Code: "SSM_MISSING_SESSION_DOCUMENT",
			Message: fmt.Sprintf("ssm:StartSession is allowed on targets (%s) but on no session document; StartSession is authorized on the session document too (%s when none is named), so sessions are denied with \"is not authorized to perform: ssm:StartSession on resource: %s\"",
				v.Text, iam.DefaultSessionDocument, documentARN(p, iam.DefaultSessionDocument)),
			Fix: fmt.Sprintf("add a statement %s; for port forwarding or SSH also allow the AWS-owned documents, whose ARNs have an empty account field: %s, %s",
				jsonText(allowStatement{"Allow", startSession, []string{documentARN(p, iam.DefaultSessionDocument)}}),
				documentARN(p, "AWS-StartPortForwardingSession"), documentARN(p, "AWS-StartSSHSession")),
		}, v.Pos, s.valuePath(s.resourceKey(), v)))
		return
	}
}

// checkInstancesOnly: SSM_EC2_INSTANCES_ONLY.
func (l *linter) checkInstancesOnly(starts []*sessionStmt) {
	var first *sessionStmt
	for _, s := range starts {
		if s.kinds&kManagedInstance != 0 {
			return
		}
		if _, _, ok := s.first(kInstance); ok && first == nil {
			first = s
		}
	}
	if first == nil {
		return
	}
	v, p, _ := first.first(kInstance)
	l.add(at(Finding{Severity: Warning, Code: "SSM_EC2_INSTANCES_ONLY",
		Message: fmt.Sprintf("ssm:StartSession is allowed on EC2 instances only (%s); hosts registered with an activation (hybrid nodes, and sesame hosts registered without an EC2 instance id) are managed instances, %s, which no statement allows",
			v.Text, arnOf(p, "ssm", "managed-instance/mi-...")),
		Fix: fmt.Sprintf("add %q to this Resource list (its Condition then applies to managed instances too)", arnOf(p, "ssm", "managed-instance/*")),
	}, v.Pos, first.valuePath(first.resourceKey(), v)))
}

// checkSessionARNs: SSM_SESSION_ARN_USERNAME and SSM_SESSION_ARN_USERID
// on the session ARNs of TerminateSession and ResumeSession. Session ids
// are NAME-<17 hex digits>, NAME being the IAM user name or the role
// session name.
func (l *linter) checkSessionARNs() {
	if !l.vars {
		return // no variables: reported as VARIABLE_UNSUPPORTED_IN_VERSION
	}
	for _, s := range l.stmts {
		if s.Effect != iam.Allow || s.NotResource ||
			!s.MatchesAction("ssm:TerminateSession") && !s.MatchesAction("ssm:ResumeSession") {
			continue
		}
		for _, r := range s.Resource {
			p := parseResource(r.Text)
			if p.any || p.kinds()&kSession == 0 {
				continue
			}
			f, ok := sessionARNFinding(r.Text, p)
			if ok {
				l.add(at(f, r.Pos, s.valuePath(s.resourceKey(), r)))
			}
		}
	}
}

func sessionARNFinding(arn string, p resourcePattern) (Finding, bool) {
	fix := fmt.Sprintf(`allow %s with "Condition": {"StringEquals": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}}: every session is tagged with its owner's aws:userid (AIDA... for users, AROA...:NAME for role sessions)`,
		jsonText(arnOf(p, "ssm", "session/*")))
	for _, x := range iam.Variables(p.res) {
		if !x.Valid || x.Escape {
			continue
		}
		switch strings.ToLower(x.Key) {
		case "aws:username":
			return Finding{Severity: SecurityWarning, Code: "SSM_SESSION_ARN_USERNAME",
				Message: fmt.Sprintf("session ARN %s relies on ${aws:username}: role and federated sessions have no aws:username, so it matches none of their sessions, and user john matches the sessions of user john-doe (session ids are NAME-<hex>), so he may terminate or resume them", arn),
				Fix:     fix}, true
		case "aws:userid":
			return Finding{Severity: Warning, Code: "SSM_SESSION_ARN_USERID",
				Message: fmt.Sprintf("session ARN %s never matches: session ids start with the user name or the role session name (e.g. john-0123456789abcdef0), not with aws:userid (AIDA... for users, AROA...:NAME for roles)", arn),
				Fix:     fix}, true
		}
	}
	return Finding{}, false
}

// checkDenyAllSessions: SSM_DENY_ALL_SESSIONS, a Deny of
// ssm:StartSession without an effective condition on "*" or on the
// default session document. BoolIfExists ssm:SessionDocumentAccessCheck
// does not limit it (seed S2). A Deny of every action is evidently meant
// to deny everything and is not reported.
func (l *linter) checkDenyAllSessions() {
	for _, s := range l.stmts {
		if s.Effect != iam.Deny || s.NotResource || !s.HasResource || !s.MatchesAction(startSession) ||
			denyEverything(s) || !alwaysHoldsInSession(s) {
			continue
		}
		for _, r := range s.Resource {
			p := parseResource(r.Text)
			f := Finding{Severity: Warning, Code: "SSM_DENY_ALL_SESSIONS",
				Fix: fmt.Sprintf(`to block sessions to some hosts only, deny their ARNs (%s, %s) or add a tag condition such as "StringEquals": {"ssm:resourceTag/Env": "prod"}; if every session is meant to be blocked, keep the statement`,
					arnOf(p, "ec2", "instance/i-..."), arnOf(p, "ssm", "managed-instance/mi-..."))}
			switch {
			case p.any:
				f.Message = "this Deny applies to ssm:StartSession on every target and document without a condition, so it blocks every Session Manager session of everyone it applies to"
			case coversDefaultDocument(p):
				f.Message = fmt.Sprintf("this Deny matches the default session document (%s), which StartSession authorizes whenever no other document is named, so it blocks every shell session (start-session without --document-name) of everyone it applies to, administrators included", r.Text)
			default:
				continue
			}
			l.add(at(f, r.Pos, s.valuePath(s.resourceKey(), r)))
			break
		}
	}
}

func denyEverything(s *stmt) bool {
	if s.NotAction {
		return len(s.Action) == 0
	}
	for _, a := range s.Action {
		if a.Text == "*" {
			return true
		}
	}
	return false
}

// alwaysHoldsInSession reports whether a statement's conditions hold on
// every StartSession: it has none, or only ...IfExists tests of
// ssm:SessionDocumentAccessCheck, which is absent when the document is
// checked.
func alwaysHoldsInSession(s *stmt) bool {
	for _, e := range s.Conditions {
		op, err := iam.ParseOperator(e.Operator)
		if err != nil || !op.IfExists || !strings.EqualFold(e.Key, "ssm:SessionDocumentAccessCheck") {
			return false
		}
	}
	return true
}

func coversDefaultDocument(p resourcePattern) bool {
	return p.any || p.isARN && iam.MatchWildcard(p.service(), "ssm", true) &&
		iam.MatchWildcard(p.res, "document/"+iam.DefaultSessionDocument, false)
}

// arnOf builds an ARN of another resource type in the partition, region
// and account of p ("*" where p has none).
func arnOf(p resourcePattern, service, resource string) string {
	part, region, account := "aws", "*", "*"
	if p.isARN {
		if !strings.ContainsAny(p.partition(), "*?") {
			part = p.partition()
		}
		region, account = p.region(), p.account()
	}
	return "arn:" + part + ":" + service + ":" + region + ":" + account + ":" + resource
}

// documentARN is the ARN of a session document in p's partition, region
// and account; AWS-owned documents have an empty account field.
func documentARN(p resourcePattern, name string) string {
	a := arnOf(p, "ssm", "document/"+name)
	if strings.HasPrefix(name, "AWS-") {
		parts := strings.SplitN(a, ":", 6)
		parts[4] = ""
		a = strings.Join(parts, ":")
	}
	return a
}

// targetARNs are the target patterns that stand for "*" in a fix.
func targetARNs(p resourcePattern) []string {
	return []string{arnOf(p, "ec2", "instance/*"), arnOf(p, "ssm", "managed-instance/*")}
}

// allowStatement is a statement a fix proposes.
type allowStatement struct {
	Effect   string   `json:"Effect"`
	Action   string   `json:"Action"`
	Resource []string `json:"Resource"`
}

// jsonText writes v as one-line JSON, keeping < > & as they are.
func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSuffix(b.String(), "\n")
	return strings.NewReplacer(`":`, `": `, `",`, `", `).Replace(s)
}
