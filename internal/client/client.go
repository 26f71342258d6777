package client

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// Version is the ClientVersion the client reports in OpenDataChannel and
// the handshake: protocol.SesameClientVersion, the session-manager-plugin
// release whose behaviour it follows with a fourth part that tells it
// from the plugin. Agents compare it as a 4-part number (AWS's turns smux
// keep-alive off above 1.2.331.0); sesame's sends it the exit code of
// every session, which the plugin would print.
const Version = protocol.SesameClientVersion

// Session is what StartSession and ResumeSession return: the data
// channel's URL and a single-use token for it.
type Session struct {
	SessionID  string
	TokenValue string
	StreamURL  string
}

// ResumeFunc calls ResumeSession for a session: a fresh token (and
// possibly a new StreamURL) after the connection dropped. An empty
// TokenValue means the session has ended.
type ResumeFunc func(ctx context.Context, sessionID string) (Session, error)

// Config configures a Client. Session, Stdout and Stderr are required.
type Config struct {
	// Session is the StartSession or ResumeSession response to connect with.
	Session Session
	// Resume is called when the connection drops. Without it a dropped
	// connection ends Run with an error.
	Resume ResumeFunc
	// TLSConfig is used to dial wss:// URLs (the CA bundle of the AWS
	// configuration); nil uses the system's roots.
	TLSConfig *tls.Config

	// Stdin is sent to the session; nil sends nothing.
	Stdin io.Reader
	// Stdout receives the session's output, Stderr its StdErr stream
	// and the client's own messages.
	Stdout, Stderr io.Writer
	// Terminal is the user's terminal (NewTerminal); nil when neither
	// stdin nor stdout is one.
	Terminal Terminal
	// Signals delivers the signals of NotifySignals; nil means none.
	Signals <-chan os.Signal

	// ClientID identifies the client in OpenDataChannel; it defaults to
	// a random UUID and stays the same across reconnects.
	ClientID string
	// ClientVersion defaults to Version.
	ClientVersion string
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Rand is the source of ids; it defaults to crypto/rand.
	Rand io.Reader
}

