package web

import "testing"

func TestCountryText(t *testing.T) {
	tests := []struct {
		name string
		text func(country string) string
		want CountryText
	}{
		{"named once", func(c string) string { return "Signing from " + c + "." }, CountryText{Before: "Signing from ", Country: "Belarus", After: "."}},
		{"not named", func(string) string { return "Signing from your country." }, CountryText{Before: "Signing from your country."}},
		{"named twice", func(c string) string { return c + ", " + c }, CountryText{Before: "Belarus, Belarus"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := countryText("Belarus", tt.text); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
