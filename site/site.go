// Package site holds what the site says about the people who run it: the
// organisation's profile (name, postal address, contact email and optional
// Signal and PGP contacts), shown in every public page's footer and on the
// contact page, so that supporters know whom to ask to erase a signature.
//
// The profile is one document, edited by admins in the console. Cache keeps
// it in memory for the pages that render it on every request.
package site

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/solidarity-letters/solidarity/internal/textnorm"
)

// Limits of the profile's fields, in characters.
const (
	NameMax         = 120
	AddressMax      = 400
	AddressMaxLines = 8
	EmailMax        = 254
	SignalMax       = 100
	PGPURLMax       = 300
)

// Errors of the store.
var (
	// ErrNotFound: no profile has been saved yet.
	ErrNotFound = errors.New("no organisation profile")
	// ErrConflict is a save over a profile that someone else saved since
	// it was read: nothing is stored.
	ErrConflict = errors.New("organisation profile was changed by someone else")
)

// Profile is who runs the site and how to reach them.
type Profile struct {
	// Name is the organisation's or group's name.
	Name string `bson:"name"`
	// Address is the postal address, one line per element.
	Address []string `bson:"address"`
	// Email is where supporters write, for erasure among other things.
	Email string `bson:"email"`
	// Signal is an optional Signal contact: a phone number in
	// international form, a username (name.01) or a signal.me link.
	Signal string `bson:"signal,omitempty"`
	// PGPFingerprint is an optional OpenPGP fingerprint, in upper-case
	// hexadecimal without spaces (40 or 64 digits).
	PGPFingerprint string `bson:"pgp_fingerprint,omitempty"`
	// PGPURL is an optional https address of the public key.
	PGPURL string `bson:"pgp_url,omitempty"`
	// Demo marks the demo data's profile; a save from the console clears it.
	Demo bool `bson:"demo,omitempty"`
	// Version counts the saves, from 1; a save names the version it
	// replaces (see Store.Save).
	Version   int64     `bson:"version"`
	UpdatedAt time.Time `bson:"updated_at"`
}

// Input is the profile as an admin typed it.
type Input struct {
	Name, Address, Email, Signal, PGPFingerprint, PGPURL string
}

// InputOf returns the form's input for a stored profile.
func InputOf(p Profile) Input {
	return Input{Name: p.Name, Address: strings.Join(p.Address, "\n"), Email: p.Email, Signal: p.Signal,
		PGPFingerprint: p.FingerprintGroups(), PGPURL: p.PGPURL}
}

// FingerprintGroups is the fingerprint in groups of four digits, as people
// compare them.
func (p Profile) FingerprintGroups() string {
	var b strings.Builder
	for i, r := range p.PGPFingerprint {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SignalURL is a link that opens the Signal contact, when it is a phone
// number or a signal.me link; empty for a username, which Signal links only
// in an encoded form.
func (p Profile) SignalURL() string {
	switch {
	case strings.HasPrefix(p.Signal, "https://"):
		return p.Signal
	case strings.HasPrefix(p.Signal, "+"):
		return "https://signal.me/#p/" + strings.ReplaceAll(p.Signal, " ", "")
	}
	return ""
}

// ChangedFields names the fields that differ between two profiles, in form
// order, for the audit log.
func ChangedFields(before, after Profile) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("name", before.Name != after.Name)
	add("address", !slices.Equal(before.Address, after.Address))
	add("email", before.Email != after.Email)
	add("signal", before.Signal != after.Signal)
	add("pgp_fingerprint", before.PGPFingerprint != after.PGPFingerprint)
	add("pgp_url", before.PGPURL != after.PGPURL)
	add("demo", before.Demo != after.Demo)
	return out
}

// Problem names what is wrong with one field, as a code the web layer
// turns into words.
type Problem string

// The problems a field can have.
const (
	ProblemRequired    Problem = "required"
	ProblemTooLong     Problem = "too_long"
	ProblemTooMany     Problem = "too_many_lines"
	ProblemInvalid     Problem = "invalid_characters"
	ProblemInvisible   Problem = "invisible"
	ProblemEmail       Problem = "email"
	ProblemSignal      Problem = "signal"
	ProblemFingerprint Problem = "fingerprint"
	ProblemURL         Problem = "url"
)

// Form field names, in form order: the order problems are reported in.
const (
	FieldName        = "org_name"
	FieldAddress     = "org_address"
	FieldEmail       = "org_email"
	FieldSignal      = "org_signal"
	FieldFingerprint = "org_pgp_fingerprint"
	FieldPGPURL      = "org_pgp_url"
)

var fieldOrder = []string{FieldName, FieldAddress, FieldEmail, FieldSignal, FieldFingerprint, FieldPGPURL}

// FieldError is one problem with one field.
type FieldError struct {
	Field   string
	Problem Problem
	Limit   int // the limit, for ProblemTooLong and ProblemTooMany
}

// ValidationError lists every problem with a profile's input, in form
// order.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + string(f.Problem)
	}
	return "invalid organisation profile: " + strings.Join(parts, ", ")
}

// form is the input after normalisation, in the shape the validator checks.
// The rules with limits are aliases built from the named limits
// (newValidator).
type form struct {
	Name           string `validate:"required,org_name"`
	Address        string `validate:"required,org_address"`
	Email          string `validate:"required,org_email"`
	Signal         string `validate:"omitempty,org_signal"`
	PGPFingerprint string `validate:"omitempty,fingerprint"`
	PGPURL         string `validate:"omitempty,org_pgp_url"`
}

