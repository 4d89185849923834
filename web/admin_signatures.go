package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/internal/textnorm"
	"github.com/solidarity-letters/solidarity/letters"
)

// signatureRoutes declares the signature list, erasure, export, paper
// signatures and statistics of a campaign; organizers only.
func (s *Server) signatureRoutes(admin fiber.Router) {
	org := s.allow(organizers...)
	admin.Get("/campaigns/:id/signatures", org, s.signatureList)
	admin.Get("/campaigns/:id/signatures.csv", org, s.signatureExport)
	admin.Get("/campaigns/:id/signatures/:sig/erase", org, s.signatureEraseForm)
	admin.Post("/campaigns/:id/signatures/:sig/erase", org, s.signatureErase)
	admin.Get("/campaigns/:id/stats", org, s.campaignStats)
	admin.Get("/campaigns/:id/paper", org, s.paperPage)
	admin.Post("/campaigns/:id/paper/tally", org, s.paperTally)
	admin.Post("/campaigns/:id/paper/rows", org, s.paperRows)
}

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
	limit := t.Number(int64(p.Limit))
	for _, id := range []string{"signatures.error." + p.Field + "." + string(p.Problem), "signatures.error." + string(p.Problem)} {
		if s.deps.Messages.Has(id) {
			return t.T(id, "Limit", limit)
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
	// The bundles that hold the name lose their archives before it goes,
	// so that a failure leaves the signature to erase again, and are built
	// again without it; the others stay as they are.
	n, err := s.deps.Bundles.Erase(c.UserContext(), camp.ID, sig.SignedAt, currentUser(c).Email, func(ctx context.Context) error {
		return s.deps.Signing.EraseSignature(ctx, camp.ID, sig.ID)
	})
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
	withEmails := roleIn(currentUser(c), organizers)
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
	ctx, campaignID, slug, log := c.UserContext(), camp.ID, camp.Slug, s.log
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

// --- statistics -----------------------------------------------------------

// StatsPage shows a campaign's figures.
type StatsPage struct {
	AdminPage
	CampaignHeader
	Stats     campaign.Stats
	AsOf      string // Stats.At in the campaign's zone
	Goal      int64
	Percent   int64
	PerHour   string
	Chart     Chart
	Days      []DayRow
	Countries []CountryRow
	// OtherCountries sums the countries after the top ones.
	OtherCountries int64
	Greetings      []GreetingRow
	GreetingsTotal int64
}

// DayRow is one day of the chart's data table.
type DayRow struct {
	Date              string
	Web, Paper, Total int64
}

// CountryRow is one of the top countries.
type CountryRow struct {
	Code, Name        string
	Web, Paper, Total int64
	Percent           int64
}

// GreetingRow is how many greetings have one moderation status.
type GreetingRow struct {
	Status string
	Count  int64
}

// topCountries is how many countries the statistics name.
const topCountries = 10

func (s *Server) campaignStats(c *fiber.Ctx) error {
	ctx := c.UserContext()
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	st, err := s.deps.Signing.Stats(ctx, camp)
	if err != nil {
		return err
	}
	byStatus, err := s.deps.Moderation.CountByStatus(ctx)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	p := StatsPage{
		AdminPage:      s.adminPage(c, t.T("signatures.stats.title", "Title", camp.Title)),
		CampaignHeader: s.campaignHeader(c, camp, "/stats"),
		Stats:          st,
		Goal:           int64(camp.Goal),
		PerHour:        decimal(t, st.PerHour()),
		AsOf:           t.DateTime(st.At.In(camp.Location())),
	}
	if p.Goal > 0 {
		p.Percent = st.Total * 100 / p.Goal
	}
	for _, d := range st.Days {
		p.Days = append(p.Days, DayRow{Date: t.Date(d.Date), Web: d.Web, Paper: d.Paper, Total: d.Total()})
	}
	p.Chart = dayChart(t, p.Days)
	for i, cc := range st.Countries {
		if i >= topCountries {
			p.OtherCountries += cc.Total()
			continue
		}
		row := CountryRow{Code: cc.Code, Name: s.deps.Countries.Name(t.Tag(), cc.Code), Web: cc.Web, Paper: cc.Paper, Total: cc.Total()}
		if cc.Code == "" {
			row.Name = t.T("signatures.stats.no_country")
		}
		if st.Total > 0 {
			row.Percent = int64(math.Round(float64(cc.Total()) * 100 / float64(st.Total)))
		}
		p.Countries = append(p.Countries, row)
	}
	counts := byStatus[camp.ID]
	for _, status := range []letters.Status{letters.StatusPending, letters.StatusApproved, letters.StatusRejected} {
		p.Greetings = append(p.Greetings, GreetingRow{Status: string(status), Count: counts[status]})
		p.GreetingsTotal += counts[status]
	}
	return s.render(c, fiber.StatusOK, "admin/stats", p)
}

// decimal formats x with one decimal in the language of t.
func decimal(t *i18n.Localizer, x float64) string {
	tenths := int64(math.Round(x * 10))
	return t.T("signatures.stats.decimal", "Whole", t.Number(tenths/10), "Tenths", strconv.FormatInt(tenths%10, 10))
}

// Chart is the signatures-per-day bar chart, drawn as inline SVG: bars
// placed in percent of the width, so that it fills any screen without
// stretching its text, and heights in pixels.
type Chart struct {
	Title, Desc string
	Height      int // of the plot area, in px
	// SVGHeight is the whole drawing's, with room for the labels; LabelY
	// is where the dates stand.
	SVGHeight, LabelY int
	Bars              []ChartBar
	Ticks             []ChartTick
	Labels            []ChartLabel
}

// ChartBar is one day's stacked bar: web below, paper on top.
type ChartBar struct {
	X, Width       string // percent of the width
	WebY, WebH     int
	PaperY, PaperH int
	Label          string // the tooltip
	Empty          bool
}

// ChartTick is a horizontal grid line with its value.
type ChartTick struct {
	Y     int
	Label string
}

// ChartLabel is a date under the bars.
type ChartLabel struct {
	X      string // percent
	Anchor string // start, middle or end
	Text   string
}

// The chart's plot height and the room above it for the top grid
// line's label, in px.
const (
	chartHeight = 200
	chartTop    = 18
)

func dayChart(t *i18n.Localizer, days []DayRow) Chart {
	ch := Chart{Title: t.T("signatures.stats.chart.title"), Height: chartHeight,
		SVGHeight: chartTop + chartHeight + 26, LabelY: chartHeight + 20}
	if len(days) == 0 {
		ch.Desc = t.T("signatures.stats.chart.empty")
		return ch
	}
	peak := days[0]
	var total int64
	for _, d := range days {
		total += d.Total
		if d.Total > peak.Total {
			peak = d
		}
	}
	ch.Desc = t.T("signatures.stats.chart.desc", "From", days[0].Date, "To", days[len(days)-1].Date,
		"Total", t.Number(total), "Peak", peak.Date, "PeakCount", t.Number(peak.Total))
	top := niceCeil(peak.Total)
	px := func(n int64) int { return int(math.Round(float64(n) * chartHeight / float64(top))) }
	for i := int64(0); i <= 4; i++ {
		v := top * i / 4
		tick := ChartTick{Y: chartHeight - px(v)}
		if v > 0 { // the base line needs no number
			tick.Label = t.Number(v)
		}
		ch.Ticks = append(ch.Ticks, tick)
	}
	n := float64(len(days))
	pct := func(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) + "%" }
	gap := 0.15
	if len(days) > 60 {
		gap = 0.05
	}
	for i, d := range days {
		webH, paperH := px(d.Web), px(d.Paper)
		b := ChartBar{
			X: pct((float64(i) + gap/2) * 100 / n), Width: pct((1 - gap) * 100 / n),
			WebY: chartHeight - webH, WebH: webH, PaperY: chartHeight - webH - paperH, PaperH: paperH,
			Label: t.T("signatures.stats.chart.bar", "Date", d.Date, "Total", t.Number(d.Total),
				"Web", t.Number(d.Web), "Paper", t.Number(d.Paper)),
			Empty: d.Total == 0,
		}
		ch.Bars = append(ch.Bars, b)
	}
	ch.Labels = append(ch.Labels, ChartLabel{X: "0%", Anchor: "start", Text: days[0].Date})
	if len(days) > 1 {
		ch.Labels = append(ch.Labels, ChartLabel{X: "100%", Anchor: "end", Text: days[len(days)-1].Date})
	}
	return ch
}

// niceCeil rounds n up to four times 1, 2, 2.5 or 5 times a power of ten,
// so that the chart's four grid lines fall on round numbers.
func niceCeil(n int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{10, 20, 25, 50} {
			if step := m * p / 10; step*4 >= n {
				return step * 4
			}
		}
	}
}

