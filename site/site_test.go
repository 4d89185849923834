package site_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/site"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

func valid() site.Input {
	return site.Input{Name: "Viasna support group", Address: "Box 12\n00-950 Warszawa\nPoland", Email: "contact@example.org"}
}

// Each field's rules, with the field's own error and no other.
func TestNormaliseProblems(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*site.Input)
		field string
		want  site.Problem
	}{
		{"name missing", func(in *site.Input) { in.Name = "  " }, site.FieldName, site.ProblemRequired},
		{"name too long", func(in *site.Input) { in.Name = strings.Repeat("я", site.NameMax+1) }, site.FieldName, site.ProblemTooLong},
		{"name invisible", func(in *site.Input) { in.Name = "\u200b\u200b" }, site.FieldName, site.ProblemInvisible},
		{"name control", func(in *site.Input) { in.Name = "a\u202eb" }, site.FieldName, site.ProblemInvalid},
		{"address missing", func(in *site.Input) { in.Address = "\n\n" }, site.FieldAddress, site.ProblemRequired},
		{"address too long", func(in *site.Input) { in.Address = strings.Repeat("x", site.AddressMax+1) }, site.FieldAddress, site.ProblemTooLong},
		{"address too many lines", func(in *site.Input) { in.Address = strings.Repeat("line\n", site.AddressMaxLines+1) }, site.FieldAddress, site.ProblemTooMany},
		{"email missing", func(in *site.Input) { in.Email = "" }, site.FieldEmail, site.ProblemRequired},
		{"email not one", func(in *site.Input) { in.Email = "contact at example.org" }, site.FieldEmail, site.ProblemInvalid},
		{"email without domain", func(in *site.Input) { in.Email = "contact@" }, site.FieldEmail, site.ProblemEmail},
		{"signal wrong", func(in *site.Input) { in.Signal = "call us" }, site.FieldSignal, site.ProblemSignal},
		{"signal too long", func(in *site.Input) { in.Signal = "https://signal.me/#" + strings.Repeat("a", site.SignalMax) }, site.FieldSignal, site.ProblemTooLong},
		{"fingerprint short", func(in *site.Input) { in.PGPFingerprint = "ABCD 1234" }, site.FieldFingerprint, site.ProblemFingerprint},
		{"fingerprint not hex", func(in *site.Input) { in.PGPFingerprint = strings.Repeat("G", 40) }, site.FieldFingerprint, site.ProblemFingerprint},
		{"pgp url http", func(in *site.Input) { in.PGPURL = "http://example.org/key.asc" }, site.FieldPGPURL, site.ProblemURL},
		{"pgp url script", func(in *site.Input) { in.PGPURL = "javascript:alert(1)" }, site.FieldPGPURL, site.ProblemURL},
		{"pgp url too long", func(in *site.Input) { in.PGPURL = "https://example.org/" + strings.Repeat("k", site.PGPURLMax) }, site.FieldPGPURL, site.ProblemTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid()
			tt.edit(&in)
			_, err := site.Normalise(in)
			var verr *site.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("got %v, want a validation error", err)
			}
			if len(verr.Fields) != 1 || verr.Fields[0].Field != tt.field || verr.Fields[0].Problem != tt.want {
				t.Errorf("got %v, want only %s: %s", verr.Fields, tt.field, tt.want)
			}
		})
	}
}

