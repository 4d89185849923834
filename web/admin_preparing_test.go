package web_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
)

// TestListIsPreparedAfterAStart: while the index of signatures is built
// after a start, the list and the statistics say so in the organizer's
// language, with the progress, and reload themselves; once it is built
// they show the signatures.
func TestListIsPreparedAfterAStart(t *testing.T) {
	t.Parallel()
	p, s := newFaultySite(t)
	c := s.addCampaign(t, "ales", nil)
	addSignatures(t, s, c, 20000, c.OpensAt)
	if err := s.Service.LoadCounts(context.Background()); err != nil {
		t.Fatal(err)
	}
	org := s.loginAs(t, account.RoleOrganizer)
	base := "/admin/campaigns/" + c.ID

	p.Slow(300 * time.Millisecond) // the build takes many reads of 1000 rows
	built := make(chan error, 1)
	go func() { built <- s.Service.BuildIndex(context.Background()) }()
	for deadline := time.Now().Add(10 * time.Second); s.Service.IndexProgress() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the build did not start")
		}
	}
	// All at once, well within the build's time.
	var wg sync.WaitGroup
	for _, tc := range []struct{ path, lang, want string }{
		{base + "/signatures", "en", "The list is being prepared"},
		{base + "/stats", "en", "The list is being prepared"},
		{base + "/signatures", "be", "Спіс рыхтуецца"},
		{base + "/signatures", "de", "Die Liste wird vorbereitet"},
	} {
		wg.Go(func() {
			res := org.get(t, tc.path+"?lang="+tc.lang)
			if res.Status != http.StatusOK || !strings.Contains(res.Body, tc.want) ||
				!strings.Contains(res.Body, `http-equiv="refresh"`) || !strings.Contains(res.Body, "<progress") {
				t.Errorf("GET %s in %s while building: %d, want the page that says %q and reloads", tc.path, tc.lang, res.Status, tc.want)
			}
		})
	}
	wg.Wait()
	p.Resume()
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	res := org.get(t, base+"/signatures")
	if res.Status != http.StatusOK || strings.Contains(res.Body, "being prepared") || len(listedNames(res.Body)) != campaign.PageSize {
		t.Errorf("list once built: %d, %d rows", res.Status, len(listedNames(res.Body)))
	}
}
