package campaign_test

import (
	"slices"
	"testing"

	"github.com/solidarity-letters/solidarity/campaign"
)

func TestCampaignRecipients(t *testing.T) {
	tests := []struct {
		name    string
		c       campaign.Campaign
		sig     campaign.Signature
		want    []string
		writes  string
		not     string
		wantSig string
	}{
		{"letter", campaign.Campaign{RecipientID: "ales"}, campaign.Signature{}, []string{"ales"}, "ales", "maria", "ales"},
		{"letter whose card names another", campaign.Campaign{RecipientID: "ales", RecipientIDs: []string{"maria"}},
			campaign.Signature{RecipientID: "maria"}, []string{"ales"}, "ales", "maria", "ales"},
		{"drive", campaign.Campaign{Kind: campaign.KindDrive, RecipientIDs: []string{"maria", "ihar"}},
			campaign.Signature{RecipientID: "ihar"}, []string{"maria", "ihar"}, "ihar", "ales", "ihar"},
		{"letter without recipient", campaign.Campaign{}, campaign.Signature{}, nil, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Recipients(); !slices.Equal(got, tt.want) {
				t.Errorf("Recipients = %v, want %v", got, tt.want)
			}
			if tt.writes != "" && !tt.c.WritesTo(tt.writes) {
				t.Errorf("WritesTo(%q) = false", tt.writes)
			}
			if tt.c.WritesTo(tt.not) {
				t.Errorf("WritesTo(%q) = true", tt.not)
			}
			if got := tt.sig.To(&tt.c); got != tt.wantSig {
				t.Errorf("To = %q, want %q", got, tt.wantSig)
			}
		})
	}
}
