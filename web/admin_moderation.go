package web

import (
	"context"

	"github.com/solidarity-letters/solidarity/letters"
)

// Moderation is what the console needs of the greetings service.
type Moderation interface {
	CountByStatus(ctx context.Context) (map[string]map[letters.Status]int64, error)
}
