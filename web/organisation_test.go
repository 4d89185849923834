package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	orgsite "github.com/solidarity-letters/solidarity/site"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// orgForm is a valid organisation profile form over version; edit changes it.
func orgForm(version string, edit func(url.Values)) url.Values {
	v := url.Values{
		"version":             {version},
		"org_name":            {"Viasna Solidarity Group"},
		"org_address":         {"Skrytka 12\r\n00-950 Warszawa\r\nPoland"},
		"org_email":           {"contact@viasna.example"},
		"org_signal":          {"+48 600 100 200"},
		"org_pgp_fingerprint": {"1234 5678 9ABC DEF0 1234 5678 9ABC DEF0 1234 5678"},
		"org_pgp_url":         {"https://viasna.example/key.asc"},
	}
	if edit != nil {
		edit(v)
	}
	return v
}

var versionRE = regexp.MustCompile(`name="version" value="([^"]*)"`)

// formVersion is the version the organisation form carries.
func formVersion(t *testing.T, page response) string {
	t.Helper()
	m := versionRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no version in the organisation form (status %d)", page.Status)
	}
	return m[1]
}

// An admin saves the profile; it shows on the public pages at once, the
// form shows it again and the audit log says who changed what.
func TestOrganisationSave(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	admin := s.loginAs(t, account.RoleAdmin)
	form := admin.get(t, "/admin/organisation")
	if form.Status != 200 || formVersion(t, form) != "0" {
		t.Fatalf("empty form: %d, version %q", form.Status, formVersion(t, form))
	}
	res := admin.post(t, "/admin/organisation", orgForm("0", nil))
	if res.Status != 303 || res.Header.Get("Location") != "/admin/organisation?done=organisation_saved" {
		t.Fatalf("save: %d to %q\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	again := admin.get(t, res.Header.Get("Location"))
	for _, want := range []string{"The organisation profile is saved", `value="Viasna Solidarity Group"`,
		"Skrytka 12\n00-950 Warszawa\nPoland</textarea>", `value="&#43;48600100200"`,
		`value="1234 5678 9ABC DEF0 1234 5678 9ABC DEF0 1234 5678"`, `value="https://viasna.example/key.asc"`} {
		if !strings.Contains(again.Body, want) {
			t.Errorf("form after saving lacks %q", want)
		}
	}
	if v := formVersion(t, again); v != "1" {
		t.Errorf("form version after saving: %q, want 1", v)
	}
	if home := s.get(t, "/"); !strings.Contains(home.Body, "Viasna Solidarity Group") {
		t.Error("home page footer does not show the saved profile at once")
	}
	entries := s.auditEntries(t, audit.ProfileChanged)
	if len(entries) != 1 || entries[0].Actor != "admin@example.org" ||
		entries[0].Detail != "changed: name, address, email, signal, pgp_fingerprint, pgp_url" {
		t.Fatalf("audit entries %+v", entries)
	}
	if log := admin.get(t, "/admin/audit"); !strings.Contains(log.Body, "changed the organisation profile") {
		t.Error("audit page does not word the change")
	}

	// Saving an unchanged form adds no entry; a change names its field.
	admin.post(t, "/admin/organisation", orgForm("1", nil))
	admin.post(t, "/admin/organisation", orgForm("2", func(v url.Values) { v.Set("org_signal", "") }))
	entries = s.auditEntries(t, audit.ProfileChanged)
	if len(entries) != 2 || entries[1].Detail != "changed: signal" {
		t.Errorf("audit entries after two more saves: %+v", entries)
	}
}

// Each field's problems are named at the field, the form is shown again
// with what was typed, and nothing is saved.
func TestOrganisationValidation(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	admin := s.loginAs(t, account.RoleAdmin)
	tests := []struct {
		field, value, want string
	}{
		{"org_name", "", "Enter the organisation&#39;s name."},
		{"org_name", strings.Repeat("N", orgsite.NameMax+1), "Use at most 120 characters for the name."},
		{"org_name", "\u200b", "Use visible letters for the name."},
		{"org_address", " \r\n ", "Enter the postal address."},
		{"org_address", strings.Repeat("a", orgsite.AddressMax+1), "Use at most 400 characters for the address."},
		{"org_address", strings.Repeat("line\n", orgsite.AddressMaxLines+1), "Use at most 8 lines for the address."},
		{"org_address", "Box\u202e 12", "The address contains characters that cannot be printed."},
		{"org_email", "", "Enter the contact email address."},
		{"org_email", "contact@", "Enter an email address like contact@example.org."},
		{"org_email", "con tact@example.org", "Enter one email address, without spaces"},
		{"org_signal", "ring us", "Enter a phone number starting with &#43;"},
		{"org_pgp_fingerprint", "ABCD", "A fingerprint has 40 (or 64) hexadecimal digits"},
		{"org_pgp_url", "http://viasna.example/key.asc", "Enter a full address starting with https://."},
		{"org_pgp_url", "javascript:alert(1)", "Enter a full address starting with https://."},
	}
	for _, tt := range tests {
		t.Run(tt.field+" "+tt.want, func(t *testing.T) {
			res := admin.post(t, "/admin/organisation", orgForm("0", func(v url.Values) {
				v.Set(tt.field, tt.value)
				v.Set("org_name", v.Get("org_name")+" <b>kept</b>")
				if tt.field == "org_name" {
					v.Set("org_name", tt.value)
				}
			}))
			if res.Status != 422 {
				t.Fatalf("status %d, want 422", res.Status)
			}
			if !strings.Contains(res.Body, tt.want) {
				t.Errorf("page lacks %q", tt.want)
			}
			if !strings.Contains(res.Body, `id="f-`+tt.field+`"`) || !regexp.MustCompile(`id="f-`+tt.field+`"[^>]*aria-invalid="true"`).MatchString(res.Body) {
				t.Errorf("field %s is not marked invalid", tt.field)
			}
			if n := strings.Count(res.Body, `aria-invalid="true"`); n != 1 {
				t.Errorf("%d fields marked invalid, want 1", n)
			}
			if tt.field != "org_name" && !strings.Contains(res.Body, `value="Viasna Solidarity Group &lt;b&gt;kept&lt;/b&gt;"`) {
				t.Error("the other fields' text is not kept (escaped)")
			}
			if _, ok := s.Org.Profile(); ok {
				t.Error("an invalid profile was saved")
			}
		})
	}
}

// A form opened before someone else's save is refused with 409, the text
// typed kept; saving it again then overwrites on purpose.
func TestOrganisationStaleSave(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ana := s.loginAs(t, account.RoleAdmin)
	mine := formVersion(t, ana.get(t, "/admin/organisation"))
	theirs := formVersion(t, ana.get(t, "/admin/organisation"))
	if res := ana.post(t, "/admin/organisation", orgForm(theirs, nil)); res.Status != 303 {
		t.Fatalf("first save: %d", res.Status)
	}
	res := ana.post(t, "/admin/organisation", orgForm(mine, func(v url.Values) { v.Set("org_name", "My newer name") }))
	if res.Status != 409 {
		t.Fatalf("stale save: %d, want 409", res.Status)
	}
	if !strings.Contains(res.Body, "Someone saved the organisation profile after you opened this form") ||
		!strings.Contains(res.Body, `value="My newer name"`) {
		t.Error("the stale form does not explain itself or lost the text")
	}
	if p, _ := s.Org.Profile(); p.Name != "Viasna Solidarity Group" {
		t.Errorf("stored name %q after a stale save", p.Name)
	}
	v := formVersion(t, res)
	if v != "1" {
		t.Fatalf("stale form carries version %q, want the current 1", v)
	}
	if res := ana.post(t, "/admin/organisation", orgForm(v, func(v url.Values) { v.Set("org_name", "My newer name") })); res.Status != 303 {
		t.Fatalf("saving again: %d", res.Status)
	}
	if p, _ := s.Org.Profile(); p.Name != "My newer name" {
		t.Errorf("stored name %q after saving again", p.Name)
	}
	if res := ana.post(t, "/admin/organisation", orgForm("x", nil)); res.Status != 400 {
		t.Errorf("a version that is no number: %d, want 400", res.Status)
	}
}

// saveProfile stores a profile as the console does, with HTML in the name
// and address to check escaping.
func saveProfile(t *testing.T, s *site) {
	t.Helper()
	in := orgsite.Input{Name: `Viasna <script>alert(1)</script> & Co`, Address: "Skrytka <12>\n00-950 Warszawa",
		Email: "contact@viasna.example", Signal: "+48 600 100 200",
		PGPFingerprint: "1234 5678 9ABC DEF0 1234 5678 9ABC DEF0 1234 5678", PGPURL: "https://viasna.example/key.asc?a=1&b=2"}
	if _, _, err := s.Org.Save(context.Background(), in, 0); err != nil {
		t.Fatal(err)
	}
}

const escapedOrgName = `Viasna &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co`

// Every public page's footer names who runs the site and links to the
// contact page.
func TestOrganisationFooter(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	saveProfile(t, s)
	footer := regexp.MustCompile(`(?s)<footer class="site">.*</footer>`)
	for _, path := range []string{"/", "/c/ales", "/c/ales/thanks", "/no-such-page", "/contact"} {
		page := s.get(t, path)
		f := footer.FindString(page.Body)
		if f == "" {
			t.Errorf("%s (%d): no footer", path, page.Status)
			continue
		}
		for _, want := range []string{`<a class="org-name" href="/contact">` + escapedOrgName + `</a>`,
			`href="mailto:contact@viasna.example"`, "Skrytka &lt;12&gt;, 00-950 Warszawa", `href="/contact#erasure"`} {
			if !strings.Contains(f, want) {
				t.Errorf("%s footer lacks %q", path, want)
			}
		}
		if strings.Contains(page.Body, "<script>alert") {
			t.Errorf("%s shows the name unescaped", path)
		}
	}

	// Pages read the profile from memory: with the stored document gone,
	// the footer still shows it.
	if _, err := s.DB.Collection("site").DeleteMany(context.Background(), bson.M{}); err != nil {
		t.Fatal(err)
	}
	if page := s.get(t, "/"); !strings.Contains(page.Body, escapedOrgName) {
		t.Error("the footer reads the profile from the database")
	}
}

// The contact page shows every field of the profile, escaped, and the
// privacy and erasure sections.
func TestContactPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	saveProfile(t, s)
	page := s.get(t, "/contact")
	if page.Status != 200 {
		t.Fatalf("status %d", page.Status)
	}
	for _, want := range []string{
		"<title>Contact and privacy · ",
		`<strong class="org-name">` + escapedOrgName + `</strong>`,
		`<address>Skrytka &lt;12&gt;<br>00-950 Warszawa</address>`,
		`<a href="mailto:contact@viasna.example">contact@viasna.example</a>`,
		`<a href="https://signal.me/#p/&#43;48600100200">&#43;48600100200</a>`,
		`<code class="fingerprint">1234 5678 9ABC DEF0 1234 5678 9ABC DEF0 1234 5678</code>`,
		`<a href="https://viasna.example/key.asc?a=1&amp;b=2">Download our public key</a>`,
		`id="privacy"`, "What a signature stores", "only if you asked to be kept informed", "encrypted where it is stored",
		"What is printed on the letter", "Prison staff read everything",
		`id="erasure"`, "How to have your signature erased", "Send it from the email address you signed with",
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("contact page lacks %q", want)
		}
	}
	if strings.Contains(page.Body, "<script>") || strings.Contains(page.Body, "<12>") {
		t.Error("contact page shows HTML from the profile unescaped")
	}
	if strings.Contains(page.Body, "have not yet published") {
		t.Error("contact page says no profile is published")
	}
}

