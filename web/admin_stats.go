package web

import (
	"math"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/letters"
)

// A campaign's statistics: figures, top countries, greetings by status and
// the signatures-per-day chart.

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
	if ok, err := s.preparing(c, camp, "/stats", s.localizer(c).T("signatures.stats.title", "Title", camp.Title), err); ok {
		return err
	}
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
	ch.Desc = t.N("signatures.stats.chart.desc", total, "From", days[0].Date, "To", days[len(days)-1].Date,
		"Peak", peak.Date, "PeakCount", t.Number(peak.Total))
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
