package web

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
)

// eraseCookie carries a new signature's erasure code from the sign POST
// to the thanks page, which shows it once and clears it: the code never
// appears in a URL the thanks page is reached by.
const eraseCookie = "erase_code"

// supporterActor names a supporter who erased their own signature in the
// audit log: nothing says whose signature it was.
const supporterActor = "supporter"

// ErasePage is the self-erasure page: a form to type a code (Campaign
// empty), or the campaign a code names with a button that erases it, or
// the answer after erasing (Done).
type ErasePage struct {
	Page
	// Campaign is the title of the campaign the code names, in the
	// campaign's language (Lang).
	Campaign, Lang string
	Code           string
	// Error is set when a typed code is not valid.
	Error string
	// Unknown is set for a link whose code is not valid.
	Unknown bool
	Done    bool
}

// secretLinkHeaders keep a page whose address holds a secret (an
// erasure code, a confirmation or unsubscribe link) out of caches, search
// engines and the Referer of any link followed from it.
func secretLinkHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Robots-Tag", "noindex")
	c.Set("Referrer-Policy", "no-referrer")
}

func (s *Server) erasePage(c *fiber.Ctx, title string) ErasePage {
	p := ErasePage{Page: s.page(c, title)}
	p.Meta.NoIndex = true
	return p
}

// eraseForm asks for a code.
func (s *Server) eraseForm(c *fiber.Ctx) error {
	secretLinkHeaders(c)
	t := s.localizer(c)
	return s.render(c, fiber.StatusOK, "erase", s.erasePage(c, t.T("erase.title")))
}

// eraseLink shows the campaign a code names and a button that erases it.
// It changes nothing (mail scanners follow links), and does not look for
// the signature: its answer is the same for every code that verifies.
func (s *Server) eraseLink(c *fiber.Ctx) error {
	secretLinkHeaders(c)
	t := s.localizer(c)
	p := s.erasePage(c, t.T("erase.title"))
	code := c.Params("code")
	ref, err := s.deps.Erasures.Parse(code)
	camp, ok := s.deps.Signing.Campaigns().ByID(ref.CampaignID)
	if err != nil || !ok {
		p.Unknown = true
		return s.render(c, fiber.StatusNotFound, "erase", p)
	}
	v, err := s.campaignView(c, camp)
	if err != nil {
		return err
	}
	p.Campaign, p.Lang, p.Code = v.Title, v.Lang, code
	return s.render(c, fiber.StatusOK, "erase", p)
}

// erase erases the signature a code names, as the console's erasure
// does, and answers with the same page whether or not there was one to
// erase: a repeat's code, an erased signature's and a real one look alike.
// An answer that erased nothing comes when a real erasure's would
// (erasePace), so that its time does not tell either.
func (s *Server) erase(c *fiber.Ctx) error {
	start := time.Now()
	secretLinkHeaders(c)
	t := s.localizer(c)
	ref, err := s.deps.Erasures.Parse(formValue(c, "code"))
	camp, ok := s.deps.Signing.Campaigns().ByID(ref.CampaignID)
	if err != nil || !ok {
		p := s.erasePage(c, t.T("erase.title"))
		p.Error = t.T("erase.invalid")
		return s.render(c, fiber.StatusUnprocessableEntity, "erase", p)
	}
	sig, err := s.deps.Signing.SignatureFor(c.UserContext(), ref)
	switch {
	case errors.Is(err, campaign.ErrNotFound):
		// Nothing to erase. The database files are scrubbed all the same,
		// and the answer waits as long as an erasure's took.
		if err := s.deps.Scrubber.Scrub(c.UserContext()); err != nil {
			return err
		}
		if err := s.erasing.wait(c.UserContext(), start); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		n, err := s.eraseSignature(c.UserContext(), camp.ID, sig, supporterActor)
		if err != nil {
			return err
		}
		if err := s.deps.Audit.Record(c.UserContext(), supporterActor, audit.Erased, camp.Slug,
			fmt.Sprintf("by the supporter's erasure code; bundles that held it, being rebuilt: %d", n)); err != nil {
			return err
		}
		if err := s.deps.Scrubber.Scrub(c.UserContext()); err != nil {
			return err
		}
		s.erasing.took(time.Since(start))
	}
	return c.Redirect("/erase/done", fiber.StatusSeeOther)
}

// eraseFloor is how long an answer that erased nothing takes before the
// node has timed a real erasure: about what one takes on the embedded
// database (BenchmarkSelfErasure).
const eraseFloor = 100 * time.Millisecond

