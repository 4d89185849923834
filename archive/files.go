package archive

import (
	"archive/zip"
	"bufio"
	"cmp"
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
	f, err := z.create(name, "greetings as sent, each with its approved translation, signed as printed", zip.Deflate)
	if err != nil {
		return 0, err
	}
	cw := newCSV(f)
	_ = cw.Write([]string{"date", "name", "city", "country", "language", "greeting", "translation_language", "translation"})
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

// deliveryHeader are the delivery log's CSV columns.
var deliveryHeader = []string{"day", "kind", "public", "method", "envelopes", "tracking", "bundle", "bundle_sha256",
	"signatures", "pages", "reason", "post", "public_note", "reply_to_numbers", "recorded_at"}

// writeDelivery writes a campaign's delivery log as CSV and as text:
// every event without its internal note and without who recorded it.
func writeDelivery(z *writer, c *campaign.Campaign, dir string, events []delivery.Event) error {
	f, err := z.create(dir+"delivery-log.csv", "delivery log", zip.Deflate)
	if err != nil {
		return err
	}
	cw := newCSV(f)
	_ = cw.Write(deliveryHeader)
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	for _, e := range events {
		_ = cw.Write([]string{e.Day, string(e.Kind), strconv.FormatBool(e.Public), string(e.Method), num(e.Envelopes), e.Tracking,
			e.Bundle, e.SHA256, num(e.Signatures), num(e.Pages), e.Reason, e.Post, e.PublicNote,
			delivery.FormatNumbers(e.Numbers), e.CreatedAt.UTC().Format(time.RFC3339)})
	}
	if cw.Flush(); cw.Error() != nil {
		return fmt.Errorf("archive delivery log of %s: %w", c.Slug, cw.Error())
	}
	if err := f.close(); err != nil {
		return err
	}

	t, err := z.create(dir+"delivery-log.txt", "delivery log, to read", zip.Deflate)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(t)
	text, _ := c.TextIn(c.TextLanguage())
	fmt.Fprintf(b, "Delivery log: %s\n\n", text.Title)
	if len(events) == 0 {
		b.WriteString("Nothing recorded.\n")
	}
	for _, e := range events {
		fmt.Fprintf(b, "%s  %s\n", e.Day, eventLine(&e))
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("archive delivery log of %s: %w", c.Slug, err)
	}
	return t.close()
}

// kindWords are the delivery kinds in words.
var kindWords = map[delivery.Kind]string{
	delivery.KindBuilt: "Letter printed", delivery.KindPosted: "Posted", delivery.KindDelivered: "Delivered",
	delivery.KindReturned: "Returned to sender", delivery.KindConfirmed: "Receipt confirmed by the recipient",
	delivery.KindReply: "Reply received", delivery.KindBlocked: "Confiscated or blocked by the prison",
}

// eventLine is an event in one readable line.
func eventLine(e *delivery.Event) string {
	parts := []string{cmp.Or(kindWords[e.Kind], string(e.Kind))}
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	if e.Signatures > 0 {
		add("%d signatures, %d pages", e.Signatures, e.Pages)
	}
	if e.Envelopes > 0 {
		add("%d envelopes", e.Envelopes)
	}
	if e.Method != "" {
		add("by %s", e.Method)
	}
	if e.Tracking != "" {
		add("tracking number %s", e.Tracking)
	}
	if e.SHA256 != "" {
		add("bundle SHA-256 %s", e.SHA256)
	}
	if e.Reason != "" {
		add("reason: %s", e.Reason)
	}
	if len(e.Numbers) > 0 {
		add("to signatures %s", delivery.FormatNumbers(e.Numbers))
	}
	if e.Post != "" {
		add("letter %s", e.Post)
	}
	if e.PublicNote != "" {
		add("note: %s", e.PublicNote)
	}
	if !e.Public {
		add("(not shown publicly)")
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
	f, err := z.create("recipient/status-history.csv", "status and address history", zip.Deflate)
	if err != nil {
		return err
	}
	cw := newCSV(f)
	_ = cw.Write([]string{"day", "situation", "address"})
	_ = cw.Write([]string{"", "first address", strings.Join(r.Address, "\n")})
	for _, ch := range changes {
		_ = cw.Write([]string{ch.Day, string(ch.Situation), strings.Join(ch.Address, "\n")})
	}
	if cw.Flush(); cw.Error() != nil {
		return fmt.Errorf("archive status of %s: %w", r.ID, cw.Error())
	}
	if err := f.close(); err != nil {
		return err
	}
	t, err := z.create("recipient/status-history.txt", "status and address history, to read", zip.Deflate)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(t)
	fmt.Fprintf(b, "%s\n\nAddress before any transfer:\n", r.Name)
	for _, l := range r.Address {
		fmt.Fprintf(b, "  %s\n", l)
	}
	if len(changes) == 0 {
		b.WriteString("\nNo change recorded.\n")
	}
	for _, ch := range changes {
		fmt.Fprintf(b, "\n%s  %s\n", ch.Day, ch.Situation)
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
		f, err := z.create("letters/"+fileName(p.Slug)+".md", "letter or post: "+p.Title, zip.Deflate)
		if err != nil {
			return err
		}
		b := bufio.NewWriter(f)
		writePost(b, &p)
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
			f, err := z.create("letters/scans/"+fileName(sc.ID)+".jpg", fmt.Sprintf("scan %d of %s", i+1, p.Slug), zip.Store)
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

// writePost writes a post as Markdown: a heading, its facts, its body,
// its translations and links to its scans.
func writePost(b *bufio.Writer, p *posts.Post) {
	fmt.Fprintf(b, "# %s\n\n", oneLine(p.Title))
	fact := func(label, value string) {
		if value != "" {
			fmt.Fprintf(b, "- %s: %s\n", label, oneLine(value))
		}
	}
	fact("Kind", string(p.Kind))
	fact("Written", strings.TrimSpace(p.WrittenOn+" "+p.WrittenAt))
	fact("Received", strings.TrimSpace(p.ReceivedOn+" "+string(p.ReceivedBy)))
	fact("Language", p.Lang)
	state := string(p.State)
	if !p.PublishAt.IsZero() {
		state += " " + p.PublishAt.UTC().Format(time.DateOnly)
	}
	if p.Unlisted {
		state += ", unlisted"
	}
	fact("State", state)
	if p.NeedsConsent() {
		fact("Consent to publish", strconv.FormatBool(p.Consent))
	}
	fact("Tags", strings.Join(p.Tags, ", "))
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
		b.WriteString("\n---\n\n## Scans\n\n")
		for i, sc := range p.Scans {
			fmt.Fprintf(b, "![Page %d](scans/%s.jpg)\n", i+1, fileName(sc.ID))
		}
	}
}

// oneLine keeps a value on its Markdown line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
