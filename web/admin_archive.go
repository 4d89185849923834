package web

import (
	"bufio"
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/archive"
	"github.com/solidarity-letters/solidarity/audit"
)

// The archive of a recipient to hand over after their release (package
// archive): a ZIP written as it is sent, never cached, its every download
// in the audit log. The recipient's page (recipient_edit.html) links it
// and says what it holds.

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
	if err := s.record(c, audit.ArchiveFetched, r.Name, "recipient "+r.ID); err != nil {
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
		m, err := w.Write(ctx, id, dw)
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
