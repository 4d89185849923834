package web

import (
	"context"
	"errors"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/letters"
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

// printLanguage is the language the bundle form proposes for the printed
// texts: the first the recipient's prison lets through that the catalog
// has, else English.
func (s *Server) printLanguage(r *campaign.Recipient) string {
	if r != nil {
		for _, code := range r.Languages {
			if tag, ok := s.deps.Messages.Supported(code); ok {
				return tag.String()
			}
		}
	}
	return i18n.Default().String()
}

// letterWarnings says, in t's language, why a bundle of camp printed in
// printLang may not reach the recipient r: the letter or the printed texts
// in a language the prison does not let through, or words its censors are
// known to reject in the letter. None for a recipient without rules.
func letterWarnings(t *i18n.Localizer, camp *campaign.Campaign, r *campaign.Recipient, printLang string) []string {
	if r == nil {
		return nil
	}
	names := display.Tags(t.Tag())
	name := func(code string) string { return names.Name(language.Make(code)) }
	allowed := make([]string, len(r.Languages))
	for i, code := range r.Languages {
		allowed[i] = name(code)
	}
	var out []string
	if !r.AllowsLanguage(camp.TextLanguage()) {
		out = append(out, t.T("admin.bundle.warn.letter_language", "Language", name(camp.TextLanguage()), "Allowed", strings.Join(allowed, ", ")))
	}
	if !r.AllowsLanguage(printLang) {
		out = append(out, t.T("admin.bundle.warn.print_language", "Language", name(printLang), "Allowed", strings.Join(allowed, ", ")))
	}
	if words := letters.CensoredWords(camp.Letter, r.CensorWords); len(words) > 0 {
		out = append(out, t.T("admin.bundle.warn.censor", "Words", strings.Join(words, ", ")))
	}
	return out
}
