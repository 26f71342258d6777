package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// serverOptions are the flags of a test's `sesame server`.
type serverOptions struct {
	TLS     bool   // serve HTTPS with the server's own CA, else --http
	Account string // --account; default 123456789012
	Region  string // --region; default us-east-1
}

// server is a `sesame server` process with its data directory, which
// outlives the process so that the test can restart it.
type server struct {
	t     testing.TB
	opts  serverOptions
	dir   string
	url   string // as the server prints it
	addr  string // host:port
	ca    string // the CA file, "" over HTTP
	admin aws.Credentials
	proc  *proc
}

func startServer(t testing.TB, opts serverOptions) *server {
	t.Helper()
	if opts.Account == "" {
		opts.Account = "123456789012"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	s := &server{t: t, opts: opts, dir: testDir(t, "server")}
	s.start("127.0.0.1:0")
	s.admin = readProfile(t, filepath.Join(s.dir, "aws", "credentials"), "sesame")
	if opts.TLS {
		s.ca = filepath.Join(s.dir, "tls", "ca.pem")
	}
	return s
}

// start runs the server on listen and waits until it accepts requests.
func (s *server) start(listen string) {
	t := s.t
	t.Helper()
	args := []string{"server", "--data-dir", s.dir, "--listen", listen, "--account", s.opts.Account, "--region", s.opts.Region, "--log-level", logLevel()}
	if !s.opts.TLS {
		args = append(args, "--http")
	}
	cmd := exec.Command(sesameBin, args...)
	cmd.Env = childEnv()
	s.proc = startProc(t, "sesame server", cmd)
	at := s.proc.out.waitFor(t, 0, "sesame: listening on ", startTimeout)
	end := s.proc.out.waitFor(t, at, "\n", startTimeout)
	s.url = s.proc.out.slice(at, end-1)
	s.addr = s.url[strings.Index(s.url, "://")+3:]
}

// stop stops the server with SIGTERM, as systemd would.
func (s *server) stop() {
	s.t.Helper()
	s.proc.stop()
	if code := s.proc.exitCode(time.Second); code != 0 {
		s.t.Errorf("sesame server exited with status %d after SIGTERM", code)
	}
}

// restart stops the server and starts it again on the same address.
func (s *server) restart() {
	s.t.Helper()
	s.stop()
	s.start(s.addr)
}

func (s *server) scheme() string {
	if s.opts.TLS {
		return "https"
	}
	return "http"
}

// config is an AWS SDK configuration for the server with creds.
func (s *server) config(creds aws.Credentials) aws.Config {
	s.t.Helper()
	hc := &http.Client{Timeout: 30 * time.Second}
	if s.ca != "" {
		pem, err := os.ReadFile(s.ca)
		if err != nil {
			s.t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	return aws.Config{
		Region:       s.opts.Region,
		BaseEndpoint: aws.String(s.url),
		HTTPClient:   hc,
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
	}
}

func (s *server) ssm() *ssm.Client { return ssm.NewFromConfig(s.config(s.admin)) }
func (s *server) iam() *iam.Client { return iam.NewFromConfig(s.config(s.admin)) }

// adminEnv is the environment of a child process that acts as the
// administrator: the profile sesame server wrote.
func (s *server) adminEnv(extra ...string) []string {
	aws := filepath.Join(s.dir, "aws")
	env := childEnv("AWS_CONFIG_FILE="+filepath.Join(aws, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(aws, "credentials"),
		"AWS_PROFILE=sesame", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=")
	if s.ca != "" {
		env = append(env, "AWS_CA_BUNDLE="+s.ca)
	}
	return append(env, extra...)
}

// userEnv is the environment of a child process that acts with creds
// alone: no profile at all.
func (s *server) userEnv(creds aws.Credentials, extra ...string) []string {
	none := filepath.Join(s.dir, "no-such-file")
	env := childEnv("AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey,
		"AWS_REGION="+s.opts.Region, "AWS_DEFAULT_REGION="+s.opts.Region, "AWS_CONFIG_FILE="+none,
		"AWS_SHARED_CREDENTIALS_FILE="+none, "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=")
	if s.ca != "" {
		env = append(env, "AWS_CA_BUNDLE="+s.ca)
	}
	return append(env, extra...)
}

// readProfile reads a profile's key from an AWS credentials file.
func readProfile(t testing.TB, path, profile string) aws.Credentials {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var creds aws.Credentials
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			in = line == "["+profile+"]"
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !in || !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			creds.AccessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			creds.SecretAccessKey = strings.TrimSpace(v)
		}
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		t.Fatalf("no key of profile %s in %s", profile, path)
	}
	return creds
}

// node is a sesame-agent process registered as a managed node.
type node struct {
	id   string
	dir  string // state directory
	proc *proc
}

var registeredAs = regexp.MustCompile(`Registered this host as (\S+) with`)

// startAgent creates an activation with tags, registers sesame-agent
// with it against endpoint (the server, or a proxy to it) as instanceID
// (or a new mi- id when empty), runs the agent and waits until the node
// is Online.
func startAgent(t testing.TB, s *server, endpoint, instanceID string, tags map[string]string) *node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	in := &ssm.CreateActivationInput{IamRole: aws.String("SSMServiceRole"), DefaultInstanceName: aws.String("e2e")}
	for k, v := range tags {
		in.Tags = append(in.Tags, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	act, err := s.ssm().CreateActivation(ctx, in)
	if err != nil {
		t.Fatalf("CreateActivation: %v", err)
	}
	cred, _ := agentAccount(t)
	base := testDir(t, "agent")
	n := &node{dir: filepath.Join(base, "state")}
	if err := os.Mkdir(n.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	chownTo(t, n.dir, cred)
	args := []string{"register", "--code", aws.ToString(act.ActivationCode), "--id", aws.ToString(act.ActivationId),
		"--endpoint", endpoint, "--state-dir", n.dir}
	if instanceID != "" {
		args = append(args, "--instance-id", instanceID)
	}
	if s.ca != "" {
		pem, err := os.ReadFile(s.ca)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, "--ca-file", writeFile(t, base, "ca.pem", pem))
	}
	reg := startProc(t, "sesame-agent register", agentCmd(cred, args...))
	if code := reg.exitCode(startTimeout); code != 0 {
		t.Fatalf("sesame-agent register: exit status %d\n%s", code, reg.err)
	}
	m := registeredAs.FindStringSubmatch(reg.out.String())
	if m == nil {
		t.Fatalf("sesame-agent register printed %q", reg.out)
	}
	n.id = m[1]
	n.proc = startProc(t, "sesame-agent run "+n.id, agentCmd(cred, "run", "--state-dir", n.dir, "--log-level", logLevel()))
	n.proc.err.waitFor(t, 0, "control channel up", startTimeout)
	waitOnline(t, s, n.id)
	return n
}

func agentCmd(cred *syscall.Credential, args ...string) *exec.Cmd {
	cmd := exec.Command(agentBin, args...)
	cmd.Env = childEnv()
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	return cmd
}

// waitOnline polls DescribeInstanceInformation until the node is Online.
func waitOnline(t testing.TB, s *server, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	api := s.ssm()
	for {
		out, err := api.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{
			Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: []string{id}}}})
		if err != nil {
			t.Fatalf("DescribeInstanceInformation: %v", err)
		}
		for _, n := range out.InstanceInformationList {
			if aws.ToString(n.InstanceId) == id && n.PingStatus == ssmtypes.PingStatusOnline {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("node %s is not Online after %v", id, startTimeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// cluster is a server, one agent on a node tagged Env=E2E, and a proxy
// in front of the server for each: the client's API calls and data
// channels go through one, the agent's control and data channels
// through the other, so that a test can cut either.
type cluster struct {
	server      *server
	clientProxy *proxy
	agentProxy  *proxy
	node        *node
}

func startCluster(t testing.TB, opts serverOptions) *cluster {
	t.Helper()
	s := startServer(t, opts)
	c := &cluster{server: s, clientProxy: newProxy(t, s.addr), agentProxy: newProxy(t, s.addr)}
	c.node = startAgent(t, s, s.scheme()+"://"+c.agentProxy.addr(), "", map[string]string{"Env": "E2E"})
	return c
}

// endpoint is the URL clients use: the client proxy.
func (c *cluster) endpoint() string { return c.server.scheme() + "://" + c.clientProxy.addr() }

// session is `sesame session start` as the administrator through the
// client proxy, with args.
func (c *cluster) session(args ...string) *exec.Cmd {
	cmd := exec.Command(sesameBin, append([]string{"session", "start", "--endpoint-url", c.endpoint()}, args...)...)
	cmd.Env = c.server.adminEnv()
	return cmd
}
