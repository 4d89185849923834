package web

import (
	"context"
	"errors"
	"testing"
	"time"
)

// An answer that erased nothing takes as long as one of the last real
// erasures, drawn at random, and eraseFloor before there is one.
func TestErasePaceDrawsFromTheLastErasures(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name string
		took []time.Duration
		want []time.Duration // every value target may return, each of which it must
	}{
		{"none yet", nil, []time.Duration{eraseFloor}},
		{"one", []time.Duration{ms(30)}, []time.Duration{ms(30)}},
		{"three", []time.Duration{ms(30), ms(80), ms(45)}, []time.Duration{ms(30), ms(80), ms(45)}},
		{"more than the ring holds: the last 16", func() []time.Duration {
			var d []time.Duration
			for i := range 20 {
				d = append(d, ms(i+1))
			}
			return d
		}(), func() []time.Duration {
			var d []time.Duration
			for i := 4; i < 20; i++ {
				d = append(d, ms(i+1))
			}
			return d
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p erasePace
			for _, d := range tt.took {
				p.took(d)
			}
			seen := map[time.Duration]bool{}
			for range 2000 {
				seen[p.target()] = true
			}
			for d := range seen {
				if !contains(tt.want, d) {
					t.Errorf("target %v, want one of %v", d, tt.want)
				}
			}
			for _, d := range tt.want {
				if !seen[d] {
					t.Errorf("target never drew %v of %v", d, tt.want)
				}
			}
		})
	}
}

func contains(ds []time.Duration, d time.Duration) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// A request that ends stops the wait.
func TestErasePaceWaitEndsWithTheRequest(t *testing.T) {
	var p erasePace
	p.took(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.wait(ctx, time.Now()); !errors.Is(err, context.Canceled) {
		t.Errorf("wait with an ended request: %v, want context.Canceled", err)
	}
	if err := p.wait(context.Background(), time.Now().Add(-2*time.Hour)); err != nil {
		t.Errorf("wait after the time has passed: %v, want nil", err)
	}
}
