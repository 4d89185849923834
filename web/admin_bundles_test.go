package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
)

func TestBundleFromTheConsole(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	names := []string{"Анна Каліноўская", "Γιώργος Παπαδόπουλος", "Nino ნინო", "Jan Kowalski"}
	for i, name := range names {
		res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), func(v url.Values) {
			v.Set("name", name)
			v.Set("email", fmt.Sprintf("p%d@example.org", i))
			v.Set("updates", "yes")
		}))
		if res.Status != 303 {
			t.Fatalf("sign %d: %d", i, res.Status)
		}
	}
	org := s.loginAs(t, account.RoleOrganizer)
	page := org.get(t, "/admin/campaigns/"+c.ID+"/bundle")
	if page.Status != 200 || !strings.Contains(page.Body, "4 signatures printed by name") {
		t.Fatalf("bundle page: %d\n%s", page.Status, page.Body)
	}
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/bundle", url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"999"}, "lang": {"be"}}); res.Status != 422 {
		t.Errorf("999 sheets per envelope: %d, want 422", res.Status)
	}
	res := org.post(t, "/admin/campaigns/"+c.ID+"/bundle", url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {"en"}})
	if res.Status != 303 {
		t.Fatalf("build: %d", res.Status)
	}
	if page := org.get(t, "/admin/campaigns/"+c.ID+"/bundle"); !strings.Contains(page.Body, `http-equiv="refresh"`) || !strings.Contains(page.Body, "waiting") {
		t.Error("a queued bundle's page neither refreshes nor says it waits")
	}
	if ran, err := s.Bundles.RunOnce(context.Background()); !ran || err != nil {
		t.Fatalf("RunOnce = %v, %v", ran, err)
	}
	page = org.get(t, "/admin/campaigns/"+c.ID+"/bundle")
	link := regexp.MustCompile(`href="(/admin/campaigns/[^"]+/bundle/[0-9a-f]+)"`).FindStringSubmatch(page.Body)
	if link == nil || strings.Contains(page.Body, `http-equiv="refresh"`) {
		t.Fatalf("finished bundle has no download link:\n%s", page.Body)
	}
	dl := org.get(t, link[1])
	if dl.Status != 200 || dl.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %s", dl.Status, dl.Header.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(dl.Body)), int64(len(dl.Body)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	for _, want := range []string{"letter-01.pdf", "envelopes.pdf", "manifest.csv"} {
		if len(files[want]) == 0 {
			t.Errorf("the bundle lacks %s (has %v)", want, zr.File)
		}
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		path := filepath.Join(t.TempDir(), "letter.pdf")
		if err := os.WriteFile(path, files["letter-01.pdf"], 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := string(out)
		last := -1
		for _, name := range names {
			i := strings.Index(text, name)
			if i < 0 || strings.Count(text, name) != 1 || i < last {
				t.Errorf("%q is not printed exactly once, in signing order", name)
			}
			last = i
		}
		if strings.Contains(text, "@example.org") {
			t.Error("an email address is printed")
		}
	} else if os.Getenv("CI") != "" {
		t.Error("pdftotext is missing on CI")
	}

	// Another campaign's bundle is not served under this one.
	other := s.addCampaign(t, "other", nil)
	wrong := strings.Replace(link[1], "/"+c.ID+"/", "/"+other.ID+"/", 1)
	if res := org.get(t, wrong); res.Status != 404 {
		t.Errorf("bundle under another campaign: %d, want 404", res.Status)
	}
	// Erasing a signature deletes the archives that hold it.
	sig := storedSignatures(t, s)[0].ID
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/signatures/"+sig+"/erase", nil); res.Status != 303 {
		t.Fatalf("erase: %d", res.Status)
	}
	if res := org.get(t, link[1]); res.Status != 404 {
		t.Errorf("bundle download after an erasure: %d, want 404", res.Status)
	}
	if page := org.get(t, "/admin/campaigns/"+c.ID+"/bundle"); !strings.Contains(page.Body, "deleted after a signature was erased") {
		t.Error("the bundle page does not say the archive was deleted")
	}
	audit := s.loginAs(t, account.RoleAdmin).get(t, "/admin/audit")
	for _, want := range []string{"built a bundle", "downloaded a bundle", "sha256"} {
		if !strings.Contains(audit.Body, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
}
