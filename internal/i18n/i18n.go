// Package i18n is solidarity's translation catalog: every string a person
// reads passes through it, in the language chosen for the request.
//
// Messages live in locales/<lang>.json in go-i18n's format and are embedded
// in the binary. English is complete and the fallback for anything missing.
package i18n

import (
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed locales/*.json
var locales embed.FS

// review holds the marks for review (review/README.md).
//
//go:embed review
var review embed.FS

// Default returns the language of the catalog's fallback messages.
func Default() language.Tag { return language.English }

// Catalog holds the messages of every shipped language.
type Catalog struct {
	bundle  *goi18n.Bundle
	tags    []language.Tag
	matcher language.Matcher
	// ids are the message IDs each language's files define.
	ids map[language.Tag][]string
	// texts are the messages as written, for the review page: the "other"
	// form of plural ones.
	texts map[language.Tag]map[string]string
	// marks are the translations their translator was unsure of.
	marks []Mark
	// localizers are made once per shipped language: every request needs
	// one, and making one parses tags and builds a number printer.
	localizers map[language.Tag]*Localizer
}

// Mark is a translation marked for review by its translator, with why.
type Mark struct {
	Lang language.Tag
	ID   string
	Note string
}

// Load reads the embedded message files. A broken file is an error, so that
// it stops start-up rather than a request.
func Load() (*Catalog, error) {
	b := goi18n.NewBundle(Default())
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	files, err := fs.Glob(locales, "locales/*.json")
	if err != nil {
		return nil, fmt.Errorf("list message files: %w", err)
	}
	ids := map[language.Tag][]string{}
	texts := map[language.Tag]map[string]string{}
	for _, f := range files {
		data, err := locales.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		mf, err := b.ParseMessageFileBytes(data, path.Base(f))
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		if texts[mf.Tag] == nil {
			texts[mf.Tag] = map[string]string{}
		}
		for _, m := range mf.Messages {
			ids[mf.Tag] = append(ids[mf.Tag], m.ID)
			texts[mf.Tag][m.ID] = cmp.Or(m.Other, m.One)
		}
	}
	// The default language first: the matcher falls back to it.
	tags := []language.Tag{Default()}
	for _, t := range b.LanguageTags() {
		if t != Default() {
			tags = append(tags, t)
		}
	}
	for _, list := range ids {
		slices.Sort(list)
	}
	marks, err := loadMarks()
	if err != nil {
		return nil, err
	}
	c := &Catalog{bundle: b, tags: tags, matcher: language.NewMatcher(tags), ids: ids, texts: texts, marks: marks}
	c.localizers = make(map[language.Tag]*Localizer, len(tags))
	for _, t := range tags {
		c.localizers[t] = c.newLocalizer(t)
	}
	return c, nil
}

// loadMarks reads review/<lang>.json, sorted by language and ID.
func loadMarks() ([]Mark, error) {
	files, err := fs.Glob(review, "review/*.json")
	if err != nil {
		return nil, fmt.Errorf("list review marks: %w", err)
	}
	var marks []Mark
	for _, f := range files {
		tag, err := language.Parse(strings.TrimSuffix(path.Base(f), ".json"))
		if err != nil {
			return nil, fmt.Errorf("review marks %s: %w", f, err)
		}
		data, err := review.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		var notes map[string]string
		if err := json.Unmarshal(data, &notes); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		for id, note := range notes {
			marks = append(marks, Mark{Lang: tag, ID: id, Note: note})
		}
	}
	slices.SortFunc(marks, func(a, b Mark) int {
		return cmp.Or(strings.Compare(a.Lang.String(), b.Lang.String()), strings.Compare(a.ID, b.ID))
	})
	return marks, nil
}

// Marks returns the translations marked for review, by language and ID.
func (c *Catalog) Marks() []Mark { return slices.Clone(c.marks) }

// Text returns message id of the language as written (the "other" form of
// a plural message), placeholders and all; "" when the language lacks it.
func (c *Catalog) Text(tag language.Tag, id string) string { return c.texts[tag][id] }

// IDs returns the message IDs that the files of the language define,
// sorted; what the language lacks falls back to the default language. It
// is for tests that hold the catalog and the code to each other.
func (c *Catalog) IDs(tag language.Tag) []string { return slices.Clone(c.ids[tag]) }

// Languages returns the shipped languages, the default first.
func (c *Catalog) Languages() []language.Tag { return c.tags }

// Supported returns the shipped language that tag names exactly (by its
// base language), and whether there is one.
func (c *Catalog) Supported(tag string) (language.Tag, bool) {
	t, err := language.Parse(tag)
	if err != nil {
		return language.Und, false
	}
	base, _ := t.Base()
	for _, s := range c.tags {
		if b, _ := s.Base(); b == base {
			return s, true
		}
	}
	return language.Und, false
}

// Match picks the language for a request: an explicit choice (a ?lang=
// parameter, then the cookie) if it is shipped, then the best match for the
// Accept-Language header, then the default. It reports whether the request
// named a shipped language; false means the default was taken for want of
// one, and a page may then prefer its own (a campaign's language).
func (c *Catalog) Match(choices []string, acceptLanguage string) (language.Tag, bool) {
	for _, choice := range choices {
		if t, ok := c.Supported(choice); ok {
			return t, true
		}
	}
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return Default(), false
	}
	_, i, conf := c.matcher.Match(prefs...)
	if conf == language.No {
		return Default(), false
	}
	return c.tags[i], true
}

// Localizer returns the translator for one language. A Localizer is safe
// for concurrent use; those of the shipped languages are shared.
func (c *Catalog) Localizer(tag language.Tag) *Localizer {
	if l, ok := c.localizers[tag]; ok {
		return l
	}
	return c.newLocalizer(tag)
}

func (c *Catalog) newLocalizer(tag language.Tag) *Localizer {
	return &Localizer{
		tag:     tag,
		l:       goi18n.NewLocalizer(c.bundle, tag.String(), Default().String()),
		printer: message.NewPrinter(tag),
	}
}

// Has reports whether the default language has a message with that ID.
func (c *Catalog) Has(id string) bool {
	_, err := goi18n.NewLocalizer(c.bundle, Default().String()).Localize(&goi18n.LocalizeConfig{MessageID: id})
	return err == nil
}

// Localizer translates messages into one language. Its methods are called
// from templates, so they return a string even for a missing message: the
// message ID, which tests catch.
type Localizer struct {
	tag     language.Tag
	l       *goi18n.Localizer
	printer *message.Printer
}

// Lang is the language's BCP 47 tag, for the lang attribute.
func (l *Localizer) Lang() string { return l.tag.String() }

// Tag is the localizer's language.
func (l *Localizer) Tag() language.Tag { return l.tag }

// T translates the message id, filling its template from pairs of names
// and values: T("sign.thanks", "Name", "Ales").
func (l *Localizer) T(id string, pairs ...any) string {
	return l.localize(id, nil, pairs)
}

// N translates a message that depends on a count, choosing the plural
// form for n; the template sees n as .Count, formatted for the language.
func (l *Localizer) N(id string, n int64, pairs ...any) string {
	return l.localize(id, n, append(pairs, "Count", l.Number(n)))
}

func (l *Localizer) localize(id string, count any, pairs []any) string {
	var data map[string]any
	if len(pairs) > 0 {
		data = make(map[string]any, len(pairs)/2)
		for i := 0; i+1 < len(pairs); i += 2 {
			data[fmt.Sprint(pairs[i])] = pairs[i+1]
		}
	}
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil {
		return id
	}
	return oneFullStop(s, data)
}

// oneFullStop drops the full stop a message puts after a value that ends
// in one already, as dates do in several languages: "выдаленага 10
// студзеня 2013 г.." becomes "... 2013 г.". An ellipsis is left alone.
func oneFullStop(s string, data map[string]any) string {
	for _, v := range data {
		v, ok := v.(string)
		if !ok || len(v) < 2 || !strings.HasSuffix(v, ".") || strings.HasSuffix(v, "..") {
			continue
		}
		if strings.Contains(s, v+"..") {
			continue
		}
		s = strings.ReplaceAll(s, v+".", v)
	}
	return s
}

// Number formats n with the language's digit grouping: 12,384 in English.
func (l *Localizer) Number(n int64) string { return l.printer.Sprintf("%d", n) }

// Date formats the calendar day of t (already in the zone to show) as the
// language writes it: 12 July 2027.
func (l *Localizer) Date(t time.Time) string {
	return l.T("date.long", "Day", t.Day(), "Month", l.T(fmt.Sprintf("month.%d", int(t.Month()))), "Year", t.Year())
}

// DateTime formats t with its time of day and zone abbreviation.
func (l *Localizer) DateTime(t time.Time) string {
	zone, _ := t.Zone()
	if strings.HasPrefix(zone, "+") || strings.HasPrefix(zone, "-") {
		zone = "UTC" + zone
	}
	return l.T("date.time", "Date", l.Date(t), "Time", t.Format("15:04"), "Zone", zone)
}