// erasePace holds how long the last self-erasures of this node took, so
// that an answer that erased nothing (a repeat's code, or one used
// before) can take as long as one of them, drawn at random: the two kinds
// of answer then take times from the same spread. Its zero value is
// ready; it holds durations only.
type erasePace struct {
	mu   sync.Mutex
	last [16]time.Duration // a ring of the last erasures' times
	n    int               // how many the ring holds
	next int               // where the next one goes
}

// took records the time a real erasure took.
func (p *erasePace) took(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last[p.next] = d
	p.next = (p.next + 1) % len(p.last)
	p.n = min(p.n+1, len(p.last))
}

// target is how long an answer that erased nothing should take: one of
// the recorded times, at random, or eraseFloor when none is recorded.
func (p *erasePace) target() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		return eraseFloor
	}
	return p.last[rand.IntN(p.n)]
}

// wait returns once target has passed since start, or when ctx ends.
func (p *erasePace) wait(ctx context.Context, start time.Time) error {
	left := p.target() - time.Since(start)
	if left <= 0 {
		return nil
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait as long as an erasure: %w", ctx.Err())
	}
}

// eraseDone says the signature is erased.
func (s *Server) eraseDone(c *fiber.Ctx) error {
	secretLinkHeaders(c)
	t := s.localizer(c)
	p := s.erasePage(c, t.T("erase.done.title"))
	p.Done = true
	return s.render(c, fiber.StatusOK, "erase", p)
}

// eraseSignature erases sig of campaignID, its greeting and any stored
// address, and takes it off the counts. The bundles that hold the name
// lose their archives before it goes, so that a failure leaves the
// signature to erase again, and are built again without it; the others
// stay as they are. It returns how many bundles are being rebuilt.
func (s *Server) eraseSignature(ctx context.Context, campaignID string, sig *campaign.Signature, by string) (int, error) {
	return s.deps.Bundles.Erase(ctx, campaignID, sig.SignedAt, by, func(ctx context.Context) error {
		// The bundles' numbers and the replies that named it forget its
		// ID first: an erasure that fails half way is asked for again.
		if err := s.deps.Bundles.ForgetSignature(ctx, campaignID, sig.ID); err != nil {
			return err
		}
		if s.deps.Delivery != nil {
			if err := s.deps.Delivery.ForgetSignature(ctx, campaignID, sig.ID); err != nil {
				return err
			}
		}
		return s.deps.Signing.EraseSignature(ctx, campaignID, sig.ID)
	})
}

// setErasureCode gives the thanks page at thanks the erasure code of the
// signature r names, in a cookie that lives for a few minutes.
func (s *Server) setErasureCode(c *fiber.Ctx, camp *campaign.Campaign, r campaign.Receipt, thanks string) {
	code := s.deps.Erasures.Code(camp.ID, r.ID, r.SignedAt)
	if code == "" {
		return
	}
	c.Cookie(eraseCodeCookie(c, code, thanks, int((10 * time.Minute).Seconds())))
}

// eraseCodeCookie is the cookie that carries code to the thanks page at
// path for maxAge seconds (negative: clears it). The widget's thanks page
// is in a frame on another site, where a Lax cookie is not sent: there it
// is SameSite=None, which browsers accept over HTTPS only, and which those
// that block third-party cookies drop (the widget then shows no code).
func eraseCodeCookie(c *fiber.Ctx, code, path string, maxAge int) *fiber.Cookie {
	k := &fiber.Cookie{
		Name: eraseCookie, Value: code, Path: path, MaxAge: maxAge,
		HTTPOnly: true, Secure: c.Protocol() == "https", SameSite: fiber.CookieSameSiteLaxMode,
	}
	if maxAge < 0 {
		k.Expires = time.Unix(1, 0)
	}
	if k.Secure && strings.HasPrefix(path, "/embed/") {
		k.SameSite = fiber.CookieSameSiteNoneMode
	}
	return k
}

// ErasureOffer is the erasure link and code a thanks page shows once.
type ErasureOffer struct {
	Code, Link string
}

// takeErasureCode reads the erasure code the sign POST left for this
// thanks page, if it belongs to camp, and clears it: it is shown once.
func (s *Server) takeErasureCode(c *fiber.Ctx, camp *campaign.Campaign) *ErasureOffer {
	code := c.Cookies(eraseCookie)
	if code == "" {
		return nil
	}
	c.Cookie(eraseCodeCookie(c, "", c.Path(), -1))
	ref, err := s.deps.Erasures.Parse(code)
	if err != nil || ref.CampaignID != camp.ID {
		return nil
	}
	c.Set("Referrer-Policy", "no-referrer")
	return &ErasureOffer{Code: code, Link: s.baseURL(c) + "/erase/" + url.PathEscape(code)}
}

// thanksPath is the path of a thanks address, without its query.
func thanksPath(thanks string) string {
	if u, err := url.Parse(thanks); err == nil {
		return u.Path
	}
	return thanks
}
