package agent

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// Registration is what `sesame-agent register` sends: the activation
// from CreateActivation, and how to reach and trust the server.
type Registration struct {
	Endpoint       string
	ActivationID   string
	ActivationCode string
	InstanceID     string // optional: the host is the EC2 instance i-...
	CA             string // PEM; the system's roots when empty
	Info           protocol.NodeInfo
}

// APIError is an error answer of the server's agent endpoints.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: %s", e.Code, e.Message)
	if hint := apiHints[e.Code]; hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

// apiHints say what to do about each error code of the agent endpoints.
var apiHints = map[string]string{
	"InvalidActivation":         "check --id and --code: the ActivationId and ActivationCode that create-activation printed",
	"ActivationExpired":         "create a new activation",
	"RegistrationLimitExceeded": "create a new activation, or deregister a node of this one",
	"InstanceIdExists":          "deregister that node first, or register without --instance-id",
	"InvalidToken":              "the server does not know these node credentials: register the host again",
}

// Register registers this host with the server and returns its
// credentials.
func Register(ctx context.Context, r Registration) (Credentials, error) {
	creds := Credentials{Endpoint: strings.TrimRight(r.Endpoint, "/"), CA: r.CA}
	u, err := endpointURL(creds.Endpoint)
	if err != nil {
		return Credentials{}, err
	}
	tlsCfg, err := creds.TLSConfig()
	if err != nil {
		return Credentials{}, err
	}
	body, err := json.Marshal(struct {
		ActivationID    string `json:"ActivationId"`
		ActivationCode  string `json:"ActivationCode"`
		InstanceID      string `json:"InstanceId,omitempty"`
		Hostname        string `json:"Hostname"`
		PlatformType    string `json:"PlatformType"`
		PlatformName    string `json:"PlatformName,omitempty"`
		PlatformVersion string `json:"PlatformVersion,omitempty"`
		AgentVersion    string `json:"AgentVersion,omitempty"`
		IPAddress       string `json:"IPAddress,omitempty"`
	}{r.ActivationID, r.ActivationCode, r.InstanceID, r.Info.Hostname, r.Info.PlatformType,
		r.Info.PlatformName, r.Info.PlatformVersion, r.Info.AgentVersion, r.Info.IPAddress})
	if err != nil {
		return Credentials{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.JoinPath("/agent/v1/register").String(), bytes.NewReader(body))
	if err != nil {
		return Credentials{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sesame-agent/"+Version)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg, Proxy: http.ProxyFromEnvironment}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return Credentials{}, explainDial(err)
	}
	defer resp.Body.Close()
	var res struct {
		InstanceID string `json:"InstanceId"`
		Token      string `json:"Token"`
	}
	if err := decodeAnswer(resp, &res); err != nil {
		return Credentials{}, err
	}
	if res.InstanceID == "" || res.Token == "" {
		return Credentials{}, errors.New("the server's answer has no InstanceId or Token")
	}
	creds.InstanceID, creds.Token, creds.RegisteredAt = res.InstanceID, res.Token, time.Now().UTC()
	return creds, nil
}

// decodeAnswer reads a 200 answer into v, or returns the *APIError of
// any other.
func decodeAnswer(resp *http.Response, v any) error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read the server's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return apiError(resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("the server's answer is not JSON: %w", err)
	}
	return nil
}

// apiError reads the {"Code","Message"} body of an error answer.
func apiError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	if json.Unmarshal(body, e) != nil || e.Code == "" {
		e.Code = http.StatusText(status)
		e.Message = strings.TrimSpace(string(body))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "..."
		}
		if e.Message == "" {
			e.Message = fmt.Sprintf("HTTP %d", status)
		}
	}
	return e
}

// explainDial adds what to do to a connection error.
func explainDial(err error) error {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	switch {
	case errors.As(err, &ua):
		return fmt.Errorf("%w (pass --ca-file with the server's CA certificate, the server keeps it in DATA-DIR/tls/ca.pem)", err)
	case errors.As(err, &hn):
		return fmt.Errorf("%w (use the host name or address the server's certificate names)", err)
	}
	return err
}