// --- paper signatures -----------------------------------------------------

// PaperPage adds signatures collected on paper, counted or typed in.
type PaperPage struct {
	AdminPage
	CampaignHeader
	Countries   []country.Country
	Tallies     []TallyRow
	TallyTotal  int64
	Tally       TallyForm
	Sheet       SheetForm
	PaperHref   string
	ErrorPrefix string
}

// TallyRow is one country's paper count.
type TallyRow struct {
	Code, Name string
	Count      int64
}

// TallyForm is the count-per-country form as typed.
type TallyForm struct {
	Country, Count string
	Errors         map[string]string
	Problems       []FieldProblem
}

// SheetForm is the form to type in a paper list: a country for the whole
// sheet and rows of name, city and country.
type SheetForm struct {
	Country  string
	Rows     []SheetRow
	Errors   map[string]string // the sheet's own fields
	Problems []FieldProblem
	// Notice explains a refusal that is about no one field.
	Notice      string
	MoreRowsURL string
}

// SheetRow is one typed-in row and its problems.
type SheetRow struct {
	N                   int // from 1
	Label               string
	Name, City, Country string
	Errors              map[string]string
}

// DescribedBy returns the ID of a field's error message, if it has one.
func (r SheetRow) DescribedBy(field string) string {
	if r.Errors[field] == "" {
		return ""
	}
	return fmt.Sprintf("e-r%d-%s", r.N, field)
}

