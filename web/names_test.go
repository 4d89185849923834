package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
)

// printedText builds the campaign's bundle as an organizer would and
// returns the text of its first letter, as pdftotext reads it. Without
// pdftotext the test is skipped (except on CI).
func printedText(t *testing.T, s *site, c *campaign.Campaign) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is missing on CI")
		}
		t.Skip("pdftotext is not installed")
	}
	ctx := context.Background()
	stored, err := s.Service.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	builder := s.Core.Builder
	scope, err := builder.ScopeAt(ctx, stored.ID, s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	if _, err := builder.Build(ctx, stored, bundle.Options{Lang: "en"}, scope, &zipped, nil); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("letter-01.pdf")
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(f)
	path := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// signer is one supporter of the held-name tests.
type signer struct {
	label, name, city, country, display string
	// held: the name (or city) waits for a moderator.
	heldName, heldCity bool
	// reject: the moderator rejects it; else approves.
	reject bool
	// approved is the name as printed once approved.
	approved string
}

func TestHeldNamesPrintOnlyOnceApproved(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	r := campaign.Recipient{ID: "r-censor", Name: "Ales Bialiatski", Address: []string{"Demo address"}, Country: "BY",
		Languages: []string{"be", "ru"}, CensorWords: []string{"Pahonia"}}
	if err := s.Service.Store().CreateRecipient(ctx, &r); err != nil {
		t.Fatal(err)
	}
	c := s.addCampaign(t, "ales", func(c *campaign.Campaign) { c.RecipientID = r.ID })
	signers := []signer{
		{label: "clean", name: "Jan Kowalski", city: "Gdańsk", approved: "Jan Kowalski"},
		{label: "link", name: "Anna www.example.org", heldName: true, approved: "Anna www.example.org"},
		{label: "phone", name: "Ewa +48 601 234 567", heldName: true, reject: true},
		{label: "email", name: "Olga olga@example.net", heldName: true, approved: "Olga"},
		{label: "censor word", name: "Pahonia Kowalska", heldName: true, approved: "Pahonia Kowalska"},
		{label: "capitals, first name and initial", name: "ZOFIA KOWALSKA", display: "first_initial", heldName: true, approved: "ZOFIA K."},
		{label: "unprintable script", name: "山田太郎", country: "JP", display: "country", heldName: true},
		{label: "city with a link", name: "Piotr Zieliński", city: "Kraków www.example.pl", heldCity: true, approved: "Piotr Zieliński"},
	}
	for i, sg := range signers {
		res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), func(v url.Values) {
			v.Set("name", sg.name)
			v.Set("email", fmt.Sprintf("held%d@example.org", i))
			v.Set("city", sg.city)
			if sg.country != "" {
				v.Set("country", sg.country)
			}
			if sg.display != "" {
				v.Set("display", sg.display)
			}
			v.Del("greeting")
		}))
		if res.Status != 303 {
			t.Fatalf("%s: sign: %d\n%s", sg.label, res.Status, res.Body)
		}
	}
	byName := map[string]campaign.Signature{}
	for _, sig := range storedSignatures(t, s) {
		byName[sig.Person.Name] = sig
	}
	for _, sg := range signers {
		sig := byName[sg.name]
		var got campaign.Held
		if sig.Held != nil {
			got = *sig.Held
		}
		if got.Name != sg.heldName || got.City != sg.heldCity {
			t.Errorf("%s: held %+v, want name %v city %v", sg.label, got, sg.heldName, sg.heldCity)
		}
	}

	// Until a moderator decides, prison staff read no held name or city.
	text := printedText(t, s, c)
	if !strings.Contains(text, "Jan Kowalski") || !strings.Contains(text, "Gdańsk") {
		t.Errorf("the clean name or its city is not printed:\n%s", text)
	}
	for _, sg := range signers {
		if sg.heldName && strings.Contains(text, strings.Fields(sg.name)[0]) {
			t.Errorf("%s: %q is printed before approval", sg.label, sg.name)
		}
	}
	if strings.Contains(text, "Kraków") || strings.Contains(text, "example.pl") {
		t.Error("a held city is printed before approval")
	}
	if got := strings.Count(text, "a supporter from Poland"); got != 5 {
		t.Errorf("%d rows printed as “a supporter from Poland”, want 5 (the held names)\n%s", got, text)
	}
	if !strings.Contains(text, "a supporter from Japan") {
		t.Error("the unprintable name is not printed as “a supporter from Japan”")
	}

	// The queue shows them, with their flags and counts.
	mod := s.loginAs(t, account.RoleModerator)
	page := mod.get(t, "/admin/moderation/names")
	if page.Status != 200 {
		t.Fatalf("name queue: %d", page.Status)
	}
	body := html.UnescapeString(page.Body)
	for _, want := range []string{"7 signatures are waiting", "Anna www.example.org", "Kraków www.example.pl", "山田太郎",
		"Link", "Phone number", "Email address", "Censor word", "Capitals", "Cannot be printed"} {
		if !strings.Contains(body, want) {
			t.Errorf("the name queue lacks %q", want)
		}
	}
	if q := mod.get(t, "/admin/moderation"); !strings.Contains(q.Body, "7 names or cities wait to be checked") {
		t.Error("the greeting queue does not count the held names")
	}
	if d := mod.get(t, "/admin"); !regexp.MustCompile(`/admin/moderation/names\?campaign=c-ales">7<`).MatchString(d.Body) {
		t.Error("the dashboard does not count the held names")
	}
	for _, sg := range signers[1:] {
		action := "approve"
		if sg.reject {
			action = "reject"
		}
		res := mod.post(t, "/admin/moderation/names/"+byName[sg.name].ID+"/"+action, nil)
		if res.Status != 303 {
			t.Fatalf("%s: %s: %d", sg.label, action, res.Status)
		}
	}
	if res := mod.post(t, "/admin/moderation/names/"+byName["Anna www.example.org"].ID+"/reject", nil); res.Status != 303 ||
		!strings.Contains(res.Header.Get("Location"), "already_decided") {
		t.Errorf("deciding twice: %d %s, want a redirect saying it was decided", res.Status, res.Header.Get("Location"))
	}
	if page := mod.get(t, "/admin/moderation/names"); !strings.Contains(page.Body, "No names wait to be checked.") {
		t.Error("the name queue is not empty after every decision")
	}

	// Approved names print as their supporters chose; the rejected one
	// stays in the country form, for good.
	text = printedText(t, s, c)
	for _, sg := range signers {
		if sg.approved != "" && !strings.Contains(text, sg.approved) {
			t.Errorf("%s: %q is not printed after approval\n%s", sg.label, sg.approved, text)
		}
	}
	if strings.Contains(text, "Ewa") || strings.Contains(text, "601") {
		t.Error("the rejected name is printed")
	}
	if !strings.Contains(text, "Kraków www.example.pl") {
		t.Error("the approved city is not printed")
	}
	if got := strings.Count(text, "a supporter from Poland"); got != 1 {
		t.Errorf("%d rows printed as “a supporter from Poland”, want 1 (the rejected name)", got)
	}
	if entries := s.auditEntries(t, "name_moderated"); len(entries) != 7 {
		t.Errorf("%d name decisions in the audit log, want 7", len(entries))
	}
}