func (c *Config) checkAndSetDefaults() error {
	if c.Session.SessionID == "" || c.Session.StreamURL == "" || c.Session.TokenValue == "" {
		return errors.New("client: config: Session needs SessionID, TokenValue and StreamURL")
	}
	if !strings.HasPrefix(c.Session.StreamURL, "ws://") && !strings.HasPrefix(c.Session.StreamURL, "wss://") {
		return fmt.Errorf("client: config: StreamURL %q is not a ws:// or wss:// URL", c.Session.StreamURL)
	}
	if c.Stdout == nil || c.Stderr == nil {
		return errors.New("client: config: Stdout and Stderr are required")
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.ClientID == "" {
		id, err := protocol.NewUUID(c.Rand)
		if err != nil {
			return fmt.Errorf("client: config: %w", err)
		}
		c.ClientID = id.String()
	}
	if c.ClientVersion == "" {
		c.ClientVersion = Version
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Client connects to one session's data channel. Create it with New and
// call Run once.
type Client struct {
	cfg Config

	mu  sync.Mutex // protects ran
	ran bool
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.checkAndSetDefaults(); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg}, nil
}

// ErrInterrupted is returned by Run when a SIGINT arrives before the
// session has started.
var ErrInterrupted = errors.New("client: interrupted before the session started")

// errTimedOut: ResumeSession gave no token, the session is over.
var errTimedOut = errors.New("client: the session has ended")

// Run connects to the session and runs it until the server closes the
// channel, ctx is done, or the connection is lost for good. It returns
// the remote exit status (see the package documentation); an error means
// the client could not learn how the session ended, and the status is
// then 255. The terminal, if raw, is restored before Run returns. Run
// does not wait for a Read of Stdin that is blocked: the goroutine doing
// it ends after its next read.
func (c *Client) Run(ctx context.Context) (int, error) {
	c.mu.Lock()
	ran := c.ran
	c.ran = true
	c.mu.Unlock()
	if ran {
		return 255, errors.New("client: Run called twice")
	}
	r, err := newRun(&c.cfg)
	if err != nil {
		return 255, err
	}
	return r.run(ctx)
}

// message prints one of the plugin's status texts.
func (r *run) message(format string, args ...any) {
	fmt.Fprintf(r.cfg.Stderr, format, args...)
}

// exitStatus prints how the session ended and returns the exit status.
func (r *run) exitStatus(endErr error) (int, error) {
	id := r.cfg.Session.SessionID
	r.mu.Lock()
	exitCode, hasExit := r.exitCode, r.hasExit
	r.mu.Unlock()
	switch {
	case errors.Is(endErr, errTimedOut) && hasExit:
		// The session ended after the agent sent its exit code; only the
		// channel_closed that followed was lost with the connection.
		r.message("\n\nExiting session with sessionId: %s.\n\n", id)
		return exitCode, nil
	case errors.Is(endErr, errTimedOut):
		r.message("Session: %s timed out.\n", id)
		return 255, nil
	case endErr != nil:
		return 255, endErr
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Output == "" {
		r.message("\n\nExiting session with sessionId: %s.\n\n", id)
	} else {
		r.message("\n\nSessionId: %s : %s\n\n", id, r.closed.Output)
	}
	switch {
	case r.hasExit:
		return r.exitCode, nil
	case r.closed.Output == "":
		return 0, nil
	}
	return 255, nil
}

// handshake answers a HandshakeRequest: SessionType succeeds for the
// session types the client runs, everything else fails.
func (r *run) handshake(ctx context.Context, payload []byte) {
	var req protocol.HandshakeRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		r.log.Warn("malformed handshake request", "err", err)
		return
	}
	r.log.Debug("handshake request", "agentVersion", req.AgentVersion, "actions", len(req.RequestedClientActions))
	resp := protocol.HandshakeResponse{ClientVersion: r.cfg.ClientVersion}
	for _, a := range req.RequestedClientActions {
		pa := protocol.ProcessedClientAction{ActionType: a.ActionType, ActionStatus: protocol.ActionSuccess}
		var err error
		switch a.ActionType {
		case protocol.ActionSessionType:
			var st protocol.SessionTypeRequest
			if st, err = a.SessionType(); err == nil {
				err = r.setSessionType(st)
			}
		case protocol.ActionKMSEncryption:
			err = errors.New("KMS encryption is not supported by the sesame client; use session-manager-plugin")
		default:
			pa.ActionStatus = protocol.ActionUnsupported
			pa.Error = fmt.Sprintf("Unsupported action %s", a.ActionType)
		}
		if err != nil {
			pa.ActionStatus, pa.Error = protocol.ActionFailed, err.Error()
		}
		if pa.Error != "" {
			resp.Errors = append(resp.Errors, pa.Error)
			r.message("%s\n", pa.Error)
		}
		resp.ProcessedClientActions = append(resp.ProcessedClientActions, pa)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		r.log.Error("handshake response", "err", err)
		return
	}
	// sesame's agent starts the shell on the size it has when the
	// response arrives; AWS's drops data before the handshake is over,
	// so begin sends the size again.
	r.mu.Lock()
	shell := r.sessionType != "" && r.sessionType != protocol.SessionPort
	r.mu.Unlock()
	if shell {
		r.sendSize(ctx, false)
	}
	if err := r.stream.WriteMessage(ctx, protocol.PayloadHandshakeResponse, b); err != nil {
		r.log.Debug("handshake response not sent", "err", err)
	}
}

// setSessionType records the session's type if the client can run it.
func (r *run) setSessionType(st protocol.SessionTypeRequest) error {
	switch st.SessionType {
	case protocol.SessionStandardStream, protocol.SessionInteractiveCommands, protocol.SessionNonInteractiveCommands:
	case protocol.SessionPort:
		p, err := st.Port()
		if err != nil {
			return err
		}
		if p.Type == protocol.LocalPortForwarding {
			return errors.New("local port forwarding is not supported by the sesame client yet; use aws ssm start-session with session-manager-plugin")
		}
		// AWS-StartSSHSession: stdin and stdout carry the port's bytes.
	default:
		return fmt.Errorf("Unknown session type %s", st.SessionType)
	}
	r.mu.Lock()
	r.sessionType = st.SessionType
	r.mu.Unlock()
	return nil
}

// handleMessages reads the stream's messages other than Output until the
// stream is closed and drained.
func (r *run) handleMessages(ctx context.Context) {
	for {
		d, err := r.stream.ReadMessage(context.WithoutCancel(ctx))
		if err != nil {
			return
		}
		switch d.PayloadType {
		case protocol.PayloadHandshakeRequest:
			r.handshake(ctx, d.Payload)
		case protocol.PayloadHandshakeComplete:
			var hc protocol.HandshakeComplete
			if err := json.Unmarshal(d.Payload, &hc); err != nil {
				r.log.Warn("malformed handshake complete", "err", err)
			}
			if m := strings.TrimRight(hc.CustomerMessage, "\r\n"); m != "" {
				r.message("%s\r\n", m)
			}
			r.start()
		case protocol.PayloadStdErr:
			if _, err := r.cfg.Stderr.Write(d.Payload); err != nil {
				r.log.Debug("stderr", "err", err)
			}
		case protocol.PayloadExitCode:
			code, err := protocol.ParseExitCode(d.Payload)
			if err != nil {
				r.log.Warn("malformed exit code", "err", err)
				break
			}
			r.mu.Lock()
			r.exitCode, r.hasExit = code, true
			r.mu.Unlock()
		case protocol.PayloadFlag:
			f, err := protocol.ParseFlag(d.Payload)
			r.log.Info("flag from agent", "flag", f, "err", err)
		default:
			r.log.Debug("message ignored", "payloadType", d.PayloadType)
		}
	}
}

// copyOutput writes the stream's Output to Stdout until the stream is
// closed and drained. The first Output starts a session whose agent ran
// no handshake, as the plugin does.
func (r *run) copyOutput() {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.stream.Read(buf)
		if n > 0 {
			r.start()
			if _, werr := r.cfg.Stdout.Write(buf[:n]); werr != nil {
				r.finish(fmt.Errorf("write output: %w", werr))
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// copyInput sends Stdin to the session. At its end it types Ctrl-D for
// a shell (see the package documentation).
func (r *run) copyInput(shell bool) {
	buf := make([]byte, protocol.StreamDataPayloadSize)
	last := byte('\n')
	for {
		n, err := r.cfg.Stdin.Read(buf)
		if n > 0 {
			if _, werr := r.stream.Write(buf[:n]); werr != nil {
				return
			}
			last = buf[n-1]
		}
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) && shell {
			eof := []byte{0x04}
			if last != '\n' && last != '\r' {
				eof = []byte{0x04, 0x04}
			}
			_, _ = r.stream.Write(eof)
		} else if !errors.Is(err, io.EOF) {
			r.log.Info("stdin", "err", err)
		}
		return
	}
}

// sendSize sends the terminal's size if it changed since the last time,
// or with force in any case.
func (r *run) sendSize(ctx context.Context, force bool) {
	size := DefaultSize
	if r.cfg.Terminal != nil {
		s, err := r.cfg.Terminal.Size()
		if err != nil || s.Cols == 0 || s.Rows == 0 {
			r.log.Debug("terminal size", "err", err)
			return
		}
		size = s
	}
	r.sizeMu.Lock()
	defer r.sizeMu.Unlock()
	if size == r.lastSize && !force {
		return
	}
	b, err := json.Marshal(size)
	if err != nil {
		return
	}
	if err := r.stream.WriteMessage(ctx, protocol.PayloadSize, b); err != nil {
		r.log.Debug("size not sent", "err", err)
		return
	}
	r.lastSize = size
}

// httpClient is the client the data channel is dialed with.
func httpClient(tc *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: tc}}
}
