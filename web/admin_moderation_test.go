package web_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
)

// modCampaign stores an open campaign whose recipient reads Belarusian and
// Russian and whose censors reject "Лукашенко"; show puts approved
// greetings on its page.
func modCampaign(t *testing.T, s *site, slug string, show bool) *campaign.Campaign {
	t.Helper()
	r := campaign.Recipient{ID: "rules-" + slug, Name: "Ales Bialiatski", Country: "BY",
		Languages: []string{"be", "ru"}, CensorWords: []string{"Лукашенко"}}
	if err := s.Service.Store().CreateRecipient(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	return s.addCampaign(t, slug, func(c *campaign.Campaign) {
		c.RecipientID = r.ID
		c.Greetings.ShowPublic = show
	})
}

// modGreet signs the campaign as name with the greeting, using a form
// token from modToken, and returns the signature's (and greeting's) ID.
func modGreet(t *testing.T, s *site, c *campaign.Campaign, name, email, greeting string) string {
	t.Helper()
	res := s.post(t, "/c/"+c.Slug+"/sign", signForm(s.freshToken(c.ID), func(v url.Values) {
		v.Set("name", name)
		v.Set("email", email)
		v.Set("city", "Hrodna")
		v.Set("country", "BY")
		v.Set("greeting", greeting)
		v.Set("display", "full")
		v.Set("confirmed", "risk") // read the notice for Belarus, kept the name
	}))
	if res.Status != 303 {
		t.Fatalf("sign %s as %s: %d\n%s", c.Slug, email, res.Status, res.Body)
	}
	return campaign.SignatureID(emailKey, c.ID, email)
}

var (
	cardRE     = regexp.MustCompile(`<li class="greeting-card[^"]*" id="g-([0-9a-f]+)"`)
	bulkIDRE   = regexp.MustCompile(`<input type="hidden" name="id" value="([0-9a-f]+)">`)
	nextHrefRE = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
)

// queue reads one page of the moderation queue: the IDs of its cards and
// of those offered for bulk approval.
func queue(t *testing.T, u *user, path string) (cards, bulk []string, body string) {
	t.Helper()
	res := u.get(t, path)
	if res.Status != 200 {
		t.Fatalf("GET %s: %d\n%s", path, res.Status, res.Body)
	}
	checkModPage(t, res)
	for _, m := range cardRE.FindAllStringSubmatch(res.Body, -1) {
		cards = append(cards, m[1])
	}
	for _, m := range bulkIDRE.FindAllStringSubmatch(res.Body, -1) {
		bulk = append(bulk, m[1])
	}
	return cards, bulk, res.Body
}

// checkModPage fails on a page that shows a message ID instead of words.
func checkModPage(t *testing.T, res response) {
	t.Helper()
	if m := regexp.MustCompile(`[^/a-z_"-](?:moderation|translations|admin)\.[a-z_]+\.?[a-z_]*`).FindString(res.Body); m != "" {
		t.Errorf("page shows a message ID: %q", m)
	}
}

func (s *site) greeting(t *testing.T, id string) *letters.Greeting {
	t.Helper()
	g, err := s.Greetings.Greeting(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func modAudit(t *testing.T, s *site) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for _, e := range s.allAuditEntries(t) {
		if e.Action == audit.GreetingDecided || e.Action == audit.TranslationSent {
			out = append(out, e)
		}
	}
	slices.Reverse(out) // oldest first, as the log stores them
	return out
}

// The "done when": a moderator clears a queue of 200 greetings
// through the console in a few minutes: a bulk approval per page of
// unflagged greetings, and one decision per flagged one.
func TestModeratorClearsTwoHundredGreetings(t *testing.T) {
	// Not parallel: it times the clearing.
	clearTwoHundred(t, newSite(t, dbs.Database(t)))
}

func clearTwoHundred(t *testing.T, s *site) {
	c := modCampaign(t, s, "ales", false)
	other := modCampaign(t, s, "other", false)
	flagged := 0
	for i := range 200 {
		text := fmt.Sprintf("Трымайцеся, Алесь! Мы з вамі, вітаем з горада нумар %d.", i)
		switch i % 10 {
		case 3:
			text = fmt.Sprintf("Пішыце на www.example.org, нумар %d", i)
			flagged++
		case 7:
			text = fmt.Sprintf("Stay strong, Ales! Greetings number %d.", i)
			flagged++
		}
		modGreet(t, s, c, fmt.Sprintf("Supporter %d", i), fmt.Sprintf("s%d@example.org", i), text)
	}
	otherID := modGreet(t, s, other, "Olga", "olga@example.org", "Дарагі Алесь!")

	mod := s.loginAs(t, account.RoleModerator)
	start := time.Now()
	posts, rejected := 0, 0
	path := "/admin/moderation?campaign=" + c.ID
	for round := 0; ; round++ {
		if round > 20 {
			t.Fatal("the queue does not empty")
		}
		cards, bulk, body := queue(t, mod, path)
		if len(cards) == 0 {
			if !strings.Contains(body, "Nothing is waiting.") {
				t.Errorf("empty queue does not say so:\n%s", body)
			}
			break
		}
		if len(cards) > 50 {
			t.Fatalf("a page shows %d greetings, want at most 50", len(cards))
		}
		if len(bulk) > 0 {
			res := mod.post(t, "/admin/moderation/approve", url.Values{"id": bulk, "campaign": {c.ID}})
			posts++
			if res.Status != 303 || !strings.Contains(res.Header.Get("Location"), "done=greetings_approved") {
				t.Fatalf("bulk approve: %d %s", res.Status, res.Header.Get("Location"))
			}
		}
		for i, id := range cards {
			if slices.Contains(bulk, id) {
				continue
			}
			var res response
			if i%2 == 0 {
				res = mod.post(t, "/admin/moderation/"+id+"/reject", url.Values{"reason": {"other"}, "campaign": {c.ID}})
				rejected++
			} else {
				res = mod.post(t, "/admin/moderation/"+id+"/approve", url.Values{"campaign": {c.ID}})
			}
			posts++
			if res.Status != 303 {
				t.Fatalf("decide %s: %d\n%s", id, res.Status, res.Body)
			}
		}
	}
	elapsed := time.Since(start)
	t.Logf("cleared 200 greetings with %d decisions in %v", posts, elapsed)
	if want := 4 + flagged; posts > want {
		t.Errorf("clearing took %d decisions, want at most %d (one bulk approval per page and one per flagged greeting)", posts, want)
	}
	if elapsed > 2*time.Minute {
		t.Errorf("clearing took %v, want a few minutes at most", elapsed)
	}

	counts, err := s.Greetings.CountByStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[letters.Status]int64{letters.StatusApproved: int64(200 - rejected), letters.StatusRejected: int64(rejected)}
	for st, n := range want {
		if counts[c.ID][st] != n {
			t.Errorf("%s greetings: %d, want %d", st, counts[c.ID][st], n)
		}
	}
	if counts[c.ID][letters.StatusPending] != 0 {
		t.Errorf("pending greetings: %d, want 0", counts[c.ID][letters.StatusPending])
	}
	// The other campaign's greeting was never shown, so never decided.
	if g := s.greeting(t, otherID); g.Status != letters.StatusPending {
		t.Errorf("other campaign's greeting: %s, want pending", g.Status)
	}
	// Every decision is in the audit log, by the moderator, naming the
	// campaign and never the supporter.
	entries := modAudit(t, s)
	if len(entries) != 200 {
		t.Errorf("audit entries: %d, want 200", len(entries))
	}
	for _, e := range entries {
		if e.Actor != "moderator@example.org" || e.Target != c.Slug || strings.Contains(e.Detail, "Supporter") {
			t.Errorf("audit entry %+v, want the moderator, the campaign slug and no supporter", e)
			break
		}
	}
	// The dashboard counts agree.
	if res := mod.get(t, "/admin"); !strings.Contains(res.Body, `<a href="/admin/moderation?campaign=`+c.ID+`">0</a>`) {
		t.Errorf("dashboard does not show 0 pending for %s", c.Slug)
	}
}

func TestModerationQueuePage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := modCampaign(t, s, "ales", false)
	other := modCampaign(t, s, "other", false)
	plain := modGreet(t, s, c, "Anna Nowak", "anna@example.org", "Дарагі Алесь, трымайцеся! Мы памятаем пра вас.")
	s.Clock.Set(s.Clock.Now().Add(time.Minute))
	flagged := modGreet(t, s, c, "Jan Kowalski", "jan@example.org", "Trzymaj się, Ales! Zadzwoń +48 600 100 200")
	s.Clock.Set(s.Clock.Now().Add(time.Minute))
	censored := modGreet(t, s, c, "Olga", "olga@example.org", "Далоў Лукашенко!")
	s.Clock.Set(s.Clock.Now().Add(time.Minute))
	elsewhere := modGreet(t, s, other, "Iryna", "iryna@example.org", "Дзякуй вам!")

	mod := s.loginAs(t, account.RoleModerator)
	cards, bulk, body := queue(t, mod, "/admin/moderation")
	if want := []string{plain, flagged, censored, elsewhere}; !slices.Equal(cards, want) {
		t.Errorf("queue of all campaigns = %v, want oldest first %v", cards, want)
	}
	if want := []string{plain, elsewhere}; !slices.Equal(bulk, want) {
		t.Errorf("bulk approval offers %v, want the unflagged %v", bulk, want)
	}
	for _, want := range []string{
		"Дарагі Алесь, трымайцеся!", "by Anna Nowak", "Hrodna, Belarus", `lang="be"`, "Belarusian (detected)",
		`<span class="flag flag-script"`, `<span class="flag flag-phone"`, `<span class="flag flag-censor"`,
		"Polish (detected)", "4 greetings are waiting.", `<script src="/static/moderation.`,
		`<option value="personal_data">Personal data</option>`, "Approve the 2 greetings without flags on this page",
	} {
		if !strings.Contains(body, html.EscapeString(want)) && !strings.Contains(body, want) {
			t.Errorf("queue page lacks %q", want)
		}
	}

	cards, _, _ = queue(t, mod, "/admin/moderation?campaign="+other.ID)
	if !slices.Equal(cards, []string{elsewhere}) {
		t.Errorf("queue of %s = %v, want only its greeting", other.Slug, cards)
	}
	if res := mod.get(t, "/admin/moderation?campaign=nope"); res.Status != 404 {
		t.Errorf("unknown campaign filter: %d, want 404", res.Status)
	}
	if res := mod.get(t, "/admin/moderation?after=garbage"); res.Status != 400 {
		t.Errorf("broken page cursor: %d, want 400", res.Status)
	}
}

func TestModerationPaging(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := modCampaign(t, s, "ales", false)
	var ids []string
	for i := range 57 {
		ids = append(ids, modGreet(t, s, c, "Anna", fmt.Sprintf("a%d@example.org", i), fmt.Sprintf("Трымайцеся, нумар %d", i)))
		if i%5 == 0 {
			s.Clock.Set(s.Clock.Now().Add(time.Second)) // some share an instant
		}
	}
	mod := s.loginAs(t, account.RoleModerator)
	first, bulk, body := queue(t, mod, "/admin/moderation")
	m := nextHrefRE.FindStringSubmatch(body)
	if len(first) != 50 || m == nil {
		t.Fatalf("first page: %d greetings, next link %v; want 50 and a link", len(first), m)
	}
	second, _, body2 := queue(t, mod, html.UnescapeString(m[1]))
	if len(second) != 7 || nextHrefRE.MatchString(body2) || !strings.Contains(body2, "Back to the oldest") {
		t.Errorf("second page: %d greetings, next link %v; want 7 and none", len(second), nextHrefRE.MatchString(body2))
	}
	got := append(slices.Clone(first), second...)
	want := slices.Clone(ids)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the two pages hold %d distinct greetings, want all %d once", len(slices.Compact(got)), len(want))
	}

	// Bulk approval approves exactly the IDs the moderator saw, even if
	// more arrived meanwhile; and an ID posted that is flagged stays.
	late := modGreet(t, s, c, "Late", "late@example.org", "Позна, але шчыра")
	spam := modGreet(t, s, c, "Spam", "spam@example.org", "Глядзі www.example.org")
	res := mod.post(t, "/admin/moderation/approve", url.Values{"id": append(bulk, spam)})
	if res.Status != 303 {
		t.Fatalf("bulk approve: %d", res.Status)
	}
	for _, id := range bulk {
		if g := s.greeting(t, id); g.Status != letters.StatusApproved {
			t.Fatalf("greeting seen and approved in bulk: %s", g.Status)
		}
	}
	for _, id := range []string{late, spam, second[0]} {
		if g := s.greeting(t, id); g.Status != letters.StatusPending {
			t.Errorf("greeting %q not approved in bulk: %s, want pending", g.Text, g.Status)
		}
	}
	tooMany := make([]string, 201)
	for i := range tooMany {
		tooMany[i] = fmt.Sprint(i)
	}
	if res := mod.post(t, "/admin/moderation/approve", url.Values{"id": tooMany}); res.Status != 400 {
		t.Errorf("bulk approval of 201 IDs: %d, want 400", res.Status)
	}
}

