package loadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/sigv4"
)

// op is an operation the generator sends.
type op uint8

const (
	opStartSession op = iota
	opGetConnectionStatus
	opDescribeInstanceInformation
	opHealthz // GET /healthz: the baseline
	numOps
)

var opNames = [numOps]string{"StartSession", "GetConnectionStatus", "DescribeInstanceInformation", "GET /healthz"}

func (o op) String() string { return opNames[o] }

// request is one planned request: who calls what on which node, and
// whether the policies allow it.
type request struct {
	op     op
	user   int
	node   int
	filter bool // DescribeInstanceInformation: filter on tag:Env=Dev
	allow  bool // the expected decision
	agent  bool // the node has an agent: an allowed StartSession starts
}

// planner draws the requests of the API phases: an operation by the mix,
// a random user and a random node.
type planner struct {
	f      *fleet
	mix    Mix
	rnd    *rand.Rand
	agents int // the first agents nodes have one
}

func (p *planner) next() request {
	r := request{user: p.rnd.IntN(len(p.f.users)), node: p.rnd.IntN(len(p.f.nodes))}
	r.agent = r.node < p.agents
	u := &p.f.users[r.user]
	switch k := p.rnd.IntN(p.mix.total()); {
	case k < p.mix.StartSession:
		r.op, r.allow = opStartSession, u.allowsStart(&p.f.nodes[r.node])
	case k < p.mix.StartSession+p.mix.GetConnectionStatus:
		r.op, r.allow = opGetConnectionStatus, u.allowsRead()
	default:
		r.op, r.allow, r.filter = opDescribeInstanceInformation, u.allowsRead(), p.rnd.IntN(2) == 0
	}
	return r
}

// body returns the request's JSON body.
func (r *request) body(f *fleet) []byte {
	switch r.op {
	case opStartSession:
		return fmt.Appendf(nil, `{"Target":%q,"Reason":"sesame bench api"}`, f.nodes[r.node].id)
	case opGetConnectionStatus:
		return fmt.Appendf(nil, `{"Target":%q}`, f.nodes[r.node].id)
	case opDescribeInstanceInformation:
		if r.filter {
			return []byte(`{"MaxResults":10,"Filters":[{"Key":"tag:Env","Values":["Dev"]}]}`)
		}
		return []byte(`{"MaxResults":10}`)
	}
	return nil
}

// httpRequest builds r, signed with its user's key at now.
func (r *request) httpRequest(base, region string, f *fleet, now time.Time) (*http.Request, error) {
	if r.op == opHealthz {
		return http.NewRequest(http.MethodGet, base+"/healthz", nil)
	}
	body := r.body(f)
	req, err := http.NewRequest(http.MethodPost, base+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM."+r.op.String())
	req.Header.Set("User-Agent", "sesame-bench/1")
	u := &f.users[r.user]
	if err := sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: u.keyID, Secret: u.secret}, region, "ssm", now); err != nil {
		return nil, err
	}
	return req, nil
}

// Outcomes besides AWS error codes.
const (
	outcomeOK        = "OK"
	outcomeTransport = "TransportError" // the request was not answered
	accessDenied     = "AccessDeniedException"
	notConnected     = "TargetNotConnected"
)

// outcome reads resp to its end and returns OK for a 200, or the AWS
// error code of an error response.
func outcome(resp *http.Response) string {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return outcomeOK
	}
	if code, _, _ := strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":"); code != "" {
		return code
	}
	var e struct {
		Type string `json:"__type"`
	}
	if json.Unmarshal(body, &e) == nil && e.Type != "" {
		_, code, _ := strings.Cut(e.Type, "#")
		if code == "" {
			code = e.Type
		}
		return code
	}
	return fmt.Sprintf("HTTP%d", resp.StatusCode)
}
