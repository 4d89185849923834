package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/pdf"
)

// DriveBundlePage is the bundle page of a drive: its recipients with
// their approved cards, one recipient's bundle at a time, and print runs
// of every recipient's bundle in one archive.
type DriveBundlePage struct {
	AdminPage
	Sub        []NavItem
	ID         string
	Campaign   string
	Options    bundle.Options
	Error      string
	Recipients []DriveRecipient
	Jobs       []BundleJob
	Runs       []PrintRunRow
	// Working is true while a bundle or a print run is being built; the
	// page then refreshes itself and leaves the counting for later.
	Working bool
}

// DriveRecipient is one recipient of a drive on its bundle page.
type DriveRecipient struct {
	ID, Name string
	Cards    int
	// Situation is "released" or "deceased" when a print run leaves them
	// out; empty otherwise.
	Situation string
}

// PrintRunRow is one print run on a drive's bundle page.
type PrintRunRow struct {
	ID, Status, Created, Error, SHA256, Size string
	Percent, Done, Total                     int
	Bundles, Cards, Pages                    int
	Ready                                    bool
}

func (s *Server) renderDriveBundle(c *fiber.Ctx, status int, camp *campaign.Campaign, opts bundle.Options, problem string) error {
	ctx := c.UserContext()
	t := s.localizer(c)
	if problem == "" {
		_ = opts.Validate(s.deps.Messages) // fills the defaults shown
	}
	p := DriveBundlePage{AdminPage: s.adminPage(c, t.T("printrun.title", "Title", camp.Title)), Sub: s.campaignNav(c, camp),
		ID: camp.ID, Campaign: camp.Title, Options: opts, Error: problem}
	names := map[string]string{}
	today := s.cfg.Now().In(camp.Location()).Format(time.DateOnly)
	for _, id := range camp.Recipients() {
		r, err := s.deps.Signing.Recipient(ctx, id)
		if errors.Is(err, campaign.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		dr := DriveRecipient{ID: r.ID, Name: r.Name}
		if ch, ok := r.StatusOn(today); ok && (ch.Situation == campaign.SituationReleased || ch.Situation == campaign.SituationDeceased) {
			dr.Situation = string(ch.Situation)
		}
		names[r.ID] = r.Name
		p.Recipients = append(p.Recipients, dr)
	}
	jobs, err := s.deps.Bundles.ForCampaign(ctx, camp.ID)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		p.Jobs = append(p.Jobs, BundleJob{ID: j.ID, Status: string(j.Status), Created: j.CreatedAt.Format(consoleTime),
			Error: j.Error, SHA256: j.SHA256, Percent: j.Percent(), Envelopes: int64(j.TotalEnvelopes), Pages: int64(j.Pages),
			Size: fmt.Sprintf("%.1f MB", float64(j.Size)/1e6), Options: j.Options, Ready: j.Status == bundle.StatusDone,
			Held: j.Held(), Retry: j.Held() || j.Status == bundle.StatusFailed, Recipient: names[j.Options.Recipient]})
		if j.Status == bundle.StatusQueued || j.Status == bundle.StatusRunning {
			p.Working = true
		}
	}
	runs, err := s.deps.PrintRuns.ForCampaign(ctx, camp.ID)
	if err != nil {
		return err
	}
	for _, r := range runs {
		p.Runs = append(p.Runs, PrintRunRow{ID: r.ID, Status: string(r.Status), Created: r.CreatedAt.Format(consoleTime), Error: r.Error,
			SHA256: r.SHA256, Size: fmt.Sprintf("%.1f MB", float64(r.Size)/1e6), Percent: r.Percent(), Done: r.Done, Total: len(r.Recipients),
			Bundles: r.Bundles, Cards: r.Cards, Pages: r.Pages, Ready: r.Status == bundle.StatusDone})
		if r.Status == bundle.StatusQueued || r.Status == bundle.StatusRunning {
			p.Working = true
		}
	}
	// Counting reads every card of the drive: not while the page refreshes
	// itself every two seconds.
	if !p.Working {
		counts, err := s.deps.PrintRuns.Counts(ctx, camp)
		if err != nil {
			return err
		}
		for i := range p.Recipients {
			p.Recipients[i].Cards = counts[p.Recipients[i].ID]
		}
	}
	return s.render(c, status, "admin/drive_bundle", p)
}