func TestNameQueueHoldsNoPlaintext(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), func(v url.Values) {
		v.Set("name", "Marta Secretname www.example.org")
		v.Set("city", "Hiddentown +48 601 234 567")
	}))
	if res.Status != 303 {
		t.Fatalf("sign: %d", res.Status)
	}
	cur, err := s.DB.Collection("name_queue").Find(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.Raw
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("%d queue documents, want 1", len(docs))
	}
	for _, secret := range []string{"Marta", "Secretname", "example.org", "Hiddentown", "601 234", "Poland"} {
		if bytes.Contains(docs[0], []byte(secret)) {
			t.Errorf("the queue copy holds %q in plain text", secret)
		}
	}
	// The moderator still reads it.
	page := s.loginAs(t, account.RoleModerator).get(t, "/admin/moderation/names")
	if !strings.Contains(page.Body, "Marta Secretname www.example.org") || !strings.Contains(page.Body, "Hiddentown") {
		t.Error("the moderator cannot read the held name and city")
	}
	// Erasing the signature erases its queue copy.
	org := s.loginAs(t, account.RoleOrganizer)
	sig := storedSignatures(t, s)[0].ID
	if res := org.post(t, "/admin/campaigns/c-ales/signatures/"+sig+"/erase", nil); res.Status != 303 {
		t.Fatalf("erase: %d", res.Status)
	}
	if n, _ := s.DB.Collection("name_queue").CountDocuments(context.Background(), bson.M{}); n != 0 {
		t.Errorf("%d queue copies left after the erasure", n)
	}
}

