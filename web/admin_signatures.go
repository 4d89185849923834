package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/internal/textnorm"
)

// signaturesBase is the path of a campaign's signature pages.
func signaturesBase(camp *campaign.Campaign) string {
	return "/admin/campaigns/" + url.PathEscape(camp.ID)
}

// consoleCampaign loads the campaign named in the path.
func (s *Server) consoleCampaign(c *fiber.Ctx) (*campaign.Campaign, error) {
	return s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
}

// CampaignHeader is the top of every signature page: which campaign, and
// its sub-navigation.
type CampaignHeader struct {
	Campaign *campaign.Campaign
	Sub      []NavItem
	Base     string
}

// campaignHeader marks page ("/signatures", "/stats" or "/paper") as the
// current one, also for the pages below it and forms re-rendered after a
// post.
func (s *Server) campaignHeader(c *fiber.Ctx, camp *campaign.Campaign, page string) CampaignHeader {
	h := CampaignHeader{Campaign: camp, Sub: s.campaignNav(c, camp), Base: signaturesBase(camp)}
	for i := range h.Sub {
		h.Sub[i].Current = h.Sub[i].Href == h.Base+page
	}
	return h
}

// --- the list -------------------------------------------------------------

// SignatureFilterForm is the list's filter form as typed.
type SignatureFilterForm struct {
	Q, Country, From, To, Source, Greeting string
}

// values returns the filter as query parameters, empty ones left out.
func (f SignatureFilterForm) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"q": f.Q, "country": f.Country, "from": f.From, "to": f.To, "source": f.Source, "greeting": f.Greeting} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

// Any reports whether any filter is set.
func (f SignatureFilterForm) Any() bool { return len(f.values()) > 0 }

func filterForm(get func(string) string) SignatureFilterForm {
	return SignatureFilterForm{
		Q: strings.TrimSpace(get("q")), Country: strings.ToUpper(strings.TrimSpace(get("country"))),
		From: strings.TrimSpace(get("from")), To: strings.TrimSpace(get("to")),
		Source: get("source"), Greeting: get("greeting"),
	}
}

// SignaturesPage lists a campaign's signatures.
type SignaturesPage struct {
	AdminPage
	CampaignHeader
	Total     int64
	Filter    SignatureFilterForm
	Errors    map[string]string
	Problems  []FieldProblem
	Countries []country.Country
	Rows      []SignatureRow
	// NewerHref and OlderHref lead to the neighbouring pages; empty when
	// there is none.
	NewerHref, OlderHref string
	ExportHref           string
	ErrorPrefix          string
}

// SignatureRow is one signature as the console shows it.
type SignatureRow struct {
	ID, SignedAt, Name, City, Country, CountryName string
	Paper, Greeting, Updates                       bool
	EraseHref                                      string
	// To is the name of a drive's card's recipient.
	To string
}

func (s *Server) signatureRow(t *i18n.Localizer, camp *campaign.Campaign, sig *campaign.Signature, back string) SignatureRow {
	r := SignatureRow{
		ID: sig.ID, SignedAt: t.DateTime(sig.SignedAt.In(camp.Location())),
		Name: sig.Person.Name, City: sig.Person.City, Country: sig.Person.Country,
		CountryName: s.deps.Countries.Name(t.Tag(), sig.Person.Country),
		Paper:       sig.Source == campaign.SourcePaper, Greeting: sig.HasGreeting, Updates: sig.Updates,
		EraseHref: signaturesBase(camp) + "/signatures/" + url.PathEscape(sig.ID) + "/erase",
	}
	if back != "" {
		r.EraseHref += "?back=" + url.QueryEscape(back)
	}
	if to, ok := s.deps.Signing.Campaigns().Recipient(sig.To(camp)); ok && camp.IsDrive() {
		r.To = to.Name
	}
	return r
}

