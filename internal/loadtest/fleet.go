package loadtest

import (
	"fmt"
	"strings"

	"github.com/sesame-sh/sesame/internal/protocol"
	"github.com/sesame-sh/sesame/internal/store"
)

// The fleet is synthetic but shaped like a real account: nodes tagged by
// environment and team, users whose access depends on those tags through
// the policies that the seed scenarios use, so that StartSession is
// allowed for some pairs of user and node and denied, implicitly or
// explicitly, for the others. Everything derives from the indexes, so
// the expected decision of any call is known without the engine
// (fleet.allowsStart), and tests compare the server's answers with it.

const (
	teams = 10 // Team=team-0 ... team-9, on nodes and as users' tags

	readOnlyPolicy = "SesameReadOnly" // managed: the Describe and Get actions
	boundaryPolicy = "SesameBoundary" // managed: bounds some users, denies Prod
	sessionPolicy  = "session-access" // each user's inline policy
)

// node is one seeded node.
type node struct {
	id    string // mi-<17 hex>
	env   string // Dev or Prod
	team  string
	tags  []store.Tag
	token string // its agent's credentials
	info  protocol.NodeInfo
}

func newNode(i int) node {
	n := node{id: fmt.Sprintf("mi-%017x", 0x5e5a000000+i), env: []string{"Dev", "Prod"}[i%2], team: fmt.Sprintf("team-%d", i%teams)}
	n.info = protocol.NodeInfo{AgentVersion: "3.3.1142.0", Hostname: fmt.Sprintf("node-%05d.bench.internal", i),
		PlatformType: "Linux", PlatformName: "Debian GNU/Linux", PlatformVersion: "12",
		IPAddress: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}
	n.tags = []store.Tag{
		{Key: "Env", Value: n.env},
		{Key: "Team", Value: n.team},
		{Key: "Name", Value: fmt.Sprintf("node-%05d", i)},
		{Key: "OS", Value: "Linux"},
	}
	return n
}

// user is one seeded user and what its policies grant.
type user struct {
	name      string
	id        string // AIDA...
	keyID     string // AKIA...
	secret    string
	team      string
	envs      []string // the Env values StartSession is allowed on
	abac      bool     // also requires the node's Team to be the user's
	bounded   bool     // has SesameBoundary, which denies Prod nodes
	noSession bool     // no StartSession statement at all
	noRead    bool     // SesameReadOnly not attached: reads are denied
}

// newUser returns user i. The mix: half the users work on Dev nodes and
// half on Prod, one in five on both; one in three is limited to its own
// team's nodes (ABAC on aws:PrincipalTag/Team); one in four is bounded by
// SesameBoundary; one in ten may not start sessions at all, and one in
// twenty may not even read.
func newUser(i int, secret string) user {
	u := user{
		name:   fmt.Sprintf("bench-user-%04d", i),
		id:     fmt.Sprintf("AIDA5E5A%013d", i),
		keyID:  fmt.Sprintf("AKIA5E5A%012d", i),
		secret: secret,
		team:   fmt.Sprintf("team-%d", i%teams),
		envs:   []string{[]string{"Dev", "Prod"}[i%2]},
	}
	if i%5 == 2 {
		u.envs = []string{"Dev", "Prod"}
	}
	u.abac = i%3 == 0
	u.bounded = i%4 == 1
	u.noSession = i%10 == 9
	u.noRead = i%20 == 19
	return u
}

// allowsStart is the decision the policies imply for StartSession by u
// on n (with the default session document, which every session policy
// allows).
func (u *user) allowsStart(n *node) bool {
	switch {
	case u.noSession:
		return false
	case !contains(u.envs, n.env):
		return false
	case u.abac && n.team != u.team:
		return false
	case u.bounded && n.env == "Prod":
		return false // explicit deny in the boundary
	}
	return true
}

// allowsRead is the decision for GetConnectionStatus and
// DescribeInstanceInformation.
func (u *user) allowsRead() bool { return !u.noRead }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// sessionDocument is u's inline policy: the seed scenarios' shape (S0,
// S1 fixed, S4): StartSession on instances and managed instances with a
// tag condition, a separate statement for the session document, and
// Terminate/Resume on the user's own sessions.
func (u *user) sessionDocument() string {
	var stmts []string
	if !u.noSession {
		cond := fmt.Sprintf(`"StringLike": {"ssm:resourceTag/Env": [%s]}`, quoteAll(u.envs))
		if u.abac {
			cond += `, "StringEquals": {"aws:ResourceTag/Team": "${aws:PrincipalTag/Team}"}`
		}
		stmts = append(stmts, fmt.Sprintf(`{
            "Sid": "StartSessionOnTaggedNodes",
            "Effect": "Allow",
            "Action": "ssm:StartSession",
            "Resource": [
                "arn:aws:ec2:*:*:instance/*",
                "arn:aws:ssm:*:*:managed-instance/*"
            ],
            "Condition": {%s}
        }`, cond), `{
            "Sid": "SessionDocument",
            "Effect": "Allow",
            "Action": "ssm:StartSession",
            "Resource": "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell",
            "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
        }`)
	}
	stmts = append(stmts, `{
            "Sid": "OwnSessions",
            "Effect": "Allow",
            "Action": ["ssm:TerminateSession", "ssm:ResumeSession"],
            "Resource": "arn:aws:ssm:*:*:session/${aws:username}-*"
        }`)
	return `{
    "Version": "2012-10-17",
    "Statement": [
        ` + strings.Join(stmts, ",\n        ") + `
    ]
}`
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// readOnlyDocument is SesameReadOnly, modelled on AWS's
// AmazonSSMReadOnlyAccess plus the Session Manager reads of seed S3.
const readOnlyDocument = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Describe",
            "Effect": "Allow",
            "Action": [
                "ssm:Describe*",
                "ssm:Get*",
                "ssm:List*",
                "ec2:DescribeInstances"
            ],
            "Resource": "*"
        },
        {
            "Sid": "Identity",
            "Effect": "Allow",
            "Action": "sts:GetCallerIdentity",
            "Resource": "*"
        }
    ]
}`

// boundaryDocument is SesameBoundary: everything in SSM and STS, but no
// session on a Prod node.
const boundaryDocument = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Ceiling",
            "Effect": "Allow",
            "Action": ["ssm:*", "ec2:DescribeInstances", "sts:GetCallerIdentity"],
            "Resource": "*"
        },
        {
            "Sid": "NoProdSessions",
            "Effect": "Deny",
            "Action": "ssm:StartSession",
            "Resource": [
                "arn:aws:ec2:*:*:instance/*",
                "arn:aws:ssm:*:*:managed-instance/*"
            ],
            "Condition": {"StringEquals": {"ssm:resourceTag/Env": "Prod"}}
        }
    ]
}`
