package account_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

func TestParallelGuessesMeetTheLimit(t *testing.T) {
	ctx := context.Background()
	store := account.NewStore(dbs.Database(t), testdb.Keys(t))
	if err := store.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	svc, err := account.NewService(store, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddUser(ctx, "ola@example.org", account.RoleModerator, "the right password"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	results := map[error]int{}
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.Login(ctx, "ola@example.org", "a wrong password", account.Device{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, account.ErrInvalidCredentials):
				results[account.ErrInvalidCredentials]++
			case errors.Is(err, account.ErrRateLimited):
				results[account.ErrRateLimited]++
			default:
				t.Errorf("login: %v", err)
			}
		}()
	}
	wg.Wait()
	if got := results[account.ErrInvalidCredentials]; got != account.MaxFailsPerAccount {
		t.Errorf("%d of 30 parallel guesses were checked, want %d", got, account.MaxFailsPerAccount)
	}
	if _, err := svc.Login(ctx, "ola@example.org", "the right password", account.Device{}); !errors.Is(err, account.ErrRateLimited) {
		t.Errorf("right password from an untrusted client after the limit: %v, want ErrRateLimited", err)
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := account.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}} {
		if ok, err := account.VerifyPassword(h, tt.pw); err != nil || ok != tt.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
	if _, err := account.VerifyPassword("$bcrypt$x", "x"); err == nil {
		t.Error("a hash of another kind was accepted")
	}
}
