package campaign_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

func TestTextProblems(t *testing.T) {
	long := strings.Repeat("ж", campaign.TitleMax+1)
	for _, tt := range []struct {
		name string
		in   campaign.Text
		want []campaign.FieldError
	}{
		{"fine", campaign.Text{Lang: "en", Title: "A letter"}, nil},
		{"spaces only", campaign.Text{Lang: " en ", Title: "  \t"}, []campaign.FieldError{{Field: "title", Problem: campaign.ProblemRequired}}},
		{"no language", campaign.Text{Title: "A letter"}, []campaign.FieldError{{Field: "lang", Problem: campaign.ProblemRequired}}},
		{"not a language", campaign.Text{Lang: "english", Title: "A letter"}, []campaign.FieldError{{Field: "lang", Problem: campaign.ProblemLanguage}}},
		{"long title", campaign.Text{Lang: "pl", Title: long}, []campaign.FieldError{{Field: "title", Problem: campaign.ProblemTooLong, Limit: campaign.TitleMax}}},
		{"long share", campaign.Text{Lang: "pl", Title: "List", Share: strings.Repeat("x", campaign.ShareMax+1)},
			[]campaign.FieldError{{Field: "share", Problem: campaign.ProblemTooLong, Limit: campaign.ShareMax}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Clean().Problems(); !slices.Equal(got, tt.want) {
				t.Errorf("Problems() = %v, want %v", got, tt.want)
			}
		})
	}
	got := campaign.Text{Lang: " PL", Title: " List ", Summary: "a\r\n\r\nb \n", Letter: "\r\nDrogi\r\n", Share: " x "}.Clean()
	want := campaign.Text{Lang: "pl", Title: "List", Summary: "a\n\nb", Letter: "Drogi", Share: "x"}
	if got != want {
		t.Errorf("Clean() = %+v, want %+v", got, want)
	}
}

func TestSaveAndDeleteTranslation(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	ctx := context.Background()
	c := editable("texts", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	c.Language = "be"
	if err := svc.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	version := c.UpdatedAt
	now = now.Add(time.Second) // each save is later than the one before

	before, after, err := svc.SaveTranslation(ctx, c.ID, version, campaign.Text{Lang: "en", Title: " A letter ", Letter: "Dear Ales"})
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Translations) != 0 || !slices.Equal(after.Languages(), []string{"be", "en"}) {
		t.Fatalf("before %v, after %v", before.Languages(), after.Languages())
	}
	if got := campaign.ChangedFields(before, after); !slices.Equal(got, []string{"translations"}) {
		t.Errorf("ChangedFields = %v, want [translations]", got)
	}
	stored, _ := svc.Campaign(ctx, c.ID)
	if en, ok := stored.TextIn("en"); !ok || en.Title != "A letter" {
		t.Errorf("stored English text: %+v, %v", en, ok)
	}

	// A form filled in before that save is refused, and stores nothing.
	_, _, err = svc.SaveTranslation(ctx, c.ID, version, campaign.Text{Lang: "en", Title: "Stale"})
	if !errors.Is(err, campaign.ErrConflict) {
		t.Errorf("stale save: %v, want ErrConflict", err)
	}
	// The campaign's own language is edited in the campaign form.
	_, _, err = svc.SaveTranslation(ctx, c.ID, stored.UpdatedAt, campaign.Text{Lang: "be", Title: "Ліст"})
	var verr *campaign.ValidationError
	if !errors.As(err, &verr) || verr.Fields[0] != (campaign.FieldError{Field: "lang", Problem: campaign.ProblemOriginal}) {
		t.Errorf("translation into the original's language: %v", err)
	}
	if again, _ := svc.Campaign(ctx, c.ID); again.Translations[0].Title != "A letter" || len(again.Translations) != 1 {
		t.Errorf("refused saves changed the campaign: %+v", again.Translations)
	}

	// The campaign form cannot move the original onto a translation's language.
	stored.Language = "en"
	if _, err := svc.UpdateCampaign(ctx, stored); !errors.As(err, &verr) {
		t.Errorf("original in the language of a translation: %v", err)
	}

	deleted, err := svc.DeleteTranslation(ctx, c.ID, "en")
	if err != nil || !slices.Equal(deleted.Languages(), []string{"be"}) {
		t.Fatalf("delete: %v, %v", deleted, err)
	}
	if _, err := svc.DeleteTranslation(ctx, c.ID, "en"); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
}
