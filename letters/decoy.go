package letters

import (
	"context"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

// A repeated signature's greeting is not stored, but the writes of storing
// it are done on decoy collections with the same indexes (see
// campaign/decoy.go), so that the answer time does not tell a repeat from
// a new signature. Decoys hold random IDs and filler only, and
// campaign.Service.Run empties them within seconds. The writes are in
// store_decoy.go.

// decoyTextLength is the length of a decoy greeting's text: a long
// greeting, whatever the repeat's was, so that the decoy keeps no trace of
// it.
const decoyTextLength = 500

// decoyGreeting is a greeting-shaped document of filler.
func decoyGreeting(id string) *Greeting {
	return &Greeting{
		ID: id, CampaignID: "decoy", Text: campaign.Filler(decoyTextLength),
		Status: StatusPending, CreatedAt: time.Unix(0, 0).UTC(), Checked: true,
		TextKey: campaign.Filler(32),
	}
}

// ReadDecoyGreeting reads the decoy greeting that is always stored: the
// work of HasGreeting for a greeting that is stored. It implements
// campaign.GreetingRecorder.
func (s *Service) ReadDecoyGreeting(ctx context.Context) error {
	return s.store.readDecoyGreeting(ctx)
}
