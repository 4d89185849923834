package archive

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// The errors of a stored file that is gone (GridFS's own).
var (
	errFileNotFound = mongo.ErrFileNotFound
	errMissingChunk = mongo.ErrMissingChunk
)

// writeGreetings writes the greetings a bundle of c with scope prints
// (texts in lang) as one CSV file, as they are read, and returns how many.
func (s *Service) writeGreetings(ctx context.Context, z *writer, c *campaign.Campaign, dir string, scope bundle.Scope, lang string) (int, error) {
	name := dir + "greetings.csv"
	f, err := z.create(name, z.l.T("archive.zip.what.greetings"), zip.Deflate)
	if err != nil {
		return 0, err
	}
	cw := newCSV(f)
	_ = cw.Write(z.heads("archive.zip.col.date", "archive.zip.col.name", "archive.zip.col.city", "archive.zip.col.country",
		"archive.zip.col.language", "archive.zip.col.greeting", "archive.zip.col.translation_language", "archive.zip.col.translation"))
	n := 0
	loc := c.Location() // loaded from the zone database on each call
	err = s.bundles.EachPrinted(ctx, c, scope, lang, func(p *bundle.Printed) error {
		n++
		return cw.Write([]string{p.CreatedAt.In(loc).Format(time.DateOnly), p.Name, p.City, p.Country, p.Language,
			p.Text, p.TranslationLanguage, p.Translation})
	})
	if err != nil {
		return 0, fmt.Errorf("archive greetings of %s: %w", c.Slug, err)
	}
	if cw.Flush(); cw.Error() != nil {
		return 0, fmt.Errorf("archive greetings of %s: %w", c.Slug, cw.Error())
	}
	return n, f.close()
}

// heads words a table's column heads.
func (z *writer) heads(ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = z.l.T(id)
	}
	return out
}

// yesNo words a yes or no.
func (z *writer) yesNo(b bool) string {
	if b {
		return z.l.T("archive.zip.yes")
	}
	return z.l.T("archive.zip.no")
}

// writeDelivery writes a campaign's delivery log as CSV and as text:
// every event without its internal note and without who recorded it.
// Days, IDs, SHA-256 sums and the time recorded stay as codes; what
// happened and how are words.
func writeDelivery(z *writer, c *campaign.Campaign, dir string, events []delivery.Event) error {
	f, err := z.create(dir+"delivery-log.csv", z.l.T("archive.zip.what.delivery_csv"), zip.Deflate)
	if err != nil {
		return err
	}
	cw := newCSV(f)
	_ = cw.Write(z.heads("archive.zip.col.day", "archive.zip.col.kind", "archive.zip.col.public", "archive.zip.col.method",
		"archive.zip.col.envelopes", "archive.zip.col.tracking", "archive.zip.col.bundle", "archive.zip.col.bundle_sha256",
		"archive.zip.col.signatures", "archive.zip.col.pages", "archive.zip.col.reason", "archive.zip.col.post",
		"archive.zip.col.public_note", "archive.zip.col.numbers", "archive.zip.col.recorded_at"))
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	for _, e := range events {
		method := ""
		if e.Method != "" {
			method = z.l.T("delivery.method." + string(e.Method))
		}
		_ = cw.Write([]string{e.Day, z.l.T("delivery.kind." + string(e.Kind)), z.yesNo(e.Public), method, num(e.Envelopes), e.Tracking,
			e.Bundle, e.SHA256, num(e.Signatures), num(e.Pages), e.Reason, e.Post, e.PublicNote,
			delivery.FormatNumbers(e.Numbers), e.CreatedAt.UTC().Format(time.RFC3339)})
	}
	if cw.Flush(); cw.Error() != nil {
		return fmt.Errorf("archive delivery log of %s: %w", c.Slug, cw.Error())
	}
	if err := f.close(); err != nil {
		return err
	}

	t, err := z.create(dir+"delivery-log.txt", z.l.T("archive.zip.what.delivery_txt"), zip.Deflate)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(t)
	text, _ := c.TextIn(c.TextLanguage())
	fmt.Fprintf(b, "%s\n\n", z.l.T("archive.zip.delivery.title", "Title", text.Title))
	if len(events) == 0 {
		fmt.Fprintf(b, "%s\n", z.l.T("archive.zip.delivery.none"))
	}
	for _, e := range events {
		fmt.Fprintf(b, "%s  %s\n", z.day(e.Day), z.eventLine(&e))
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("archive delivery log of %s: %w", c.Slug, err)
	}
	return t.close()
}

// day words a YYYY-MM-DD day as the archive's language writes dates; a
// day that is not one stays as it is.
func (z *writer) day(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return z.l.Date(t)
}

