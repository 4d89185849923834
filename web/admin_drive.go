package web

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// DriveForm is the drive's part of the campaign form: its recipients,
// chosen from the recipient records, and the greetings it suggests per
// language.
type DriveForm struct {
	Recipients  []string
	Suggestions map[string]string // by language code
}

// driveFormOf fills the drive's part of the form from a stored campaign.
func driveFormOf(camp *campaign.Campaign) DriveForm {
	f := DriveForm{Recipients: slices.Clone(camp.RecipientIDs), Suggestions: map[string]string{}}
	for _, sg := range camp.Suggestions {
		f.Suggestions[sg.Language] = sg.Text
	}
	return f
}

// readDriveForm reads the drive's part of a posted campaign form.
func (s *Server) readDriveForm(c *fiber.Ctx) DriveForm {
	f := DriveForm{Suggestions: map[string]string{}}
	for _, v := range c.Request().PostArgs().PeekMulti("drive_recipients") {
		if id := strings.TrimSpace(string(v)); id != "" && !slices.Contains(f.Recipients, id) {
			f.Recipients = append(f.Recipients, id)
		}
	}
	for _, l := range s.languageOptions() {
		if text := strings.TrimSpace(strings.ReplaceAll(formValue(c, "suggestion_"+l.Code), "\r\n", "\n")); text != "" {
			f.Suggestions[l.Code] = text
		}
	}
	return f
}

// applyDrive puts the kind and the drive's part of the form into camp and
// lists its problems: an unknown kind, no recipient or an unknown one.
func applyDrive(camp *campaign.Campaign, kind string, f DriveForm, recipients []campaign.Recipient) []campaign.FieldError {
	var probs []campaign.FieldError
	switch campaign.Kind(kind) {
	case campaign.KindLetter, campaign.KindDrive:
		camp.Kind = campaign.Kind(kind)
	default:
		probs = append(probs, campaign.FieldError{Field: "kind", Problem: campaign.ProblemChoice})
	}
	camp.RecipientIDs, camp.Suggestions = nil, nil
	if !camp.IsDrive() {
		return probs
	}
	camp.RecipientID = "" // a drive writes to RecipientIDs
	for _, id := range f.Recipients {
		if !slices.ContainsFunc(recipients, func(r campaign.Recipient) bool { return r.ID == id }) {
			probs = append(probs, campaign.FieldError{Field: "drive_recipients", Problem: campaign.ProblemUnknown})
			break
		}
		camp.RecipientIDs = append(camp.RecipientIDs, id)
	}
	if len(f.Recipients) == 0 {
		probs = append(probs, campaign.FieldError{Field: "drive_recipients", Problem: campaign.ProblemRequired})
	}
	langs := make([]string, 0, len(f.Suggestions))
	for l := range f.Suggestions {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	for _, l := range langs {
		camp.Suggestions = append(camp.Suggestions, campaign.Suggestion{Language: l, Text: f.Suggestions[l]})
	}
	return probs
}

// DriveRecipientOption is a recipient record in the drive form's list.
type DriveRecipientOption struct {
	ID, Name, Prison, Country string
	Languages                 string
	// Status is the situation today (empty: held, no change recorded),
	// Reachable whether cards reach them.
	Status    campaign.Situation
	Reachable bool
	Selected  bool
}

// DriveFilter narrows the drive form's list of recipients; chosen ones
// are always listed.
type DriveFilter struct {
	Prison, Country, Language, Status string
}

// driveStatuses are the values of the status filter.
var driveStatuses = []string{"reachable", "unreachable", "noaddress"}

// driveOptions lists the recipients the drive form offers, as the filter
// of the request's query narrows them.
func (s *Server) driveOptions(c *fiber.Ctx, recipients []campaign.Recipient, chosen []string) ([]DriveRecipientOption, DriveFilter) {
	f := DriveFilter{Prison: strings.TrimSpace(c.Query("rf_prison")), Country: strings.ToUpper(strings.TrimSpace(c.Query("rf_country"))),
		Language: strings.ToLower(strings.TrimSpace(c.Query("rf_lang"))), Status: c.Query("rf_status")}
	if !slices.Contains(driveStatuses, f.Status) {
		f.Status = ""
	}
	day := s.cfg.Now().UTC().Format(time.DateOnly)
	var out []DriveRecipientOption
	for _, r := range recipients {
		addr := r.AddressOn(day)
		o := DriveRecipientOption{ID: r.ID, Name: r.Name, Country: r.Country, Languages: strings.Join(r.Languages, ", "),
			Reachable: r.Reachable(day), Selected: slices.Contains(chosen, r.ID)}
		if len(addr) > 0 {
			o.Prison = addr[0]
		}
		if ch, ok := r.StatusOn(day); ok {
			o.Status = ch.Situation
		}
		match := (f.Prison == "" || strings.Contains(strings.ToLower(strings.Join(addr, " ")), strings.ToLower(f.Prison))) &&
			(f.Country == "" || r.Country == f.Country) &&
			(f.Language == "" || slices.Contains(r.Languages, f.Language))
		switch f.Status {
		case "reachable":
			match = match && o.Reachable
		case "unreachable":
			match = match && !o.Reachable
		case "noaddress":
			match = match && len(addr) == 0
		}
		if match || o.Selected {
			out = append(out, o)
		}
	}
	return out, f
}

// driveShown is how many of a drive's recipients the campaign list names.
const driveShown = 3

// driveNames names a drive's recipients for the campaign list: the first
// driveShown, then how many more.
func driveNames(camp *campaign.Campaign, names map[string]string) string {
	var shown []string
	for _, id := range camp.RecipientIDs {
		if len(shown) == driveShown {
			break
		}
		if n := names[id]; n != "" {
			shown = append(shown, n)
		}
	}
	out := strings.Join(shown, ", ")
	if more := len(camp.RecipientIDs) - len(shown); more > 0 {
		out += " +" + strconv.Itoa(more)
	}
	return out
}
