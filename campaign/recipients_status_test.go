package campaign

import (
	"slices"
	"testing"
	"time"
)

func TestRecipientStatusAndAddressOnADay(t *testing.T) {
	at := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	r := Recipient{Address: []string{"SIZO-1"}, Changes: []StatusChange{
		{ID: "b", Situation: SituationTransferred, Day: "2027-06-15", Address: []string{"Colony 9"}, RecordedAt: at},
		{ID: "a", Situation: SituationTransferred, Day: "2027-03-01", Address: []string{"Colony 2"}, RecordedAt: at},
		{ID: "c", Situation: SituationIncommunicado, Day: "2027-06-15", RecordedAt: at.Add(time.Hour)},
		{ID: "d", Situation: SituationReleased, Day: "2027-12-01", RecordedAt: at},
	}}
	for _, tc := range []struct {
		day     string
		address string
		status  Situation // "" for none
	}{
		{"2027-02-28", "SIZO-1", ""},
		{"2027-03-01", "Colony 2", SituationTransferred},
		{"2027-06-14", "Colony 2", SituationTransferred},
		// Two changes on one day: the one recorded later is the status.
		{"2027-06-15", "Colony 9", SituationIncommunicado},
		{"2027-12-01", "Colony 9", SituationReleased},
	} {
		if got := r.AddressOn(tc.day); !slices.Equal(got, []string{tc.address}) {
			t.Errorf("AddressOn(%s) = %v, want %s", tc.day, got, tc.address)
		}
		ch, ok := r.StatusOn(tc.day)
		if ok != (tc.status != "") || ch.Situation != tc.status {
			t.Errorf("StatusOn(%s) = %s, %v; want %q", tc.day, ch.Situation, ok, tc.status)
		}
	}
	for sit, want := range map[Situation]bool{SituationTransferred: false, SituationReleased: true, SituationIncommunicado: true, SituationDeceased: true} {
		if got := (&StatusChange{Situation: sit}).Unreachable(); got != want {
			t.Errorf("%s unreachable: %v, want %v", sit, got, want)
		}
	}
}

func TestStatusChangeProblems(t *testing.T) {
	for _, tc := range []struct {
		ch   StatusChange
		want []string
	}{
		{StatusChange{Situation: SituationReleased, Day: "2027-05-20"}, nil},
		{StatusChange{Situation: "freed", Day: "20/05/2027"}, []string{"situation", "day"}},
		{StatusChange{Situation: SituationTransferred, Day: "2027-05-20"}, []string{"address"}},
		{StatusChange{Situation: SituationDeceased}, []string{"day"}},
	} {
		var got []string
		for _, p := range tc.ch.Problems() {
			got = append(got, p.Field)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%+v: problems with %v, want %v", tc.ch, got, tc.want)
		}
	}
}
