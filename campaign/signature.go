package campaign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/textnorm"
)

// Limits on what a supporter types.
const (
	NameMax  = 80
	CityMax  = 80
	EmailMax = 254
)

// Source says where a signature was collected.
type Source string

// Where signatures come from besides paper (see SourcePaper).
const (
	SourceWeb   Source = "web"   // the campaign's own page
	SourceEmbed Source = "embed" // the widget on a partner's site
	SourceAPI   Source = "api"   // a partner's own form, through the API
)

// Signature is one supporter's name under a campaign's letter.
//
// Its ID is an HMAC of the campaign and the normalised email address, so
// that a second signature with the same address collides on insert and the
// address itself need not be stored.
type Signature struct {
	ID         string    `bson:"_id"`
	CampaignID string    `bson:"campaign_id"`
	SignedAt   time.Time `bson:"signed_at"`
	Source     Source    `bson:"source"`
	// Referrer attributes the signature to a partner: the origin of the
	// site that embedded the widget, or the ?ref= code of the link the
	// supporter followed. Empty when neither is known.
	Referrer string `bson:"referrer,omitempty"`
	// Updates is true when the supporter asked to be kept informed.
	Updates bool `bson:"updates"`
	// HasGreeting is true when a greeting came with the signature, so that
	// lists and exports need not look for one.
	HasGreeting bool `bson:"has_greeting,omitempty"`
	// Held names the printed fields that wait for a moderator (see Held);
	// nil when none does, or for a signature stored before names were
	// checked.
	Held *Held `bson:"held,omitempty"`
	// Person holds every personal field, and nothing else does, so that it
	// can be encrypted or erased as one.
	Person Person `bson:"person"`
}

// Person is what a signature says about the supporter.
type Person struct {
	Name    string `bson:"name"`
	City    string `bson:"city,omitempty"`
	Country string `bson:"country"`
	// Display is how the name appears on the printed letter; empty means
	// NameFull.
	Display NameDisplay `bson:"display,omitempty"`
	// Email is kept only when the supporter asked for updates.
	Email string `bson:"email,omitempty"`
}

// NameDisplay is how a supporter wants their name printed on the letter
// that goes to the prison, where staff read it.
type NameDisplay string

// The ways a name can be printed.
const (
	NameFull         NameDisplay = "full"          // as typed
	NameFirstInitial NameDisplay = "first_initial" // "Anna K."
	NameCountry      NameDisplay = "country"       // "a supporter from Poland"
)

// NameDisplays lists the choices in the order the form offers them.
func NameDisplays() []NameDisplay { return []NameDisplay{NameFull, NameFirstInitial, NameCountry} }

// SignInput is a signature as the supporter typed it.
type SignInput struct {
	Name     string
	Email    string
	City     string
	Country  string
	Greeting string
	Consent  bool
	Updates  bool
	// Display is how the name is printed; empty means NameFull.
	Display NameDisplay
	// Source is where the signature is made; empty means SourceWeb.
	Source Source
	// Referrer attributes it to a partner (see Signature.Referrer).
	Referrer string
}

// Problem names what is wrong with one field, as a code the web layer turns
// into words in the supporter's language.
type Problem string

// The problems a field can have.
const (
	ProblemRequired  Problem = "required"
	ProblemTooLong   Problem = "too_long"
	ProblemEmail     Problem = "email"
	ProblemCountry   Problem = "country"
	ProblemInvalid   Problem = "invalid_characters"
	ProblemInvisible Problem = "invisible"
	ProblemChoice    Problem = "choice" // a value that is none of those the form offers
	ProblemStale     Problem = "stale"  // the record changed since the form was filled in
)

// FieldError is one problem with one field.
type FieldError struct {
	Field   string  // the form field's name: name, email, city, country, greeting, consent
	Problem Problem // what is wrong
	Limit   int     // the length limit, for ProblemTooLong
}

// ValidationError lists every problem with a form's input (a signature,
// a campaign, a recipient), field by field.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + string(f.Problem)
	}
	return "invalid input: " + strings.Join(parts, ", ")
}

// Field returns the problem with the named field, if any.
func (e *ValidationError) Field(name string) (FieldError, bool) {
	for _, f := range e.Fields {
		if f.Field == name {
			return f, true
		}
	}
	return FieldError{}, false
}