var fieldNames = map[string]string{
	"Name": FieldName, "Address": FieldAddress, "Email": FieldEmail, "Signal": FieldSignal,
	"PGPFingerprint": FieldFingerprint, "PGPURL": FieldPGPURL,
}

var limits = map[string]int{
	FieldName: NameMax, FieldAddress: AddressMax, FieldEmail: EmailMax, FieldSignal: SignalMax, FieldPGPURL: PGPURLMax,
}

var (
	signalPhone    = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	signalUsername = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{2,31}\.[0-9]{2,9}$`)
	fingerprint    = regexp.MustCompile(`^(?:[0-9A-F]{40}|[0-9A-F]{64})$`)
)

// validSignal accepts a phone number in international form (spaces
// already removed), a username, or a signal.me link.
func validSignal(s string) bool {
	return signalPhone.MatchString(s) || signalUsername.MatchString(s) ||
		strings.HasPrefix(s, "https://signal.me/#") || strings.HasPrefix(s, "https://signal.group/#")
}

// validHTTPS accepts an absolute https address with a host and no spaces.
func validHTTPS(s string) bool {
	rest, ok := strings.CutPrefix(s, "https://")
	host, _, _ := strings.Cut(rest, "/")
	return ok && host != "" && !strings.ContainsAny(s, " \"'<>\\`") && !strings.Contains(host, "@")
}

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	must := func(tag string, fn func(string) bool) {
		if err := v.RegisterValidation(tag, func(fl validator.FieldLevel) bool { return fn(fl.Field().String()) }); err != nil {
			panic(fmt.Sprintf("register %s: %v", tag, err)) // a programming error, found by every test
		}
	}
	must("maxlines", func(s string) bool { return strings.Count(s, "\n") < AddressMaxLines })
	must("signal", validSignal)
	must("fingerprint", fingerprint.MatchString)
	must("https_url", validHTTPS)
	for alias, tags := range map[string]string{
		"org_name":    "max=" + strconv.Itoa(NameMax),
		"org_address": "max=" + strconv.Itoa(AddressMax) + ",maxlines",
		"org_email":   "max=" + strconv.Itoa(EmailMax) + ",email",
		"org_signal":  "max=" + strconv.Itoa(SignalMax) + ",signal",
		"org_pgp_url": "max=" + strconv.Itoa(PGPURLMax) + ",https_url",
	} {
		v.RegisterAlias(alias, tags)
	}
	return v
}

var validate = newValidator()

// Normalise cleans the input with textnorm and validates it. It returns
// the profile's fields (without version) or a *ValidationError.
func Normalise(in Input) (Profile, error) {
	var problems []FieldError
	has := func(field string) bool {
		return slices.ContainsFunc(problems, func(p FieldError) bool { return p.Field == field })
	}
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
	f := form{
		Name:           clean(FieldName, in.Name, textnorm.Line),
		Address:        clean(FieldAddress, in.Address, textnorm.Text),
		Email:          clean(FieldEmail, in.Email, textnorm.Email),
		Signal:         clean(FieldSignal, in.Signal, textnorm.Line),
		PGPFingerprint: clean(FieldFingerprint, in.PGPFingerprint, textnorm.Line),
		PGPURL:         clean(FieldPGPURL, in.PGPURL, textnorm.Line),
	}
	// Blank lines mean nothing on an envelope.
	f.Address = strings.Join(strings.FieldsFunc(f.Address, func(r rune) bool { return r == '\n' }), "\n")
	if strings.HasPrefix(f.Signal, "+") {
		f.Signal = strings.NewReplacer(" ", "", "-", "").Replace(f.Signal)
	}
	f.PGPFingerprint = strings.ToUpper(strings.NewReplacer(" ", "", ":", "").Replace(f.PGPFingerprint))
	f.PGPFingerprint = strings.TrimPrefix(f.PGPFingerprint, "0X")

	err := validate.Struct(f)
	var verrs validator.ValidationErrors
	if err != nil && !errors.As(err, &verrs) {
		return Profile{}, fmt.Errorf("validate organisation profile: %w", err)
	}
	for _, fe := range verrs {
		name := fieldNames[fe.StructField()]
		if has(name) {
			continue // a normalisation problem says more
		}
		problems = append(problems, fieldError(name, fe.ActualTag()))
	}
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b FieldError) int {
			return slices.Index(fieldOrder, a.Field) - slices.Index(fieldOrder, b.Field)
		})
		return Profile{}, &ValidationError{Fields: problems}
	}
	var address []string
	if f.Address != "" {
		address = strings.Split(f.Address, "\n")
	}
	return Profile{Name: f.Name, Address: address, Email: f.Email, Signal: f.Signal,
		PGPFingerprint: f.PGPFingerprint, PGPURL: f.PGPURL}, nil
}

// fieldError turns a failed validator tag into the problem admins are shown.
func fieldError(field, tag string) FieldError {
	switch tag {
	case "required":
		return FieldError{Field: field, Problem: ProblemRequired}
	case "max":
		return FieldError{Field: field, Problem: ProblemTooLong, Limit: limits[field]}
	case "maxlines":
		return FieldError{Field: field, Problem: ProblemTooMany, Limit: AddressMaxLines}
	case "email":
		return FieldError{Field: field, Problem: ProblemEmail}
	case "signal":
		return FieldError{Field: field, Problem: ProblemSignal}
	case "fingerprint":
		return FieldError{Field: field, Problem: ProblemFingerprint}
	case "https_url":
		return FieldError{Field: field, Problem: ProblemURL}
	}
	return FieldError{Field: field, Problem: ProblemInvalid}
}