func TestModerationDecisions(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := modCampaign(t, s, "ales", false)
	a := modGreet(t, s, c, "Anna Nowak", "anna@example.org", "Дарагі Алесь!")
	b := modGreet(t, s, c, "Jan Kowalski", "jan@example.org", "Мой тэлефон 8 029 123 45 67")
	mod := s.loginAs(t, account.RoleModerator)

	// Rejecting needs a reason: the queue comes back with the problem next
	// to the list, and nothing changes.
	res := mod.post(t, "/admin/moderation/"+b+"/reject", url.Values{"reason": {""}, "next": {a}})
	if res.Status != 422 || !strings.Contains(res.Body, `<p class="error" id="e-r-`+b+`">Choose why this greeting is rejected.</p>`) ||
		!strings.Contains(res.Body, `aria-describedby="e-r-`+b+`"`) {
		t.Fatalf("reject without a reason: %d\n%s", res.Status, res.Body)
	}
	if g := s.greeting(t, b); g.Status != letters.StatusPending {
		t.Errorf("after a refused rejection: %s, want pending", g.Status)
	}
	res = mod.post(t, "/admin/moderation/"+b+"/reject", url.Values{"reason": {"personal_data"}, "next": {a}, "campaign": {c.ID}})
	if loc := res.Header.Get("Location"); res.Status != 303 || loc != "/admin/moderation?campaign="+c.ID+"&done=greeting_rejected#g-"+a {
		t.Fatalf("reject: %d %q", res.Status, loc)
	}
	if g := s.greeting(t, b); g.Status != letters.StatusRejected || g.Reason != letters.ReasonPersonalData {
		t.Errorf("rejected greeting: %s (%s)", g.Status, g.Reason)
	}
	if page := mod.get(t, res.Header.Get("Location")); !strings.Contains(page.Body, "The greeting is rejected.") {
		t.Errorf("no confirmation after rejecting")
	}

	// A second decision on the same greeting (a colleague was faster)
	// changes nothing and says so.
	res = mod.post(t, "/admin/moderation/"+b+"/approve", nil)
	if res.Status != 303 || !strings.Contains(res.Header.Get("Location"), "done=already_decided") {
		t.Errorf("approve a rejected greeting: %d %s", res.Status, res.Header.Get("Location"))
	}
	if g := s.greeting(t, b); g.Status != letters.StatusRejected {
		t.Errorf("after a late approval: %s, want still rejected", g.Status)
	}
	if res := mod.post(t, "/admin/moderation/nope/approve", nil); res.Status != 404 {
		t.Errorf("approve a missing greeting: %d, want 404", res.Status)
	}

	// Correcting the language: kept, audited, and the greeting stays.
	if res := mod.post(t, "/admin/moderation/"+a+"/language", url.Values{"language": {"zz"}}); res.Status != 422 ||
		!strings.Contains(res.Body, "Choose a language from the list.") {
		t.Errorf("unknown language: %d", res.Status)
	}
	res = mod.post(t, "/admin/moderation/"+a+"/language", url.Values{"language": {"uk"}})
	if res.Status != 303 || !strings.HasSuffix(res.Header.Get("Location"), "#g-"+a) {
		t.Fatalf("correct language: %d %s", res.Status, res.Header.Get("Location"))
	}
	if g := s.greeting(t, a); g.Language != "uk" || !g.LanguageCorrected || g.Status != letters.StatusPending {
		t.Errorf("after correction: %+v", g)
	}
	if _, _, body := queue(t, mod, "/admin/moderation"); !strings.Contains(body, "Ukrainian (set by a moderator)") {
		t.Errorf("queue does not show the corrected language")
	}

	var details []string
	for _, e := range modAudit(t, s) {
		details = append(details, e.Target+": "+e.Detail)
		if strings.Contains(e.Detail, "Jan") || strings.Contains(e.Detail, "Anna") {
			t.Errorf("audit names a supporter: %+v", e)
		}
	}
	want := []string{"ales: rejected: personal_data", "ales: language: be → uk"}
	if !slices.Equal(details, want) {
		t.Errorf("audit = %q, want %q", details, want)
	}
}

