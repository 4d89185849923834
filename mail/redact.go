package mail

import (
	"regexp"
	"strings"
)

// addressLike matches anything shaped like an email address, with or
// without angle brackets.
var addressLike = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+`)

// failureMax bounds a stored failure's text.
const failureMax = 300

// redact removes from a failure's text the recipient's address and
// anything else shaped like one (SMTP servers echo addresses in their
// answers, and go-mail names the recipients in its errors), so that it
// can be logged and shown in the console.
func redact(text, to string) string {
	if to != "" {
		text = strings.ReplaceAll(text, to, "[address]")
	}
	text = addressLike.ReplaceAllString(text, "[address]")
	if len(text) > failureMax {
		text = strings.ToValidUTF8(text[:failureMax], "") + "…"
	}
	return text
}
