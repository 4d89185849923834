package campaign

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestFormRules checks the problems the signing rules report, with their
// limits, and that a paper row gets the same ones for the signer's fields
// as the web form and the API.
func TestFormRules(t *testing.T) {
	rules := newFormRules()
	c := &Campaign{Greetings: Greetings{Enabled: true, MaxLength: 10}}
	valid := SignInput{Name: "Anna Nowak", Email: "anna@example.org", City: "Gdańsk", Country: "pl", Consent: true}
	tests := []struct {
		name string
		edit func(*SignInput)
		want []FieldError
	}{
		{"valid", func(*SignInput) {}, nil},
		{"name too long", func(in *SignInput) { in.Name = strings.Repeat("a", NameMax+1) },
			[]FieldError{{Field: "name", Problem: ProblemTooLong, Limit: NameMax}}},
		{"city too long", func(in *SignInput) { in.City = strings.Repeat("b", CityMax+1) },
			[]FieldError{{Field: "city", Problem: ProblemTooLong, Limit: CityMax}}},
		{"email too long", func(in *SignInput) { in.Email = strings.Repeat("c", EmailMax) + "@example.org" },
			[]FieldError{{Field: "email", Problem: ProblemTooLong, Limit: EmailMax}}},
		{"greeting too long", func(in *SignInput) { in.Greeting = strings.Repeat("d", 11) },
			[]FieldError{{Field: "greeting", Problem: ProblemTooLong, Limit: 10}}},
		{"invisible name, bad country", func(in *SignInput) { in.Name, in.Country = "\u200b", "XX" },
			[]FieldError{{Field: "name", Problem: ProblemInvisible}, {Field: "country", Problem: ProblemCountry}}},
		{"nothing typed", func(in *SignInput) { *in = SignInput{} }, []FieldError{
			{Field: "name", Problem: ProblemRequired},
			{Field: "email", Problem: ProblemRequired},
			{Field: "country", Problem: ProblemRequired},
			{Field: "consent", Problem: ProblemRequired},
		}},
		{"unknown display", func(in *SignInput) { in.Display = "nickname" },
			[]FieldError{{Field: "display", Problem: ProblemChoice}}},
		{"not an address", func(in *SignInput) { in.Email = "anna" },
			[]FieldError{{Field: "email", Problem: ProblemEmail}}},
	}
	only := func(problems []FieldError, fields ...string) []FieldError {
		return slices.DeleteFunc(slices.Clone(problems), func(p FieldError) bool { return !slices.Contains(fields, p.Field) })
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid
			tt.edit(&in)
			_, err := rules.signature(c, in)
			var got []FieldError
			var verr *ValidationError
			if errors.As(err, &verr) {
				got = verr.Fields
			} else if err != nil {
				t.Fatalf("signature: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("signature problems = %v, want %v", got, tt.want)
			}
			_, paper, err := rules.paperRow(PaperRow{Name: in.Name, City: in.City, Country: in.Country})
			if err != nil {
				t.Fatalf("paperRow: %v", err)
			}
			if want := only(tt.want, "name", "city", "country"); !slices.Equal(paper, want) {
				t.Errorf("paper row problems = %v, want %v", paper, want)
			}
		})
	}
}
