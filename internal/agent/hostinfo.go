package agent

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/protocol"
)

// HostInfo describes this host as the server shows it: agent version,
// host name, platform, and the IP address the host reaches endpoint
// from (no packet is sent to find it).
func HostInfo(ctx context.Context, endpoint string) protocol.NodeInfo {
	info := protocol.NodeInfo{AgentVersion: Version, PlatformType: platformType()}
	info.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		info.PlatformName, info.PlatformVersion = osRelease(b)
	}
	if info.PlatformName == "" {
		info.PlatformName = runtime.GOOS
	}
	info.IPAddress = localIP(ctx, endpoint)
	return info
}

func platformType() string {
	switch runtime.GOOS {
	case "windows":
		return "Windows"
	case "darwin":
		return "MacOS"
	}
	return "Linux"
}

// osRelease reads NAME and VERSION_ID from os-release(5) text.
func osRelease(b []byte) (name, version string) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		} else {
			v = strings.Trim(v, `'"`)
		}
		switch k {
		case "NAME":
			name = v
		case "VERSION_ID":
			version = v
		}
	}
	return name, version
}

// localIP is the address of the interface that routes to endpoint's
// host, or the first global unicast address of the host.
func localIP(ctx context.Context, endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Hostname() != "" {
		port := u.Port()
		if port == "" {
			port = "443"
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		var d net.Dialer
		if c, err := d.DialContext(ctx, "udp", net.JoinHostPort(u.Hostname(), port)); err == nil {
			defer c.Close()
			if a, ok := c.LocalAddr().(*net.UDPAddr); ok && !a.IP.IsUnspecified() {
				return a.IP.String()
			}
		}
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.IsGlobalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}
