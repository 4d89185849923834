package web_test

import (
	"archive/zip"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// closedWithBundle adds a campaign (closing before 12 July 2027 in Minsk)
// that three people sign, builds its bundle, and moves the clock on to
// September 2027, when it is closed. It returns the campaign, a signed-in
// organizer, the finished bundle's job ID and the signatures' IDs in the
// order the bundle numbers them.
func closedWithBundle(t *testing.T, s *site, slug string, edit func(*campaign.Campaign)) (*campaign.Campaign, *user, string, []string) {
	t.Helper()
	c := s.addCampaign(t, slug, edit)
	for i := range 3 {
		res := s.post(t, "/c/"+slug+"/sign", signForm(s.token(t, slug), func(v url.Values) {
			v.Set("email", fmt.Sprintf("p%d-%s@example.org", i, slug))
		}))
		if res.Status != 303 {
			t.Fatalf("sign %d: %d", i, res.Status)
		}
	}
	org := s.loginAs(t, account.RoleOrganizer)
	job := buildDeliveryBundle(t, s, org, c, url.Values{})
	// The bundle numbers signatures in signing order (then by ID).
	type signed struct {
		id string
		at time.Time
	}
	var all []signed
	err := s.Service.Store().EachSignature(context.Background(), c.ID, func(sig *campaign.Signature) error {
		all = append(all, signed{sig.ID, sig.SignedAt})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(all, func(a, b signed) int { return cmp.Or(a.at.Compare(b.at), strings.Compare(a.id, b.id)) })
	ids := make([]string, len(all))
	for i := range all {
		ids[i] = all[i].id
	}
	s.Clock.Set(time.Date(2027, 9, 10, 12, 0, 0, 0, time.UTC))
	// The session expired meanwhile.
	return c, s.loginAs(t, account.RoleOrganizer), job, ids
}

// buildDeliveryBundle asks for a bundle of c from the console with extra form
// values, builds it and returns its job's ID.
func buildDeliveryBundle(t *testing.T, s *site, org *user, c *campaign.Campaign, extra url.Values) string {
	t.Helper()
	form := url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {"en"}}
	for k, v := range extra {
		form[k] = v
	}
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/bundle", form); res.Status != 303 {
		t.Fatalf("build: %d\n%s", res.Status, res.Body)
	}
	if ran, err := s.Bundles.RunOnce(context.Background()); !ran || err != nil {
		t.Fatalf("RunOnce = %v, %v", ran, err)
	}
	jobs, err := s.Bundles.ForCampaign(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Status == bundle.StatusDone && !slices.ContainsFunc(jobs, func(o bundle.Job) bool { return o.CreatedAt.After(j.CreatedAt) }) {
			return j.ID
		}
	}
	t.Fatalf("no finished bundle among %d jobs", len(jobs))
	return ""
}

// recordEvent posts an event to the campaign's delivery log and wants 303.
func recordEvent(t *testing.T, org *user, c *campaign.Campaign, form url.Values) {
	t.Helper()
	res := org.post(t, "/admin/campaigns/"+c.ID+"/delivery", form)
	if res.Status != 303 || res.Header.Get("Location") != "/admin/campaigns/"+c.ID+"/delivery?done=delivery_saved" {
		t.Fatalf("record %v: %d %s\n%s", form, res.Status, res.Header.Get("Location"), res.Body)
	}
}

func TestTimelineShowsEveryKindOfEvent(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, org, job, _ := closedWithBundle(t, s, "tl", nil)
	cases := []struct {
		kind     delivery.Kind
		form     url.Values
		en, be   []string
		headline bool // the last event: the closed campaign's header says it
	}{
		{delivery.KindBuilt, url.Values{"day": {"2027-07-20"}, "bundle": {job}},
			[]string{"Letter printed on 20 July 2027 with 3 signatures"}, []string{"Ліст надрукаваны 20 ліпеня 2027 г.: 3 подпісы"}, false},
		{delivery.KindPosted, url.Values{"day": {"2027-07-28"}, "method": {"registered"}, "envelopes": {"3"}, "tracking": {"RR1"}},
			[]string{"3 letters sent on 28 July 2027 by registered mail"}, []string{"3 лісты адпраўлены 28 ліпеня 2027 г. заказной поштай"}, false},
		{delivery.KindDelivered, url.Values{"day": {"2027-08-05"}},
			[]string{"Delivered on 5 August 2027"}, []string{"Дастаўлена 5 жніўня 2027 г."}, false},
		{delivery.KindReturned, url.Values{"day": {"2027-08-06"}, "reason": {"Wrong block number"}},
			[]string{"Returned to sender on 6 August 2027", "Reason: Wrong block number"}, []string{"Вярнулася адпраўніку 6 жніўня 2027 г.", "Прычына: Wrong block number"}, false},
		{delivery.KindBlocked, url.Values{"day": {"2027-08-07"}, "public_note": {"The censor kept two envelopes."}},
			[]string{"Letters confiscated or held back by the prison, 7 August 2027", "The censor kept two envelopes."},
			[]string{"Лісты канфіскаваныя або затрыманыя ў месцы зняволення, 7 жніўня 2027 г.", "The censor kept two envelopes."}, false},
		{delivery.KindConfirmed, url.Values{"day": {"2027-08-10"}},
			[]string{"Ales Bialiatski confirmed receiving the letter on 10 August 2027"}, []string{"Атрыманне ліста пацверджана 10 жніўня 2027 г."}, false},
		{delivery.KindReply, url.Values{"day": {"2027-09-02"}, "post": {"reply-september"}},
			[]string{"Reply received on 2 September 2027"}, []string{"Адказ атрыманы 2 верасня 2027 г."}, true},
	}
	if len(cases) != len(delivery.Kinds) {
		t.Fatalf("%d cases for %d kinds", len(cases), len(delivery.Kinds))
	}
	// Recorded out of order: the timeline orders them by day.
	for i := len(cases) - 1; i >= 0; i-- {
		form := cases[i].form
		form.Set("kind", string(cases[i].kind))
		form.Set("public", "yes")
		recordEvent(t, org, c, form)
	}
	for _, lang := range []string{"en", "be"} {
		page := s.get(t, "/c/tl?lang="+lang)
		if page.Status != 200 {
			t.Fatalf("%s: %d", lang, page.Status)
		}
		// The order is the timeline's; the header repeats its last line.
		timeline := page.Body[max(0, strings.Index(page.Body, `<section class="timeline"`)):]
		closed := map[string]string{"en": "Signatures closed on 12 July 2027", "be": "Збор подпісаў скончыўся 12 ліпеня 2027 г."}[lang]
		last := strings.Index(timeline, closed)
		if last < 0 {
			t.Errorf("%s: the timeline does not say %q", lang, closed)
		}
		for _, tc := range cases {
			t.Run(lang+"/"+string(tc.kind), func(t *testing.T) {
				want := tc.en
				if lang == "be" {
					want = tc.be
				}
				i := strings.Index(timeline, want[0])
				switch {
				case i < 0:
					t.Errorf("the page does not say %q", want[0])
				case i < last:
					t.Errorf("%q comes before an earlier event", want[0])
				}
				last = max(last, i)
				for _, w := range want[1:] {
					if !strings.Contains(page.Body, w) {
						t.Errorf("the page does not say %q", w)
					}
				}
				if head := `<p class="deadline closed">` + want[0] + `</p>`; tc.headline != strings.Contains(page.Body, head) {
					t.Errorf("the header says %q: %v, want %v", want[0], !tc.headline, tc.headline)
				}
			})
		}
	}
	// A shared link's preview says what happened last.
	if page := s.get(t, "/c/tl?lang=en"); !strings.Contains(page.Body, "3 signatures · Reply received on 2 September 2027\"") {
		t.Error("the page's description does not say what happened last")
	}
}

// forbidden are texts recorded for the console only: none may reach a
// public page or the API.
var forbidden = []string{"INTERNAL-NOTE-7", "RR998877TRACK", "NOT-PUBLIC-NOTE", "organizer@example.org", "NOTE-ON-STATUS"}

func TestDeliveryInternalTextsStayInTheConsole(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, org, job, _ := closedWithBundle(t, s, "int", nil)
	recordEvent(t, org, c, url.Values{"kind": {"posted"}, "day": {"2027-07-28"}, "method": {"courier"}, "envelopes": {"1"},
		"tracking": {"RR998877TRACK"}, "internal_note": {"INTERNAL-NOTE-7"}, "public_note": {"PUBLIC-NOTE-1"}, "public": {"yes"}})
	recordEvent(t, org, c, url.Values{"kind": {"reply"}, "day": {"2027-09-01"}, "bundle": {job}, "numbers": {"1-2"},
		"internal_note": {"INTERNAL-NOTE-7"}, "public": {"yes"}})
	recordEvent(t, org, c, url.Values{"kind": {"delivered"}, "day": {"2027-08-01"}, "public_note": {"NOT-PUBLIC-NOTE"}})
	if res := org.post(t, "/admin/recipients/"+c.RecipientID+"/status", url.Values{"situation": {"transferred"}, "day": {"2027-08-20"},
		"address": {"Colony 2"}, "note": {"NOTE-ON-STATUS"}}); res.Status != 303 {
		t.Fatalf("record a transfer: %d\n%s", res.Status, res.Body)
	}
	console := org.get(t, "/admin/campaigns/"+c.ID+"/delivery").Body + org.get(t, "/admin/recipients/"+c.RecipientID).Body
	for _, f := range forbidden {
		if !strings.Contains(console, f) {
			t.Errorf("the console does not show %q", f)
		}
	}
	for _, path := range []string{"/c/int", "/c/int?lang=be", "/", "/embed/int", "/api/v1/campaigns/int", "/api/v1/campaigns"} {
		res := s.get(t, path)
		if res.Status != 200 {
			t.Errorf("%s: %d", path, res.Status)
		}
		for _, f := range forbidden {
			if strings.Contains(res.Body, f) {
				t.Errorf("%s shows %q", path, f)
			}
		}
	}
	page := s.get(t, "/c/int")
	if !strings.Contains(page.Body, "PUBLIC-NOTE-1") || !strings.Contains(page.Body, "Ales Bialiatski was moved to another place of detention on 20 August 2027") {
		t.Error("the campaign page lacks the public note or the recipient's status")
	}
	var api struct {
		Delivery []map[string]any `json:"delivery"`
	}
	raw := s.get(t, "/api/v1/campaigns/int").Body
	if err := json.Unmarshal([]byte(raw), &api); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range api.Delivery {
		kinds = append(kinds, fmt.Sprint(e["kind"]))
	}
	if !slices.Equal(kinds, []string{"posted", "reply"}) {
		t.Errorf("the API lists %v, want the public posted and reply", kinds)
	}
	doc := openAPIDoc(t, s)
	var body any
	_ = json.Unmarshal([]byte(raw), &body)
	for _, p := range matchSchema(doc, dig(doc, "components", "schemas", "Campaign").(map[string]any), body, "body") {
		t.Errorf("API campaign with a delivery log: %s", p)
	}
}

func openAPIDoc(t *testing.T, s *site) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(s.get(t, "/api/v1/openapi.json").Body), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestDeliveryEscapesHostileText(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	const hostile = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`
	c, org, job, _ := closedWithBundle(t, s, "xss", nil)
	r, err := s.Service.Recipient(context.Background(), c.RecipientID)
	if err != nil {
		t.Fatal(err)
	}
	r.Name = "Ales " + hostile
	if _, err := s.Service.SaveRecipient(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	for _, form := range []url.Values{
		{"kind": {"returned"}, "day": {"2027-08-06"}, "reason": {hostile}, "public_note": {hostile}, "internal_note": {hostile}},
		{"kind": {"posted"}, "day": {"2027-07-28"}, "method": {"regular"}, "envelopes": {"2"}, "tracking": {hostile}, "public_note": {hostile}},
		{"kind": {"confirmed"}, "day": {"2027-08-10"}, "public_note": {hostile}},
		{"kind": {"built"}, "day": {"2027-07-20"}, "bundle": {job}, "public_note": {hostile}},
	} {
		form.Set("public", "yes")
		recordEvent(t, org, c, form)
	}
	if res := org.post(t, "/admin/recipients/"+c.RecipientID+"/status", url.Values{"situation": {"transferred"}, "day": {"2027-08-20"},
		"address": {hostile}, "note": {hostile}}); res.Status != 303 {
		t.Fatalf("record a transfer: %d", res.Status)
	}
	// A form refused keeps what was typed, escaped.
	refused := org.post(t, "/admin/campaigns/"+c.ID+"/delivery", url.Values{"kind": {"posted"}, "day": {"2027-07-28"}, "method": {"pigeon"},
		"envelopes": {"2"}, "public_note": {hostile}})
	if refused.Status != 422 {
		t.Fatalf("an unknown method: %d, want 422", refused.Status)
	}
	pages := map[string]string{
		"campaign page": s.get(t, "/c/xss").Body, "campaign page (be)": s.get(t, "/c/xss?lang=be").Body,
		"delivery log": org.get(t, "/admin/campaigns/"+c.ID+"/delivery").Body, "refused form": refused.Body,
		"recipient": org.get(t, "/admin/recipients/"+c.RecipientID).Body,
	}
	for name, body := range pages {
		if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s: hostile text is not escaped", name)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the hostile text is not shown escaped", name)
		}
	}
	if !strings.Contains(refused.Body, "Choose how the letters were sent.") {
		t.Error("the refused form does not say what is wrong")
	}
}

func TestReplyNumbersThatDoNotExistAreRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, org, job, ids := closedWithBundle(t, s, "nums", nil)
	for _, tc := range []struct {
		numbers, bundle string
		want            string // in the refused form's error
	}{
		{"2, 99", job, "from 1 to 3"},
		{"4", job, "from 1 to 3"},
		{"0", job, "Type signature numbers"},
		{"1, two", job, "Type signature numbers"},
		{"3-1", job, "Type signature numbers"},
		{"1", "", "Choose the bundle."},
		{"1", "nosuchjob", "Choose a finished bundle"},
	} {
		t.Run(tc.numbers+"/"+tc.bundle, func(t *testing.T) {
			res := org.post(t, "/admin/campaigns/"+c.ID+"/delivery", url.Values{"kind": {"reply"}, "day": {"2027-09-01"},
				"bundle": {tc.bundle}, "numbers": {tc.numbers}})
			if res.Status != 422 {
				t.Fatalf("status %d, want 422", res.Status)
			}
			if !strings.Contains(res.Body, tc.want) {
				t.Errorf("the form does not say %q", tc.want)
			}
			if !strings.Contains(res.Body, ">"+tc.numbers+"</textarea>") {
				t.Errorf("the form does not keep %q", tc.numbers)
			}
		})
	}
	events, err := s.Core.Delivery.Events(context.Background(), c.ID)
	if err != nil || len(events) != 0 {
		t.Fatalf("refused replies stored %d events, %v", len(events), err)
	}
	recordEvent(t, org, c, url.Values{"kind": {"reply"}, "day": {"2027-09-01"}, "bundle": {job}, "numbers": {"3, 1"}})
	events, err = s.Core.Delivery.Events(context.Background(), c.ID)
	if err != nil || len(events) != 1 {
		t.Fatalf("%d events, %v", len(events), err)
	}
	if got, want := events[0].SignatureIDs, []string{ids[0], ids[2]}; !slices.Equal(got, want) {
		t.Errorf("numbers 1 and 3 are signatures %v, want %v", got, want)
	}
	if events[0].Public {
		t.Error("an event recorded without ticking public is public")
	}
}

func TestDeliveryEventsAreEditedAndRemovedWithAudit(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, org, _, _ := closedWithBundle(t, s, "edit", nil)
	recordEvent(t, org, c, url.Values{"kind": {"delivered"}, "day": {"2027-08-05"}, "public": {"yes"}})
	events, err := s.Core.Delivery.Events(context.Background(), c.ID)
	if err != nil || len(events) != 1 {
		t.Fatalf("%d events, %v", len(events), err)
	}
	id := events[0].ID
	base := "/admin/campaigns/" + c.ID + "/delivery/" + id
	if page := org.get(t, base); page.Status != 200 || !strings.Contains(page.Body, `value="2027-08-05"`) {
		t.Fatalf("edit form: %d", page.Status)
	}
	if res := org.post(t, base, url.Values{"kind": {"delivered"}, "day": {"2027-08-09"}, "public": {"yes"}}); res.Status != 303 {
		t.Fatalf("edit: %d", res.Status)
	}
	if page := s.get(t, "/c/edit"); !strings.Contains(page.Body, "Delivered on 9 August 2027") || strings.Contains(page.Body, "5 August") {
		t.Error("the campaign page does not show the edited day")
	}
	if res := org.post(t, base+"/remove", nil); res.Status != 303 {
		t.Fatalf("remove: %d", res.Status)
	}
	if page := s.get(t, "/c/edit"); strings.Contains(page.Body, "Delivered on") {
		t.Error("a removed event is still on the campaign page")
	}
	if res := org.post(t, base+"/remove", nil); res.Status != 404 {
		t.Errorf("removing it again: %d, want 404", res.Status)
	}
	entries, _, err := s.Core.Audit.Page(context.Background(), audit.Cursor{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	var actions []audit.Action
	for _, e := range entries {
		if strings.HasPrefix(string(e.Action), "delivery_") {
			actions = append(actions, e.Action)
			if e.Target != "edit" || !strings.Contains(e.Detail, id) {
				t.Errorf("audit entry %v: target %q, detail %q", e.Action, e.Target, e.Detail)
			}
		}
	}
	slices.Sort(actions)
	if want := []audit.Action{audit.DeliveryChanged, audit.DeliveryRecorded, audit.DeliveryRemoved}; !slices.Equal(actions, want) {
		t.Errorf("audit actions %v, want %v", actions, want)
	}
}

func TestBundleForAnUnreachableRecipientNeedsConfirmation(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	org := s.loginAs(t, account.RoleOrganizer)
	for _, tc := range []struct {
		situation campaign.Situation
		confirm   bool
		status    string
	}{
		{campaign.SituationTransferred, false, "Ales Bialiatski was moved to another place of detention on 20 May 2027"},
		{campaign.SituationReleased, true, "Ales Bialiatski was released on 20 May 2027"},
		{campaign.SituationIncommunicado, true, "Ales Bialiatski has been held incommunicado since 20 May 2027"},
		{campaign.SituationDeceased, true, "Ales Bialiatski died on 20 May 2027"},
	} {
		t.Run(string(tc.situation), func(t *testing.T) {
			slug := "st-" + string(tc.situation)
			c := s.addCampaign(t, slug, nil)
			if res := org.post(t, "/admin/recipients/"+c.RecipientID+"/status", url.Values{"situation": {string(tc.situation)},
				"day": {"2027-05-20"}, "address": {"Colony 9"}}); res.Status != 303 {
				t.Fatalf("record: %d\n%s", res.Status, res.Body)
			}
			if page := s.get(t, "/c/"+slug); !strings.Contains(page.Body, tc.status) {
				t.Errorf("the campaign page does not say %q", tc.status)
			}
			if page := org.get(t, "/admin/recipients/"+c.RecipientID); !strings.Contains(page.Body, tc.status) {
				t.Errorf("the recipient's page does not say %q", tc.status)
			}
			form := url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {"en"}}
			res := org.post(t, "/admin/campaigns/"+c.ID+"/bundle", form)
			if tc.confirm != (res.Status == 422) {
				t.Fatalf("building without confirmation: %d", res.Status)
			}
			if !tc.confirm {
				return
			}
			if !strings.Contains(res.Body, strings.TrimPrefix(tc.status, "Ales Bialiatski ")) || !strings.Contains(res.Body, `name="confirm"`) {
				t.Error("the refused build does not warn or offer the confirmation")
			}
			form.Set("confirm", "yes")
			if res := org.post(t, "/admin/campaigns/"+c.ID+"/bundle", form); res.Status != 303 {
				t.Errorf("building with confirmation: %d", res.Status)
			}
			// Who printed despite the warning is in the audit log, with
			// what the warning said.
			var logged bool
			for _, e := range s.auditEntries(t, audit.BundleConfirmed) {
				logged = logged || (e.Target == slug && strings.Contains(e.Detail, strings.TrimPrefix(tc.status, "Ales Bialiatski ")))
			}
			if !logged {
				t.Error("the build despite the warning is not in the audit log")
			}
		})
	}
	if res := org.post(t, "/admin/recipients/r-st-released/status", url.Values{"situation": {"freed"}, "day": {"20/05/2027"}}); res.Status != 422 ||
		!strings.Contains(res.Body, "Choose what changed from the list.") || !strings.Contains(res.Body, `value="20/05/2027"`) {
		t.Errorf("a bad status change: %d, or it does not say what is wrong and keep what was typed", res.Status)
	}
}

// bundleText downloads a finished bundle and returns the text of the named
// PDF in it.
func bundleText(t *testing.T, org *user, c *campaign.Campaign, job, name string) string {
	t.Helper()
	dl := org.get(t, "/admin/campaigns/"+c.ID+"/bundle/"+job)
	if dl.Status != 200 {
		t.Fatalf("download: %d", dl.Status)
	}
	zr, err := zip.NewReader(strings.NewReader(dl.Body), int64(len(dl.Body)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestBundlePrintsTheAddressValidOnItsDay(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("needs pdftotext to read the envelopes")
	}
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "moved", nil)
	if res := s.post(t, "/c/moved/sign", signForm(s.token(t, "moved"), nil)); res.Status != 303 {
		t.Fatalf("sign: %d", res.Status)
	}
	org := s.loginAs(t, account.RoleOrganizer)
	// Moved on 15 June 2027 (Minsk), recorded before it happens.
	if res := org.post(t, "/admin/recipients/"+c.RecipientID+"/status", url.Values{"situation": {"transferred"}, "day": {"2027-06-15"},
		"address": {"Penal colony No. 9\nNovopolotsk"}}); res.Status != 303 {
		t.Fatalf("record the transfer: %d\n%s", res.Status, res.Body)
	}
	for _, tc := range []struct {
		now       time.Time
		want, not string
	}{
		{time.Date(2027, 6, 14, 20, 0, 0, 0, time.UTC), "Demo address", "Penal colony No. 9"},  // 23:00 on the 14th in Minsk
		{time.Date(2027, 6, 14, 21, 30, 0, 0, time.UTC), "Penal colony No. 9", "Demo address"}, // 00:30 on the 15th
		{time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC), "Penal colony No. 9", "Demo address"},
	} {
		s.Clock.Set(tc.now)
		org := s.loginAs(t, account.RoleOrganizer)
		job := buildDeliveryBundle(t, s, org, c, nil)
		text := bundleText(t, org, c, job, "envelopes.pdf")
		if !strings.Contains(text, tc.want) || strings.Contains(text, tc.not) {
			t.Errorf("built at %s: the envelope does not print %q alone:\n%s", tc.now, tc.want, text)
		}
	}
}

// A scheduled post a reply links shows on the campaign's cached page once
// it goes live, though nothing else changed.
func TestTimelineLinksAScheduledReplyOnceLive(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, org, _, _ := closedWithBundle(t, s, "sched", nil)
	s.addPost(t, "Reply", s.Clock.Now().Add(time.Hour), func(in *posts.Input) {
		in.Slug, in.RecipientID, in.CampaignID = "reply-later", c.RecipientID, c.ID
	})
	recordEvent(t, org, c, url.Values{"kind": {string(delivery.KindReply)}, "day": {"2027-09-02"}, "post": {"reply-later"}, "public": {"yes"}})
	link := `href="/letters/reply-later"`
	for i := range 2 { // drawn, then from the cache
		if page := s.get(t, "/c/sched?lang=en").Body; strings.Contains(page, link) {
			t.Fatalf("request %d: the page links the post before it is live", i+1)
		}
	}
	s.Clock.Set(s.Clock.Now().Add(2 * time.Hour))
	if page := s.get(t, "/c/sched?lang=en").Body; !strings.Contains(page, link) {
		t.Error("the page does not link the post once it is live")
	}
}

// The campaign page's cache turns over at midnight in the campaign's time
// zone: a status recorded for the next day shows from its start there,
// while the day in UTC is still the same.
func TestCampaignPageTurnsOverAtLocalMidnight(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	org := s.loginAs(t, account.RoleOrganizer)
	c := s.addCampaign(t, "kiritimati", func(c *campaign.Campaign) { c.TimeZone = "Pacific/Kiritimati" }) // UTC+14
	if res := org.post(t, "/admin/recipients/"+c.RecipientID+"/status", url.Values{"situation": {string(campaign.SituationReleased)},
		"day": {"2027-06-03"}}); res.Status != 303 || res.Header.Get("Location") == "/admin/login" {
		t.Fatalf("record: %d %s\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	s.Clock.Set(time.Date(2027, 6, 2, 9, 0, 0, 0, time.UTC)) // 23:00 on 2 June there
	const released = "was released on 3 June 2027"
	for i := range 2 { // drawn, then from the cache
		if page := s.get(t, "/c/kiritimati?lang=en").Body; strings.Contains(page, released) {
			t.Fatalf("request %d: the page says the recipient was released before the day", i+1)
		}
	}
	s.Clock.Set(time.Date(2027, 6, 2, 10, 30, 0, 0, time.UTC)) // 00:30 on 3 June there
	if res := s.get(t, "/c/kiritimati?lang=en"); !strings.Contains(res.Body, released) {
		t.Errorf("the page does not say the recipient was released once the day began in the campaign's zone: status %d", res.Status)
	}
}