// eventLine is an event in one readable line.
func (z *writer) eventLine(e *delivery.Event) string {
	l := z.l
	parts := []string{l.T("delivery.kind." + string(e.Kind))}
	add := func(id string, pairs ...any) { parts = append(parts, l.T(id, pairs...)) }
	if e.Signatures > 0 {
		add("archive.zip.ev.counts", "Signatures", l.Number(int64(e.Signatures)), "Pages", l.Number(int64(e.Pages)))
	}
	if e.Envelopes > 0 {
		add("archive.zip.ev.envelopes", "Envelopes", l.Number(int64(e.Envelopes)))
	}
	if e.Method != "" {
		parts = append(parts, l.T("delivery.method."+string(e.Method)))
	}
	if e.Tracking != "" {
		add("archive.zip.ev.tracking", "Number", e.Tracking)
	}
	if e.SHA256 != "" {
		add("archive.zip.ev.sha256", "SHA", e.SHA256)
	}
	if e.Reason != "" {
		add("archive.zip.ev.reason", "Reason", e.Reason)
	}
	if len(e.Numbers) > 0 {
		add("archive.zip.ev.numbers", "Numbers", delivery.FormatNumbers(e.Numbers))
	}
	if e.Post != "" {
		add("archive.zip.ev.post", "Slug", e.Post)
	}
	if e.PublicNote != "" {
		add("archive.zip.ev.note", "Note", e.PublicNote)
	}
	if !e.Public {
		add("archive.zip.ev.internal")
	}
	return strings.Join(parts, "; ")
}

// writeStatus writes the recipient's status and address history as CSV
// and as text: the address before any transfer, then each change.
func (s *Service) writeStatus(z *writer, r *campaign.Recipient) error {
	changes := slices.Clone(r.Changes)
	slices.SortStableFunc(changes, func(a, b campaign.StatusChange) int {
		if c := strings.Compare(a.Day, b.Day); c != 0 {
			return c
		}
		return a.RecordedAt.Compare(b.RecordedAt)
	})
	situation := func(s campaign.Situation) string { return z.l.T("delivery.rs.situation." + string(s)) }
	f, err := z.create("recipient/status-history.csv", z.l.T("archive.zip.what.status_csv"), zip.Deflate)
	if err != nil {
		return err
	}
	cw := newCSV(f)
	_ = cw.Write(z.heads("archive.zip.col.day", "archive.zip.col.situation", "archive.zip.col.address"))
	_ = cw.Write([]string{"", z.l.T("archive.zip.status.first"), strings.Join(r.Address, "\n")})
	for _, ch := range changes {
		_ = cw.Write([]string{ch.Day, situation(ch.Situation), strings.Join(ch.Address, "\n")})
	}
	if cw.Flush(); cw.Error() != nil {
		return fmt.Errorf("archive status of %s: %w", r.ID, cw.Error())
	}
	if err := f.close(); err != nil {
		return err
	}
	t, err := z.create("recipient/status-history.txt", z.l.T("archive.zip.what.status_txt"), zip.Deflate)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(t)
	fmt.Fprintf(b, "%s\n\n%s:\n", r.Name, z.l.T("archive.zip.status.first"))
	for _, l := range r.Address {
		fmt.Fprintf(b, "  %s\n", l)
	}
	if len(changes) == 0 {
		fmt.Fprintf(b, "\n%s\n", z.l.T("archive.zip.status.none"))
	}
	for _, ch := range changes {
		fmt.Fprintf(b, "\n%s  %s\n", z.day(ch.Day), situation(ch.Situation))
		for _, l := range ch.Address {
			fmt.Fprintf(b, "  %s\n", l)
		}
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("archive status of %s: %w", r.ID, err)
	}
	return t.close()
}

