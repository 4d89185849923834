package posts

import (
	"context"
	"errors"
	"testing"
)

// While MaxDecoding scans are decoded, another waits for its turn, and
// gives up when its context ends.
func TestProcessWaitsForItsTurn(t *testing.T) {
	s := &Service{decoding: make(chan struct{}, MaxDecoding)}
	for range MaxDecoding {
		s.decoding <- struct{}{}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.process(ctx, []byte("not a picture")); !errors.Is(err, context.Canceled) {
		t.Fatalf("with every turn taken: err = %v, want context.Canceled", err)
	}
	<-s.decoding
	if _, err := s.process(t.Context(), []byte("not a picture")); errors.Is(err, context.Canceled) || err == nil {
		t.Fatalf("with a turn free: err = %v, want the picture's refusal", err)
	}
	if len(s.decoding) != MaxDecoding-1 {
		t.Errorf("%d turns taken after the call, want %d", len(s.decoding), MaxDecoding-1)
	}
}
