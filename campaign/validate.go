package campaign

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/textnorm"
)

// The rules of what supporters type are one set, whichever way a signature
// comes: the web form and the API (Service.Sign, through signature) and
// rows typed in from paper (Service.AddPaperRows, through paperRow). Every
// field is normalised first; the validator then checks what normalising
// passed, with tags whose limits are the named constants (NameMax, CityMax,
// EmailMax), registered as aliases because a struct tag cannot name a
// constant.

// signerForm is what every signature says about the signer, from the web
// form, the API or a paper row, after normalisation, in the shape the
// validator checks.
type signerForm struct {
	Name    string `validate:"signer_name"`
	City    string `validate:"signer_city"`
	Country string `validate:"signer_country"`
}

// signForm is a signature from the web form or the API after
// normalisation: the signer and what only those ask.
type signForm struct {
	Signer      signerForm
	Email       string `validate:"signer_email"`
	Greeting    string // checked against GreetingMax (newFormRules)
	GreetingMax int
	Consent     bool        `validate:"required"`
	Display     NameDisplay `validate:"name_display"`
	Updates     bool
}

// formRules normalises and checks what supporters type.
type formRules struct {
	v *validator.Validate
}

// newFormRules builds the validator of the signing rules.
func newFormRules() formRules {
	v := validator.New(validator.WithRequiredStructEnabled())
	_ = v.RegisterValidation("country", func(fl validator.FieldLevel) bool {
		return country.Valid(fl.Field().String())
	})
	displays := make([]string, 0, len(NameDisplays()))
	for _, d := range NameDisplays() {
		displays = append(displays, string(d))
	}
	for alias, tags := range map[string]string{
		"signer_name":    "required,max=" + strconv.Itoa(NameMax),
		"signer_city":    "max=" + strconv.Itoa(CityMax),
		"signer_email":   "required,max=" + strconv.Itoa(EmailMax) + ",email",
		"signer_country": "required,country",
		"name_display":   "oneof=" + strings.Join(displays, " "),
	} {
		v.RegisterAlias(alias, tags)
	}
	v.RegisterStructValidation(func(sl validator.StructLevel) {
		f := sl.Current().Interface().(signForm)
		if textnorm.Length(f.Greeting) > f.GreetingMax {
			sl.ReportError(f.Greeting, "Greeting", "Greeting", "max", strconv.Itoa(f.GreetingMax))
		}
	}, signForm{})
	return formRules{v: v}
}

// signature normalises and checks a signature from the web form or the
// API. Greetings are dropped when the campaign does not take them. Problems
// are a *ValidationError.
func (r formRules) signature(c *Campaign, in SignInput) (signForm, error) {
	chk := r.check()
	f := signForm{
		Signer:  chk.signer(in.Name, in.City, in.Country),
		Email:   chk.clean("email", in.Email, textnorm.Email),
		Consent: in.Consent,
		Display: in.Display,
		Updates: in.Updates,
	}
	if f.Display == "" {
		// Nobody chose: a signer from a country where signing is
		// prosecuted is printed without their name.
		f.Display = NameFull
		if c.AtRiskCountry(f.Signer.Country) {
			f.Display = NameCountry
		}
	}
	if c.Greetings.Enabled || c.IsDrive() {
		// A drive's card is its greeting.
		f.Greeting = chk.clean("greeting", in.Greeting, textnorm.Text)
		f.GreetingMax = cmp.Or(c.Greetings.MaxLength, DefaultGreetingMax)
	}
	problems, err := chk.run(f)
	if err != nil {
		return f, fmt.Errorf("validate signature: %w", err)
	}
	if len(problems) > 0 {
		return f, &ValidationError{Fields: problems}
	}
	return f, nil
}

// paperRow normalises and checks a row typed in from paper: the signer's
// fields with the rules of the web form. It returns the row's problems in
// form order, none when it is valid.
func (r formRules) paperRow(in PaperRow) (signerForm, []FieldError, error) {
	chk := r.check()
	f := chk.signer(in.Name, in.City, in.Country)
	problems, err := chk.run(f)
	if err != nil {
		return f, nil, fmt.Errorf("validate paper signature: %w", err)
	}
	return f, problems, nil
}

func (r formRules) check() *check { return &check{v: r.v} }

// check gathers the problems of one input: first those that normalising
// its fields finds (clean), then those the validator finds (run).
type check struct {
	v        *validator.Validate
	problems []FieldError
}

// clean normalises one field with fn and notes why it cannot be.
func (c *check) clean(field, s string, fn func(string) (string, error)) string {
	out, err := fn(s)
	switch {
	case errors.Is(err, textnorm.ErrInvisible):
		c.problems = append(c.problems, FieldError{Field: field, Problem: ProblemInvisible})
	case err != nil:
		c.problems = append(c.problems, FieldError{Field: field, Problem: ProblemInvalid})
	}
	return out
}

// signer normalises the fields every signature has.
func (c *check) signer(name, city, countryCode string) signerForm {
	return signerForm{
		Name:    c.clean("name", name, textnorm.Line),
		City:    c.clean("city", city, textnorm.Line),
		Country: strings.ToUpper(strings.TrimSpace(countryCode)),
	}
}

// run validates form and returns every problem found, in form order. A
// field that normalising found a problem with gets no second one: the
// first says more. The error is the validator's own failure.
func (c *check) run(form any) ([]FieldError, error) {
	err := c.v.Struct(form)
	var verrs validator.ValidationErrors
	if err != nil && !errors.As(err, &verrs) {
		return nil, err
	}
	for _, fe := range verrs {
		name := fieldNames[fe.StructField()]
		if _, taken := (&ValidationError{Fields: c.problems}).Field(name); taken {
			continue
		}
		c.problems = append(c.problems, fieldError(name, fe))
	}
	return orderFields(c.problems), nil
}

// fieldNames maps struct fields to form field names.
var fieldNames = map[string]string{
	"Name": "name", "Email": "email", "City": "city", "Country": "country",
	"Greeting": "greeting", "Consent": "consent", "Display": "display",
}

// fieldError turns a failed validator rule into the problem users are
// shown; a length limit is the rule's parameter.
func fieldError(name string, fe validator.FieldError) FieldError {
	switch fe.ActualTag() {
	case "required":
		return FieldError{Field: name, Problem: ProblemRequired}
	case "max":
		limit, _ := strconv.Atoi(fe.Param())
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
