package letters_test

import (
	"slices"
	"testing"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
)

// rulesBeRu are the demo recipient's rules: Belarusian or Russian, and a
// censor list with a name in two scripts and a word.
var rulesBeRu = campaign.Rules{
	CampaignID: "c", Slug: "c", Languages: []string{"be", "ru"},
	CensorWords: []string{"Лукашенко", "Lukashenko", "режим", "Жыве Беларусь"},
}

func TestCheck(t *testing.T) {
	none := campaign.Rules{}
	latin := campaign.Rules{Languages: []string{"en", "pl"}}
	tests := []struct {
		name  string
		text  string
		rules campaign.Rules
		want  []letters.Flag
	}{
		{"plain Belarusian", "Дарагі Алесь, трымайцеся! Мы памятаем пра вас.", rulesBeRu, nil},
		{"plain Russian", "Держитесь! Правда на вашей стороне.", rulesBeRu, nil},
		{"Latin to a Cyrillic-only recipient", "Dear Ales, stay strong.", rulesBeRu, []letters.Flag{letters.FlagScript}},
		{"a Latin name in Cyrillic text passes", "Дарагі Алесь, вітаем з Warszawa і чакаем дома!", rulesBeRu, nil},
		{"Cyrillic to a Latin-only recipient", "Дарагі Алесь!", latin, []letters.Flag{letters.FlagScript}},
		{"no language rules: any script", "Dear Ales", none, nil},
		{"unknown language codes: any script", "Dear Ales", campaign.Rules{Languages: []string{"xx"}}, nil},
		{"Greek", "Αγαπητέ Άλες", rulesBeRu, []letters.Flag{letters.FlagScript}},
		{"Greek allowed", "Αγαπητέ Άλες", campaign.Rules{Languages: []string{"el"}}, nil},

		{"https link", "Читай https://example.org/x", rulesBeRu, []letters.Flag{letters.FlagLink}},
		{"www link", "гл. www.viasna.by", rulesBeRu, []letters.Flag{letters.FlagLink}},
		{"bare domain", "пішыце на spring96.org калі ласка", rulesBeRu, []letters.Flag{letters.FlagLink}},
		{"Cyrillic domain", "сайт президент.рф", rulesBeRu, []letters.Flag{letters.FlagLink}},
		{"Telegram", "пішы ў t.me/someone", rulesBeRu, []letters.Flag{letters.FlagLink}},
		{"sentence end is no link", "Stay strong.We wait", none, nil},
		{"abbreviation is no link", "Dear Ales, e.g. this is fine", none, nil},

		{"international phone", "Звані +375 29 123-45-67", rulesBeRu, []letters.Flag{letters.FlagPhone}},
		{"local phone", "тэл. 8 (029) 123 45 67", rulesBeRu, []letters.Flag{letters.FlagPhone}},
		{"short local phone", "тэл 123-45-67", rulesBeRu, []letters.Flag{letters.FlagPhone}},
		{"date is no phone", "Да 12.07.2027!", rulesBeRu, nil},
		{"years are no phone", "1962-2027 гады", rulesBeRu, nil},
		{"thousands are no phone", "Нас 1 000 000!", rulesBeRu, nil},
		{"year is no phone", "У 2027 годзе", rulesBeRu, nil},

		{"email", "пішыце anna@example.org", rulesBeRu, []letters.Flag{letters.FlagEmail}},
		{"email with Cyrillic", "пішыце на ганна@пошта.бел", rulesBeRu, []letters.Flag{letters.FlagEmail}},

		{"censor word", "Далоў Лукашенко!", rulesBeRu, []letters.Flag{letters.FlagCensor}},
		{"censor word in other case", "далоў лукашенко", rulesBeRu, []letters.Flag{letters.FlagCensor}},
		{"censor word inside another word passes", "Лукашенкаўскі рэжым?", rulesBeRu, nil},
		{"censor word, Latin", "Lukashenko", campaign.Rules{CensorWords: rulesBeRu.CensorWords}, []letters.Flag{letters.FlagCensor}},
		{"censor word in upper case", "долой РЕЖИМ", rulesBeRu, []letters.Flag{letters.FlagCensor}},
		{"censor phrase", "Жыве, Беларусь!", rulesBeRu, []letters.Flag{letters.FlagCensor}},
		{"half a phrase passes", "Беларусь жыве", rulesBeRu, nil},

		{"shouting", "ТРЫМАЙЦЕСЯ, МЫ З ВАМІ!", rulesBeRu, []letters.Flag{letters.FlagCaps}},
		{"a short capital word is no shouting", "Дарагі Алесь, ЖЫВЕМ!", rulesBeRu, nil},
		{"initials are no shouting", "OK", none, nil},

		{"Hebrew prints", "אלס היקר", none, nil},
		{"Chinese does not", "亲爱的阿莱斯", none, []letters.Flag{letters.FlagUnprintable}},
		{"Arabic to be/ru", "عزيزي أليس", rulesBeRu, []letters.Flag{letters.FlagScript, letters.FlagUnprintable}},

		{"several", "ЗВАНІЦЕ +375 29 123 45 67 АБО ПІШЫЦЕ НА WWW.SITE.BY", rulesBeRu,
			[]letters.Flag{letters.FlagLink, letters.FlagPhone, letters.FlagCaps}},
		{"Latin beyond a link", "Dear Ales, see https://example.org", rulesBeRu, []letters.Flag{letters.FlagScript, letters.FlagLink}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := letters.Check(tt.text, tt.rules)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Check(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestTextKey(t *testing.T) {
	same := []string{"Жыве Беларусь!", "жыве   беларусь", "ЖЫВЕ, БЕЛАРУСЬ...", "\nЖыве\nБеларусь"}
	for _, s := range same[1:] {
		if letters.TextKey(s) != letters.TextKey(same[0]) {
			t.Errorf("TextKey(%q) differs from TextKey(%q)", s, same[0])
		}
	}
	for _, s := range []string{"Жыве Беларусь и мы", "Жыве"} {
		if letters.TextKey(s) == letters.TextKey(same[0]) {
			t.Errorf("TextKey(%q) = TextKey(%q), want them different", s, same[0])
		}
	}
	if got := letters.TextKey("!!! ..."); got != "" {
		t.Errorf("TextKey of punctuation = %q, want empty", got)
	}
}

func TestNeedsTranslation(t *testing.T) {
	tests := []struct {
		lang      string
		flags     []letters.Flag
		languages []string
		want      bool
	}{
		{"be", nil, []string{"be", "ru"}, false},
		{"pl", nil, []string{"be", "ru"}, true},
		{"uk", nil, []string{"be", "ru"}, true},
		{"pl", nil, nil, false},
		{"", []letters.Flag{letters.FlagScript}, []string{"be", "ru"}, true},
		{"", nil, []string{"be", "ru"}, false},
	}
	for _, tt := range tests {
		if got := letters.NeedsTranslation(tt.lang, tt.flags, tt.languages); got != tt.want {
			t.Errorf("NeedsTranslation(%q, %v, %v) = %v, want %v", tt.lang, tt.flags, tt.languages, got, tt.want)
		}
	}
}