// Sheet sizes: rows shown at first, and at most.
const (
	sheetRows    = 10
	sheetRowsMax = 50
)

func (s *Server) paperPage(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(c.Query("rows"))
	return s.renderPaper(c, fiber.StatusOK, camp, TallyForm{}, SheetForm{Rows: make([]SheetRow, min(max(n, sheetRows), sheetRowsMax))})
}

func (s *Server) renderPaper(c *fiber.Ctx, status int, camp *campaign.Campaign, tally TallyForm, sheet SheetForm) error {
	t := s.localizer(c)
	tallies, err := s.deps.Signing.PaperTallies(c.UserContext(), camp.ID)
	if err != nil {
		return err
	}
	title := t.T("signatures.paper.title", "Title", camp.Title)
	if len(tally.Problems) > 0 || len(sheet.Problems) > 0 || sheet.Notice != "" {
		title = t.T("signatures.error_title", "Title", title)
	}
	p := PaperPage{
		AdminPage:      s.adminPage(c, title),
		CampaignHeader: s.campaignHeader(c, camp, "/paper"),
		Countries:      s.deps.Countries.List(t.Tag()),
		Tally:          tally,
		Sheet:          sheet,
		ErrorPrefix:    t.T("form.error_prefix"),
	}
	p.PaperHref = p.Base + "/signatures?source=paper"
	for _, tl := range tallies {
		p.Tallies = append(p.Tallies, TallyRow{Code: tl.Country, Name: s.deps.Countries.Name(t.Tag(), tl.Country), Count: tl.Count})
		p.TallyTotal += tl.Count
	}
	for i := range p.Sheet.Rows {
		p.Sheet.Rows[i].N = i + 1
		p.Sheet.Rows[i].Label = t.T("signatures.paper.sheet.row", "Row", t.Number(int64(i+1)))
	}
	if len(p.Sheet.Rows) < sheetRowsMax {
		p.Sheet.MoreRowsURL = fmt.Sprintf("%s/paper?rows=%d#sheet", p.Base, min(len(p.Sheet.Rows)+sheetRows*2, sheetRowsMax))
	}
	return s.render(c, status, "admin/paper", p)
}