func TestTranslations(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := modCampaign(t, s, "ales", false)
	pl := modGreet(t, s, c, "Ewa", "ewa@example.org", "Trzymaj się, Ales! Pozdrowienia z Białegostoku.")
	be := modGreet(t, s, c, "Anna", "anna@example.org", "Трымайцеся, Алесь!")
	pending := modGreet(t, s, c, "Jan", "jan@example.org", "Dear Ales, you are not forgotten.")
	mod := s.loginAs(t, account.RoleModerator)
	for _, id := range []string{pl, be} {
		if res := mod.post(t, "/admin/moderation/"+id+"/approve", nil); res.Status != 303 {
			t.Fatal(res.Status)
		}
	}
	tr := s.loginAs(t, account.RoleTranslator)
	page := tr.get(t, "/admin/translations")
	checkModPage(t, page)
	if page.Status != 200 || !strings.Contains(page.Body, `id="t-`+pl+`"`) || strings.Contains(page.Body, `id="t-`+be+`"`) ||
		strings.Contains(page.Body, `id="t-`+pending+`"`) {
		t.Fatalf("translations: %d; want only the approved Polish greeting\n%s", page.Status, page.Body)
	}
	if !strings.Contains(page.Body, `<option value="be">Belarusian</option><option value="ru">Russian</option>`) {
		t.Errorf("translation form does not offer the recipient's languages")
	}
	if strings.Contains(page.Body, "Approve translation") {
		t.Errorf("a translator is offered to approve")
	}

	// Bad input: both problems at their fields, the text kept.
	res := tr.post(t, "/admin/translations/"+pl, url.Values{"language": {"pl"}, "text": {"   "}})
	if res.Status != 422 || !strings.Contains(res.Body, `id="e-tl-`+pl+`">Choose one of the recipient`) ||
		!strings.Contains(res.Body, `id="e-tt-`+pl+`">Write the translation.`) {
		t.Fatalf("empty translation: %d\n%s", res.Status, res.Body)
	}
	res = tr.post(t, "/admin/translations/"+pl, url.Values{"language": {"pl"}, "text": {"Трымайся, Алесь!"}})
	if res.Status != 422 || !strings.Contains(res.Body, ">Трымайся, Алесь!</textarea>") {
		t.Errorf("translation in a wrong language: %d; want 422 with the text kept", res.Status)
	}
	if g := s.greeting(t, pl); g.Translation != nil {
		t.Errorf("a refused translation was stored: %+v", g.Translation)
	}
	res = tr.post(t, "/admin/translations/"+pl, url.Values{"language": {"be"}, "text": {"Трымайся, Алесь! Прывітанне з Беластока."}})
	if res.Status != 303 {
		t.Fatalf("translate: %d\n%s", res.Status, res.Body)
	}
	// The moderator reviews it.
	page = mod.get(t, "/admin/translations")
	if !strings.Contains(page.Body, "Прывітанне з Беластока") || !strings.Contains(page.Body, "waiting for review") ||
		!strings.Contains(page.Body, "Approve translation") || strings.Contains(page.Body, "Save a new version") {
		t.Errorf("moderator's translation list lacks the translation to review\n%s", page.Body)
	}
	if res := mod.post(t, "/admin/translations/"+pl+"/reject", url.Values{"next": {pl}}); res.Status != 303 {
		t.Fatalf("reject translation: %d", res.Status)
	}
	if page := tr.get(t, "/admin/translations"); !strings.Contains(page.Body, "rejected: please translate again") {
		t.Errorf("translator does not see the rejection")
	}
	if res := tr.post(t, "/admin/translations/"+pl, url.Values{"language": {"ru"}, "text": {"Держись, Алесь!"}}); res.Status != 303 {
		t.Fatalf("translate again: %d", res.Status)
	}
	if res := mod.post(t, "/admin/translations/"+pl+"/approve", nil); res.Status != 303 {
		t.Fatalf("approve translation: %d", res.Status)
	}
	g := s.greeting(t, pl)
	if !g.Translation.Approved() || g.Translation.Language != "ru" || g.Translation.Text != "Держись, Алесь!" ||
		g.Text != "Trzymaj się, Ales! Pozdrowienia z Białegostoku." {
		t.Errorf("stored greeting: %+v with %+v; want the original and the approved translation", g, g.Translation)
	}
	if page := tr.get(t, "/admin/translations"); !strings.Contains(page.Body, "No greeting is waiting for a translation.") {
		t.Errorf("translated greeting still listed")
	}
	if res := mod.post(t, "/admin/translations/"+pl+"/approve", nil); !strings.Contains(res.Header.Get("Location"), "already_decided") {
		t.Errorf("approve twice: %d %s", res.Status, res.Header.Get("Location"))
	}

	var details []string
	for _, e := range modAudit(t, s) {
		if strings.Contains(e.Detail, "translation") {
			details = append(details, e.Actor+" "+string(e.Action)+" "+e.Detail)
		}
	}
	want := []string{
		"translator@example.org translation_saved translation submitted: be",
		"moderator@example.org greeting_moderated translation rejected: be",
		"translator@example.org translation_saved translation submitted: ru",
		"moderator@example.org greeting_moderated translation approved: ru",
	}
	if !slices.Equal(details, want) {
		t.Errorf("audit = %q, want %q", details, want)
	}
}

