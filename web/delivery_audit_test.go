package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/audit"
)

// deliveryAudit returns the details of the campaign's delivery entries in
// the audit log, by action, oldest first.
func deliveryAudit(t *testing.T, s *site, slug string) map[audit.Action][]string {
	t.Helper()
	entries, _, err := s.Core.Audit.Page(context.Background(), audit.Cursor{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[audit.Action][]string{}
	for i := len(entries) - 1; i >= 0; i-- {
		if e := entries[i]; strings.HasPrefix(string(e.Action), "delivery_") && e.Target == slug {
			out[e.Action] = append(out[e.Action], e.Detail)
		}
	}
	return out
}

// The audit log holds one entry per change of the delivery log: a new
// event's form sent twice is one event recorded, not a change; an edit
// names the fields it changed, and one that changes nothing is no entry.
func TestDeliveryAuditNamesEachChange(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, org, _, _ := closedWithBundle(t, s, "audited", nil)
	page := org.get(t, "/admin/campaigns/"+c.ID+"/delivery").Body
	m := regexp.MustCompile(`name="event_id" value="([0-9a-f]{24})"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the form carries no event ID")
	}
	id := m[1]
	form := url.Values{"event_id": {id}, "kind": {"delivered"}, "day": {"2027-08-05"}, "public": {"yes"}, "internal_note": {"Signed for."}}
	recordEvent(t, org, c, form)
	recordEvent(t, org, c, form)
	edit := func(form url.Values) {
		t.Helper()
		if res := org.post(t, "/admin/campaigns/"+c.ID+"/delivery/"+id, form); res.Status != 303 {
			t.Fatalf("edit %v: %d\n%s", form, res.Status, res.Body)
		}
	}
	edit(url.Values{"kind": {"delivered"}, "day": {"2027-08-05"}, "public": {"yes"}, "internal_note": {"Signed for."}})
	edit(url.Values{"kind": {"delivered"}, "day": {"2027-08-06"}, "internal_note": {"Signed for."}})

	got := deliveryAudit(t, s, "audited")
	if rec := got[audit.DeliveryRecorded]; len(rec) != 1 || !strings.Contains(rec[0], id) {
		t.Errorf("recorded entries %q, want one naming %s", rec, id)
	}
	changed := got[audit.DeliveryChanged]
	if len(changed) != 1 || !strings.HasSuffix(changed[0], "; changed: day, public") {
		t.Errorf("changed entries %q, want one naming the day and public", changed)
	}
	for _, d := range append(got[audit.DeliveryRecorded], changed...) {
		if strings.Contains(d, "Signed for") {
			t.Errorf("the audit log copies a note: %q", d)
		}
	}
}
