package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Log formats (SOLIDARITY_LOG_FORMAT).
const (
	LogText = "text"
	LogJSON = "json"
)

// Metrics says where the Prometheus metrics are served.
type Metrics struct {
	// Addr is the metrics listener's address; empty: no metrics.
	Addr string
	// Public lets Addr be other than a loopback address, e.g. inside a
	// container whose port only a private network reaches.
	Public bool
}

func opsSettings() []Setting {
	return []Setting{
		{"SOLIDARITY_LOG_FORMAT", "log-format", LogText, "text (key=value lines) or json (one JSON object a line)", parseLogFormat},
		{"SOLIDARITY_METRICS_ADDR", "", "", "address (e.g. 127.0.0.1:9464) of a listener of its own that serves Prometheus metrics at /metrics; a loopback address unless SOLIDARITY_METRICS_PUBLIC is true; empty: off", parseMetricsAddr},
		{"SOLIDARITY_METRICS_PUBLIC", "", "false", "true: SOLIDARITY_METRICS_ADDR may be any address, e.g. :9464 inside a container reached only by a private network", parseMetricsPublic},
	}
}

func parseLogFormat(c *Config, v string) error {
	switch strings.ToLower(v) {
	case LogText:
		c.LogFormat = LogText
	case LogJSON:
		c.LogFormat = LogJSON
	default:
		return fmt.Errorf("%q is not text or json", v)
	}
	return nil
}

func parseMetricsAddr(c *Config, v string) error {
	c.Metrics.Addr = ""
	if v == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:9464)", v)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no valid port (0 to 65535)", v)
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Errorf("%q: host must be an IP address, localhost or empty", v)
		}
	}
	c.Metrics.Addr = v
	return nil
}

func parseMetricsPublic(c *Config, v string) error { return parseSwitch(&c.Metrics.Public, v) }

// checkMetrics refuses a metrics address other machines could reach
// unless SOLIDARITY_METRICS_PUBLIC says that is meant: the metrics name
// the campaigns and show the load, and the port must not be published by
// mistake.
func checkMetrics(m Metrics) error {
	if m.Addr == "" || m.Public || IsLoopback(m.Addr) {
		return nil
	}
	return fmt.Errorf("setting SOLIDARITY_METRICS_ADDR: %q is not a loopback address (127.0.0.1, ::1 or localhost): "+
		"other machines could read the metrics; use a loopback address, or set SOLIDARITY_METRICS_PUBLIC=true "+
		"when only a private network reaches it (as inside Docker)", m.Addr)
}

// IsLoopback reports whether addr (host:port) names a loopback host:
// localhost or a loopback IP address. An empty host, all interfaces, is
// not one.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
