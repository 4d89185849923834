package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/archive"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// archiveSigner is a supporter of the archive test: what they type, and
// what the archive may and may not show of them.
type archiveSigner struct {
	slug, name, email, display, greeting string
	printed                              string // the name as the bundle prints it
	hidden                               []string
}

var archiveSigners = []archiveSigner{
	{"arch", "Аляксандра Вішнеўская", "ala.v@example.org", "first_initial", "Трымайся, Алесь! Мы ўсе з табой і чакаем цябе дома.",
		"Аляксандра В.", []string{"Вішнеўская"}},
	{"arch", "Łukasz Żółkiewski", "lukasz.z@example.org", "country", "Trzymaj się, Ales! Pamiętamy o Tobie każdego dnia i czekamy.",
		"a supporter from Poland", []string{"Łukasz", "Żółkiewski"}},
	{"arch", "Νίκος Παπαδόπουλος", "nikos.p@example.org", "full", "Κουράγιο, Άλες! Σε σκεφτόμαστε κάθε μέρα και περιμένουμε.",
		"Νίκος Παπαδόπουλος", nil},
	{"arch", "ნინო ბერიძე", "nino.b@example.org", "first_initial", "Держитесь, Алесь! Мы все помним о вас и ждём вашего возвращения.",
		"ნინო ბ.", []string{"ბერიძე"}},
	{"arch2", "Anna Kowalska", "anna.k@example.org", "first_initial", "Держитесь! Мы думаем о вас каждый день и верим в вас.",
		"Anna K.", []string{"Kowalska"}},
}