func (s *Server) paperTally(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	form := TallyForm{Country: strings.TrimSpace(formValue(c, "country")), Count: strings.TrimSpace(formValue(c, "count"))}
	n, err := s.deps.Signing.AddPaperTally(c.UserContext(), camp, campaign.PaperTallyInput{Country: form.Country, Count: form.Count})
	var verr *campaign.ValidationError
	switch {
	case errors.As(err, &verr):
		t := s.localizer(c)
		form.Errors = map[string]string{}
		for _, f := range verr.Fields {
			msg := s.signatureProblem(t, campaign.FieldError{Field: "tally_" + f.Field, Problem: f.Problem, Limit: f.Limit})
			form.Errors[f.Field] = msg
			form.Problems = append(form.Problems, FieldProblem{Field: "t-" + f.Field, Message: msg})
		}
		return s.renderPaper(c, fiber.StatusUnprocessableEntity, camp, form, SheetForm{Rows: make([]SheetRow, sheetRows)})
	case err != nil:
		return err
	}
	change := form.Count
	if !strings.HasPrefix(change, "-") && !strings.HasPrefix(change, "+") {
		change = "+" + change
	}
	code := strings.ToUpper(form.Country)
	if err := s.record(c, audit.PaperAdded, camp.Slug, fmt.Sprintf("count %s %s, now %d", code, change, n)); err != nil {
		return err
	}
	return c.Redirect(signaturesBase(camp)+"/paper?done=paper_counted", fiber.StatusSeeOther)
}

func (s *Server) paperRows(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	n, _ := strconv.Atoi(formValue(c, "rows"))
	n = min(max(n, 1), sheetRowsMax)
	sheet := SheetForm{Country: strings.ToUpper(strings.TrimSpace(formValue(c, "sheet_country"))), Errors: map[string]string{}}
	rows := make([]campaign.PaperRow, n)
	for i := range n {
		r := SheetRow{
			Name:    formValue(c, fmt.Sprintf("name_%d", i+1)),
			City:    formValue(c, fmt.Sprintf("city_%d", i+1)),
			Country: strings.ToUpper(strings.TrimSpace(formValue(c, fmt.Sprintf("country_%d", i+1)))),
		}
		sheet.Rows = append(sheet.Rows, r)
		rows[i] = campaign.PaperRow{Name: r.Name, City: r.City, Country: r.Country}
		if rows[i].Country == "" {
			rows[i].Country = sheet.Country
		}
	}
	if sheet.Country != "" && !country.Valid(sheet.Country) {
		msg := s.signatureProblem(t, campaign.FieldError{Field: "sheet_country", Problem: campaign.ProblemCountry})
		sheet.Errors["country"] = msg
		sheet.Problems = append(sheet.Problems, FieldProblem{Field: "s-country", Message: msg})
		return s.renderPaper(c, fiber.StatusUnprocessableEntity, camp, TallyForm{}, sheet)
	}
	added, err := s.deps.Signing.AddPaperRows(c.UserContext(), camp, rows)
	var perr *campaign.PaperError
	switch {
	case errors.As(err, &perr):
		for i := range sheet.Rows {
			for _, f := range perr.Rows[i] {
				if sheet.Rows[i].Errors == nil {
					sheet.Rows[i].Errors = map[string]string{}
				}
				field := f.Field
				if field == "country" && sheet.Rows[i].Country == "" {
					// The row took the sheet's country, which is missing.
					field = "sheet_country"
				}
				msg := s.signatureProblem(t, campaign.FieldError{Field: "row_" + field, Problem: f.Problem, Limit: f.Limit})
				sheet.Rows[i].Errors[f.Field] = msg
				sheet.Problems = append(sheet.Problems, FieldProblem{
					Field:   fmt.Sprintf("r%d-%s", i+1, f.Field),
					Message: t.T("signatures.paper.row_problem", "Row", t.Number(int64(i+1)), "Message", msg),
				})
			}
		}
		return s.renderPaper(c, fiber.StatusUnprocessableEntity, camp, TallyForm{}, sheet)
	case errors.Is(err, campaign.ErrNothingToAdd):
		sheet.Notice = t.T("signatures.paper.nothing")
		return s.renderPaper(c, fiber.StatusUnprocessableEntity, camp, TallyForm{}, sheet)
	case err != nil:
		return err
	}
	if err := s.record(c, audit.PaperAdded, camp.Slug, fmt.Sprintf("%d typed in", added)); err != nil {
		return err
	}
	return c.Redirect(signaturesBase(camp)+"/paper?done=paper_typed#sheet", fiber.StatusSeeOther)
}
