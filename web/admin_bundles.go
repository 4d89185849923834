package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/pdf"
)

// BundlePage offers a campaign's print bundle: options, what it will hold,
// and the bundles built so far.
type BundlePage struct {
	AdminPage
	Sub      []NavItem
	ID       string
	Campaign string // its title, above the sub-navigation as on the signature pages
	// Warnings say why the letter may not reach the recipient (its
	// language, censor words); building then takes a ticked confirmation.
	Warnings []Warning
	Summary  bundle.Summary
	Options  bundle.Options
	// Languages are those the campaign has a text in that a bundle prints
	// in (bundle.Languages): the cover letter and fixed texts print in one.
	Languages []string
	Error     string
	Jobs      []BundleJob
	// Working is true while a bundle is being built; the page then
	// refreshes itself.
	Working bool
}

// BundleJob is one built or building bundle.
type BundleJob struct {
	ID, Status, Created, Error, SHA256 string
	Percent                            int
	Envelopes, Pages                   int64
	Size                               string
	Options                            bundle.Options
	Ready                              bool
	// Recipient is the name of a drive bundle's recipient.
	Recipient string
	// Cutoff is the time up to which its signatures were signed.
	Cutoff string
	// Held is true while an erasure holds it back; Retry when it may be
	// built again from the console.
	Held, Retry bool
	// ErasedAt is when an erasure replaced it (Status "replaced") or made
	// it rebuild the bundle whose SHA-256 is ReplacesSHA256.
	ErasedAt, ReplacesSHA256 string
}

// consoleTime is how the bundle pages show a time.
const consoleTime = "2006-01-02 15:04 UTC"

func (s *Server) bundlePage(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderBundle(c, fiber.StatusOK, camp, bundle.Options{}, "")
}

func (s *Server) renderBundle(c *fiber.Ctx, status int, camp *campaign.Campaign, opts bundle.Options, problem string) error {
	if camp.IsDrive() {
		return s.renderDriveBundle(c, status, camp, opts, problem)
	}
	ctx := c.UserContext()
	jobs, err := s.deps.Bundles.ForCampaign(ctx, camp.ID)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	r, err := s.bundleRecipient(ctx, camp)
	if err != nil {
		return err
	}
	if opts.Lang == "" {
		opts.Lang = bundle.DefaultLanguage(camp, r, s.deps.Messages)
	}
	if problem == "" {
		_ = opts.Validate(s.deps.Messages) // fills the defaults shown
	}
	p := BundlePage{AdminPage: s.adminPage(c, t.T("admin.bundle.title", "Title", camp.Title)), Sub: s.campaignNav(c, camp),
		ID: camp.ID, Campaign: camp.Title, Options: opts, Error: problem, Languages: bundle.Languages(camp, s.deps.Messages),
		Warnings: s.bundleWarnings(t, camp, r, opts.Lang)}
	for _, j := range jobs {
		bj := BundleJob{ID: j.ID, Status: string(j.Status), Created: j.CreatedAt.Format(consoleTime),
			Error: j.Error, SHA256: j.SHA256, Percent: j.Percent(), Envelopes: int64(j.TotalEnvelopes), Pages: int64(j.Pages),
			Size: fmt.Sprintf("%.1f MB", float64(j.Size)/1e6), Options: j.Options, Ready: j.Status == bundle.StatusDone,
			Held: j.Held(), Retry: j.Held() || j.Status == bundle.StatusFailed, ReplacesSHA256: j.ReplacesSHA256}
		if !j.Cutoff.IsZero() {
			bj.Cutoff = j.Cutoff.UTC().Format(consoleTime)
		}
		if !j.ErasedAt.IsZero() {
			bj.ErasedAt = j.ErasedAt.UTC().Format(consoleTime)
		}
		p.Jobs = append(p.Jobs, bj)
		if j.Status == bundle.StatusQueued || j.Status == bundle.StatusRunning {
			p.Working = true
		}
	}
	// Counting reads every signature; the page refreshes every two seconds
	// while a bundle builds, and then shows only the progress.
	if !p.Working {
		if p.Summary, err = s.deps.Bundles.Summarize(ctx, camp); err != nil {
			return err
		}
	}
	return s.render(c, status, "admin/bundle", p)
}

