package web

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// bundleRecipient is the campaign's recipient, whose prison's rules the
// bundle page checks the letter against; nil for a campaign without one.
func (s *Server) bundleRecipient(ctx context.Context, camp *campaign.Campaign) (*campaign.Recipient, error) {
	if camp.RecipientID == "" {
		return nil, nil
	}
	r, err := s.deps.Signing.Recipient(ctx, camp.RecipientID)
	if errors.Is(err, campaign.ErrNotFound) {
		return nil, nil
	}
	return r, err
}

// Warning is one reason a bundle may not reach the recipient. Href, when
// set, is where to put it right, linked with the words Link.
type Warning struct {
	Text, Href, Link string
}

// letterWarnings says, in t's language, why a bundle of camp printed in
// lang may not reach the recipient r: its letter (and with it the printed
// texts) in a language the prison does not let through, with a link to
// add a translation when the campaign has none the prison takes, or words
// its censors are known to reject in the title or letter it prints. None
// for a recipient without rules.
func letterWarnings(t *i18n.Localizer, msgs *i18n.Catalog, camp *campaign.Campaign, r *campaign.Recipient, lang string) []Warning {
	k := bundle.CheckLetter(camp, r, lang, msgs)
	if r == nil || k.OK() {
		return nil
	}
	names := display.Tags(t.Tag())
	list := func(codes []string) string {
		out := make([]string, len(codes))
		for i, code := range codes {
			out[i] = names.Name(language.Make(code))
		}
		return strings.Join(out, ", ")
	}
	var out []Warning
	if !k.Allowed {
		out = append(out, Warning{Text: t.T("admin.bundle.warn.language", "Language", list([]string{lang}), "Allowed", list(r.Languages))})
	}
	if !k.Allowable {
		out = append(out, Warning{Text: t.T("admin.bundle.warn.no_text", "Languages", list(bundle.Languages(camp, msgs))),
			Href: "/admin/campaigns/" + url.PathEscape(camp.ID) + "/texts", Link: t.T("admin.bundle.warn.add_translation")})
	}
	if len(k.Censored) > 0 {
		out = append(out, Warning{Text: t.T("admin.bundle.warn.censor", "Words", strings.Join(k.Censored, ", "))})
	}
	return out
}
