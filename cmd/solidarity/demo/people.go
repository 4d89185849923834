package demo

import (
	"math/rand/v2"

	"github.com/solidarity-letters/solidarity/campaign"
)

// origin is where demo supporters come from: names as people there write
// them, and cities.
type origin struct {
	country string
	first   []string
	last    []string
	cities  []string
	weight  int
}

var origins = []origin{
	{"BY", []string{"Алесь", "Вольга", "Сяргей", "Наталля", "Андрэй", "Таццяна", "Uladzimir", "Hanna"},
		[]string{"Каліноўскі", "Шаўчук", "Лукашэвіч", "Bahdanovich", "Тарашкевіч", "Kupala"}, []string{"Мінск", "Гродна", "Brest", "Віцебск", ""}, 6},
	{"RU", []string{"Ирина", "Дмитрий", "Мария", "Алексей", "Елена"}, []string{"Иванова", "Смирнов", "Кузнецова", "Попов"}, []string{"Москва", "Санкт-Петербург", "Казань", ""}, 3},
	{"UA", []string{"Оксана", "Тарас", "Олена", "Богдан"}, []string{"Шевченко", "Коваленко", "Бондаренко"}, []string{"Київ", "Львів", "Харків"}, 3},
	{"PL", []string{"Agnieszka", "Piotr", "Małgorzata", "Łukasz"}, []string{"Nowak", "Wiśniewska", "Kowalczyk", "Wójcik"}, []string{"Warszawa", "Białystok", "Kraków"}, 4},
	{"LT", []string{"Rūta", "Mindaugas", "Eglė", "Tomas"}, []string{"Kazlauskaitė", "Petrauskas", "Jankauskienė"}, []string{"Vilnius", "Kaunas"}, 3},
	{"SE", []string{"Karin", "Erik", "Åsa", "Johan"}, []string{"Lindqvist", "Andersson", "Öberg", "Nyström"}, []string{"Stockholm", "Göteborg", "Malmö", "Uppsala"}, 5},
	{"DE", []string{"Jürgen", "Katharina", "Lena", "Matthias"}, []string{"Müller", "Schröder", "Weiß", "Becker"}, []string{"Berlin", "München", "Köln"}, 3},
	{"FR", []string{"Amélie", "François", "Hélène", "Louis"}, []string{"Dubois", "Lefèvre", "Moreau"}, []string{"Paris", "Lyon", "Strasbourg"}, 3},
	{"GB", []string{"Sarah", "James", "Olivia", "Tom"}, []string{"Smith", "O'Connor", "Hughes"}, []string{"London", "Edinburgh", "Cardiff"}, 2},
	{"US", []string{"Emily", "Michael", "Jessica"}, []string{"Johnson", "García", "Nguyen"}, []string{"New York", "Chicago", "Portland"}, 2},
	{"NO", []string{"Ingrid", "Håkon"}, []string{"Hansen", "Bjørnstad"}, []string{"Oslo", "Bergen"}, 1},
	{"FI", []string{"Aino", "Mikko"}, []string{"Virtanen", "Mäkinen"}, []string{"Helsinki", "Tampere"}, 1},
	{"CZ", []string{"Tereza", "Jiří"}, []string{"Dvořáková", "Novák"}, []string{"Praha", "Brno"}, 1},
	{"GE", []string{"ნინო", "გიორგი"}, []string{"ბერიძე", "კაპანაძე"}, []string{"თბილისი"}, 1},
	{"GR", []string{"Ελένη", "Νίκος"}, []string{"Παπαδοπούλου", "Γεωργίου"}, []string{"Αθήνα"}, 1},
	{"EE", []string{"Kadri", "Margus"}, []string{"Tamm", "Saar"}, []string{"Tallinn", "Tartu"}, 1},
	{"NL", []string{"Sanne", "Daan"}, []string{"de Vries", "van Dijk"}, []string{"Amsterdam", "Utrecht"}, 1},
	{"CA", []string{"Chloé", "Liam"}, []string{"Tremblay", "Wilson"}, []string{"Montréal", "Toronto"}, 1},
}

func person(rng *rand.Rand) campaign.Person {
	total := 0
	for _, o := range origins {
		total += o.weight
	}
	pick := rng.IntN(total)
	o := origins[0]
	for _, c := range origins {
		if pick < c.weight {
			o = c
			break
		}
		pick -= c.weight
	}
	return campaign.Person{
		Name:    o.first[rng.IntN(len(o.first))] + " " + o.last[rng.IntN(len(o.last))],
		City:    o.cities[rng.IntN(len(o.cities))],
		Country: o.country,
	}
}

// greetingParts holds, per language, openings and closings that combine
// into many different greetings, so that the demo queue is not one long
// list of duplicates.
var greetingParts = map[string][2][]string{
	"be": {{"Дарагі Алесь, трымайцеся!", "Алесь, вы не адзін.", "Жыве Беларусь!", "Шаноўны спадар Алесь,"},
		{"Мы памятаем пра вас і чакаем дома.", "Дзякуй за вашу працу і вашу мужнасць.", "Шмат людзей думае пра вас кожны дзень.", "Беражыце здароўе."}},
	"ru": {{"Дорогой Алесь,", "Держитесь!", "Алесь, здравствуйте!"},
		{"желаю вам здоровья и сил.", "Правда на вашей стороне.", "Вы нас вдохновляете.", "Ждём вас дома."}},
	"uk": {{"Дорогий Алесю,", "Тримайтеся!"}, {"ми з вами.", "бажаємо сил і здоров'я.", "вітання з Києва."}},
	"pl": {{"Drogi Alesiu,", "Trzymaj się!"}, {"jesteśmy z Panem.", "pozdrowienia z Polski.", "czekamy na Pana na wolności."}},
	"lt": {{"Brangus Ales,", "Stiprybės!"}, {"linkime sveikatos.", "Jūs nesate vienas.", "sveikinimai iš Vilniaus."}},
	"sv": {{"Kära Ales,", "Med respekt från Sverige."}, {"du är inte glömd.", "vi tänker på dig.", "håll modet uppe."}},
	"de": {{"Lieber Ales,", "Viele Grüße!"}, {"wir denken an Sie.", "bleiben Sie gesund.", "Sie sind nicht allein."}},
	"fr": {{"Cher Ales,", "Bon courage !"}, {"toute notre solidarité.", "nous pensons à vous.", "vous n'êtes pas oublié."}},
	"en": {{"Dear Ales,", "Stay strong!", "Greetings from far away."},
		{"you are not forgotten.", "we are waiting for you.", "your courage gives us hope.", "the world is watching and we will keep writing."}},
}

// countryLanguage is the language a demo supporter from each country writes in.
var countryLanguage = map[string]string{"BY": "be", "RU": "ru", "UA": "uk", "PL": "pl", "LT": "lt", "SE": "sv", "DE": "de", "FR": "fr"}

// greeting composes a greeting in the language of the supporter's country.
func greeting(rng *rand.Rand, country string) string {
	lang, ok := countryLanguage[country]
	if !ok {
		lang = "en"
	}
	parts := greetingParts[lang]
	return parts[0][rng.IntN(len(parts[0]))] + " " + parts[1][rng.IntN(len(parts[1]))]
}
