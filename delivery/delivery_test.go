package delivery

import (
	"errors"
	"slices"
	"testing"
)

func TestParseNumbers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"", nil, true},
		{"3", []int{3}, true},
		{"3, 17 40-42", []int{3, 17, 40, 41, 42}, true},
		{"5;1\n5", []int{1, 5}, true},
		{"0", nil, false},
		{"-1", nil, false},
		{"3-1", nil, false},
		{"1-", nil, false},
		{"1,two", nil, false},
		{"１", nil, false}, // a full-width digit
		{"1-501", nil, false},
		{"9999999999", nil, false},
	} {
		got, err := ParseNumbers(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("ParseNumbers(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, errBadNumber) {
			t.Errorf("ParseNumbers(%q): %v is not errBadNumber", tc.in, err)
		}
	}
}

func TestFormatNumbersReadsBack(t *testing.T) {
	for _, ns := range [][]int{nil, {1}, {1, 2}, {1, 2, 3}, {1, 3, 4, 5, 9, 10}} {
		s := FormatNumbers(ns)
		back, err := ParseNumbers(s)
		if err != nil || !slices.Equal(back, ns) {
			t.Errorf("FormatNumbers(%v) = %q, read back as %v, %v", ns, s, back, err)
		}
	}
	if got := FormatNumbers([]int{1, 2, 3, 7, 8}); got != "1-3, 7, 8" {
		t.Errorf("FormatNumbers = %q, want 1-3, 7, 8", got)
	}
}

func FuzzParseNumbers(f *testing.F) {
	for _, s := range []string{"1", "3, 17 40-42", "1-500", "0-", ",,;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, err := ParseNumbers(s)
		if err != nil {
			return
		}
		if len(ns) > ReplyMax || !slices.IsSorted(ns) || len(slices.Compact(slices.Clone(ns))) != len(ns) {
			t.Fatalf("ParseNumbers(%q) = %v: too many, unsorted or repeated", s, ns)
		}
		for _, n := range ns {
			if n < 1 {
				t.Fatalf("ParseNumbers(%q) has %d", s, n)
			}
		}
		back, err := ParseNumbers(FormatNumbers(ns))
		if err != nil || !slices.Equal(back, ns) {
			t.Fatalf("%v does not read back: %v, %v", ns, back, err)
		}
	})
}

func TestEventProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    Event
		want []string // fields
	}{
		{"delivered", Event{Kind: KindDelivered, Day: "2027-08-01"}, nil},
		{"no kind", Event{Kind: "lost", Day: "2027-08-01"}, []string{"kind"}},
		{"no day", Event{Kind: KindDelivered}, []string{"day"}},
		{"not a day", Event{Kind: KindDelivered, Day: "2027-02-30"}, []string{"day"}},
		{"posted without method or envelopes", Event{Kind: KindPosted, Day: "2027-08-01"}, []string{"method", "envelopes"}},
		{"built without bundle", Event{Kind: KindBuilt, Day: "2027-08-01"}, []string{"bundle"}},
		{"reply with a bad slug", Event{Kind: KindReply, Day: "2027-08-01", Post: "Not a slug"}, []string{"post"}},
	} {
		var got []string
		for _, p := range tc.e.Problems() {
			got = append(got, p.Field)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: problems with %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCleanDropsOtherKindsFields(t *testing.T) {
	e := Event{Kind: KindDelivered, Day: "2027-08-01", Method: MethodCourier, Tracking: "RR1", Reason: "x", Post: "p",
		Numbers: []int{1}, SignatureIDs: []string{"s"}, Bundle: "b", SHA256: "h", Envelopes: 3}
	e.clean()
	if e.Method != "" || e.Tracking != "" || e.Reason != "" || e.Post != "" || e.Numbers != nil || e.SignatureIDs != nil ||
		e.Bundle != "" || e.SHA256 != "" || e.Envelopes != 0 {
		t.Errorf("a delivered event keeps other kinds' fields: %+v", e)
	}
}
