package web

import (
	"bufio"
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/archive"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// The archive of a recipient to hand over after their release (package
// archive): a ZIP written as it is sent, never cached, its every download
// in the audit log. The recipient's page (recipient_edit.html) says what
// it holds and asks in which language its texts are written.

// ArchiveView is the archive's part of the recipient's console page: the
// languages its texts can be written in, the proposed one selected.
type ArchiveView struct {
	Languages []LanguageChoice
}

// archiveView proposes the recipient's first language the catalog has,
// else the console's.
func (s *Server) archiveView(t *i18n.Localizer, r *campaign.Recipient) ArchiveView {
	def := archive.Language(s.deps.Messages, r, t.Tag())
	var v ArchiveView
	for _, tag := range s.deps.Messages.Languages() {
		code := tag.String()
		v.Languages = append(v.Languages, LanguageChoice{Code: code, Name: t.T("admin.language." + code), Checked: tag == def})
	}
	return v
}

// archiveLanguage is the language the organizer chose for the archive
// (?lang=), else the one the console proposes.
func (s *Server) archiveLanguage(c *fiber.Ctx, r *campaign.Recipient) *i18n.Localizer {
	if tag, ok := s.deps.Messages.Supported(c.Query("lang")); ok {
		return s.deps.Messages.Localizer(tag)
	}
	return s.deps.Messages.Localizer(archive.Language(s.deps.Messages, r, s.localizer(c).Tag()))
}

func (s *Server) recipientArchive(c *fiber.Ctx) error {
	r, err := s.deps.Signing.Recipient(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	name := fmt.Sprintf("archive-%s-%s.zip", fileSafe(r.ID), s.cfg.Now().UTC().Format("2006-01-02"))
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	// It holds what was printed of every supporter: no cache keeps a copy.
	c.Set(fiber.HeaderCacheControl, "no-store")
	if c.Method() == fiber.MethodHead {
		return nil // nothing is sent, so nothing is recorded
	}
	l := s.archiveLanguage(c, r)
	if err := s.record(c, audit.ArchiveFetched, r.Name, "recipient "+r.ID+", texts in "+l.Lang()); err != nil {
		return err
	}
	// The ZIP is written after this handler returns: nothing of the
	// request may be used in there but these copies. It is read past the
	// request's database deadline (withDBDeadline), as long as the client
	// keeps reading.
	ctx, id, log := context.WithoutCancel(c.UserContext()), r.ID, s.log
	conn := c.Context().Conn()
	w := archive.NewService(s.deps.Signing, s.deps.Bundles, s.deps.Delivery, s.deps.Posts, s.cfg.Now)
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		dw := &deadlineWriter{w: bw, conn: conn, timeout: WriteTimeout}
		m, err := w.Write(ctx, id, l, dw)
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			// The status is sent; the ZIP ends early (no manifest, no
			// central directory), and the log says why.
			log.Error("recipient archive", "recipient", id, "error", err)
			return
		}
		log.Info("recipient archive", "recipient", id, "files", len(m.Files), "missing_bundles", len(m.MissingBundles))
	})
	return nil
}

// fileSafe keeps the ASCII letters, digits, '-' and '_' of s, for a file
// name in a header.
func fileSafe(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '-', b == '_':
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return "recipient"
	}
	return string(out)
}
