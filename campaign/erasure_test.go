package campaign_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

func TestErasureCodes(t *testing.T) {
	e := campaign.NewErasures([]byte("0123456789abcdef0123456789abcdef"))
	other := campaign.NewErasures([]byte("fedcba9876543210fedcba9876543210"))
	sig := campaign.SignatureID([]byte("k"), "c", "anna@example.org")
	at := time.Date(2027, 6, 1, 12, 0, 0, 123e6, time.UTC)
	for _, cid := range []string{"65a1b2c3d4e5f60718293a4b", "c-ales"} {
		code := e.Code(cid, sig, at)
		ref, err := e.Parse(code)
		if err != nil || ref.CampaignID != cid || ref.SignatureID != sig || ref.Nonce != at.UnixMilli() {
			t.Errorf("Parse(Code(%s)) = %+v, %v", cid, ref, err)
		}
		if _, err := other.Parse(code); !errors.Is(err, campaign.ErrBadCode) {
			t.Errorf("a code under another key: %v, want ErrBadCode", err)
		}
		later := e.Code(cid, sig, at.Add(time.Millisecond))
		if later == code || len(later) != len(code) {
			t.Errorf("codes of two times: %q, %q", code, later)
		}
		for i := range code {
			b := []byte(code)
			b[i] = "ab"[b[i]&1] // another letter
			if string(b) == code {
				b[i] = 'c'
			}
			if _, err := e.Parse(string(b)); err == nil {
				t.Errorf("a code changed at %d verifies", i)
			}
		}
		if _, err := e.Parse(strings.ToUpper(code[:9]) + " - " + code[9:]); err != nil {
			t.Errorf("a code typed with capitals and a dash: %v", err)
		}
	}
	if got := e.Code("c", "not-hex", at); got != "" {
		t.Errorf("a code of an ID that is no HMAC: %q", got)
	}
}
