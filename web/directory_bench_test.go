package web_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/valyala/fasthttp"
)

// BenchmarkDirectory measures /recipients with 500 listed recipients, each
// with an open letter campaign: the default page (from the page cache), a
// later page of another sort, a typed search (drawn for each request from
// the entries in memory) and a search by country, beside /healthz, without
// the network: go test -run '^$' -bench Directory ./web/.
func BenchmarkDirectory(b *testing.B) {
	s := newSite(b, dbs.Database(b))
	ctx := context.Background()
	store := s.Service.Store()
	closes, err := campaign.Deadline("2027-07-12", "Europe/Minsk")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 500 {
		r := campaign.Recipient{ID: fmt.Sprintf("r-%03d", i), Name: fmt.Sprintf("Recipient %03d", i), Country: []string{"BY", "RU", "IR", "AZ"}[i%4],
			Address: []string{fmt.Sprintf("Colony No. %d", i%40), "Somewhere"}, Birthday: fmt.Sprintf("%02d-%02d", i%12+1, i%28+1), ShowBirthday: i%2 == 0}
		if err := store.CreateRecipient(ctx, &r); err != nil {
			b.Fatal(err)
		}
		c := &campaign.Campaign{ID: fmt.Sprintf("c-%03d", i), Slug: fmt.Sprintf("letter-%03d", i), Title: "Letter", OrganizerName: "Test NGO",
			RecipientID: r.ID, OpensAt: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), ClosesAt: closes, TimeZone: "Europe/Minsk"}
		if err := store.CreateCampaign(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	s.reload(b)
	s.Logs.mu.Lock()
	s.Logs.discard = true
	s.Logs.mu.Unlock()
	h := s.App.Handler()
	for _, path := range []string{"/healthz", "/recipients", "/recipients?sort=birthday&page=3", "/recipients?q=recipient+04", "/recipients?country=IR&prison=colony"} {
		b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			var req fasthttp.Request
			for b.Loop() {
				req.Reset()
				req.SetRequestURI(path)
				ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 40000}, nil)
				h(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("%s: %d", path, ctx.Response.StatusCode())
				}
			}
		})
	}
}
