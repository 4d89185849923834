package app

import (
	"github.com/solidarity-letters/solidarity/web"
)

// Web builds the web server over the application's services. cfg's
// FormKey and Now are set to the application's form key and clock.
func (a *App) Web(cfg web.Config) (*web.Server, error) {
	cfg.FormKey = a.keys.Form
	cfg.Now = a.now
	return web.New(cfg, web.Deps{
		Signing:    a.Signing,
		Moderation: a.Moderation,
		Accounts:   a.Accounts,
		Audit:      a.Audit,
		Partners:   a.Partners,
		Site:       a.Org,
		Posts:      a.Posts,
		Bundles:    a.Bundles,
		PrintRuns:  a.PrintRuns,
		Delivery:   a.Delivery,
		Spent:      a.Spent,
		Mail:       a.Mail,
		Updates:    a.Updates,
		Erasures:   a.Erasures,
		Retention:  a.Retention,
		Backups:    a.Backups,
		DB:         a.db,
		Scrubber:   a.db,
		Messages:   a.Messages,
		Countries:  a.Countries,
		Logger:     a.log,
		Metrics:    a.metrics,
	})
}