// The archive of a recipient with two campaigns holds each built bundle
// byte for byte, each greeting as printed with its translation, the
// delivery log, the status history and a letter with its scan, every file
// listed in manifest.json with its SHA-256; it holds no email address, no
// name a supporter chose not to have printed, no console note; a bundle
// whose stored file is gone is listed as missing; each download is in the
// audit log, and the answer is never cached.
func TestRecipientArchive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSite(t, dbs.Database(t))
	c1 := s.addCampaign(t, "arch", nil)
	c2 := s.addCampaign(t, "arch2", func(c *campaign.Campaign) { c.RecipientID = "r-arch" })
	r, err := s.Service.Store().Recipient(ctx, "r-arch")
	if err != nil {
		t.Fatal(err)
	}
	r.Languages = []string{"be", "ru"}
	if err := s.Service.Store().ReplaceRecipient(ctx, r); err != nil {
		t.Fatal(err)
	}
	s.reload(t)

	for _, sg := range archiveSigners {
		res := s.post(t, "/c/"+sg.slug+"/sign", signForm(s.token(t, sg.slug), func(v url.Values) {
			v.Set("name", sg.name)
			v.Set("email", sg.email)
			v.Set("display", sg.display)
			v.Set("greeting", sg.greeting)
			v.Set("updates", "yes")
		}))
		if res.Status != 303 {
			t.Fatalf("sign as %s: %d\n%s", sg.name, res.Status, res.Body)
		}
	}
	// Approve every greeting; those the prison cannot read get an approved
	// Russian translation.
	translations := map[string]string{}
	for _, c := range []*campaign.Campaign{c1, c2} {
		err := s.Service.Store().EachSignature(ctx, c.ID, func(sig *campaign.Signature) error {
			g, err := s.Core.Moderation.Approve(ctx, sig.ID)
			if err != nil {
				return fmt.Errorf("approve %s: %w", sig.Person.Name, err)
			}
			if g.NeedsTranslation {
				tr := "Перевод для Алеся номер " + strconv.Itoa(len(translations)+1)
				if _, err := s.Core.Moderation.Translate(ctx, sig.ID, "ru", tr); err != nil {
					return err
				}
				if _, err := s.Core.Moderation.ReviewTranslation(ctx, sig.ID, true); err != nil {
					return err
				}
				translations[sig.Person.Name] = tr
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(translations) < 2 {
		t.Fatalf("translations %v: the Polish and Greek greetings should need one", translations)
	}

	org := s.loginAs(t, account.RoleOrganizer)
	confirm := url.Values{"confirm": {"yes"}} // the prison reads Belarusian and Russian only
	job1 := buildDeliveryBundle(t, s, org, c1, confirm)
	job2 := buildDeliveryBundle(t, s, org, c2, confirm)
	recordEvent(t, org, c1, url.Values{"kind": {"built"}, "day": {"2027-07-20"}, "bundle": {job1}, "public": {"yes"}})
	recordEvent(t, org, c1, url.Values{"kind": {"posted"}, "day": {"2027-07-28"}, "method": {"registered"}, "envelopes": {"1"},
		"tracking": {"RR123456789BY"}, "internal_note": {"INTERNAL-NOTE-ARCH"}, "public": {"yes"}})
	if res := org.post(t, "/admin/recipients/r-arch/status", url.Values{"situation": {"transferred"}, "day": {"2027-08-20"},
		"address": {"Colony 2\nHlybokaye"}, "note": {"NOTE-ON-STATUS-ARCH"}}); res.Status != 303 {
		t.Fatalf("record a transfer: %d\n%s", res.Status, res.Body)
	}
	p := s.addPost(t, "A letter from the colony", s.Clock.Now(), func(in *posts.Input) {
		in.RecipientID, in.CampaignID = "r-arch", c1.ID
	})
	if res := org.upload(t, "/admin/posts/"+p.ID+"/scans", strconv.FormatInt(p.Version, 10), gpsJPEG(t)); res.Status != 303 {
		t.Fatalf("upload a scan: %d\n%s", res.Status, res.Body)
	}
	stored, err := s.Core.Posts.Post(ctx, p.ID)
	if err != nil || len(stored.Scans) != 1 {
		t.Fatalf("scans %v, %v", stored.Scans, err)
	}
	// The second campaign's bundle loses its stored file.
	j2, err := s.Bundles.Job(ctx, job2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Collection("bundles.files").DeleteOne(ctx, bson.M{"_id": j2.FileID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Collection("bundles.chunks").DeleteMany(ctx, bson.M{"files_id": j2.FileID}); err != nil {
		t.Fatal(err)
	}

	page := org.get(t, "/admin/recipients/r-arch")
	if !strings.Contains(page.Body, `action="/admin/recipients/r-arch/archive"`) || !strings.Contains(page.Body, "Hand it over with care") ||
		!strings.Contains(page.Body, `<option value="be" lang="be" selected>`) || !strings.Contains(page.Body, `<option value="en" lang="en">`) {
		// The recipient reads Belarusian first.
		t.Errorf("the recipient's page lacks the archive's form, its language choice (Belarusian proposed) or its warning")
	}
	if res := s.loginAs(t, account.RoleModerator).get(t, "/admin/recipients/r-arch/archive"); res.Status == 200 {
		t.Errorf("a moderator downloads the archive")
	}
	if res := org.get(t, "/admin/recipients/r-nobody/archive"); res.Status != 404 {
		t.Errorf("an unknown recipient's archive: %d, want 404", res.Status)
	}

	res := org.get(t, "/admin/recipients/r-arch/archive?lang=en")
	if res.Status != 200 || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %q\n%.300s", res.Status, res.Header.Get("Content-Type"), res.Body)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	zr, err := zip.NewReader(strings.NewReader(res.Body), int64(len(res.Body)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		files[f.Name] = b
	}
	var m archive.Manifest
	if err := json.Unmarshal(files[archive.ManifestName], &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}

	t.Run("manifest hashes", func(t *testing.T) {
		if len(m.Files)+1 != len(files) {
			t.Errorf("manifest lists %d files, the ZIP has %d besides it", len(m.Files), len(files)-1)
		}
		for _, f := range m.Files {
			b, ok := files[f.Name]
			sum := sha256.Sum256(b)
			if !ok || hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(b)) != f.Size || f.What == "" {
				t.Errorf("%s: in ZIP %v, sha256 %x size %d; manifest %s size %d what %q", f.Name, ok, sum, len(b), f.SHA256, f.Size, f.What)
			}
		}
		if m.Recipient != "Ales Bialiatski" || m.BuildTime.IsZero() || m.Rules.Names == "" || m.Rules.Greetings == "" {
			t.Errorf("manifest head %+v", m)
		}
	})

	t.Run("bundles", func(t *testing.T) {
		j1, err := s.Bundles.Job(ctx, job1)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := s.Bundles.Open(ctx, j1)
		if err != nil {
			t.Fatal(err)
		}
		want, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		for name, b := range files {
			if strings.HasPrefix(name, "campaigns/arch/bundles/") && strings.Contains(name, job1) {
				got = b
			}
		}
		if got == nil || !bytes.Equal(got, want) {
			t.Errorf("bundle %s: %d bytes in the archive, want the %d stored", job1, len(got), len(want))
		}
		if len(m.MissingBundles) != 1 || m.MissingBundles[0].Bundle != job2 || m.MissingBundles[0].Status != archive.MissingGone {
			t.Errorf("missing bundles %+v, want %s as %s", m.MissingBundles, job2, archive.MissingGone)
		}
		for name := range files {
			if strings.Contains(name, job2) {
				t.Errorf("the gone bundle is in the archive as %s", name)
			}
		}
	})

	t.Run("greetings", func(t *testing.T) {
		rules := map[string]string{}
		for _, c := range m.Campaigns {
			rules[c.Slug] = c.GreetingsRule
		}
		if rules["arch"] != archive.RuleGreetingsPosted || rules["arch2"] != archive.RuleGreetingsApproved {
			t.Errorf("greeting rules %v", rules)
		}
		rows := map[string][]string{}
		for _, slug := range []string{"arch", "arch2"} {
			recs, err := csv.NewReader(bytes.NewReader(files["campaigns/"+slug+"/greetings.csv"])).ReadAll()
			if err != nil || len(recs) < 2 {
				t.Fatalf("%s greetings.csv: %d rows, %v", slug, len(recs), err)
			}
			for _, rec := range recs[1:] {
				rows[rec[5]] = rec
			}
		}
		for _, sg := range archiveSigners {
			rec, ok := rows[sg.greeting]
			if !ok {
				t.Errorf("greeting of %s missing", sg.printed)
				continue
			}
			if rec[1] != sg.printed {
				t.Errorf("greeting signed %q, want %q", rec[1], sg.printed)
			}
			if tr := translations[sg.name]; rec[7] != tr {
				t.Errorf("greeting of %s: translation %q, want %q", sg.printed, rec[7], tr)
			}
		}
	})

	t.Run("nothing unprinted", func(t *testing.T) {
		forbidden := []string{"Natallia", "INTERNAL-NOTE-ARCH", "NOTE-ON-STATUS-ARCH", "example.org"}
		for _, sg := range archiveSigners {
			forbidden = append(forbidden, sg.email)
			forbidden = append(forbidden, sg.hidden...)
		}
		all := map[string][]byte{}
		for name, b := range files {
			all[name] = b
			if !strings.HasSuffix(name, ".zip") {
				continue
			}
			// A bundle's own files, as stored.
			inner, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, f := range inner.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				ib, _ := io.ReadAll(rc)
				rc.Close()
				all[name+"/"+f.Name] = ib
			}
		}
		for name, b := range all {
			for _, f := range forbidden {
				if bytes.Contains(b, []byte(f)) {
					t.Errorf("%s holds %q", name, f)
				}
			}
			// No address of any kind in the texts (compressed PDFs and
			// pictures hold "@" bytes by chance).
			if !strings.HasSuffix(name, ".pdf") && !strings.HasSuffix(name, ".zip") && !strings.HasSuffix(name, ".jpg") &&
				bytes.Contains(b, []byte("@")) {
				t.Errorf("%s holds an \"@\"", name)
			}
		}
	})

	t.Run("delivery, status and letters", func(t *testing.T) {
		log := string(files["campaigns/arch/delivery-log.csv"]) + string(files["campaigns/arch/delivery-log.txt"])
		for _, want := range []string{"2027-07-28", "RR123456789BY", "registered", job1} {
			if !strings.Contains(log, want) {
				t.Errorf("the delivery log lacks %q:\n%s", want, log)
			}
		}
		status := string(files["recipient/status-history.txt"])
		if !strings.Contains(status, "Demo address") || !strings.Contains(status, "20 August 2027  Transferred") || !strings.Contains(status, "Hlybokaye") {
			t.Errorf("status history:\n%s", status)
		}
		var md string
		for name, b := range files {
			if strings.HasPrefix(name, "letters/") && strings.HasSuffix(name, ".md") {
				md = string(b)
			}
		}
		scanName := "letters/scans/" + stored.Scans[0].ID + ".jpg"
		jpeg, err := s.Core.Posts.ScanJPEG(ctx, stored.Scans[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(md, "# A letter from the colony") || !strings.Contains(md, "*Thank you* for the postcards") ||
			!strings.Contains(md, "](scans/"+stored.Scans[0].ID+".jpg)") || !bytes.Equal(files[scanName], jpeg) {
			t.Errorf("letter:\n%s\nscan %d bytes, want %d", md, len(files[scanName]), len(jpeg))
		}
	})

	entries, _, err := s.Core.Audit.Page(ctx, audit.Cursor{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == audit.ArchiveFetched {
			n++
			if e.Actor != "organizer@example.org" || e.Target != "Ales Bialiatski" || !strings.Contains(e.Detail, "r-arch") {
				t.Errorf("audit entry %+v", e)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d audit entries of the download, want 1", n)
	}

	// Without a choice, the texts are in the recipient's first language.
	res = org.get(t, "/admin/recipients/r-arch/archive")
	zr, err = zip.NewReader(strings.NewReader(res.Body), int64(len(res.Body)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	rc, err := zr.Open(archive.ReadmeName)
	if err != nil {
		t.Fatal(err)
	}
	readme, _ := io.ReadAll(rc)
	rc.Close()
	if !strings.Contains(string(readme), "Архіў — Ales Bialiatski") {
		t.Errorf("the archive asked for in Belarusian has the README:\n%s", readme)
	}
}
