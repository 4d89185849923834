package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// partnerContactField is the embedded form's box that lets the partner
// whose site embeds it contact the supporter. It is unticked unless the
// supporter ticks it, and separate from asking for updates.
const partnerContactField = "partner_contact"

// embedPartner returns the partner whose website is the origin the
// embedded form is attributed to, nil when none is or when camp does not
// ask supporters to confirm their address (campaign.OffersUpdates): a
// partner gets only confirmed addresses.
func (s *Server) embedPartner(c *fiber.Ctx, camp *campaign.Campaign, origin string) (*campaign.Partner, error) {
	if origin == "" || !campaign.OffersUpdates(camp) {
		return nil, nil
	}
	p, err := s.deps.Partners.ByWebsite(c.UserContext(), origin)
	if errors.Is(err, campaign.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// partnerConsent is the consent the box gives for partner, with its label
// as the supporter reads it; nil without a partner.
func partnerConsent(t *i18n.Localizer, partner *campaign.Partner) *campaign.PartnerConsent {
	if partner == nil {
		return nil
	}
	return &campaign.PartnerConsent{Partner: partner.Ref, Text: t.T("updates.partner.consent", "Partner", partner.Name)}
}

// partnerContactCheck adds the box for the partner whose site embeds the
// form to checks, when one does (see embedPartner).
func (s *Server) partnerContactCheck(c *fiber.Ctx, t *i18n.Localizer, camp *campaign.Campaign, origin string, form SignForm, checks []CheckView) ([]CheckView, error) {
	partner, err := s.embedPartner(c, camp, origin)
	if err != nil || partner == nil {
		return checks, err
	}
	label := partnerConsent(t, partner).Text
	return append(checks, CheckView{Name: partnerContactField, Label: label, Checked: form.PartnerContact}), nil
}

// partnerConsent is the consent to store with the signature: the box's,
// when the supporter ticked it.
func (how signing) partnerConsent(form SignForm) *campaign.PartnerConsent {
	if !form.PartnerContact {
		return nil
	}
	return how.Partner
}
