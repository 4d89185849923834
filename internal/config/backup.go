package config

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/solidarity-letters/solidarity/internal/backup"
)

// Backup sets the scheduled backups (internal/backup) and the public keys
// that `solidarity backup` encrypts to by default.
type Backup struct {
	// Dir is the folder scheduled backups go to; empty: none.
	Dir string
	// Every is the period of scheduled backups.
	Every time.Duration
	// Keep is how many backups Dir keeps.
	Keep int
	// Recipients are the age public keys (age1…) backups are encrypted
	// to, as given.
	Recipients string
}

func backupSettings() []Setting {
	return []Setting{
		{"SOLIDARITY_BACKUP_DIR", "", "", "folder for scheduled backups, outside the data folder (another disk); empty: no scheduled backups. Needs SOLIDARITY_BACKUP_RECIPIENT", parseBackupDir},
		{"SOLIDARITY_BACKUP_EVERY", "", "24h", "how often one node writes a scheduled backup (10m to 720h)", parseBackupEvery},
		{"SOLIDARITY_BACKUP_KEEP", "", "7", "how many scheduled backups the folder keeps; older ones are deleted (1 to 1000)", parseBackupKeep},
		{"SOLIDARITY_BACKUP_RECIPIENT", "", "", "age public keys (age1…, from `solidarity backup keygen`) that backups are encrypted to, separated by commas", parseBackupRecipient},
	}
}

func parseBackupDir(c *Config, v string) error {
	c.Backup.Dir = v
	return nil
}

func parseBackupEvery(c *Config, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d < 10*time.Minute || d > 720*time.Hour {
		return fmt.Errorf("%q is not a duration from 10m to 720h (e.g. 24h)", v)
	}
	c.Backup.Every = d
	return nil
}

func parseBackupKeep(c *Config, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return fmt.Errorf("%q is not a number from 1 to 1000", v)
	}
	c.Backup.Keep = n
	return nil
}

func parseBackupRecipient(c *Config, v string) error {
	c.Backup.Recipients = v
	if v == "" {
		if c.Backup.Dir != "" {
			return errors.New("is needed with SOLIDARITY_BACKUP_DIR: scheduled backups are encrypted to it (make one with `solidarity backup keygen --out FILE`)")
		}
		return nil
	}
	_, err := backup.ParseRecipients(v)
	return err
}
