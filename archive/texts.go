package archive

import (
	"archive/zip"
	"bufio"
	"fmt"
	"strings"

	"golang.org/x/text/language"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// ReadmeName is the name of the archive's first file, which says in the
// archive's language what it holds.
const ReadmeName = "README.txt"

// Language is the language an archive for r is written in unless the
// organizer chooses another: the first of the recipient's languages that
// the catalog has, else fallback (the console's).
func Language(msgs *i18n.Catalog, r *campaign.Recipient, fallback language.Tag) language.Tag {
	for _, code := range r.Languages {
		if t, ok := msgs.Supported(code); ok {
			return t
		}
	}
	return fallback
}

// rules are manifest.json's rules in l's language; README.txt says them
// too.
func rules(l *i18n.Localizer) Rules {
	return Rules{
		Names:     l.T("archive.zip.rule.names"),
		Greetings: l.T("archive.zip.rule.greetings", "Posted", RuleGreetingsPosted, "Approved", RuleGreetingsApproved),
		Bundles:   l.T("archive.zip.rule.bundles"),
		Delivery:  l.T("archive.zip.rule.delivery"),
		Status:    l.T("archive.zip.rule.status"),
		Posts:     l.T("archive.zip.rule.letters"),
	}
}

// writeReadme writes README.txt, the file to read first: who the archive
// is for, what each part holds, how to check a file, that manifest.json's
// keys and the codes stay in one form in every language, and to keep it
// with care.
func writeReadme(z *writer, r *campaign.Recipient) error {
	f, err := z.create(ReadmeName, z.l.T("archive.zip.what.readme"), zip.Deflate)
	if err != nil {
		return err
	}
	l, rs := z.l, z.m.Rules
	b := bufio.NewWriter(f)
	title := l.T("archive.zip.readme.title", "Name", r.Name)
	fmt.Fprintf(b, "%s\n%s\n\n", title, strings.Repeat("=", len([]rune(title))))
	para := func(text string) { fmt.Fprintf(b, "%s\n\n", text) }
	para(l.T("archive.zip.readme.made", "Date", l.Date(z.at)))
	para(l.T("archive.zip.readme.intro", "Name", r.Name))
	para(l.T("archive.zip.readme.care"))
	for _, part := range []struct{ files, text string }{
		{"recipient/status-history.txt, recipient/status-history.csv", rs.Status},
		{"campaigns/…/bundles/", rs.Bundles},
		{"campaigns/…/greetings.csv", rs.Greetings + " " + rs.Names},
		{"campaigns/…/delivery-log.txt, campaigns/…/delivery-log.csv", rs.Delivery},
		{"letters/", rs.Posts},
		{ManifestName, l.T("archive.zip.readme.manifest")},
	} {
		fmt.Fprintf(b, "%s\n    %s\n\n", part.files, part.text)
	}
	para(l.T("archive.zip.readme.neutral"))
	para(l.T("archive.zip.readme.check"))
	if err := b.Flush(); err != nil {
		return fmt.Errorf("archive readme of %s: %w", r.ID, err)
	}
	return f.close()
}
