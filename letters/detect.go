package letters

import (
	"strings"
	"unicode"
)

// Script is a writing system, as far as moderation needs to tell them
// apart.
type Script string

// The scripts the detector and the script flag know.
const (
	Latin      Script = "latin"
	Cyrillic   Script = "cyrillic"
	Greek      Script = "greek"
	Georgian   Script = "georgian"
	Armenian   Script = "armenian"
	Hebrew     Script = "hebrew"
	Arabic     Script = "arabic"
	Han        Script = "han"
	Kana       Script = "kana"
	Hangul     Script = "hangul"
	Devanagari Script = "devanagari"
	Thai       Script = "thai"
)

var scriptTables = []struct {
	script Script
	table  *unicode.RangeTable
}{
	{Latin, unicode.Latin}, {Cyrillic, unicode.Cyrillic}, {Greek, unicode.Greek},
	{Georgian, unicode.Georgian}, {Armenian, unicode.Armenian}, {Hebrew, unicode.Hebrew},
	{Arabic, unicode.Arabic}, {Han, unicode.Han}, {Kana, unicode.Hiragana}, {Kana, unicode.Katakana},
	{Hangul, unicode.Hangul}, {Devanagari, unicode.Devanagari}, {Thai, unicode.Thai},
}

// scriptOf returns the script of a letter, or "" for other characters and
// letters of scripts not listed.
func scriptOf(r rune) Script {
	if !unicode.IsLetter(r) {
		return ""
	}
	if r < 0x80 {
		return Latin
	}
	for _, t := range scriptTables {
		if unicode.Is(t.table, r) {
			return t.script
		}
	}
	return ""
}

// latinLanguages are written in the Latin alphabet.
var latinLanguages = []string{
	"af", "bs", "ca", "cs", "cy", "da", "de", "en", "eo", "es", "et", "eu", "fi", "fr", "ga", "gl", "hr", "hu",
	"id", "is", "it", "la", "lb", "lt", "lv", "ms", "mt", "nb", "nl", "nn", "no", "pl", "pt", "ro", "sk", "sl",
	"sq", "sv", "sw", "tl", "tr", "vi",
}

// languageScripts maps an ISO 639-1 code to the scripts the language is
// written in.
var languageScripts = func() map[string][]Script {
	m := map[string][]Script{
		"be": {Cyrillic}, "ru": {Cyrillic}, "uk": {Cyrillic}, "bg": {Cyrillic}, "mk": {Cyrillic},
		"ky": {Cyrillic}, "tg": {Cyrillic}, "mn": {Cyrillic},
		"sr": {Cyrillic, Latin}, "kk": {Cyrillic, Latin}, "uz": {Latin, Cyrillic}, "az": {Latin, Cyrillic},
		"el": {Greek}, "ka": {Georgian}, "hy": {Armenian}, "he": {Hebrew}, "yi": {Hebrew},
		"ar": {Arabic}, "fa": {Arabic}, "ur": {Arabic}, "ps": {Arabic},
		"zh": {Han}, "ja": {Han, Kana}, "ko": {Hangul, Han},
		"hi": {Devanagari}, "mr": {Devanagari}, "ne": {Devanagari}, "th": {Thai},
	}
	for _, l := range latinLanguages {
		m[l] = []Script{Latin}
	}
	return m
}()

// ScriptsOf returns the scripts the languages (ISO 639-1 codes) are written
// in; codes it does not know add nothing.
func ScriptsOf(languages []string) map[Script]bool {
	out := map[Script]bool{}
	for _, l := range languages {
		for _, s := range languageScripts[strings.ToLower(l)] {
			out[s] = true
		}
	}
	return out
}

// Languages are the languages a moderator may give a greeting, by ISO
// 639-1 code: those the detector knows and a few more that supporters of
// campaigns write in.
var Languages = []string{
	"be", "ru", "uk", "pl", "lt", "lv", "et", "en", "de", "fr", "sv", "es", "it", "pt", "nl", "cs", "sk", "fi",
	"da", "no", "bg", "sr", "ka", "hy", "el", "he", "ar", "fa", "tr", "hi", "th", "zh", "ja", "ko",
}

// KnownLanguage reports whether code is one of Languages.
func KnownLanguage(code string) bool {
	for _, l := range Languages {
		if l == code {
			return true
		}
	}
	return false
}

