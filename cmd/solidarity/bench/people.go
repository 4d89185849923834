package bench

import (
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
)

// script is a group of supporters whose names are written in one script,
// with the countries they sign from.
type script struct {
	first, last, cities, countries []string
}

// scripts are the supporters the bench signs as: Latin, Cyrillic, Polish
// and Lithuanian diacritics, Greek, Georgian, Armenian and Hebrew, all of
// which the printed letter can show.
var scripts = []script{
	{[]string{"Anna", "John", "Marie", "Erik", "Sophie", "Lukas"}, []string{"Schmidt", "Miller", "Dubois", "Johansson", "Martin", "Weber"},
		[]string{"Berlin", "Lyon", "Uppsala", "Leeds", ""}, []string{"DE", "FR", "SE", "GB"}},
	{[]string{"Алесь", "Наталля", "Ольга", "Дмитрий", "Тарас", "Ірина"}, []string{"Бяляцкі", "Пінчук", "Коваленко", "Иванов", "Шевченко", "Мельник"},
		[]string{"Мінск", "Вильнюс", "Київ", "Гродна", ""}, []string{"BY", "UA", "LT", "PL"}},
	{[]string{"Małgorzata", "Łukasz", "Rūta", "Jonas", "Zofia", "Žydrūnas"}, []string{"Wójcik", "Żółkiewski", "Šimkutė", "Žemaitis", "Kołodziej", "Navickas"},
		[]string{"Białystok", "Kraków", "Kaunas", "Šiauliai", ""}, []string{"PL", "LT"}},
	{[]string{"Γιώργος", "Ελένη", "ნინო", "გიორგი", "Արամ", "עמית"}, []string{"Παπαδόπουλος", "Νικολάου", "ბერიძე", "კაპანაძე", "Պետրոսյան", "כהן"},
		[]string{"Αθήνα", "თბილისი", "Երևան", ""}, []string{"GR", "GE", "AM", "IL"}},
}

// greetings are the short texts one supporter in ten adds.
var greetings = []string{
	"Трымайся! Мы памятаем пра цябе і чакаем дома.",
	"Держитесь, вы не одни. Мы пишем вам из многих стран.",
	"We are thinking of you every day. Stay strong.",
	"Trzymaj się! Jesteśmy z Tobą.",
	"Laikykis, mes su tavimi.",
	"Wir denken an Sie und warten auf Ihre Freilassung.",
}

// person is the i-th generated supporter: the same i always gives the
// same person, so runs are comparable.
func person(i int) campaign.Person {
	s := scripts[i%len(scripts)]
	j := i / len(scripts)
	return campaign.Person{
		Name:    s.first[j%len(s.first)] + " " + s.last[(j/len(s.first))%len(s.last)],
		City:    s.cities[j%len(s.cities)],
		Country: s.countries[j%len(s.countries)],
	}
}

// greeting is the greeting of the i-th supporter, or "" for nine in ten.
func greeting(i int) string {
	if i%10 != 0 {
		return ""
	}
	return greetings[(i/10)%len(greetings)]
}

// email is the i-th address of a series; every series and i give a
// distinct one.
func email(series string, i int) string {
	return fmt.Sprintf("%s-%d@example.org", series, i)
}

// batch makes the signatures from..to-1 of a series for one campaign, the
// first signed at first and each next one step later, with their
// greetings (approved, and checked as a new greeting is).
func batch(emailKey []byte, campaignID, series string, from, to int, first time.Time, step time.Duration, rules campaign.Rules) ([]campaign.Signature, []letters.Greeting) {
	sigs := make([]campaign.Signature, 0, to-from)
	var gs []letters.Greeting
	for i := from; i < to; i++ {
		at := first.Add(time.Duration(i-from) * step)
		id := campaign.SignatureID(emailKey, campaignID, email(series, i))
		text := greeting(i)
		sigs = append(sigs, campaign.Signature{ID: id, SignedAt: at, Source: campaign.SourceWeb, HasGreeting: text != "", Person: person(i)})
		if text == "" {
			continue
		}
		g := letters.Greeting{ID: id, CampaignID: campaignID, Text: text, Status: letters.StatusApproved, CreatedAt: at, DecidedAt: at}
		g.Language = letters.Detect(text)
		g.Flags = letters.Check(text, rules)
		g.Flagged = len(g.Flags) > 0
		g.TextKey = letters.TextKey(text)
		g.NeedsTranslation = letters.NeedsTranslation(g.Language, g.Flags, rules.Languages)
		g.Checked = true
		gs = append(gs, g)
	}
	return sigs, gs
}
