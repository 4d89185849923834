package campaign_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/campaign"
)

func TestParseCountries(t *testing.T) {
	tests := []struct {
		in        string
		codes     []string
		badLength int
	}{
		{"BY RU", []string{"BY", "RU"}, 0},
		{" by,ru;\nUA ", []string{"BY", "RU", "UA"}, 0},
		{"BY BY by", []string{"BY"}, 0},
		{"", []string{}, 0},
		{"BY XX Belarus", []string{"BY"}, 2},
	}
	for _, tc := range tests {
		codes, bad := campaign.ParseCountries(tc.in)
		if !slices.Equal(codes, tc.codes) || len(bad) != tc.badLength {
			t.Errorf("ParseCountries(%q) = %v, %v; want %v and %d bad", tc.in, codes, bad, tc.codes, tc.badLength)
		}
	}
}

func TestRiskCountries(t *testing.T) {
	for _, tc := range []struct {
		list []string
		want string
	}{{nil, "BY RU"}, {[]string{}, ""}, {[]string{"UA"}, "UA"}} {
		c := campaign.Campaign{AtRisk: tc.list}
		if got := strings.Join(c.RiskCountries(), " "); got != tc.want {
			t.Errorf("RiskCountries of %#v = %q, want %q", tc.list, got, tc.want)
		}
	}
	c := campaign.Campaign{}
	if !c.AtRiskCountry("by") || c.AtRiskCountry("PL") || c.AtRiskCountry("") {
		t.Error("AtRiskCountry of the default list is wrong")
	}
}

func FuzzParseCountries(f *testing.F) {
	for _, s := range []string{"BY RU", "by,ru", "", "XX", "ÿ,,; \n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		codes, _ := campaign.ParseCountries(s)
		seen := map[string]bool{}
		for _, c := range codes {
			if len(c) != 2 || strings.ToUpper(c) != c || seen[c] {
				t.Fatalf("ParseCountries(%q) returned %q", s, codes)
			}
			seen[c] = true
		}
	})
}
