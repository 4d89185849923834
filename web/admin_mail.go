package web

import (
	"github.com/gofiber/fiber/v2"

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
	Kind                                     string
	Waiting, Retrying, Sending, Sent, Failed int64
}

func mailRow(c mail.Count) MailRow {
	return MailRow{Kind: string(c.Kind), Waiting: c.Waiting, Retrying: c.Retrying, Sending: c.Sending, Sent: c.Sent, Failed: c.Failed}
}

func (s *Server) mailPage(c *fiber.Ctx) error {
	st, err := s.deps.Mail.Status(c.UserContext())
	if err != nil {
		return err
	}
	t := s.localizer(c)
	p := MailPage{AdminPage: s.adminPage(c, t.T("admin.mail.title")), Total: mailRow(st.Total), LastError: st.LastError, NoTransport: !st.Sends}
	for _, k := range st.Kinds {
		p.Rows = append(p.Rows, mailRow(k))
	}
	if !st.OldestWaiting.IsZero() {
		p.Oldest = st.OldestWaiting.UTC().Format(consoleTime)
	}
	if !st.LastErrorAt.IsZero() {
		p.LastErrorAt = st.LastErrorAt.UTC().Format(consoleTime)
	}
	return s.render(c, fiber.StatusOK, "admin/mail", p)
}
