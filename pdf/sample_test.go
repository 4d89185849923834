package pdf

import (
	"strings"
	"testing"
)

// sampleBundle is a small bundle as a real campaign would send it; the
// pictures in docs/ are made from it (testdata/samples.sh).
func sampleBundle() Bundle {
	tx := englishTexts()
	signers := []Signer{
		{Name: "Anna Kowalska", City: "Kraków", Country: "Poland"},
		{Name: "Jonas P.", City: "Vilnius", Country: "Lithuania"},
		{Name: "Наталля Пінчук", City: "Гродна", Country: "Belarus"},
		{Name: tx.PrintedName("Mark Evans", NameCountry, "United Kingdom"), Country: "United Kingdom"},
		{Name: "Γιώργος Παπαδόπουλος", City: "Θεσσαλονίκη", Country: "Greece"},
		{Name: "ნინო ბერიძე", City: "ქუთაისი", Country: "Georgia"},
		{Name: "Արամ Սարգսյան", City: "Գյումրի", Country: "Armenia"},
		{Name: "Søren Nørgaard", City: "Aarhus", Country: "Denmark"},
		{Name: "Олена Шевченко", City: "Львів", Country: "Ukraine"},
		{Name: "דוד כהן", City: "חיפה", Country: "Israel"},
		{Name: "Marie Dubois", City: "Lyon", Country: "France"},
		{Name: tx.PrintedName("Jürgen Müller", NameFirstInitial, "Germany"), City: "Leipzig", Country: "Germany"},
	}
	var rows []Signer
	for i := range 140 {
		rows = append(rows, signers[i%len(signers)])
	}
	greetings := []Greeting{
		{Text: "Dear Ales, we read about you every week at our meetings in Kraków. You are not forgotten, and we will keep writing until you are free.", Name: "Anna Kowalska", City: "Kraków", Country: "Poland"},
		{Text: "Дарагі Алесь! Мы памятаем пра вас і чакаем дома. Трымайцеся!", Name: "Наталля Пінчук", City: "Гродна", Country: "Belarus"},
		{Text: "Stay strong. Solidarity from Thessaloniki.", Original: "Μείνε δυνατός. Αλληλεγγύη από τη Θεσσαλονίκη.", Name: "Γιώργος Παπαδόπουλος", City: "Θεσσαλονίκη", Country: "Greece"},
		{Text: "გისურვებთ ძალას და მალე გათავისუფლებას.", Name: "ნინო ბერიძე", City: "ქუთაისი", Country: "Georgia"},
		{Text: "Thinking of you from Lyon ❤️ 🌻", Name: "Marie Dubois", City: "Lyon", Country: "France"},
		{Text: "אנחנו איתך. חופש!", Name: "דוד כהן", City: "חיפה", Country: "Israel"},
		{Text: "Ձեզ հետ ենք։ Ուժ և համբերություն։", Name: "Արամ Սարգսյան", City: "Գյումրի", Country: "Armenia"},
		{Text: "Every Thursday a few of us stand in front of the embassy with your picture. People stop, ask who you are, and we tell them. Last week a schoolteacher took twenty leaflets for her class.\n\nWe hope this letter reaches you.", Name: "Søren Nørgaard", City: "Aarhus", Country: "Denmark"},
	}
	b := testBundle(0, 0)
	b.Letter = "Dear Ales,\n\n" +
		"This letter comes from people in many countries who have followed your work for human rights and your trial. " +
		"They ask us to tell you that they know where you are, that they think of you, and that they are waiting for you to be free.\n\n" +
		"Their names follow, as each of them chose to sign, and after them their messages, each on a card of its own.\n\n" +
		"With respect and solidarity,"
	b.Signatures, b.SignatureRows, b.SignatureCount, b.CountryCount = seqOf(rows), len(rows), 12384, 47
	b.Greetings = seqOf(greetings)
	return b
}

func TestSampleBundle(t *testing.T) {
	t.Parallel()
	for _, layout := range []Layout{LayoutList, LayoutPostcards} {
		t.Run(string(layout), func(t *testing.T) {
			t.Parallel()
			b := sampleBundle()
			b.Layout = layout
			r := renderBundle(t, b)
			text := squeeze(allText(t, r))
			for _, want := range []string{"Signed by 12,384 people from 47 countries.", "a supporter from United Kingdom",
				"Jürgen M.", "Γιώργος Παπαδόπουλος", "ნინო ბერიძე", "Μείνε δυνατός", "Thinking of you from Lyon ❤ □"} {
				if !strings.Contains(text, squeeze(want)) {
					t.Errorf("text lacks %q", want)
				}
			}
			for _, name := range r.names {
				if strings.HasSuffix(name, ".pdf") {
					runTool(t, r.files[name], "qpdf", "--check", "IN")
				}
			}
		})
	}
}
