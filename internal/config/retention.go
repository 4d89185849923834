package config

import (
	"fmt"
	"strconv"
)

// Retention says when the retention job (campaign.Retention) forgets
// what a signature holds beyond what its printed letter showed.
type Retention struct {
	// PostedDays is how many days after a campaign's letters are posted
	// (the delivery log's "posted" event) stored addresses are deleted.
	PostedDays int
	// UnpostedDays is how many days after a campaign closes they are
	// deleted when no letter has been posted by then.
	UnpostedDays int
}

func retentionSettings() []Setting {
	return []Setting{
		{"SOLIDARITY_RETENTION_DAYS", "", "30", "days after a campaign's letters are posted that supporters' addresses and everything not printed are deleted (1 to 3650)", parseDays(func(c *Config) *int { return &c.Retention.PostedDays })},
		{"SOLIDARITY_RETENTION_UNPOSTED_DAYS", "", "90", "days after a campaign closes that the same is deleted when no letter was posted by then (1 to 3650)", parseDays(func(c *Config) *int { return &c.Retention.UnpostedDays })},
	}
}

func parseDays(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3650 {
			return fmt.Errorf("%q is not a number of days from 1 to 3650", v)
		}
		*field(c) = n
		return nil
	}
}
