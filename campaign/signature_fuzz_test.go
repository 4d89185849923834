package campaign

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzNormalise feeds arbitrary form input to the signing rules: they must
// either refuse it with field problems or return clean, bounded values.
func FuzzNormalise(f *testing.F) {
	f.Add("Anna Nowak", "anna@example.org", "Białystok", "PL", "Trzymaj się!", true)
	f.Add("\u3164", "a\u200b@x.org", "", "pl", "\x00", false)
	f.Add("שלום", "ЯНА@example.org", "Мінск", "BY", "💛💙", true)
	rules := newFormRules()
	c := &Campaign{Greetings: Greetings{Enabled: true, MaxLength: 50}}
	f.Fuzz(func(t *testing.T, name, email, city, country, greeting string, consent bool) {
		in := SignInput{Name: name, Email: email, City: city, Country: country, Greeting: greeting, Consent: consent}
		got, err := rules.signature(c, in)
		var verr *ValidationError
		if err != nil {
			if !errors.As(err, &verr) || len(verr.Fields) == 0 {
				t.Fatalf("error %v is not a list of field problems", err)
			}
			return
		}
		if !consent {
			t.Fatal("accepted without consent")
		}
		for _, s := range []string{got.Signer.Name, got.Email, got.Signer.City, got.Signer.Country, got.Greeting} {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted invalid UTF-8 %q", s)
			}
		}
		if got.Signer.Name == "" || utf8.RuneCountInString(got.Signer.Name) > NameMax || utf8.RuneCountInString(got.Signer.City) > CityMax ||
			utf8.RuneCountInString(got.Greeting) > c.Greetings.MaxLength || len(got.Email) > EmailMax {
			t.Fatalf("accepted out-of-bounds values %+v", got)
		}
	})
}