func (s *Server) bundleBuild(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if camp.IsDrive() {
		return s.driveBundleBuild(c, camp)
	}
	opts := printOptions(c)
	opts.Lang = formValue(c, "lang")
	r, err := s.bundleRecipient(c.UserContext(), camp)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	if opts.Lang == "" {
		opts.Lang = bundle.DefaultLanguage(camp, r, s.deps.Messages)
	}
	if !slices.Contains(bundle.Languages(camp, s.deps.Messages), opts.Lang) {
		opts.Lang = "" // the page proposes one again
		return s.renderBundle(c, fiber.StatusUnprocessableEntity, camp, opts, t.T("admin.bundle.invalid_language"))
	}
	warned := len(s.bundleWarnings(t, camp, r, opts.Lang)) > 0
	if warned && formValue(c, "confirm") != "yes" {
		return s.renderBundle(c, fiber.StatusUnprocessableEntity, camp, opts, t.T("admin.bundle.confirm_needed"))
	}
	job, err := s.deps.Bundles.Enqueue(c.UserContext(), camp, opts, currentUser(c).Email)
	if errors.Is(err, bundle.ErrInvalid) {
		return s.renderBundle(c, fiber.StatusUnprocessableEntity, camp, opts, t.T("admin.bundle.invalid", "Max", pdf.MaxMaxSheets))
	}
	if err != nil {
		return err
	}
	if warned {
		// Who chose to print despite the warnings, and what they were
		// told, as the command line's --despite-status is recorded. In
		// English, as the log's other details are.
		var said []string
		for _, w := range s.bundleWarnings(s.deps.Messages.Localizer(i18n.Default()), camp, r, opts.Lang) {
			said = append(said, w.Text)
		}
		detail := fmt.Sprintf("bundle %s queued despite: %s", job.ID, strings.Join(said, " "))
		if err := s.record(c, audit.BundleConfirmed, camp.Slug, detail); err != nil {
			return err
		}
	}
	return c.Redirect("/admin/campaigns/"+url.PathEscape(camp.ID)+"/bundle?done=bundle_queued", fiber.StatusSeeOther)
}

// campaignJob reads the campaign and the bundle job the route names; a job
// of another campaign is not found.
func (s *Server) campaignJob(c *fiber.Ctx) (*campaign.Campaign, *bundle.Job, error) {
	ctx := c.UserContext()
	camp, err := s.deps.Signing.Campaign(ctx, c.Params("id"))
	if err != nil {
		return nil, nil, err
	}
	job, err := s.deps.Bundles.Job(ctx, c.Params("job"))
	if errors.Is(err, bundle.ErrNotFound) || (err == nil && job.CampaignID != camp.ID) {
		return nil, nil, fiber.ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	return camp, job, nil
}

func (s *Server) bundleDownload(c *fiber.Ctx) error {
	// The archive is read after this handler returns, past the request's
	// database deadline (withDBDeadline), as long as it keeps flowing.
	ctx := context.WithoutCancel(c.UserContext())
	camp, job, err := s.campaignJob(c)
	if err != nil {
		return err
	}
	if job.Status == bundle.StatusReplaced {
		return s.bundleReplaced(c, camp, job)
	}
	if job.Status != bundle.StatusDone {
		return fiber.ErrNotFound
	}
	r, err := s.deps.Bundles.Open(ctx, job)
	if err != nil {
		return err
	}
	if err := s.record(c, audit.BundleFetched, camp.Slug, "sha256 "+job.SHA256); err != nil {
		r.Close()
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="bundle-%s-%s.zip"`, camp.Slug, job.ID[len(job.ID)-6:]))
	// The archive may take longer to send than the write timeout allows for
	// ordinary pages: the deadline moves on as long as it keeps flowing.
	c.Context().SetBodyStream(&deadlineReader{r: r, conn: c.Context().Conn(), timeout: WriteTimeout}, int(job.Size))
	return nil
}

// BundleReplacedPage explains that a bundle's archive is gone because a
// signature in it was erased, and points to the bundle built without it.
type BundleReplacedPage struct {
	AdminPage
	ErasedAt, SHA256, BundlesHref string
	// Href downloads the rebuilt bundle once it is ready, with its SHA256.
	Href, NewSHA256 string
}

// bundleReplaced answers the download of a replaced bundle: 404, with a
// page that says why and where the rebuilt one is.
func (s *Server) bundleReplaced(c *fiber.Ctx, camp *campaign.Campaign, job *bundle.Job) error {
	cur, err := s.deps.Bundles.Current(c.UserContext(), job)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	base := "/admin/campaigns/" + url.PathEscape(camp.ID) + "/bundle"
	p := BundleReplacedPage{AdminPage: s.adminPage(c, t.T("admin.bundle.replaced.title")),
		ErasedAt: job.ErasedAt.UTC().Format(consoleTime), SHA256: job.SHA256, BundlesHref: base}
	if cur.Status == bundle.StatusDone {
		p.Href, p.NewSHA256 = base+"/"+url.PathEscape(cur.ID), cur.SHA256
	}
	return s.render(c, fiber.StatusNotFound, "admin/bundle_replaced", p)
}

func (s *Server) bundleRetry(c *fiber.Ctx) error {
	ctx := c.UserContext()
	camp, job, err := s.campaignJob(c)
	if err != nil {
		return err
	}
	if err := s.deps.Bundles.Retry(ctx, job.ID); err != nil {
		return err
	}
	return c.Redirect("/admin/campaigns/"+url.PathEscape(camp.ID)+"/bundle?done=bundle_queued", fiber.StatusSeeOther)
}

// deadlineReader moves the connection's write deadline on each time the
// server reads more of a download to send, and closes the source at the end.
type deadlineReader struct {
	r       io.ReadCloser
	conn    net.Conn
	timeout time.Duration
	moved   time.Time
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if now := time.Now(); d.conn != nil && now.Sub(d.moved) > time.Second {
		d.moved = now
		_ = d.conn.SetWriteDeadline(now.Add(d.timeout)) // a closed connection fails the write anyway
	}
	return d.r.Read(p)
}

// Close closes the source; fasthttp calls it when the body is sent.
func (d *deadlineReader) Close() error { return d.r.Close() }
