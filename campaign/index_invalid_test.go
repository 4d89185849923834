package campaign

import (
	"testing"
	"time"
)

// Each kind of invalidation holds the index rows of its group and window
// only, as the database readers' rule (invalidation.matches) does.
func TestRowRulesHoldWhatInvalidationsMatch(t *testing.T) {
	at := time.Date(2027, 3, 1, 10, 30, 15, 0, time.UTC)
	sig := &Signature{ID: "s1", CampaignID: "c1", SignedAt: at, Network: "0a0b0c0d", DomainKey: "0123456789ab", RefKey: "ba9876543210"}
	bare := &Signature{ID: "s2", CampaignID: "c1", SignedAt: at}
	window := func(kind BurstKind, key string) invalidation {
		return invalidation{ID: "i", CampaignID: "c1", Kind: kind, Key: key, From: at.Add(-time.Hour), Until: at.Add(time.Hour), At: at.Add(2 * time.Hour)}
	}
	restored := window(BurstNetwork, "0a0b0c0d")
	restored.RestoredAt = at.Add(3 * time.Hour)
	later := window(BurstNetwork, "0a0b0c0d")
	later.From = at.Add(time.Millisecond)
	tests := []struct {
		name string
		inv  invalidation
		sig  *Signature
		held bool
	}{
		{"by network", window(BurstNetwork, "0a0b0c0d"), sig, true},
		{"another network", window(BurstNetwork, "0a0b0c0e"), sig, false},
		{"by domain", window(BurstDomain, "0123456789ab"), sig, true},
		{"by partner", window(BurstPartner, "ba9876543210"), sig, true},
		{"the partner key as a domain", window(BurstDomain, "ba9876543210"), sig, false},
		{"by minute", window(BurstMinute, "30064950"), sig, true},
		{"the next minute", window(BurstMinute, "30064951"), sig, false},
		{"restored", restored, sig, false},
		{"signed before its window", later, sig, false},
		{"without a network", window(BurstNetwork, ""), bare, true},
		{"without a network, a keyed one", window(BurstNetwork, ""), sig, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := invalidations{tt.inv}.invalid(groupOf(tt.sig), never)
			if want != tt.held {
				t.Fatalf("the database readers say held %v, the case %v", want, tt.held)
			}
			rules, err := rowRulesOf(invalidations{tt.inv})
			if err != nil {
				t.Fatal(err)
			}
			row := newRow(tt.sig, func(s string) string { return s })
			if got := rules.holds(&row); got != want {
				t.Errorf("the index says held %v, the database readers %v", got, want)
			}
		})
	}
	if _, err := rowRulesOf(invalidations{window(BurstNetwork, "not hex")}); err == nil {
		t.Error("a network key that is not hex compiled")
	}
}
