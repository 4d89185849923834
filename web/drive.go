package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// DriveView is what a drive's page shows around its form: the recipient
// the card goes to, with their story, rules and suggested greetings, the
// counts per recipient, and the ways to another recipient.
type DriveView struct {
	// Recipient is the one the card goes to; nil when nobody is left to
	// offer (Nobody).
	Recipient *campaign.Recipient
	Nobody    bool
	// Offered is true when the drive chose Recipient, false when the
	// supporter named them (?to=).
	Offered bool
	// Cards are the cards written to Recipient; Written all the drive's
	// cards, Waiting the recipients with none yet.
	Cards, Written int64
	Waiting        int64
	// Suggestions are the organizer's greetings in the languages that
	// reach Recipient.
	Suggestions []campaign.Suggestion
	// Another is the address of the page offering someone else; Skip is
	// the sealed list of the recipients passed so far, which the form
	// carries to its thanks page.
	Another string
	Skip    string
	// Choices are the drive's listed recipients, to choose by name.
	Choices []DriveChoice
}

// DriveChoice is a recipient of a drive in its list of names.
type DriveChoice struct {
	Name, Href string
	Cards      int64
	Current    bool
}

// skipMax is how many recipients a skip list keeps: the latest ones.
const skipMax = 64

// skipAEAD seals the skip lists: the recipients a supporter wrote to or
// passed are theirs to know, so the list in a link is encrypted as well as
// signed.
func (s *Server) skipAEAD() cipher.AEAD {
	key := sha256.Sum256(append([]byte("drive skip list\x00"), s.cfg.FormKey...))
	block, _ := aes.NewCipher(key[:]) // a 32-byte key never fails
	aead, _ := cipher.NewGCM(block)
	return aead
}

// sealSkip seals a skip list for a link.
func (s *Server) sealSkip(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	if len(ids) > skipMax {
		ids = ids[len(ids)-skipMax:]
	}
	aead := s.skipAEAD()
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce) // never fails
	out := aead.Seal(nonce, nonce, []byte(strings.Join(ids, ",")), []byte("skip"))
	return base64.RawURLEncoding.EncodeToString(out)
}

// openSkip opens a sealed skip list; one that does not open is empty:
// the supporter is offered anyone.
func (s *Server) openSkip(v string) []string {
	b, err := base64.RawURLEncoding.DecodeString(v)
	aead := s.skipAEAD()
	if err != nil || len(b) < aead.NonceSize() {
		return nil
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte("skip"))
	if err != nil || len(plain) == 0 {
		return nil
	}
	return strings.Split(string(plain), ",")
}

// drivePage answers /c/{slug} for a drive: the recipient named by ?to=
// (their page's slug), else the one the drive offers, passing those in
// ?skip=.
func (s *Server) drivePage(c *fiber.Ctx, camp *campaign.Campaign) error {
	form := SignForm{Ref: refCode(c.Query("ref")), Skip: c.Query("skip")}
	if to := c.Query("to"); to != "" {
		r, err := s.deps.Signing.Campaigns().PublicRecipient(to)
		if err != nil || !camp.WritesTo(r.ID) {
			return fiber.ErrNotFound
		}
		form.Recipient = r.ID
	} else {
		switch r, err := s.deps.Signing.Offer(camp, s.openSkip(form.Skip)); {
		case errors.Is(err, campaign.ErrNobodyToOffer):
		case err != nil:
			return err
		default:
			form.Recipient, form.Offered = r.ID, true
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store") // each visit may be offered someone else
	return s.renderCampaign(c, fiber.StatusOK, camp, form)
}

// driveView lays out the drive part of a drive's page for form's
// recipient.
func (s *Server) driveView(c *fiber.Ctx, camp *campaign.Campaign, form SignForm) *DriveView {
	set := s.deps.Signing.Campaigns()
	counts := s.deps.Signing.CardCounts(camp.ID)
	d := &DriveView{Offered: form.Offered, Waiting: int64(s.deps.Signing.Waiting(camp)), Skip: form.Skip}
	for _, n := range counts {
		d.Written += n
	}
	r, ok := set.Recipient(form.Recipient)
	if !ok || !camp.WritesTo(form.Recipient) {
		d.Nobody = true
	} else {
		d.Recipient, d.Cards = r, counts[r.ID]
		for _, sg := range camp.Suggestions {
			if len(r.Languages) == 0 || slices.Contains(r.Languages, sg.Language) {
				d.Suggestions = append(d.Suggestions, sg)
			}
		}
		d.Another = "/c/" + url.PathEscape(camp.Slug) + "?skip=" + s.sealSkip(append(s.openSkip(form.Skip), r.ID)) + "#drive"
	}
	day := s.cfg.Now().UTC().Format(time.DateOnly)
	for _, id := range camp.RecipientIDs {
		x, ok := set.Recipient(id)
		if !ok || x.Unlisted || x.Slug == "" || !x.Reachable(day) {
			continue // unlisted recipients are not named
		}
		d.Choices = append(d.Choices, DriveChoice{Name: x.Name, Cards: counts[id], Current: d.Recipient != nil && id == d.Recipient.ID,
			Href: "/c/" + url.PathEscape(camp.Slug) + "?to=" + url.QueryEscape(x.Slug) + "#drive"})
	}
	slices.SortStableFunc(d.Choices, func(a, b DriveChoice) int {
		if a.Cards != b.Cards {
			return int(a.Cards - b.Cards)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return d
}

// driveThanks is where a drive's thanks page leads to write another card:
// the drive's page, passing the recipients written to so far.
func (s *Server) driveThanks(thanks string, form SignForm) string {
	return thanks + "?more=" + s.sealSkip(append(s.openSkip(form.Skip), form.Recipient))
}