// parseFilter checks the filter form; problems are keyed by field.
func parseFilter(f SignatureFilterForm, loc *time.Location) (campaign.SignatureFilter, []campaign.FieldError) {
	var out campaign.SignatureFilter
	var probs []campaign.FieldError
	if f.Q != "" {
		q, err := textnorm.Line(f.Q)
		switch {
		case err != nil:
			probs = append(probs, campaign.FieldError{Field: "q", Problem: campaign.ProblemInvalid})
		case textnorm.Length(q) > campaign.NameMax:
			probs = append(probs, campaign.FieldError{Field: "q", Problem: campaign.ProblemTooLong, Limit: campaign.NameMax})
		default:
			out.Search = q
		}
	}
	if f.Country != "" {
		if !country.Valid(f.Country) {
			probs = append(probs, campaign.FieldError{Field: "country", Problem: campaign.ProblemCountry})
		}
		out.Country = f.Country
	}
	day := func(field, v string) (time.Time, bool) {
		if v == "" {
			return time.Time{}, true
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			probs = append(probs, campaign.FieldError{Field: field, Problem: campaign.ProblemDate})
			return time.Time{}, false
		}
		return d, true
	}
	from, okFrom := day("from", f.From)
	to, okTo := day("to", f.To)
	if okFrom && !from.IsZero() {
		out.From = campaign.StartOfDay(from.Year(), from.Month(), from.Day(), loc)
	}
	if okTo && !to.IsZero() {
		// The whole of the last day counts: until the next one begins.
		out.Until = campaign.StartOfDay(to.Year(), to.Month(), to.Day()+1, loc)
		if okFrom && !from.IsZero() && to.Before(from) {
			probs = append(probs, campaign.FieldError{Field: "to", Problem: campaign.ProblemBeforeOpening})
		}
	}
	switch campaign.Source(f.Source) {
	case "", campaign.SourceWeb, campaign.SourceEmbed, campaign.SourceAPI, campaign.SourcePaper:
		out.Source = campaign.Source(f.Source)
	default:
		probs = append(probs, campaign.FieldError{Field: "source", Problem: campaign.ProblemChoice})
	}
	switch campaign.Presence(f.Greeting) {
	case campaign.AnyGreeting, campaign.WithGreeting, campaign.WithoutGreeting:
		out.Greeting = campaign.Presence(f.Greeting)
	default:
		probs = append(probs, campaign.FieldError{Field: "greeting", Problem: campaign.ProblemChoice})
	}
	return out, probs
}

// signatureProblem words a problem of the signature pages' forms.
func (s *Server) signatureProblem(t *i18n.Localizer, p campaign.FieldError) string {
	for _, id := range []string{"signatures.error." + p.Field + "." + string(p.Problem), "signatures.error." + string(p.Problem)} {
		if s.deps.Messages.Has(id) {
			return limitMessage(t, id, p)
		}
	}
	return s.problemMessage(t, p)
}

func (s *Server) signatureList(c *fiber.Ctx) error {
	ctx := c.UserContext()
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	after, err1 := campaign.ParseCursor(c.Query("after"))
	before, err2 := campaign.ParseCursor(c.Query("before"))
	if err := errors.Join(err1, err2); err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	t := s.localizer(c)
	form := filterForm(func(k string) string { return c.Query(k) })
	p := SignaturesPage{
		AdminPage:      s.adminPage(c, t.T("signatures.list.title", "Title", camp.Title)),
		CampaignHeader: s.campaignHeader(c, camp, "/signatures"),
		Total:          s.deps.Signing.Count(camp.ID),
		Filter:         form,
		Errors:         map[string]string{},
		Countries:      s.deps.Countries.List(t.Tag()),
		ErrorPrefix:    t.T("form.error_prefix"),
	}
	p.ExportHref = p.Base + "/signatures.csv"
	filter, probs := parseFilter(form, camp.Location())
	if len(probs) > 0 {
		for _, pr := range probs {
			msg := s.signatureProblem(t, pr)
			p.Errors[pr.Field] = msg
			p.Problems = append(p.Problems, FieldProblem{Field: pr.Field, Message: msg})
		}
		p.Title = t.T("signatures.error_title", "Title", p.Title)
		return s.render(c, fiber.StatusUnprocessableEntity, "admin/signatures", p)
	}
	page, err := s.deps.Signing.ListSignatures(ctx, camp.ID, campaign.ListRequest{Filter: filter, After: after, Before: before})
	if ok, err := s.preparing(c, camp, "/signatures", p.Title, err); ok {
		return err
	}
	if err != nil {
		return err
	}
	here := form.values()
	if !after.IsZero() {
		here.Set("after", after.String())
	}
	if !before.IsZero() {
		here.Set("before", before.String())
	}
	back := here.Encode()
	for i := range page.Signatures {
		p.Rows = append(p.Rows, s.signatureRow(t, camp, &page.Signatures[i], back))
	}
	link := func(key string, cur campaign.Cursor) string {
		v := form.values()
		v.Set(key, cur.String())
		return p.Base + "/signatures?" + v.Encode()
	}
	if !page.Prev.IsZero() {
		p.NewerHref = link("before", page.Prev)
	}
	if !page.Next.IsZero() {
		p.OlderHref = link("after", page.Next)
	}
	return s.render(c, fiber.StatusOK, "admin/signatures", p)
}

// --- erasure --------------------------------------------------------------

// EraseSignaturePage asks to confirm the erasure of one signature.
type EraseSignaturePage struct {
	AdminPage
	CampaignHeader
	Row        SignatureRow
	Action     string
	Back       string
	CancelHref string
}

