package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// server is `sesame server` in a process of its own, serving a run's
// data directory over plain HTTP on a loopback port, as it would be
// deployed: alone in its process, with its own heap, garbage collector
// and open-file limit. Its stdout and stderr go to DIR/server.log.
type server struct {
	cmd   *exec.Cmd
	url   string // http://127.0.0.1:PORT, as the server printed it
	debug string // the --debug-listen handlers' http://ADDR, if started with it
	log   string // DIR/server.log

	exited chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's, set before exited is closed
}

const (
	// startTimeout bounds how long the server may take to listen and
	// answer GET /healthz.
	startTimeout = time.Minute
	// stopTimeout is how long the server has to exit after SIGTERM
	// (its graceful shutdown gives calls in flight 10 s) before it is
	// killed.
	stopTimeout = 20 * time.Second
	// The lines the server prints on stdout once it listens.
	listeningPrefix = "sesame: listening on "
	debugPrefix     = "sesame: debug handlers on "
)

// startServer starts exe as the server on be's data directory and waits
// until it answers GET /healthz. With debug, it also serves its profiles
// on a loopback port of their own (--debug-listen).
func startServer(ctx context.Context, exe string, be *backend, debug bool, progress io.Writer) (*server, error) {
	s := &server{log: filepath.Join(be.dir, "server.log"), exited: make(chan struct{})}
	logf, err := os.OpenFile(s.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	args := []string{"server", "--data-dir", be.dir, "--listen", "127.0.0.1:0", "--http", "--account", account, "--region", region}
	shown := strings.Join(args, " ")
	if be.storeURL != "" {
		args = append(args, "--store", be.storeURL)
		shown += " --store URL" // the URL may hold a password
	}
	if debug {
		args = append(args, "--debug-listen", "127.0.0.1:0")
		shown += " --debug-listen 127.0.0.1:0"
	}
	out := &stdout{w: logf, ready: make(chan struct{})}
	s.cmd = exec.Command(exe, args...)
	dieWithParent(s.cmd)
	s.cmd.Stdout, s.cmd.Stderr = out, logf
	fmt.Fprintf(progress, "server: %s %s (output in %s)\n", exe, shown, s.log)
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start the server: %w", err)
	}
	go func() {
		s.err = s.cmd.Wait() // it waits for out's last write
		logf.Close()
		close(s.exited)
	}()
	if err := s.waitReady(ctx, out); err != nil {
		s.cmd.Process.Kill()
		<-s.exited
		return nil, err
	}
	s.url, s.debug = out.url, out.debug
	fmt.Fprintf(progress, "server: pid %d listening on %s\n", s.cmd.Process.Pid, s.url)
	return s, nil
}

// waitReady waits for the listening line, then for GET /healthz to
// answer 200.
func (s *server) waitReady(ctx context.Context, out *stdout) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	select {
	case <-out.ready:
	case <-s.exited:
		return s.failed("exited before it listened")
	case <-ctx.Done():
		return s.failed(fmt.Sprintf("did not listen within %v", startTimeout))
	}
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(out.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-tick.C:
		case <-s.exited:
			return s.failed("exited before it answered GET /healthz")
		case <-ctx.Done():
			return s.failed(fmt.Sprintf("did not answer GET /healthz within %v", startTimeout))
		}
	}
}

// failed is an error that says what happened to the server, with the
// end of its log.
func (s *server) failed(what string) error {
	select {
	case <-s.exited:
		if s.err != nil {
			what += " (" + s.err.Error() + ")"
		}
	default:
	}
	return fmt.Errorf("the server %s; the end of %s:\n%s", what, s.log, tail(s.log, 20))
}

// alive returns an error if the server has exited.
func (s *server) alive() error {
	select {
	case <-s.exited:
		return s.failed("exited during the run")
	default:
		return nil
	}
}

// cpuTime returns the CPU time the server has used.
func (s *server) cpuTime() time.Duration { return processCPUTime(s.cmd.Process.Pid) }

// stop stops the server with SIGTERM, as systemd would, and waits for
// its graceful shutdown, killing it after stopTimeout. It returns an
// error if the server did not exit, or exited with a status other than
// 0.
func (s *server) stop() error {
	select {
	case <-s.exited:
		return s.failed("had exited before it was stopped")
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.cmd.Process.Kill()
	}
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case <-s.exited:
	case <-t.C:
		s.cmd.Process.Kill()
		<-s.exited
		return s.failed(fmt.Sprintf("did not exit within %v of SIGTERM and was killed", stopTimeout))
	}
	if s.err != nil {
		return s.failed("failed to shut down")
	}
	return nil
}

// fetch writes what the debug handlers serve at path to w.
func (s *server) fetch(ctx context.Context, path string, w io.Writer) error {
	if s.debug == "" {
		return errors.New("the server has no debug listener")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.debug+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// stdout passes the server's stdout on to w and picks out the lines
// that say where it listens. exec.Cmd calls Write from one goroutine;
// url and debug are set before ready is closed and not after.
type stdout struct {
	w          io.Writer
	line       []byte // the line so far, until the listening line
	url, debug string
	ready      chan struct{} // closed at the listening line
}

func (o *stdout) Write(p []byte) (int, error) {
	if o.url == "" {
		o.scan(p)
	}
	return o.w.Write(p)
}

func (o *stdout) scan(p []byte) {
	o.line = append(o.line, p...)
	for {
		i := bytes.IndexByte(o.line, '\n')
		if i < 0 {
			return
		}
		l := string(o.line[:i])
		o.line = o.line[i+1:]
		if v, ok := strings.CutPrefix(l, debugPrefix); ok {
			o.debug = strings.TrimSuffix(v, "/debug/pprof/")
		}
		if v, ok := strings.CutPrefix(l, listeningPrefix); ok {
			o.url, o.line = v, nil
			close(o.ready)
			return
		}
	}
}

// tail returns the last n lines of the file at path, indented.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "    (" + err.Error() + ")"
	}
	defer f.Close()
	const most = 16 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > most {
		f.Seek(fi.Size()-most, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}