// printOptions reads the layout, paper and sheets of a bundle form.
func printOptions(c *fiber.Ctx) bundle.Options {
	opts := bundle.Options{Layout: pdf.Layout(formValue(c, "layout")), Paper: pdf.Paper(formValue(c, "paper"))}
	if n, err := strconv.Atoi(formValue(c, "max_sheets", "0")); err == nil {
		opts.MaxSheets = n
	} else {
		opts.MaxSheets = -1
	}
	return opts
}

// driveBundleBuild queues the bundle of one recipient of a drive, in the
// language their rules take first.
func (s *Server) driveBundleBuild(c *fiber.Ctx, camp *campaign.Campaign) error {
	ctx := c.UserContext()
	t := s.localizer(c)
	opts := printOptions(c)
	opts.Recipient = formValue(c, "recipient")
	if !camp.WritesTo(opts.Recipient) {
		return s.renderDriveBundle(c, fiber.StatusUnprocessableEntity, camp, opts, t.T("printrun.unknown_recipient"))
	}
	r, err := s.deps.Signing.Recipient(ctx, opts.Recipient)
	if err != nil {
		return err
	}
	opts.Lang = bundle.DefaultLanguage(camp, r, s.deps.Messages)
	_, err = s.deps.Bundles.Enqueue(ctx, camp, opts, currentUser(c).Email)
	if errors.Is(err, bundle.ErrInvalid) {
		return s.renderDriveBundle(c, fiber.StatusUnprocessableEntity, camp, opts, t.T("admin.bundle.invalid", "Max", pdf.MaxMaxSheets))
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/campaigns/"+url.PathEscape(camp.ID)+"/bundle?done=bundle_queued", fiber.StatusSeeOther)
}

func (s *Server) printRunStart(c *fiber.Ctx) error {
	ctx := c.UserContext()
	camp, err := s.deps.Signing.Campaign(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if !camp.IsDrive() {
		return fiber.ErrNotFound
	}
	t := s.localizer(c)
	opts := printOptions(c)
	_, err = s.deps.PrintRuns.Enqueue(ctx, camp, opts, currentUser(c).Email)
	if errors.Is(err, bundle.ErrInvalid) {
		return s.renderDriveBundle(c, fiber.StatusUnprocessableEntity, camp, opts, t.T("admin.bundle.invalid", "Max", pdf.MaxMaxSheets))
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/campaigns/"+url.PathEscape(camp.ID)+"/bundle?done=printrun_queued", fiber.StatusSeeOther)
}

func (s *Server) printRunDownload(c *fiber.Ctx) error {
	// As a bundle: the archive is read after this handler returns.
	ctx := context.WithoutCancel(c.UserContext())
	camp, err := s.deps.Signing.Campaign(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	run, err := s.deps.PrintRuns.Run(ctx, c.Params("run"))
	if errors.Is(err, bundle.ErrNotFound) || (err == nil && (run.CampaignID != camp.ID || run.Status != bundle.StatusDone)) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	r, err := s.deps.PrintRuns.Open(ctx, run)
	if err != nil {
		return err
	}
	if err := s.record(c, audit.BundleFetched, camp.Slug, "print run sha256 "+run.SHA256); err != nil {
		r.Close()
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="printrun-%s-%s.zip"`, camp.Slug, run.ID[len(run.ID)-6:]))
	c.Context().SetBodyStream(&deadlineReader{r: r, conn: c.Context().Conn(), timeout: WriteTimeout}, int(run.Size))
	return nil
}