// profile describes a language for the detector: its letters beyond the
// plain alphabet of its script, letters that mark it, and its most common
// words.
type profile struct {
	lang string
	// alphabet holds the lower-case letters of its script the language
	// uses; a letter outside it counts against the language. Empty means
	// the whole basic alphabet (a-z) plus extra.
	alphabet string
	extra    string // letters beyond a-z, for Latin languages
	marks    string // letters that point to this language
	// expect holds letters so frequent in the language that a text of
	// expectAfter letters or more without any of them is unlikely to be
	// in it.
	expect string
	words  []string
}

// expectAfter is the length, in letters of the script, from which a text
// is expected to show one of its language's frequent letters.
const expectAfter = 12

var cyrillicProfiles = []profile{
	{lang: "be", alphabet: "абвгдеёжзйклмнопрстуўфхцчшыьэюяі", marks: "ў", expect: "іў",
		words: split("і ў не на што як мы вы вас дзякуй дарагі дарагая дарагое трымайцеся трымайся жыве беларусь свабода " +
			"ад для гэта вельмі усё ўсё памятаем чакаем моцы сіл здароўя табе цябе вам ёсць але каб калі таксама " +
			"дзень людзей шмат прывітанне вітаем пра вашу вашай мужнасць адзін кожны працу дома думае мяне ён яна яны " +
			"яго толькі ужо яшчэ свабоду навіны ўсіх усіх")},
	{lang: "ru", alphabet: "абвгдеёжзийклмнопрстуфхцчшщъыьэюя", marks: "ъ", expect: "и",
		words: split("и в не на что как мы вы вас спасибо дорогой дорогая держитесь держись свобода от для это очень " +
			"всё все помним ждём ждем сил здоровья тебе тебя вам есть но чтобы когда также день людей много привет " +
			"желаю желаем вами правда стороне знаем вашей вдохновляете один каждый мне меня нам нас он она они его " +
			"только уже ещё еще свободу долой новости всех пример")},
	{lang: "uk", alphabet: "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя", marks: "їєґ", expect: "іїєґ",
		words: split("і в не на що як ми ви вас дякую дорогий дорога тримайтеся тримайся слава україні свобода від " +
			"для це дуже все пам'ятаємо чекаємо сил здоров'я тобі тебе вам є але щоб коли також день людей багато " +
			"привіт бажаю вами правда один кожен мені мене він вона вони його тільки вже ще свободу новини всіх")},
	{lang: "bg", alphabet: "абвгдежзийклмнопрстуфхцчшщъьюя", marks: "", expect: "ъ",
		words: split("и в не на че как ние вие благодаря скъпи скъпа свобода за от да това много здраве сили " +
			"поздрави е са сме сте")},
	{lang: "sr", alphabet: "абвгдђежзијклљмнњопрстћуфхцчџш", marks: "ђјљњћџ", expect: "ђјљњћџ",
		words: split("и у не на да што како ми ви хвала драги драга слобода за од ово много здравља поздрав је су смо")},
}

var latinProfiles = []profile{
	{lang: "en", words: split("the and you are not we for with your to of is from dear stay strong hope all be our " +
		"in it this that have will freedom love thank thanks my me forgotten waiting respect courage gives us " +
		"take care health world watching stop writing")},
	{lang: "pl", extra: "ąćęłńóśźż", marks: "ąćęłńśźż", words: split("i w nie jest się na z że do to jesteśmy " +
		"drogi droga pozdrowienia trzymaj dla od wolność dziękujemy panem pana pan my ty was wszyscy bardzo siły " +
		"zdrowia jak czekamy")},
	{lang: "de", extra: "äöüß", marks: "üß", words: split("und der die das nicht wir sie ist für mit von ein eine " +
		"lieber liebe an zu dich dir ihr ihnen denken bleiben gesund freiheit grüße viel kraft sind auch")},
	{lang: "fr", extra: "àâæçéèêëîïôœùûüÿ", marks: "çêèâîôûœëï", words: split("et le la les de des vous nous pas est " +
		"pour avec un une cher chère notre toute tout depuis liberté courage merci du que qui tous soutien pensons")},
	{lang: "sv", extra: "åäöé", marks: "å", words: split("och att det är inte vi du för med på en ett kära från " +
		"frihet hälsningar tack styrka dig oss alla som har tänker")},
	{lang: "lt", extra: "ąčęėįšųūž", marks: "ėįųū", words: split("ir ne mes jūs tu su už iš kad brangus brangi " +
		"linkime stiprybės sveikatos esate laisvė ačiū nesate vienas labai visi jums tau")},
	{lang: "es", extra: "ñáéíóúü¿¡", marks: "ñ¿¡", words: split("y el la los las de que no es por para con un una " +
		"querido querida estamos libertad fuerza gracias usted te tu nosotros todos desde abrazo ánimo mucha contigo")},
	{lang: "it", extra: "àèéìíîòóù", marks: "ìò", words: split("e il la le di che non è per con un una caro cara " +
		"siamo libertà forza grazie ti noi tutti da abbraccio coraggio te")},
}

