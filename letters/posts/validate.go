package posts

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/textnorm"
	"golang.org/x/text/unicode/norm"
)

// Limits of a post's fields, in characters.
const (
	TitleMax   = 200
	SlugMax    = 80
	PlaceMax   = 120
	ConsentMax = 200
	ExcerptMax = 600
	BodyMax    = 100_000
	TagMax     = 40
	TagsMax    = 12
)

// Input is a post as an organizer typed it in the console.
type Input struct {
	Title, Slug, Lang, RecipientID, Kind string
	WrittenOn, WrittenAt                 string
	ReceivedOn, ReceivedBy               string
	ShowReceivedBy                       bool
	Consent                              bool
	ConsentBy                            string
	Excerpt, Body                        string
	Tags                                 string // separated by commas
	CampaignID                           string
	Translations                         []Translation
}

// InputOf returns the form's input for a stored post.
func InputOf(p *Post) Input {
	return Input{Title: p.Title, Slug: p.Slug, Lang: p.Lang, RecipientID: p.RecipientID, Kind: string(p.Kind),
		WrittenOn: p.WrittenOn, WrittenAt: p.WrittenAt, ReceivedOn: p.ReceivedOn, ReceivedBy: string(p.ReceivedBy),
		ShowReceivedBy: p.ShowReceivedBy,
		Consent:        p.Consent, ConsentBy: p.ConsentBy, Excerpt: p.Excerpt, Body: p.Body,
		Tags: strings.Join(p.Tags, ", "), CampaignID: p.CampaignID, Translations: slices.Clone(p.Translations)}
}

// normalised is a post's fields after normalising, in the shape the
// validator checks; the limits are aliases registered in newRules.
type normalised struct {
	Title      string `validate:"required,max=200"`
	Slug       string `validate:"required,max=80,post_slug"`
	Lang       string `validate:"required,post_lang"`
	Recipient  string `validate:"required"`
	Kind       string `validate:"oneof=from to news"`
	WrittenOn  string `validate:"omitempty,datetime=2006-01-02"`
	WrittenAt  string `validate:"max=120"`
	ReceivedOn string `validate:"omitempty,datetime=2006-01-02"`
	ReceivedBy string `validate:"omitempty,oneof=post family lawyer other"`
	ConsentBy  string `validate:"required_if=Consent true,max=200"`
	Consent    bool
	Excerpt    string   `validate:"max=600"`
	Body       string   `validate:"required,max=100000"`
	Tags       []string `validate:"max=12,dive,max=40"`
}

// fieldOf maps the validator's field names to the form's.
var fieldOf = map[string]string{
	"Title": "title", "Slug": "slug", "Lang": "lang", "Recipient": "recipient_id", "Kind": "kind",
	"WrittenOn": "written_on", "WrittenAt": "written_at", "ReceivedOn": "received_on", "ReceivedBy": "received_by",
	"ConsentBy": "consent_by", "Excerpt": "excerpt", "Body": "body", "Tags": "tags",
}

// rules is the validator of posts.
type rules struct{ v *validator.Validate }

func newRules() rules {
	v := validator.New(validator.WithRequiredStructEnabled())
	_ = v.RegisterValidation("post_slug", func(fl validator.FieldLevel) bool { return ValidSlug(fl.Field().String()) })
	_ = v.RegisterValidation("post_lang", func(fl validator.FieldLevel) bool {
		return campaign.ValidLanguage(fl.Field().String())
	})
	return rules{v: v}
}

// Refs says which recipients and campaigns exist, for the checks of a
// post's references.
type Refs interface {
	RecipientExists(id string) bool
	CampaignExists(id string) bool
}

