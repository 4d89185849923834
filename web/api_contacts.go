package web

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
)

// apiContactsRate is how many pages of contacts a minute one API key may
// read: a leaked key reads slowly, and every page is in the audit log.
const apiContactsRate = 10

// APIContact is a supporter who, on the partner's embedded form, let the
// partner contact them.
type APIContact struct {
	// ID is opaque: the cursor of the next page.
	ID          string    `json:"id"`
	Campaign    string    `json:"campaign"`
	Email       string    `json:"email"`
	ConsentedAt time.Time `json:"consented_at"`
	// ConsentText is the box's label exactly as the supporter read it.
	ConsentText string `json:"consent_text"`
}

// APIContacts is one page of contacts.
type APIContacts struct {
	Contacts []APIContact `json:"contacts"`
	// Next is the after of the next page; empty on the last.
	Next string `json:"next,omitempty"`
}

// apiContacts lists, to the partner whose API key it is, the supporters
// who let that partner contact them: no other partner's, no one else's.
func (s *Server) apiContacts(c *fiber.Ctx) error {
	return answered(s.apiContactsInner(c))
}

func (s *Server) apiContactsInner(c *fiber.Ctx) error {
	ctx := c.UserContext()
	partner, err := s.apiPartner(c)
	if partner == nil {
		return err
	}
	if wait, ok := s.api.keyLimit.take("contacts:"+partner.Ref, apiContactsRate, s.cfg.Now()); !ok {
		return tooMany(c, wait)
	}
	after := c.Query("after")
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > campaign.ContactsPageMax {
			return apiFail(c, fiber.StatusBadRequest, "bad_limit", fmt.Sprintf("limit is a number from 1 to %d.", campaign.ContactsPageMax), nil)
		}
		limit = n
	}
	if len(after) > 128 {
		return apiFail(c, fiber.StatusBadRequest, "bad_after", "after is the next of a page.", nil)
	}
	list, more, err := s.deps.Partners.Contacts(ctx, partner.Ref, after, limit)
	if err != nil {
		return err
	}
	// Who read how many addresses, never which.
	detail := fmt.Sprintf("%d addresses", len(list))
	if err := s.deps.Audit.Record(ctx, "partner "+partner.Ref, audit.PartnerContactsRead, partner.Ref, detail); err != nil {
		return err
	}
	out := APIContacts{Contacts: make([]APIContact, len(list))}
	set := s.deps.Signing.Campaigns()
	slugs := map[string]string{}
	for i := range set.All {
		slugs[set.All[i].ID] = set.All[i].Slug
	}
	for i, ct := range list {
		out.Contacts[i] = APIContact{ID: ct.ID, Campaign: slugs[ct.CampaignID], Email: ct.Email,
			ConsentedAt: ct.At.UTC(), ConsentText: ct.Text}
	}
	if more && len(list) > 0 {
		out.Next = list[len(list)-1].ID
	}
	return c.JSON(out)
}
