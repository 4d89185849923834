package letters_test

import (
	"testing"

	"github.com/solidarity-letters/solidarity/letters"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		// Belarusian, Russian and Ukrainian share most letters: і and ў,
		// ы and э, ї, є and ґ tell them apart, with common words.
		{"Дарагі Алесь, трымайцеся! Мы памятаем пра вас і чакаем дома.", "be"},
		{"Жыве Беларусь! Дзякуй за вашу працу і вашу мужнасць.", "be"},
		{"Алесь, вы не адзін. Шмат людзей думае пра вас кожны дзень.", "be"},
		{"Трымайся, сябар. Усё будзе добра.", "be"},
		{"Прывітанне нумар 6", "be"},
		{"Сіла", ""},     // і: Belarusian or Ukrainian
		{"Щастя", ""},    // Russian or Ukrainian
		{"Сіла ы", "be"}, // only Belarusian has both і and ы
		{"Дорогой Алесь, желаю вам здоровья и сил. Вы нас вдохновляете.", "ru"},
		{"Держитесь! Правда на вашей стороне, и мы это знаем.", "ru"},
		{"Привет из Москвы, мы с тобой!", "ru"},
		{"Тримайтеся! Ми з вами, слава Україні.", "uk"},
		{"Позвоните мне: +370 612 34567", "ru"}, // no і, ъ or ј in a longer text: Russian
		{"Читайте новости на https://spring96.org", "ru"},
		{"Долой режим, свободу Алесю!", "ru"},
		{"Дякую за вашу мужність, чекаємо на волі.", "uk"},
		{"Скъпи Алес, благодаря за смелостта ви.", "bg"},
		// Latin alphabets by common words and letters.
		{"Dear Ales, you are not forgotten. Stay strong, we are waiting for you.", "en"},
		{"With respect from Stockholm. Your courage gives us hope.", "en"},
		{"Drogi Alesiu, jesteśmy z Panem. Pozdrowienia z Białegostoku!", "pl"},
		{"Trzymaj się, Ales!", "pl"},
		{"Lieber Ales, wir denken an Sie. Bleiben Sie gesund!", "de"},
		{"Cher Ales, toute notre solidarité depuis Paris.", "fr"},
		{"Kära Ales, vi tänker på dig. Hälsningar från Göteborg.", "sv"},
		{"Brangus Ales, linkime stiprybės ir sveikatos. Jūs nesate vienas.", "lt"},
		{"Querido Ales, estamos contigo. ¡Mucha fuerza!", "es"},
		{"Caro Ales, siamo con te. Forza e coraggio!", "it"},
		// Scripts that belong to one language here.
		{"Αγαπητέ Άλες, είμαστε μαζί σου.", "el"},
		{"ძვირფასო ალეს, ჩვენ შენთან ვართ.", "ka"},
		{"Սիրելի Ալես, մենք քեզ հետ ենք։", "hy"},
		{"אלס היקר, אנחנו איתך.", "he"},
		{"عزيزي أليس، نحن معك.", "ar"},
		{"親愛的阿萊斯，我們與你同在。", "zh"},
		{"アレスさん、がんばってください。", "ja"},
		{"알레스 씨, 힘내세요.", "ko"},
		// Nothing to go by.
		{"", ""},
		{"!!! 123", ""},
		{"x", ""},
		{"Ales Ales", ""},
		{"Алесь!", ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := letters.Detect(tt.text); got != tt.want {
				t.Errorf("Detect(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestDetectedLanguagesAreKnown(t *testing.T) {
	for _, l := range []string{"be", "ru", "uk", "bg", "en", "pl", "de", "fr", "sv", "lt", "es", "it", "el", "ka", "hy", "he", "ar", "zh", "ja", "ko", "fa", "hi", "th"} {
		if !letters.KnownLanguage(l) {
			t.Errorf("the detector returns %q, which a moderator cannot choose", l)
		}
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Жыве Беларусь!", []string{"Жыве", "Беларусь"}},
		{"з'ява, don’t", []string{"з'ява", "don't"}},
		{"  'quoted'  ", []string{"quoted"}},
		{"a-b c.d", []string{"a", "b", "c", "d"}},
		{"", nil},
	}
	for _, tt := range tests {
		got := letters.Words(tt.text)
		if len(got) != len(tt.want) {
			t.Errorf("Words(%q) = %q, want %q", tt.text, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Words(%q) = %q, want %q", tt.text, got, tt.want)
				break
			}
		}
	}
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{"Дарагі Алесь", "Dear Ales", "אלס", "з'ява", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := letters.Detect(s)
		if got != "" && len(got) != 2 {
			t.Errorf("Detect(%q) = %q, not an ISO 639-1 code", s, got)
		}
		letters.Check(s, rulesBeRu)
		letters.TextKey(s)
	})
}
