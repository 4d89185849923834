package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/config"
)

const (
	recipientA = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	recipientB = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg"
)

// Scheduled backups are off by default; on, they need a public key, and
// each setting's bad value is refused with a message naming it.
func TestBackupSettings(t *testing.T) {
	c, err := config.Load(nil, env(nil))
	if err != nil || c.Backup.Dir != "" || c.Backup.Every != 24*time.Hour || c.Backup.Keep != 7 {
		t.Fatalf("defaults: %+v, %v; want off, 24h, 7", c.Backup, err)
	}
	c, err = config.Load(nil, env(map[string]string{"SOLIDARITY_BACKUP_DIR": "/backups", "SOLIDARITY_BACKUP_EVERY": "6h",
		"SOLIDARITY_BACKUP_KEEP": "30", "SOLIDARITY_BACKUP_RECIPIENT": recipientA + ", " + recipientB}))
	if err != nil || c.Backup.Dir != "/backups" || c.Backup.Every != 6*time.Hour || c.Backup.Keep != 30 || !strings.Contains(c.Backup.Recipients, recipientB) {
		t.Fatalf("set: %+v, %v", c.Backup, err)
	}
	file := filepath.Join(t.TempDir(), "recipients")
	os.WriteFile(file, []byte("# the office's key\n"+recipientA+"\n"), 0o600)
	if c, err := config.Load(nil, env(map[string]string{"SOLIDARITY_BACKUP_DIR": "/b", "SOLIDARITY_BACKUP_RECIPIENT_FILE": file})); err != nil || !strings.Contains(c.Backup.Recipients, recipientA) {
		t.Errorf("recipient from a file: %+v, %v", c.Backup, err)
	}
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"folder without a key", map[string]string{"SOLIDARITY_BACKUP_DIR": "/backups"}, "SOLIDARITY_BACKUP_RECIPIENT: is needed with SOLIDARITY_BACKUP_DIR"},
		{"not a key", map[string]string{"SOLIDARITY_BACKUP_RECIPIENT": "ssh-ed25519 AAAA"}, "is not an age public key"},
		{"a private key", map[string]string{"SOLIDARITY_BACKUP_RECIPIENT": "AGE-SECRET-KEY-1QQQQ"}, "a private key (AGE-SECRET-KEY-…) was given"},
		{"period too short", map[string]string{"SOLIDARITY_BACKUP_EVERY": "1m"}, "SOLIDARITY_BACKUP_EVERY"},
		{"period not a duration", map[string]string{"SOLIDARITY_BACKUP_EVERY": "daily"}, "10m to 720h"},
		{"keep none", map[string]string{"SOLIDARITY_BACKUP_KEEP": "0"}, "SOLIDARITY_BACKUP_KEEP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(nil, env(tt.vars))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one saying %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "AGE-SECRET-KEY-1QQQQ") {
				t.Errorf("the error repeats the private key: %v", err)
			}
		})
	}
}