// checkedDisplay is the name choice a form shows chosen.
func checkedDisplay(body string) string {
	m := regexp.MustCompile(`name="display" value="([a-z_]+)" checked`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// confirmedValue is the sign form's "confirmed" field.
func confirmedValue(body string) string {
	m := regexp.MustCompile(`name="confirmed" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return "(missing)"
	}
	return m[1]
}

func TestSignFormSaysWhatIsPrinted(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil) // no list of its own: Belarus and Russia
	s.addCampaign(t, "none", func(c *campaign.Campaign) { c.AtRisk = []string{} })
	s.addCampaign(t, "ua", func(c *campaign.Campaign) { c.AtRisk = []string{"UA"} })
	tests := []struct {
		name, slug, signer, country, display string
		// notices the first POST shows (422); none means it signs (303).
		notices []string
		// confirmed is what the form asks to confirm.
		confirmed string
	}{
		{name: "unprintable name", slug: "ales", signer: "山田太郎", country: "JP",
			notices: []string{"Your name will be printed as: a supporter from Japan"}, confirmed: "unprintable"},
		{name: "unprintable name, first name and initial", slug: "ales", signer: "محمد علي", country: "EG", display: "first_initial",
			notices: []string{"Your name will be printed as: a supporter from Egypt"}, confirmed: "unprintable"},
		{name: "unprintable name, country form chosen", slug: "ales", signer: "山田花子", country: "JP", display: "country"},
		{name: "Belarus", slug: "ales", signer: "Hanna Kalinouskaja", country: "BY",
			notices: []string{"Signing from Belarus", "What we keep", "prison staff read every line", "“a supporter from Belarus”"}, confirmed: "risk"},
		{name: "Russia, first name and initial", slug: "ales", signer: "Irina Petrova", country: "RU", display: "first_initial",
			notices: []string{"Signing from Russia"}, confirmed: "risk"},
		{name: "Belarus, country form chosen", slug: "ales", signer: "Pavel Sidorov", country: "BY", display: "country"},
		{name: "Poland", slug: "ales", signer: "Jan Kowalski", country: "PL"},
		{name: "campaign without at-risk countries", slug: "none", signer: "Hanna Kalinouskaja", country: "BY"},
		{name: "campaign with its own list", slug: "ua", signer: "Olena Kovalenko", country: "UA",
			notices: []string{"Signing from Ukraine"}, confirmed: "risk"},
		{name: "campaign with its own list, Belarus", slug: "ua", signer: "Ales Kalinouski", country: "BY"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form := signForm(s.token(t, tc.slug), func(v url.Values) {
				v.Set("name", tc.signer)
				v.Set("email", fmt.Sprintf("form%d@example.org", i))
				v.Set("country", tc.country)
				if tc.display != "" {
					v.Set("display", tc.display)
				}
			})
			res := s.post(t, "/c/"+tc.slug+"/sign", form)
			if len(tc.notices) == 0 {
				if res.Status != 303 {
					t.Fatalf("sign: %d, want 303\n%s", res.Status, res.Body)
				}
				return
			}
			if res.Status != 422 {
				t.Fatalf("sign: %d, want 422 with the notice", res.Status)
			}
			// What the supporter reads: the country's name stands in an
			// element of its own, for sign.js to change.
			body := html.UnescapeString(tagRE.ReplaceAllString(res.Body, ""))
			for _, want := range append(tc.notices, "send the form again") {
				if !strings.Contains(body, want) {
					t.Errorf("the form lacks %q", want)
				}
			}
			if got := checkedDisplay(res.Body); got != "country" {
				t.Errorf("the name choice is %q, want country", got)
			}
			if want := "<option value=" + tc.country + " selected>"; strings.Count(res.Body, " selected>") != 1 || !strings.Contains(res.Body, want) {
				t.Errorf("the form sent back does not keep the country chosen: want only %s", want)
			}
			if got := confirmedValue(res.Body); got != tc.confirmed {
				t.Errorf("confirmed = %q, want %q", got, tc.confirmed)
			}
			// Sent again as shown, it signs, without printing the name.
			form.Set("display", checkedDisplay(res.Body))
			form.Set("confirmed", confirmedValue(res.Body))
			form.Set("token", s.token(t, tc.slug))
			if res := s.post(t, "/c/"+tc.slug+"/sign", form); res.Status != 303 {
				t.Fatalf("confirmed: %d, want 303\n%s", res.Status, res.Body)
			}
			for _, sig := range storedSignatures(t, s) {
				if sig.Person.Name == tc.signer && sig.Person.Display != campaign.NameCountry {
					t.Errorf("stored with display %q, want country", sig.Person.Display)
				}
			}
		})
	}

	// A supporter at risk who read the notice may keep their name.
	form := signForm(s.token(t, "ales"), func(v url.Values) {
		v.Set("name", "Maryja Kalesnikava")
		v.Set("email", "keeps@example.org")
		v.Set("country", "BY")
		v.Set("display", "full")
		v.Set("confirmed", "risk")
	})
	if res := s.post(t, "/c/ales/sign", form); res.Status != 303 {
		t.Fatalf("a confirmed choice to print the name: %d", res.Status)
	}
	for _, sig := range storedSignatures(t, s) {
		if sig.Person.Name == "Maryja Kalesnikava" && sig.Person.Display != campaign.NameFull {
			t.Errorf("a confirmed full name is stored with display %q", sig.Person.Display)
		}
	}

	// The notices are in every form, hidden, for sign.js to show.
	page := s.get(t, "/c/ales")
	for _, want := range []string{`data-risk="BY RU"`, `id="safety-unprintable"`, `id="safety-risk"`, `/static/sign.`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the campaign page lacks %s", want)
		}
	}
	if js := s.get(t, regexp.MustCompile(`/static/sign\.[0-9a-f]+\.js`).FindString(page.Body)); js.Status != 200 || !strings.Contains(js.Body, "data-notice") {
		t.Errorf("sign.js: %d", js.Status)
	}
}

// tagRE matches an HTML tag, to read a page's text.
var tagRE = regexp.MustCompile(`<[^>]*>`)

func TestAPIPrintsUnprintableNamesInTheCountryForm(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "open", nil)
	key := s.addPartner(t, "ngo-a", "https://ngo-a.example")
	res := s.apiPost(t, "open", key, sigJSON("yamada@example.org", func(m map[string]any) {
		m["name"], m["country"], m["display"] = "山田太郎", "JP", "full"
	}))
	if res.Status != 201 {
		t.Fatalf("sign: %d %s", res.Status, res.Body)
	}
	sig := storedSignatures(t, s)[0]
	if sig.Person.Display != campaign.NameCountry || sig.Held == nil || !sig.Held.Name {
		t.Errorf("stored display %q, held %+v; want country, held name", sig.Person.Display, sig.Held)
	}
	if text := printedText(t, s, c); !strings.Contains(text, "a supporter from Japan") {
		t.Errorf("the name is not printed as “a supporter from Japan”:\n%s", text)
	}
	if doc := s.get(t, "/api/v1/openapi.json"); !strings.Contains(doc.Body, "cannot print") {
		t.Error("the API description does not say how unprintable names are printed")
	}
}

// A partner who sends no display choice for a signer from an at-risk
// country gets the country form; an explicit choice stands.
func TestAPIDefaultsAtRiskSignersToTheCountryForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country, display string
		want             campaign.NameDisplay
	}{
		{"BY", "", campaign.NameCountry},
		{"RU", "", campaign.NameCountry},
		{"PL", "", campaign.NameFull},
		{"BY", "full", campaign.NameFull},
	}
	for i, tc := range tests {
		t.Run(tc.country+"/"+tc.display, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, dbs.Database(t))
			s.addCampaign(t, "open", nil)
			key := s.addPartner(t, "ngo-a", "https://ngo-a.example")
			res := s.apiPost(t, "open", key, sigJSON(fmt.Sprintf("risk-%d@example.org", i), func(m map[string]any) {
				m["country"] = tc.country
				delete(m, "display")
				if tc.display != "" {
					m["display"] = tc.display
				}
			}))
			if res.Status != 201 {
				t.Fatalf("sign: %d %s", res.Status, res.Body)
			}
			if got := storedSignatures(t, s)[0].Person.Display; got != tc.want {
				t.Errorf("stored display %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEmbedFormAsksToConfirm(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	page := s.get(t, "/embed/ales")
	if page.Status != 200 || !strings.Contains(page.Body, `data-risk="BY RU"`) || !strings.Contains(page.Body, "/static/sign.") {
		t.Fatalf("embed page: %d, without the notices or sign.js", page.Status)
	}
	tok := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if tok == nil {
		t.Fatal("no token in the embed form")
	}
	s.Clock.Add(5 * time.Second)
	form := signForm(tok[1], func(v url.Values) {
		v.Set("name", "Hanna Kalinouskaja")
		v.Set("country", "BY")
	})
	res := s.post(t, "/embed/ales/sign", form)
	if res.Status != 422 || !strings.Contains(tagRE.ReplaceAllString(res.Body, ""), "Signing from Belarus") || checkedDisplay(res.Body) != "country" {
		t.Fatalf("embed sign from Belarus: %d, want 422 with the notice and the country form chosen", res.Status)
	}
	form.Set("display", "country")
	form.Set("confirmed", confirmedValue(res.Body))
	form.Set("token", regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(res.Body)[1])
	s.Clock.Add(5 * time.Second)
	if res := s.post(t, "/embed/ales/sign", form); res.Status != 303 {
		t.Fatalf("confirmed: %d", res.Status)
	}
}

func TestAtRiskCountriesInTheCampaignForm(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	ctx := context.Background()
	// A campaign stored before the field existed.
	if _, err := s.DB.Collection("campaigns").UpdateOne(ctx, bson.M{"_id": c.ID}, bson.M{"$unset": bson.M{"at_risk_countries": ""}}); err != nil {
		t.Fatal(err)
	}
	s.reload(t)
	stored, err := s.Service.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := stored.RiskCountries(); strings.Join(got, " ") != "BY RU" {
		t.Errorf("a campaign without the field: %v, want BY RU", got)
	}
	org := s.loginAs(t, account.RoleOrganizer)
	page := org.get(t, "/admin/campaigns/"+c.ID)
	if !strings.Contains(page.Body, `name="at_risk" type="text" value="BY RU"`) {
		t.Fatal("the campaign form does not show BY RU for a campaign without the field")
	}
	// An edit without the field (a form from before it) keeps the list.
	if res := org.post(t, "/admin/campaigns/"+c.ID, campaignValues(stored, nil)); res.Status != 303 {
		t.Fatalf("save without the field: %d", res.Status)
	}
	if stored, _ = s.Service.Campaign(ctx, c.ID); strings.Join(stored.RiskCountries(), " ") != "BY RU" {
		t.Errorf("saved without the field: %v, want BY RU", stored.RiskCountries())
	}
	tests := []struct {
		value  string
		status int
		want   string
	}{
		{"ru, by; ua", 303, "RU BY UA"},
		{"BY XX", 422, "RU BY UA"},
		{"", 303, ""},
		{"by", 303, "BY"},
	}
	for _, tc := range tests {
		stored, _ = s.Service.Campaign(ctx, c.ID)
		res := org.post(t, "/admin/campaigns/"+c.ID, campaignValues(stored, func(v url.Values) { v.Set("at_risk", tc.value) }))
		if res.Status != tc.status {
			t.Fatalf("at_risk %q: %d, want %d\n%s", tc.value, res.Status, tc.status, res.Body)
		}
		if tc.status == 422 && fieldError(res.Body, "at_risk") == "" {
			t.Errorf("at_risk %q: no error next to the field", tc.value)
		}
		stored, _ = s.Service.Campaign(ctx, c.ID)
		if got := strings.Join(stored.RiskCountries(), " "); got != tc.want {
			t.Errorf("after %q: %q, want %q", tc.value, got, tc.want)
		}
		if tc.value == "" && stored.AtRisk == nil {
			t.Error("an emptied list is read back as missing, that is as BY RU")
		}
	}
}

// A greeting approved for the campaign page does not show a held name or
// city there either.
func TestPublicGreetingsWithholdHeldNames(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := modCampaign(t, s, "ales", true)
	id := modGreet(t, s, c, "Spammer www.example.org", "spam@example.org", "Прывітанне з Гародні")
	mod := s.loginAs(t, account.RoleModerator)
	if res := mod.post(t, "/admin/moderation/"+id+"/approve", nil); res.Status != 303 {
		t.Fatal(res.Status)
	}
	page := s.get(t, "/c/"+c.Slug)
	if !strings.Contains(page.Body, "Прывітанне з Гародні") {
		t.Fatal("the approved greeting is not shown")
	}
	if strings.Contains(page.Body, "Spammer") || strings.Contains(page.Body, "example.org") {
		t.Error("the campaign page shows a held name")
	}
}
