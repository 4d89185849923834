package bundle

import (
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/pdf"
)

// texts are the fixed texts of a bundle in the localizer's language, from
// the catalog's pdf.* messages. The localizer is safe for concurrent use,
// as pdf.Render requires.
func texts(l *i18n.Localizer) pdf.Texts {
	number := func(n int) string { return l.Number(int64(n)) }
	return pdf.Texts{
		Signatures:    l.T("pdf.signatures"),
		Greetings:     l.T("pdf.greetings"),
		NumberColumn:  l.T("pdf.column.number"),
		NameColumn:    l.T("pdf.column.name"),
		CityColumn:    l.T("pdf.column.city"),
		CountryColumn: l.T("pdf.column.country"),
		Original:      l.T("pdf.original"),
		Unprintable:   l.T("pdf.unprintable"),
		// Letter and page numbers stay small and print ungrouped.
		Footer: func(envelope, envelopes, page, pages int) string {
			return l.T("pdf.footer", "Envelope", envelope, "Envelopes", envelopes, "Page", page, "Pages", pages)
		},
		Envelope: func(envelope, envelopes int) string {
			return l.T("pdf.envelope", "Envelope", envelope, "Envelopes", envelopes)
		},
		Title: func(envelope, envelopes int) string {
			return l.T("pdf.title", "Envelope", envelope, "Envelopes", envelopes)
		},
		Signed: func(people, countries int) string {
			p := l.N("pdf.people", int64(people))
			if countries <= 0 {
				return l.T("pdf.signed_by", "People", p)
			}
			return l.T("pdf.signed_by_from", "People", p, "Countries", l.N("pdf.countries", int64(countries)))
		},
		Totals: func(envelopes, pages int) string {
			return l.T("pdf.totals", "Envelopes", number(envelopes), "Pages", number(pages))
		},
		Supporter: func(country string) string { return l.T("pdf.supporter", "Country", country) },
		Date:      l.Date,
		Number:    number,
	}
}
