package letters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/groupcommit"
)

// Recording greetings in batches. A new greeting costs three writes (its
// text's claim, the greeting, its entry in the moderation queue), and on
// the embedded database each write is a transaction of its own, one at a
// time: so the greetings of concurrent signatures are written together
// (internal/groupcommit), three writes a batch, each caller answered
// once its own greeting's writes are acknowledged, a duplicate failing
// only its own. A repeated signature's rehearsal (decoy.go) joins the same
// batches and makes its writes on the decoys there, so that a repeat's
// answer comes with the new greetings' of its batch.
//
// The greetings are written after their signatures' batch; a crash
// between the two is repaired from the signatures (campaign's signing
// journal, RepairGreetings).

// Bounds of a batch of greetings.
const (
	recordMax  = 256
	recordWait = 5 * time.Millisecond
)

// pendingGreeting is a greeting waiting for its batch: a new one, checked
// but for its text's claim, or a rehearsal's decoy.
type pendingGreeting struct {
	g *Greeting
	// languages are the recipient's, for NeedsTranslation once the
	// claim is known.
	languages []string
	// rehearsal marks a decoy, written to the decoy collections; key is
	// then the real text's duplicate key in campaignID, whose claim it
	// reads.
	rehearsal  bool
	campaignID string
	key        string
}

func newRecorder(store *Store) *groupcommit.Batcher[*pendingGreeting] {
	return groupcommit.New(store.createBatch, groupcommit.Options{Max: recordMax, Wait: recordWait})
}

// RecordGreeting stores a new greeting, pending moderation, with its flags
// and detected language. Recording the same signature's greeting twice
// keeps the first. Concurrent calls are written together (see above). It
// implements campaign.GreetingRecorder.
func (s *Service) RecordGreeting(ctx context.Context, campaignID, signatureID, text string, at time.Time) error {
	rules, err := s.Rules(ctx, campaignID)
	if err != nil {
		return fmt.Errorf("record greeting: %w", err)
	}
	g := &Greeting{ID: signatureID, CampaignID: campaignID, Text: text, Status: StatusPending, CreatedAt: at.UTC()}
	g.Language = Detect(g.Text)
	g.Flags = Check(g.Text, rules)
	g.TextKey = TextKey(g.Text)
	err = s.recorder.Do(ctx, &pendingGreeting{g: g, languages: rules.Languages})
	if err != nil && !errors.Is(err, ErrDuplicate) {
		return err
	}
	return nil
}

// RehearseGreeting does the work of RecordGreeting for text without
// storing it or anything about it: the same checks, and the same writes,
// in the same batches, on decoys. Signing calls it for a repeated
// signature, so that its answer takes as long as a new one's. It
// implements campaign.GreetingRecorder.
func (s *Service) RehearseGreeting(ctx context.Context, campaignID, text string) error {
	rules, err := s.Rules(ctx, campaignID)
	if err != nil {
		return fmt.Errorf("rehearse greeting: %w", err)
	}
	language := Detect(text)
	flags := Check(text, rules)
	_ = NeedsTranslation(language, flags, rules.Languages)
	p := &pendingGreeting{g: decoyGreeting(campaign.DecoyID()), rehearsal: true, campaignID: campaignID, key: TextKey(text)}
	if err := s.recorder.Do(ctx, p); err != nil {
		return fmt.Errorf("rehearse greeting: %w", err)
	}
	return nil
}