// signForm is a signature after normalisation, in the shape the validator
// checks. Field order is the order problems are reported in.
type signForm struct {
	Name        string `validate:"required,max=80"`
	Email       string `validate:"required,max=254,email"`
	City        string `validate:"max=80"`
	Country     string `validate:"required,country"`
	Greeting    string
	GreetingMax int
	Consent     bool        `validate:"required"`
	Display     NameDisplay `validate:"oneof=full first_initial country"`
	Updates     bool
}

// fieldNames maps struct fields to form field names.
var fieldNames = map[string]string{
	"Name": "name", "Email": "email", "City": "city", "Country": "country",
	"Greeting": "greeting", "Consent": "consent", "Display": "display",
}

// newValidator builds the validator for signatures.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	_ = v.RegisterValidation("country", func(fl validator.FieldLevel) bool {
		return country.Valid(fl.Field().String())
	})
	v.RegisterStructValidation(func(sl validator.StructLevel) {
		f := sl.Current().Interface().(signForm)
		if textnorm.Length(f.Greeting) > f.GreetingMax {
			sl.ReportError(f.Greeting, "Greeting", "Greeting", "max", fmt.Sprint(f.GreetingMax))
		}
	}, signForm{})
	return v
}

// normalise cleans the input and validates it. Greetings are dropped when
// the campaign does not take them.
func normalise(v *validator.Validate, c *Campaign, in SignInput) (signForm, error) {
	var problems []FieldError
	clean := func(field, s string, fn func(string) (string, error)) string {
		out, err := fn(s)
		switch {
		case errors.Is(err, textnorm.ErrInvisible):
			problems = append(problems, FieldError{Field: field, Problem: ProblemInvisible})
		case err != nil:
			problems = append(problems, FieldError{Field: field, Problem: ProblemInvalid})
		}
		return out
	}
	f := signForm{
		Name:    clean("name", in.Name, textnorm.Line),
		Email:   clean("email", in.Email, textnorm.Email),
		City:    clean("city", in.City, textnorm.Line),
		Country: strings.ToUpper(strings.TrimSpace(in.Country)),
		Consent: in.Consent,
		Display: in.Display,
		Updates: in.Updates,
	}
	if f.Display == "" {
		// Nobody chose: a signer from a country where signing is
		// prosecuted is printed without their name.
		f.Display = NameFull
		if c.AtRiskCountry(f.Country) {
			f.Display = NameCountry
		}
	}
	if c.Greetings.Enabled {
		f.Greeting = clean("greeting", in.Greeting, textnorm.Text)
		f.GreetingMax = c.Greetings.MaxLength
	}
	err := v.Struct(f)
	var verrs validator.ValidationErrors
	if err != nil && !errors.As(err, &verrs) {
		return f, fmt.Errorf("validate signature: %w", err)
	}
	limits := map[string]int{"name": NameMax, "email": EmailMax, "city": CityMax, "greeting": f.GreetingMax}
	for _, fe := range verrs {
		name := fieldNames[fe.StructField()]
		if _, taken := (&ValidationError{Fields: problems}).Field(name); taken {
			continue // a normalisation problem says more
		}
		problems = append(problems, fieldError(name, fe.Tag(), limits[name]))
	}
	if len(problems) > 0 {
		return f, &ValidationError{Fields: orderFields(problems)}
	}
	return f, nil
}

// fieldError turns a failed validator tag into the problem users are shown.
func fieldError(name, tag string, limit int) FieldError {
	switch tag {
	case "required":
		return FieldError{Field: name, Problem: ProblemRequired}
	case "max":
		return FieldError{Field: name, Problem: ProblemTooLong, Limit: limit}
	case "email":
		return FieldError{Field: name, Problem: ProblemEmail}
	case "country":
		return FieldError{Field: name, Problem: ProblemCountry}
	case "oneof":
		return FieldError{Field: name, Problem: ProblemChoice}
	}
	return FieldError{Field: name, Problem: ProblemInvalid}
}

// orderFields sorts problems in the order of the form.
func orderFields(problems []FieldError) []FieldError {
	order := []string{"name", "display", "email", "city", "country", "greeting", "consent"}
	out := make([]FieldError, 0, len(problems))
	for _, name := range order {
		for _, p := range problems {
			if p.Field == name {
				out = append(out, p)
			}
		}
	}
	return out
}

// SignatureID is the ID of the signature that normalisedEmail gives to the
// campaign: the hex HMAC-SHA256 of both, keyed with key.
func SignatureID(key []byte, campaignID, normalisedEmail string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(campaignID))
	m.Write([]byte{0})
	m.Write([]byte(normalisedEmail))
	return hex.EncodeToString(m.Sum(nil))
}