// The erasure promise on the sign form links to the contact page's
// erasure section, on the campaign page and in the widget; the widget
// names who runs the site in a link that opens a new tab.
func TestErasureLink(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	saveProfile(t, s)
	form := regexp.MustCompile(`(?s)<form method="post".*?</form>`)
	page := s.get(t, "/c/ales")
	if f := form.FindString(page.Body); !strings.Contains(f, `you can ask us to erase your signature. <a href="/contact#erasure">How to ask for erasure</a>`) {
		t.Errorf("campaign page form lacks the erasure link:\n%s", f)
	}
	embed := s.get(t, "/embed/ales")
	if f := form.FindString(embed.Body); !strings.Contains(f, `<a href="/contact#erasure" target="_blank" rel="noopener">How to ask for erasure`) {
		t.Errorf("widget form lacks the erasure link:\n%s", f)
	}
	if !strings.Contains(embed.Body, `<a href="/contact" target="_blank" rel="noopener">`+escapedOrgName) {
		t.Error("widget does not name who runs the site, linked to the contact page in a new tab")
	}
	compact := s.get(t, "/embed/ales?compact=1")
	if !strings.Contains(compact.Body, `<a href="/contact" target="_blank" rel="noopener">`+escapedOrgName) {
		t.Error("compact widget does not name who runs the site")
	}
}

