package web

import (
	"fmt"

	"github.com/solidarity-letters/solidarity/campaign"
)

// fieldLimit is the maxlength of a console form's input, by name: the
// limit the domain validates the field with, so that the form and the
// check cannot drift apart. An unknown name fails the page's rendering,
// and so the test that draws it.
func fieldLimit(name string) (int, error) {
	switch name {
	case "title":
		return campaign.TitleMax, nil
	case "share":
		return campaign.ShareMax, nil
	case "organizer":
		return campaign.OrganizerMax, nil
	case "recipient_name":
		return campaign.RecipientMax, nil
	case "recipient_sentence":
		return campaign.SentenceMax, nil
	case "partner_name":
		return campaign.PartnerNameMax, nil
	case "partner_ref":
		return campaign.RefMax, nil
	case "signer_name":
		return campaign.NameMax, nil
	case "signer_city":
		return campaign.CityMax, nil
	}
	return 0, fmt.Errorf("no limit for the field %q", name)
}