// Values at the limits pass, and what people paste is tidied.
func TestNormaliseAccepts(t *testing.T) {
	in := site.Input{
		Name:           strings.Repeat("я", site.NameMax),
		Address:        " Box 12 \r\n\r\n00-950   Warszawa\n" + strings.Repeat("l\n", site.AddressMaxLines-2),
		Email:          " Contact@Example.ORG ",
		Signal:         "+48 600 100 200",
		PGPFingerprint: "0x1234 5678 9abc def0 1234  5678 9ABC DEF0 1234 5678",
		PGPURL:         "https://example.org/key.asc",
	}
	p, err := site.Normalise(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(p.Address, "|"), "Box 12|00-950 Warszawa"+strings.Repeat("|l", site.AddressMaxLines-2); got != want {
		t.Errorf("address %q, want %q", got, want)
	}
	if p.Email != "contact@example.org" || p.Signal != "+48600100200" {
		t.Errorf("email %q, signal %q", p.Email, p.Signal)
	}
	if p.PGPFingerprint != "123456789ABCDEF0123456789ABCDEF012345678" {
		t.Errorf("fingerprint %q", p.PGPFingerprint)
	}
	if got := p.FingerprintGroups(); got != "1234 5678 9ABC DEF0 1234 5678 9ABC DEF0 1234 5678" {
		t.Errorf("groups %q", got)
	}
	if got := p.SignalURL(); got != "https://signal.me/#p/+48600100200" {
		t.Errorf("signal link %q", got)
	}
	for _, s := range []string{"anna_k.07", "https://signal.me/#eu/abc"} {
		in := valid()
		in.Signal = s
		if _, err := site.Normalise(in); err != nil {
			t.Errorf("signal %q: %v", s, err)
		}
	}
}

// A save names the version it replaces: a stale one changes nothing.
func TestStoreVersions(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	store := site.NewStore(dbs.Database(t), clk.Now)
	if _, err := store.Profile(ctx); !errors.Is(err, site.ErrNotFound) {
		t.Fatalf("empty store: %v, want ErrNotFound", err)
	}
	p, _ := site.Normalise(valid())
	first, err := store.Save(ctx, p, 0)
	if err != nil || first.Version != 1 {
		t.Fatalf("first save: version %d, %v", first.Version, err)
	}
	if _, err := store.Save(ctx, p, 0); !errors.Is(err, site.ErrConflict) {
		t.Errorf("second first save: %v, want ErrConflict", err)
	}
	p.Name = "Renamed"
	if _, err := store.Save(ctx, p, 1); err != nil {
		t.Fatal(err)
	}
	p.Name = "Stale"
	if _, err := store.Save(ctx, p, 1); !errors.Is(err, site.ErrConflict) {
		t.Errorf("stale save: %v, want ErrConflict", err)
	}
	got, err := store.Profile(ctx)
	if err != nil || got.Name != "Renamed" || got.Version != 2 || !got.UpdatedAt.Equal(clk.Now()) {
		t.Errorf("stored %+v, %v; want Renamed at version 2", got, err)
	}
}

// Two app nodes on one database: a save on one shows on the other within
// a couple of refreshes, without a restart.
func TestCachesAgree(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := dbs.Database(t)
	a := site.NewCache(site.NewStore(db, time.Now))
	b := site.NewCache(site.NewStore(db, time.Now))
	for _, c := range []*site.Cache{a, b} {
		if err := c.Load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { b.Run(ctx, slog.New(slog.DiscardHandler)); close(done) }()
	defer func() { cancel(); <-done }()

	if _, ok := b.Profile(); ok {
		t.Fatal("a profile before any was saved")
	}
	_, after, err := a.Save(ctx, valid(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := a.Profile(); !ok || got.Version != after.Version {
		t.Errorf("saving node holds %+v, want the saved version at once", got)
	}
	deadline := time.Now().Add(4 * site.RefreshInterval)
	for {
		if got, ok := b.Profile(); ok && got.Name == "Viasna support group" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other node did not see the save")
		}
		time.Sleep(20 * time.Millisecond) // polling for the other node, with a deadline
	}

	// A save from a form opened before b learned of the first is refused,
	// and b then knows the current version.
	in := valid()
	in.Name = "Other"
	if _, _, err := b.Save(ctx, in, 0); !errors.Is(err, site.ErrConflict) {
		t.Errorf("stale save on the other node: %v, want ErrConflict", err)
	}
	before, _, err := b.Save(ctx, in, after.Version)
	if err != nil || before.Name != "Viasna support group" {
		t.Errorf("save over the current version: before %q, %v", before.Name, err)
	}
}
