package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The privacy page states the installation's retention settings in every
// language, and every public page links to it.
func TestPrivacyPageInEveryLanguage(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	s.Core.Retention.PostedAfter = 17 * 24 * time.Hour
	s.Core.Retention.UnpostedAfter = 45 * 24 * time.Hour
	s.addCampaign(t, "ales", nil)
	// A word of each language's page that only a translation has.
	words := map[string]string{
		"en": "Privacy", "be": "Прыватнасць", "ru": "Конфиденциальность", "uk": "Приватність", "pl": "Prywatność",
		"lt": "Privatumas", "sv": "Integritet", "de": "Datenschutz", "fr": "Confidentialité",
	}
	for lang, word := range words {
		t.Run(lang, func(t *testing.T) {
			res := s.get(t, "/privacy?lang="+lang)
			if res.Status != http.StatusOK {
				t.Fatalf("GET /privacy?lang=%s: %d", lang, res.Status)
			}
			if !strings.Contains(res.Body, `<html lang="`+lang+`">`) || !strings.Contains(res.Body, "<title>"+word) {
				t.Errorf("/privacy in %s: not in that language", lang)
			}
			for _, n := range []string{"17", "45"} {
				if !strings.Contains(res.Body, n) {
					t.Errorf("/privacy in %s does not state the setting %s", lang, n)
				}
			}
			for _, n := range []string{"30", "90"} {
				if strings.Contains(res.Body, n+" ") {
					t.Errorf("/privacy in %s states the default %s, not the setting", lang, n)
				}
			}
			if !strings.Contains(res.Body, `href="/erase"`) {
				t.Errorf("/privacy in %s does not link to the erasure form", lang)
			}
		})
	}
	for _, path := range []string{"/", "/c/ales", "/contact", "/letters", "/erase"} {
		if res := s.get(t, path); !strings.Contains(res.Body, `<a href="/privacy">`) {
			t.Errorf("%s has no link to /privacy in its footer", path)
		}
	}
}