func split(s string) []string { return strings.Fields(s) }

// Detect guesses the language of a text by its script, the letters it uses
// and its most common words. It returns an ISO 639-1 code, or "" when it
// cannot tell. It needs no dictionary and is meant for greetings of a few
// sentences; the moderator corrects it where it errs.
func Detect(text string) string {
	counts := map[Script]int{}
	letters := 0
	for _, r := range text {
		if s := scriptOf(r); s != "" {
			counts[s]++
			letters++
		}
	}
	if letters < 2 {
		return ""
	}
	var main Script
	for s, n := range counts {
		if n > counts[main] || (n == counts[main] && s < main) {
			main = s
		}
	}
	switch main {
	case Greek:
		return "el"
	case Georgian:
		return "ka"
	case Armenian:
		return "hy"
	case Hebrew:
		return "he"
	case Arabic:
		if strings.ContainsAny(text, "پچژگکی") {
			return "fa"
		}
		return "ar"
	case Hangul:
		return "ko"
	case Kana:
		return "ja"
	case Han:
		if counts[Kana] > 0 {
			return "ja"
		}
		return "zh"
	case Devanagari:
		return "hi"
	case Thai:
		return "th"
	case Cyrillic:
		return best(text, Cyrillic, cyrillicProfiles)
	case Latin:
		return best(text, Latin, latinProfiles)
	}
	return ""
}

// best scores each profile on the text's letters of script and its words,
// and returns the language that scores highest, or "" when none has any
// evidence for it or two tie.
func best(text string, script Script, profiles []profile) string {
	lower := strings.ToLower(text)
	words := Words(lower)
	type score struct {
		lang     string
		n        int
		evidence bool
	}
	scores := make([]score, len(profiles))
	for i, p := range profiles {
		sc := score{lang: p.lang}
		inScript, expected := 0, p.expect == ""
		for _, r := range lower {
			if scriptOf(r) != script {
				continue
			}
			inScript++
			if strings.ContainsRune(p.expect, r) {
				expected = true
			}
			switch {
			case strings.ContainsRune(p.marks, r):
				sc.n += 3
				sc.evidence = true
			case !inAlphabet(p, r):
				sc.n -= 3
			}
		}
		if !expected && inScript >= expectAfter {
			sc.n -= 2
		}
		for _, w := range words {
			for _, pw := range p.words {
				if w == pw {
					sc.n += 2
					sc.evidence = true
					break
				}
			}
		}
		scores[i] = sc
	}
	top, second := -1, -1
	for i := range scores {
		switch {
		case top < 0 || scores[i].n > scores[top].n:
			top, second = i, top
		case second < 0 || scores[i].n > scores[second].n:
			second = i
		}
	}
	if top < 0 || (second >= 0 && scores[second].n == scores[top].n) {
		return ""
	}
	// The best needs words or letters of its own, or else to be the one
	// language whose alphabet has every letter of the text.
	discriminates := scores[top].n >= 0 && (second < 0 || scores[second].n < 0)
	if !(scores[top].evidence && scores[top].n > 0) && !discriminates {
		return ""
	}
	return scores[top].lang
}

func inAlphabet(p profile, r rune) bool {
	if p.alphabet != "" {
		return strings.ContainsRune(p.alphabet, r)
	}
	return (r >= 'a' && r <= 'z') || strings.ContainsRune(p.extra, r)
}

// Words splits text into words: runs of letters, digits and combining
// marks, with apostrophes inside a word (Belarusian з'ява, English don't)
// kept as part of it. Case is kept; callers lower it as they need.
func Words(text string) []string {
	var out []string
	var b strings.Builder
	rs := []rune(text)
	for i, r := range rs {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r)
		if !inWord && (r == '\'' || r == '’' || r == 'ʼ') && b.Len() > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]) {
			inWord = true
			r = '\''
		}
		if inWord {
			b.WriteRune(r)
			continue
		}
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}