// Before any profile is saved, the public pages say so and the dashboard
// asks admins, and only admins, to fill it in.
func TestNoOrganisationProfile(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	const none = "The people who run this site have not yet published their contact details."
	for _, path := range []string{"/", "/c/ales", "/contact", "/embed/ales"} {
		if page := s.get(t, path); !strings.Contains(page.Body, none) {
			t.Errorf("%s does not say that no contact details are published", path)
		}
	}
	if page := s.get(t, "/contact"); !strings.Contains(page.Body, "there is no address to write to") || strings.Contains(page.Body, "mailto:") {
		t.Error("contact page's erasure section does not say there is no address yet")
	}
	const ask = "the organisation profile is not filled in yet"
	admin := s.loginAs(t, account.RoleAdmin)
	dash := admin.get(t, "/admin")
	if !strings.Contains(dash.Body, ask) || !strings.Contains(dash.Body, `<a href="/admin/organisation">Fill in the organisation profile</a>`) {
		t.Error("admin dashboard does not ask for the profile")
	}
	if !strings.Contains(dash.Body, `<li><a href="/admin/organisation">Organisation</a></li>`) {
		t.Error("admin navigation lacks the organisation page")
	}
	organizer := s.loginAs(t, account.RoleOrganizer).get(t, "/admin")
	if strings.Contains(organizer.Body, ask) || strings.Contains(organizer.Body, "/admin/organisation") {
		t.Error("organizers are asked for the profile or shown its page")
	}

	// The demo's profile shows as a demo, and admins are asked to replace it.
	demo := orgsite.Profile{Name: "Letters for Freedom (demo)", Address: []string{"DEMO ADDRESS"}, Email: "contact@example.org", Demo: true}
	if _, err := s.Core.SiteStore.Save(context.Background(), demo, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Org.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if page := s.get(t, "/contact"); !strings.Contains(page.Body, "These are demo details") || strings.Contains(page.Body, none) {
		t.Error("contact page does not mark the demo profile")
	}
	if dash := admin.get(t, "/admin"); !strings.Contains(dash.Body, "show the demo organisation&#39;s contact details") {
		t.Error("admin dashboard does not ask to replace the demo profile")
	}
	// An admin's save makes it real.
	admin.post(t, "/admin/organisation", orgForm("1", nil))
	if p, _ := s.Org.Profile(); p.Demo {
		t.Error("a profile saved in the console is still marked as demo")
	}
	if dash := admin.get(t, "/admin"); strings.Contains(dash.Body, "Fill in the organisation profile") {
		t.Error("admin dashboard still asks for the profile")
	}
}
