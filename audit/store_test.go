package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// TestPageWalksTheLogByCursor records entries and reads them back a page
// at a time, following each page's cursor as the console's "older" link
// does, for page sizes that do and do not divide the log.
func TestPageWalksTheLogByCursor(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	log := audit.NewLog(dbs.Database(t), testdb.Keys(t), func() time.Time { return at })
	const n = 7
	for i := range n {
		if err := log.Record(ctx, "admin@example.org", audit.Login, fmt.Sprint(i), "detail "+fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		size  int
		pages int
	}{
		{size: 3, pages: 3},
		{size: 7, pages: 2}, // a full last page still offers an older one, which is empty
		{size: 10, pages: 1},
	} {
		t.Run(fmt.Sprint(tc.size), func(t *testing.T) {
			var targets []string
			var from audit.Cursor
			pages := 0
			for {
				entries, next, err := log.Page(ctx, from, tc.size)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, e := range entries {
					targets = append(targets, e.Target)
					if e.Detail != "detail "+e.Target {
						t.Errorf("entry %s has detail %q", e.Target, e.Detail)
					}
				}
				if next.IsZero() {
					break
				}
				if from, err = audit.ParseCursor(next.String()); err != nil {
					t.Fatalf("ParseCursor(%q) = %v", next.String(), err)
				}
			}
			if pages != tc.pages {
				t.Errorf("got %d pages, want %d", pages, tc.pages)
			}
			if got, want := fmt.Sprint(targets), "[6 5 4 3 2 1 0]"; got != want {
				t.Errorf("got entries %s, want %s (newest first)", got, want)
			}
		})
	}
}

func TestParseCursor(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ok     bool
		isZero bool
	}{
		{in: "", ok: true, isZero: true},
		{in: "6751f0c2a1b2c3d4e5f60718", ok: true},
		{in: "not a cursor", ok: false},
		{in: "6751f0c2a1b2c3d4e5f6071", ok: false},
	} {
		c, err := audit.ParseCursor(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseCursor(%q) error = %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		if err == nil && (c.IsZero() != tc.isZero || c.String() != tc.in) {
			t.Errorf("ParseCursor(%q) = %q (zero %v)", tc.in, c.String(), c.IsZero())
		}
	}
}

// FuzzParseCursor checks that whatever a link's ?before= holds, a cursor
// that parses writes itself back as it was read.
func FuzzParseCursor(f *testing.F) {
	f.Add("")
	f.Add("6751f0c2a1b2c3d4e5f60718")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := audit.ParseCursor(s)
		if err != nil {
			return
		}
		again, err := audit.ParseCursor(c.String())
		if err != nil || again != c {
			t.Errorf("ParseCursor(%q) = %q, which reads back as %q, %v", s, c.String(), again.String(), err)
		}
	})
}
