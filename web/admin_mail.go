package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/mail"
)

// MailPage is the console's view of the mail queue: counts, the oldest
// message waiting and the last failure, never an address.
type MailPage struct {
	AdminPage
	// NoTransport is set when this node sends no mail (no SMTP server).
	NoTransport bool
	Rows        []MailRow
	Total       MailRow
	// Oldest is when the oldest message still to send was queued; empty
	// when none waits.
	Oldest string
	// LastError is the last failure's text and when it was; empty when
	// none has happened.
	LastError, LastErrorAt string
}

// MailRow counts the messages of one kind, or of all.
type MailRow struct {
	// Kind is the queue's code of the kind, as the logs name it; Name is
	// its name in the console's language, empty for a kind the catalog
	// does not name (the page shows its code then).
	Kind, Name                               string
	Waiting, Retrying, Sending, Sent, Failed int64
}

// mailRow is the row of c, its kind named in t's language as the message
// "admin.mail.kind.<kind>" says.
func (s *Server) mailRow(t *i18n.Localizer, c mail.Count) MailRow {
	r := MailRow{Kind: string(c.Kind), Waiting: c.Waiting, Retrying: c.Retrying, Sending: c.Sending, Sent: c.Sent, Failed: c.Failed}
	if id := "admin.mail.kind." + r.Kind; r.Kind != "" && s.deps.Messages.Has(id) {
		r.Name = t.T(id)
	}
	return r
}

func (s *Server) mailPage(c *fiber.Ctx) error {
	st, err := s.deps.Mail.Status(c.UserContext())
	if err != nil {
		return err
	}
	t := s.localizer(c)
	p := MailPage{AdminPage: s.adminPage(c, t.T("admin.mail.title")), Total: s.mailRow(t, st.Total), LastError: st.LastError, NoTransport: !st.Sends}
	for _, k := range st.Kinds {
		p.Rows = append(p.Rows, s.mailRow(t, k))
	}
	if !st.OldestWaiting.IsZero() {
		p.Oldest = st.OldestWaiting.UTC().Format(consoleTime)
	}
	if !st.LastErrorAt.IsZero() {
		p.LastErrorAt = st.LastErrorAt.UTC().Format(consoleTime)
	}
	return s.render(c, fiber.StatusOK, "admin/mail", p)
}