// TestModerationNeedsFormToken checks that a decision posted without the
// session's form token is refused and changes nothing.
func TestModerationNeedsFormToken(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := modCampaign(t, s, "ales", false)
	id := modGreet(t, s, c, "Anna", "anna@example.org", "Дарагі Алесь!")
	mod := s.loginAs(t, account.RoleModerator)
	if res := mod.post(t, "/admin/moderation/"+id+"/approve", url.Values{"token": {"forged"}}); res.Status != 403 {
		t.Errorf("approve without the form token: %d, want 403", res.Status)
	}
	if g := s.greeting(t, id); g.Status != letters.StatusPending {
		t.Errorf("after a forged approval: %s", g.Status)
	}
}

func TestPublicGreetings(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := modCampaign(t, s, "ales", true)
	hidden := modCampaign(t, s, "quiet", false)
	var ids []string
	for i := range 8 {
		ids = append(ids, modGreet(t, s, c, fmt.Sprintf("Name%d Surname%d", i, i), fmt.Sprintf("p%d@example.org", i),
			fmt.Sprintf("Прывітанне нумар %d", i)))
		s.Clock.Set(s.Clock.Now().Add(time.Second))
	}
	rejected := modGreet(t, s, c, "Bad Actor", "bad@example.org", "Нешта кепскае")
	pendingID := modGreet(t, s, c, "Waiting Person", "wait@example.org", "Яшчэ не праверана")
	quiet := modGreet(t, s, hidden, "Quiet Person", "q@example.org", "Ціхае прывітанне")

	if page := s.get(t, "/c/"+c.Slug); strings.Contains(page.Body, "Messages from supporters") {
		t.Errorf("campaign page shows greetings before any is approved")
	}
	mod := s.loginAs(t, account.RoleModerator)
	for _, id := range append(slices.Clone(ids[:7]), quiet) {
		if res := mod.post(t, "/admin/moderation/"+id+"/approve", nil); res.Status != 303 {
			t.Fatal(res.Status)
		}
	}
	if res := mod.post(t, "/admin/moderation/"+rejected+"/reject", url.Values{"reason": {"offensive"}}); res.Status != 303 {
		t.Fatal(res.Status)
	}
	page := s.get(t, "/c/"+c.Slug)
	if page.Status != 200 || !strings.Contains(page.Body, "Messages from supporters") {
		t.Fatalf("campaign page: %d, no greetings\n%s", page.Status, page.Body)
	}
	shown := regexp.MustCompile(`Прывітанне нумар (\d)`).FindAllStringSubmatch(page.Body, -1)
	var got []string
	for _, m := range shown {
		got = append(got, m[1])
	}
	if want := []string{"6", "5", "4", "3", "2", "1"}; !slices.Equal(got, want) {
		t.Errorf("shown greetings %v, want the 6 latest approved %v", got, want)
	}
	for _, bad := range []string{"Нешта кепскае", "Яшчэ не праверана", "Surname", "Bad Actor", "Waiting", "@example.org", "Прывітанне нумар 7"} {
		if strings.Contains(page.Body, bad) {
			t.Errorf("campaign page shows %q", bad)
		}
	}
	if !strings.Contains(page.Body, `<p class="small">Name6, Hrodna, Belarus</p>`) || !strings.Contains(page.Body, `<div dir="auto" lang="be">`) {
		t.Errorf("a greeting is not shown with first name, city and country\n%s", page.Body)
	}
	// An approval shows at once.
	if res := mod.post(t, "/admin/moderation/"+ids[7]+"/approve", nil); res.Status != 303 {
		t.Fatal(res.Status)
	}
	if page := s.get(t, "/c/"+c.Slug); !strings.Contains(page.Body, "Прывітанне нумар 7") || strings.Contains(page.Body, "Прывітанне нумар 1<") {
		t.Errorf("after approving one more, the page does not show it first of six")
	}
	_ = pendingID
	// A campaign that does not show greetings shows none.
	if page := s.get(t, "/c/"+hidden.Slug); strings.Contains(page.Body, "Ціхае прывітанне") || strings.Contains(page.Body, "Messages from supporters") {
		t.Errorf("campaign without public greetings shows one")
	}
}
