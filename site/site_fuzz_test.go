package site_test

import (
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/textnorm"
	"github.com/solidarity-letters/solidarity/site"
)

// A profile that passes is within its limits and passes again unchanged.
func FuzzNormalise(f *testing.F) {
	f.Add("Viasna", "Box 12\n00-950 Warszawa", "contact@example.org", "+48 600 100 200", "0x1234 5678 9ABC DEF0 1234 5678 9ABC DEF0 1234 5678", "https://example.org/k")
	f.Add(" \u200b", "\r\n\r\n", "a@b", "name.01", "", "javascript:x")
	f.Fuzz(func(t *testing.T, name, address, email, signal, fp, url string) {
		p, err := site.Normalise(site.Input{Name: name, Address: address, Email: email, Signal: signal, PGPFingerprint: fp, PGPURL: url})
		if err != nil {
			return
		}
		if textnorm.Length(p.Name) > site.NameMax || len(p.Address) > site.AddressMaxLines || p.Name == "" || p.Email == "" {
			t.Fatalf("accepted out of limits: %+v", p)
		}
		if p.PGPURL != "" && !strings.HasPrefix(p.PGPURL, "https://") {
			t.Fatalf("accepted key address %q", p.PGPURL)
		}
		again, err := site.Normalise(site.InputOf(p))
		if err != nil {
			t.Fatalf("normalised profile %+v refused: %v", p, err)
		}
		if site.ChangedFields(p, again) != nil {
			t.Fatalf("normalising twice changed %v: %+v then %+v", site.ChangedFields(p, again), p, again)
		}
	})
}