// listBack keeps only the list's own parameters of a back link, so that
// the redirect after erasure cannot lead anywhere else.
func listBack(back string) url.Values {
	in, _ := url.ParseQuery(back)
	out := url.Values{}
	for _, k := range []string{"q", "country", "from", "to", "source", "greeting", "after", "before"} {
		if v := in.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

func (s *Server) signatureEraseForm(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	sig, err := s.deps.Signing.CampaignSignature(c.UserContext(), camp.ID, c.Params("sig"))
	if err != nil {
		return err
	}
	t := s.localizer(c)
	back := listBack(c.Query("back"))
	p := EraseSignaturePage{
		AdminPage:      s.adminPage(c, t.T("signatures.erase.title")),
		CampaignHeader: s.campaignHeader(c, camp, "/signatures"),
		Row:            s.signatureRow(t, camp, sig, ""),
		Back:           back.Encode(),
	}
	p.Action = p.Row.EraseHref
	p.CancelHref = p.Base + "/signatures"
	if len(back) > 0 {
		p.CancelHref += "?" + back.Encode()
	}
	return s.render(c, fiber.StatusOK, "admin/signature_erase", p)
}

func (s *Server) signatureErase(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	sig, err := s.deps.Signing.CampaignSignature(c.UserContext(), camp.ID, c.Params("sig"))
	if err != nil {
		return err
	}
	n, err := s.eraseSignature(c.UserContext(), camp.ID, sig, currentUser(c).Email)
	if err != nil {
		return err
	}
	// The audit log keeps that a signature was erased, and by whom, but
	// nothing about whose it was.
	if err := s.record(c, audit.Erased, camp.Slug, fmt.Sprintf("bundles that held it, being rebuilt: %d", n)); err != nil {
		return err
	}
	// Until the database files are scrubbed, the erased name can still be
	// read from them.
	if err := s.deps.Scrubber.Scrub(c.UserContext()); err != nil {
		return err
	}
	back := listBack(formValue(c, "back"))
	back.Del("before") // the page it was on may be gone; start from its key
	back.Set("done", "signature_erased")
	return c.Redirect(signaturesBase(camp)+"/signatures?"+back.Encode(), fiber.StatusSeeOther)
}

// --- export ---------------------------------------------------------------

// exportColumns are the message IDs of the CSV header, in the order of
// campaign.ExportCSV's columns.
var exportColumns = [campaign.ExportColumns]string{
	"signatures.csv.signed_at", "signatures.csv.name", "signatures.csv.city", "signatures.csv.country",
	"signatures.csv.source", "signatures.csv.greeting", "signatures.csv.updates", "signatures.csv.email",
}

func (s *Server) signatureExport(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	header := make([]string, len(exportColumns))
	for i, id := range exportColumns {
		header[i] = t.T(id)
	}
	// Emails of supporters who asked for updates go only to organizers
	// and admins. The route admits no one else, but the rule is kept here
	// too, where the export is made.
	withEmails := organizers.allows(currentUser(c))
	detail := "without emails"
	if withEmails {
		detail = "with emails of supporters who asked for updates"
	}
	name := fmt.Sprintf("%s-signatures-%s.csv", camp.Slug, s.cfg.Now().In(camp.Location()).Format("2006-01-02"))
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	if c.Method() == fiber.MethodHead {
		return nil // nothing is exported, so nothing is recorded
	}
	if err := s.record(c, audit.Exported, camp.Slug, detail); err != nil {
		return err
	}

	// The rows are written as they are read, after this handler returns:
	// nothing of the request may be used in there but these copies.
	// They are read past the request's database deadline (withDBDeadline),
	// as long as the client keeps reading.
	ctx, campaignID, slug, log := context.WithoutCancel(c.UserContext()), camp.ID, camp.Slug, s.log
	conn := c.Context().Conn()
	opts := campaign.ExportOptions{Header: header, Emails: withEmails}
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		dw := &deadlineWriter{w: w, conn: conn, timeout: WriteTimeout}
		n, err := s.deps.Signing.ExportCSV(ctx, dw, campaignID, opts)
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			// The status is sent; the file ends early, and the log says why.
			log.Error("export signatures", "campaign", slug, "rows", n, "error", err)
		}
	})
	return nil
}

// deadlineWriter moves the connection's write deadline on while an export
// makes progress, so that a large export is not cut off by the server's
// write timeout, which is meant for whole ordinary responses; a client that
// stops reading still times out.
type deadlineWriter struct {
	w       io.Writer
	conn    net.Conn
	timeout time.Duration
	moved   time.Time
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if d.conn != nil {
		if now := time.Now(); now.Sub(d.moved) > time.Second {
			d.moved = now
			_ = d.conn.SetWriteDeadline(now.Add(d.timeout)) // a closed connection fails the write below
		}
	}
	return d.w.Write(p)
}