// normalise turns in into a post over base (kept: ID, state, scans,
// times), and lists its problems in form order: a *campaign.ValidationError
// when there are any.
func (r rules) normalise(in Input, base Post, refs Refs) (Post, error) {
	var probs []campaign.FieldError
	add := func(field string, p campaign.Problem, limit int) {
		for _, q := range probs {
			if q.Field == field {
				return
			}
		}
		probs = append(probs, campaign.FieldError{Field: field, Problem: p, Limit: limit})
	}
	line := func(field, s string) string {
		out, err := textnorm.Line(s)
		switch {
		case errors.Is(err, textnorm.ErrInvisible):
			add(field, campaign.ProblemInvisible, 0)
		case err != nil:
			add(field, campaign.ProblemInvalid, 0)
		}
		return out
	}
	markdown := func(field, s string) string {
		out, ok := cleanMarkdown(s)
		if !ok {
			add(field, campaign.ProblemInvalid, 0)
		}
		return out
	}
	p := base
	p.Title = line("title", in.Title)
	p.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	if p.Slug == "" {
		p.Slug = Slugify(p.Title)
	}
	p.Lang = strings.ToLower(strings.TrimSpace(in.Lang))
	p.RecipientID = strings.TrimSpace(in.RecipientID)
	p.Kind = Kind(strings.TrimSpace(in.Kind))
	p.WrittenOn = strings.TrimSpace(in.WrittenOn)
	p.WrittenAt = line("written_at", in.WrittenAt)
	p.ReceivedOn = strings.TrimSpace(in.ReceivedOn)
	p.ReceivedBy = Channel(strings.TrimSpace(in.ReceivedBy))
	p.ShowReceivedBy = in.ShowReceivedBy && p.ReceivedBy != ""
	p.Consent = in.Consent
	p.ConsentBy = line("consent_by", in.ConsentBy)
	if !p.Consent {
		p.ConsentBy = ""
	}
	p.Excerpt = markdown("excerpt", in.Excerpt)
	p.Body = markdown("body", in.Body)
	p.Tags = ParseTags(in.Tags)
	p.CampaignID = strings.TrimSpace(in.CampaignID)

	n := normalised{Title: p.Title, Slug: p.Slug, Lang: p.Lang, Recipient: p.RecipientID, Kind: string(p.Kind),
		WrittenOn: p.WrittenOn, WrittenAt: p.WrittenAt, ReceivedOn: p.ReceivedOn, ReceivedBy: string(p.ReceivedBy),
		Consent: p.Consent, ConsentBy: p.ConsentBy, Excerpt: p.Excerpt, Body: p.Body, Tags: p.Tags}
	err := r.v.Struct(n)
	var verrs validator.ValidationErrors
	if err != nil && !errors.As(err, &verrs) {
		return p, fmt.Errorf("validate post: %w", err)
	}
	for _, fe := range verrs {
		field := fieldOf[fe.StructField()]
		if field == "" {
			// A tag's own rule: Tags[3].
			field = "tags"
		}
		switch fe.ActualTag() {
		case "required", "required_if":
			add(field, campaign.ProblemRequired, 0)
		case "max":
			limit, _ := strconv.Atoi(fe.Param())
			add(field, campaign.ProblemTooLong, limit)
		case "datetime":
			add(field, campaign.ProblemDate, 0)
		case "oneof":
			add(field, campaign.ProblemChoice, 0)
		case "post_slug":
			add(field, campaign.ProblemSlug, 0)
		case "post_lang":
			add(field, campaign.ProblemLanguage, 0)
		default:
			add(field, campaign.ProblemInvalid, 0)
		}
	}
	if p.RecipientID != "" && refs != nil && !refs.RecipientExists(p.RecipientID) {
		add("recipient_id", campaign.ProblemUnknown, 0)
	}
	if p.CampaignID != "" && refs != nil && !refs.CampaignExists(p.CampaignID) {
		add("campaign_id", campaign.ProblemUnknown, 0)
	}
	p.Translations = nil
	for _, t := range in.Translations {
		lang := strings.ToLower(strings.TrimSpace(t.Lang))
		field := "tr_" + lang
		title, excerpt, body := line(field, t.Title), markdown(field, t.Excerpt), markdown(field, t.Body)
		switch {
		case title == "" && excerpt == "" && body == "":
			continue // an empty translation is none
		case !campaign.ValidLanguage(lang) || lang == p.Lang || slices.ContainsFunc(p.Translations, func(x Translation) bool { return x.Lang == lang }):
			add(field, campaign.ProblemLanguage, 0)
		case title == "" || body == "":
			add(field, campaign.ProblemRequired, 0)
		case utf8.RuneCountInString(title) > TitleMax:
			add(field, campaign.ProblemTooLong, TitleMax)
		case utf8.RuneCountInString(excerpt) > ExcerptMax:
			add(field, campaign.ProblemTooLong, ExcerptMax)
		case utf8.RuneCountInString(body) > BodyMax:
			add(field, campaign.ProblemTooLong, BodyMax)
		}
		p.Translations = append(p.Translations, Translation{Lang: lang, Title: title, Excerpt: excerpt, Body: body})
	}
	if strings.TrimSpace(in.Slug) == "" && slices.ContainsFunc(probs, func(q campaign.FieldError) bool { return q.Field == "title" }) {
		// The slug was to be made from the title: the title's problem
		// says it all.
		probs = slices.DeleteFunc(probs, func(q campaign.FieldError) bool { return q.Field == "slug" })
	}
	if len(probs) > 0 {
		return p, &campaign.ValidationError{Fields: orderFields(probs)}
	}
	return p, nil
}

// formOrder is the order of the form's fields.
var formOrder = []string{"title", "slug", "lang", "recipient_id", "kind", "written_on", "written_at",
	"received_on", "received_by", "consent", "consent_by", "campaign_id", "tags", "excerpt", "body"}

func orderFields(probs []campaign.FieldError) []campaign.FieldError {
	rank := func(f string) int {
		if i := slices.Index(formOrder, f); i >= 0 {
			return i
		}
		return len(formOrder) // translations last
	}
	slices.SortStableFunc(probs, func(a, b campaign.FieldError) int { return rank(a.Field) - rank(b.Field) })
	return probs
}

// cleanMarkdown normalises a Markdown text: valid UTF-8 without control
// characters but tab and line breaks, line breaks as "\n", Unicode NFC,
// trimmed. Unlike textnorm.Text it keeps spaces, which Markdown reads.
func cleanMarkdown(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	for _, r := range s {
		if (unicode.IsControl(r) && r != '\n' && r != '\t') || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			return "", false
		}
	}
	return strings.TrimSpace(norm.NFC.String(s)), true
}

// ValidSlug reports whether s may be a post's address: lower-case letters
// a to z, digits and single hyphens inside.
func ValidSlug(s string) bool { return campaign.ValidSlug(s) }

// Slugify makes an address from a title: Latin letters without their
// accents, Cyrillic ones transliterated, other characters as hyphens.
func Slugify(title string) string { return campaign.Slugify(title) }

// ParseTags reads tags separated by commas: each lower-case, its spaces
// as hyphens, letters, digits and hyphens only; duplicates dropped.
func ParseTags(s string) []string {
	var out []string
	for t := range strings.SplitSeq(s, ",") {
		t = NormaliseTag(t)
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// NormaliseTag writes a tag as pages link it: lower case, letters and
// digits of any script, words joined by hyphens.
func NormaliseTag(t string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFC.String(strings.ToLower(strings.TrimSpace(t))) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
			continue
		}
		hyphen = true
	}
	return b.String()
}
