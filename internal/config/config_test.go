package config_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(nil, env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" || !c.Demo || c.MongoURI != "" || c.LogLevel != slog.LevelInfo {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadOverrides(t *testing.T) {
	c, err := config.Load([]string{"--addr", "127.0.0.1:9000", "--demo=false"}, env(map[string]string{
		"SOLIDARITY_ADDR":            ":7000",
		"SOLIDARITY_BASE_URL":        "https://letters.example.org/",
		"SOLIDARITY_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16",
		"MONGODB_URI":                "mongodb://db:27017/sol",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Addr != "127.0.0.1:9000" {
		t.Errorf("Addr = %q, want the flag's value", c.Addr)
	}
	if c.Demo {
		t.Error("Demo = true, want the flag's false")
	}
	if c.BaseURL != "https://letters.example.org" {
		t.Errorf("BaseURL = %q, want it without the trailing slash", c.BaseURL)
	}
	for in, want := range map[string]string{
		"https://Letters.Example.ORG:443/":  "https://letters.example.org",
		"http://localhost:80":               "http://localhost",
		"http://127.0.0.1:8080/":            "http://127.0.0.1:8080",
		"https://письма.example/solidarity": "https://xn--80apmkl0e.example/solidarity",
	} {
		c, err := config.Load(nil, env(map[string]string{"SOLIDARITY_BASE_URL": in}))
		if err != nil || c.BaseURL != want {
			t.Errorf("base URL %q → %q, %v; want %q as browsers send it", in, c.BaseURL, err, want)
		}
	}
	if len(c.TrustedProxies) != 2 {
		t.Errorf("TrustedProxies = %q", c.TrustedProxies)
	}
}

func TestLoadRejectsInvalidValues(t *testing.T) {
	tests := []struct {
		env, value, want string
	}{
		{"SOLIDARITY_ADDR", "8080", "SOLIDARITY_ADDR"},
		{"SOLIDARITY_ADDR", ":99999", "no valid port"},
		{"SOLIDARITY_ADDR", "example.org:80", "host must be an IP"},
		{"MONGODB_URI", "postgres://x", "MONGODB_URI"},
		{"SOLIDARITY_BASE_URL", "letters.example.org", "SOLIDARITY_BASE_URL"},
		{"SOLIDARITY_BASE_URL", "https://x.org/?a=b", "must not have a query"},
		{"SOLIDARITY_SECRET", "short", "at least 32"},
		{"SOLIDARITY_SECRET_FILE", "/etc/solidarity/", "names a folder"},
		{"SOLIDARITY_DEMO", "maybe", "SOLIDARITY_DEMO"},
		{"SOLIDARITY_TRUSTED_PROXIES", "10.0.0.1,proxy", `"proxy" is not an IP`},
		{"SOLIDARITY_LOG_LEVEL", "loud", "SOLIDARITY_LOG_LEVEL"},
		{"SOLIDARITY_PPROF_ADDR", ":6060", "not a loopback address"},
		{"SOLIDARITY_PPROF_ADDR", "0.0.0.0:6060", "not a loopback address"},
		{"SOLIDARITY_PPROF_ADDR", "[::]:6060", "not a loopback address"},
		{"SOLIDARITY_PPROF_ADDR", "192.168.1.5:6060", "not a loopback address"},
		{"SOLIDARITY_PPROF_ADDR", "example.org:6060", "not a loopback address"},
		{"SOLIDARITY_PPROF_ADDR", "6060", "SOLIDARITY_PPROF_ADDR"},
		{"SOLIDARITY_PPROF_ADDR", "127.0.0.1:x", "no valid port"},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			_, err := config.Load(nil, env(map[string]string{tt.env: tt.value}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one saying %q", err, tt.want)
			}
		})
	}
	if _, err := config.Load([]string{"--nope"}, env(nil)); err == nil {
		t.Error("unknown flag accepted")
	}
}

// The profiler is off by default and listens only on loopback addresses.
func TestPprofAddr(t *testing.T) {
	c, err := config.Load(nil, env(nil))
	if err != nil || c.PprofAddr != "" {
		t.Fatalf("default PprofAddr = %q, %v; want it off", c.PprofAddr, err)
	}
	for _, addr := range []string{"127.0.0.1:6060", "127.0.0.2:0", "[::1]:6060", "localhost:6060"} {
		c, err := config.Load(nil, env(map[string]string{"SOLIDARITY_PPROF_ADDR": addr}))
		if err != nil || c.PprofAddr != addr {
			t.Errorf("SOLIDARITY_PPROF_ADDR=%s gives %q, %v; want it taken", addr, c.PprofAddr, err)
		}
	}
}

func TestPrintSettingsListsEveryVariable(t *testing.T) {
	var b bytes.Buffer
	config.PrintSettings(&b)
	for _, s := range config.Settings() {
		if !strings.Contains(b.String(), s.Env) {
			t.Errorf("help does not mention %s", s.Env)
		}
	}
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	uri := write("uri", "mongodb://app:s3cret@mongo1,mongo2,mongo3/solidarity?replicaSet=rs0\n")
	smtp := write("smtp", "smtps://letters:pw@mail.example.org:465")
	password := write("password", "  a long admin password  \n")
	empty := write("empty", "\n")
	c, err := config.Load(nil, env(map[string]string{
		"MONGODB_URI_FILE": uri, "SOLIDARITY_SMTP_URL_FILE": smtp, "SOLIDARITY_MAIL_FROM": "letters@example.org",
		"SOLIDARITY_BASE_URL": "https://letters.example.org", "SOLIDARITY_ADMIN_EMAIL": "admin@example.org",
		"SOLIDARITY_ADMIN_PASSWORD_FILE": password,
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.MongoURI != "mongodb://app:s3cret@mongo1,mongo2,mongo3/solidarity?replicaSet=rs0" || c.Mail.SMTP == nil || c.AdminPassword != "a long admin password" {
		t.Errorf("settings from files: uri %q, smtp %v, password %q", c.MongoURI, c.Mail.SMTP, c.AdminPassword)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"both", map[string]string{"MONGODB_URI": "mongodb://db/x", "MONGODB_URI_FILE": uri}, "not both"},
		{"missing file", map[string]string{"MONGODB_URI_FILE": filepath.Join(dir, "nothing")}, "MONGODB_URI_FILE"},
		{"empty file", map[string]string{"SOLIDARITY_ADMIN_PASSWORD_FILE": empty}, "is empty"},
		{"value checked as usual", map[string]string{"MONGODB_URI_FILE": password}, "setting MONGODB_URI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(nil, env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, want an error with %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the file's secret: %v", err)
			}
		})
	}
	var b bytes.Buffer
	config.PrintSettings(&b)
	if !strings.Contains(b.String(), "MONGODB_URI_FILE") {
		t.Error("help does not mention MONGODB_URI_FILE")
	}
}

// The metrics are off by default; their address must be a loopback one
// unless SOLIDARITY_METRICS_PUBLIC says another is meant.
func TestMetricsAddr(t *testing.T) {
	c, err := config.Load(nil, env(nil))
	if err != nil || c.Metrics.Addr != "" {
		t.Fatalf("default metrics address = %q, %v; want off", c.Metrics.Addr, err)
	}
	tests := []struct {
		addr, public string
		wantErr      string // "" accepts
	}{
		{addr: "127.0.0.1:9464"},
		{addr: "[::1]:9464"},
		{addr: "localhost:9464"},
		{addr: "127.0.0.1:0"},
		{addr: "0.0.0.0:9464", wantErr: "SOLIDARITY_METRICS_PUBLIC=true"},
		{addr: ":9464", wantErr: "is not a loopback address"},
		{addr: "[::]:9464", wantErr: "is not a loopback address"},
		{addr: "192.0.2.10:9464", wantErr: "is not a loopback address"},
		{addr: ":9464", public: "true"},
		{addr: "0.0.0.0:9464", public: "true"},
		{addr: "metrics.example.org:9464", public: "true", wantErr: "host must be an IP address"},
		{addr: "9464", wantErr: "is not host:port"},
		{addr: "127.0.0.1:99999", wantErr: "no valid port"},
		{addr: "127.0.0.1:9464", public: "maybe", wantErr: "SOLIDARITY_METRICS_PUBLIC"},
	}
	for _, tt := range tests {
		t.Run(tt.addr+"/"+tt.public, func(t *testing.T) {
			c, err := config.Load(nil, env(map[string]string{"SOLIDARITY_METRICS_ADDR": tt.addr, "SOLIDARITY_METRICS_PUBLIC": tt.public}))
			switch {
			case tt.wantErr == "" && (err != nil || c.Metrics.Addr != tt.addr):
				t.Errorf("got %q, %v; want %q accepted", c.Metrics.Addr, err, tt.addr)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "SOLIDARITY_METRICS")):
				t.Errorf("got %v; want an error naming the setting and saying %q", err, tt.wantErr)
			}
		})
	}
}

// SOLIDARITY_LOG_FORMAT is text or json, text by default; anything else
// stops start-up.
func TestLogFormat(t *testing.T) {
	for _, tt := range []struct{ value, want, wantErr string }{
		{"", config.LogText, ""},
		{"text", config.LogText, ""},
		{"json", config.LogJSON, ""},
		{"JSON", config.LogJSON, ""},
		{"logfmt", "", "SOLIDARITY_LOG_FORMAT"},
	} {
		c, err := config.Load(nil, env(map[string]string{"SOLIDARITY_LOG_FORMAT": tt.value}))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("SOLIDARITY_LOG_FORMAT=%q: %v; want an error naming the setting", tt.value, err)
			}
			continue
		}
		if err != nil || c.LogFormat != tt.want {
			t.Errorf("SOLIDARITY_LOG_FORMAT=%q gives %q, %v; want %q", tt.value, c.LogFormat, err, tt.want)
		}
	}
}
