package letters_test

import (
	"slices"
	"testing"

	"github.com/solidarity-letters/solidarity/letters"
)

func TestNameFlags(t *testing.T) {
	tests := []struct {
		text string
		want []letters.Flag
	}{
		{"Anna Kowalska", nil},
		{"Ганна Калiноўская", nil},
		{"Nino ნინო", nil},
		{"Mary O'Neil-Smith", nil},
		{"", nil},
		{"Anna www.example.org", []letters.Flag{letters.FlagLink}},
		{"Anna t.me/anna", []letters.Flag{letters.FlagLink}},
		{"Ewa +48 601 234 567", []letters.Flag{letters.FlagPhone}},
		{"Olga olga@example.net", []letters.Flag{letters.FlagEmail}},
		{"ANNA KOWALSKA", []letters.Flag{letters.FlagCaps}},
		{"AL MA", nil}, // too short to be shouting
		{"山田太郎", []letters.Flag{letters.FlagUnprintable}},
		{"محمد علي", []letters.Flag{letters.FlagUnprintable}},
	}
	for _, tc := range tests {
		// Latin names are no reason to hold a name, even for a recipient
		// who reads Belarusian and Russian only.
		if got := letters.NameFlags(tc.text, rulesBeRu); !slices.Equal(got, tc.want) {
			t.Errorf("NameFlags(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	// The fast path for names without dots, digits and the like agrees
	// with the full check.
	for _, name := range []string{"Anna Kowalska", "ANNA KOWALSKA", "山田太郎", "Анна " + rulesBeRu.CensorWords[0], "Mary O'Neil-Smith"} {
		want := slices.DeleteFunc(letters.Check(name, rulesBeRu), func(f letters.Flag) bool { return f == letters.FlagScript })
		if got := letters.NameFlags(name, rulesBeRu); !slices.Equal(got, want) {
			t.Errorf("NameFlags(%q) = %v, Check gives %v", name, got, want)
		}
	}
	if got := letters.NameFlags("Anna "+rulesBeRu.CensorWords[0], rulesBeRu); !slices.Contains(got, letters.FlagCensor) {
		t.Errorf("a censor word in a name: %v, want %s", got, letters.FlagCensor)
	}
}

// BenchmarkNameFlags is the cost signing pays to check a name and a city.
func BenchmarkNameFlags(b *testing.B) {
	for b.Loop() {
		letters.NameFlags("Ганна Калiноўская", rulesBeRu)
		letters.NameFlags("Białystok", rulesBeRu)
	}
}