// writePosts writes each post about the recipient, or answering one of
// their campaigns, as Markdown, and each of their scans once.
func (s *Service) writePosts(ctx context.Context, z *writer, r *campaign.Recipient, campaigns map[string]bool) error {
	all, err := s.posts.All(ctx)
	if err != nil {
		return fmt.Errorf("archive posts of %s: %w", r.ID, err)
	}
	var mine []posts.Post
	for _, p := range all {
		if p.RecipientID == r.ID || (p.CampaignID != "" && campaigns[p.CampaignID]) {
			mine = append(mine, p)
		}
	}
	slices.SortFunc(mine, func(a, b posts.Post) int {
		if c := strings.Compare(a.Date(), b.Date()); c != 0 {
			return c
		}
		return strings.Compare(a.Slug, b.Slug)
	})
	scans := map[string]bool{}
	for _, p := range mine {
		f, err := z.create("letters/"+fileName(p.Slug)+".md", z.l.T("archive.zip.what.post", "Title", p.Title), zip.Deflate)
		if err != nil {
			return err
		}
		b := bufio.NewWriter(f)
		writePost(b, z.l, &p)
		if err := b.Flush(); err != nil {
			return fmt.Errorf("archive post %s: %w", p.Slug, err)
		}
		if err := f.close(); err != nil {
			return err
		}
		for i, sc := range p.Scans {
			if scans[sc.ID] {
				continue
			}
			scans[sc.ID] = true
			data, err := s.posts.ScanJPEG(ctx, sc.ID)
			if err != nil {
				return fmt.Errorf("archive scan %d of post %s: %w", i+1, p.Slug, err)
			}
			f, err := z.create("letters/scans/"+fileName(sc.ID)+".jpg", z.l.T("archive.zip.what.scan", "Page", i+1, "Slug", p.Slug), zip.Store)
			if err != nil {
				return err
			}
			if _, err := f.Write(data); err != nil {
				return fmt.Errorf("archive scan of post %s: %w", p.Slug, err)
			}
			if err := f.close(); err != nil {
				return err
			}
		}
	}
	return nil
}

// The words of a post's kind, state and way in, by their codes.
var (
	postKinds  = map[posts.Kind]string{posts.KindFrom: "posts.kind.from", posts.KindTo: "posts.kind.to", posts.KindNews: "posts.kind.news"}
	postStates = map[posts.State]string{posts.Draft: "posts.state.draft", posts.Scheduled: "posts.state.scheduled",
		posts.Published: "posts.state.published"}
	postChannels = map[posts.Channel]string{posts.ByPost: "posts.received.post", posts.ByFamily: "posts.received.family",
		posts.ByLawyer: "posts.received.lawyer", posts.ByOther: "posts.received.other"}
)

// word is the message of code in ids, or the code itself when it has none.
func word[K ~string](l *i18n.Localizer, ids map[K]string, code K) string {
	if id, ok := ids[code]; ok {
		return l.T(id)
	}
	return string(code)
}

// writePost writes a post as Markdown: a heading, its facts, its body,
// its translations and links to its scans.
func writePost(b *bufio.Writer, l *i18n.Localizer, p *posts.Post) {
	fmt.Fprintf(b, "# %s\n\n", oneLine(p.Title))
	fact := func(label, value string) {
		if value != "" {
			fmt.Fprintf(b, "- %s: %s\n", l.T(label), oneLine(value))
		}
	}
	fact("archive.zip.post.kind", word(l, postKinds, p.Kind))
	fact("archive.zip.post.written", strings.TrimSpace(p.WrittenOn+" "+p.WrittenAt))
	received := p.ReceivedOn
	if p.ReceivedBy != "" {
		received = strings.TrimSpace(received + " " + word(l, postChannels, p.ReceivedBy))
	}
	fact("archive.zip.post.received", received)
	fact("archive.zip.post.language", p.Lang)
	state := word(l, postStates, p.State)
	if !p.PublishAt.IsZero() {
		state += " " + p.PublishAt.UTC().Format(time.DateOnly)
	}
	if p.Unlisted {
		state += ", " + l.T("posts.state.unlisted")
	}
	fact("archive.zip.post.state", state)
	if p.NeedsConsent() {
		if p.Consent {
			fact("archive.zip.post.consent", l.T("archive.zip.yes"))
		} else {
			fact("archive.zip.post.consent", l.T("archive.zip.no"))
		}
	}
	fact("archive.zip.post.tags", strings.Join(p.Tags, ", "))
	if p.Excerpt != "" {
		fmt.Fprintf(b, "\n> %s\n", strings.ReplaceAll(strings.TrimSpace(p.Excerpt), "\n", "\n> "))
	}
	fmt.Fprintf(b, "\n%s\n", strings.TrimSpace(p.Body))
	for _, t := range p.Translations {
		fmt.Fprintf(b, "\n---\n\n## %s (%s)\n\n", oneLine(t.Title), t.Lang)
		if t.Excerpt != "" {
			fmt.Fprintf(b, "> %s\n\n", strings.ReplaceAll(strings.TrimSpace(t.Excerpt), "\n", "\n> "))
		}
		fmt.Fprintf(b, "%s\n", strings.TrimSpace(t.Body))
	}
	if len(p.Scans) > 0 {
		fmt.Fprintf(b, "\n---\n\n## %s\n\n", l.T("archive.zip.post.scans"))
		for i, sc := range p.Scans {
			fmt.Fprintf(b, "![%s](scans/%s.jpg)\n", l.T("archive.zip.post.page", "Page", i+1), fileName(sc.ID))
		}
	}
}

// oneLine keeps a value on its Markdown line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
