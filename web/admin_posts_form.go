package web

import (
	"html/template"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// renderBodies renders Markdown bodies by language, as the public pages
// do (posts.Entry.HTML).
func (s *Server) renderBodies(bodies map[string]string) (map[string]template.HTML, error) {
	out := make(map[string]template.HTML, len(bodies))
	for lang, b := range bodies {
		h, err := s.deps.Posts.Markdown().Render(b)
		if err != nil {
			return nil, err
		}
		out[lang] = h
	}
	return out, nil
}

func (s *Server) renderPostForm(c *fiber.Ctx, status int, stored *posts.Post, in posts.Input, probs []campaign.FieldError, preview *PostArticle) error {
	return s.renderPostFormWith(c, status, stored, in, probs, preview, "")
}

// renderPostForm draws the form of a new post (stored nil) or of a stored
// one, with what was typed, its problems and a preview when asked, and a
// refused scan's message.
func (s *Server) renderPostFormWith(c *fiber.Ctx, status int, stored *posts.Post, in posts.Input, probs []campaign.FieldError, preview *PostArticle, scanError string) error {
	t := s.localizer(c)
	hints := map[string]string{
		"post_slug":             t.T("posts.admin.f.slug_hint"),
		"post_written_on":       t.T("posts.admin.f.date_hint"),
		"post_consent_by":       t.T("posts.admin.f.consent_by_hint"),
		"post_show_received_by": t.T("posts.admin.f.show_received_by_hint"),
		"post_tags":             t.T("posts.admin.f.tags_hint"),
		"post_excerpt":          t.T("posts.admin.f.excerpt_hint"),
		"post_body":             t.T("posts.admin.f.body_hint"),
	}
	fields := consoleFields(probs)
	p := AdminPostEditPage{FormState: s.formState(t, fields, hints, func(f string) string {
		if f == "post_version" {
			return "post_title" // the form as a whole is stale
		}
		return f
	}), New: stored == nil, Form: in, Action: "/admin/posts/new", Preview: preview, ScanError: scanError,
		ScheduleZone: "UTC"}
	for _, fe := range fields {
		if fe.Field == "post_publish_date" || fe.Field == "post_publish_zone" || fe.Field == "post_consent" {
			p.PublishError = p.Errors[fe.Field]
		}
	}
	for _, k := range posts.Kinds() {
		p.Kinds = append(p.Kinds, Option{Code: string(k), Name: t.T(postKinds[k])})
	}
	for _, ch := range posts.Channels() {
		p.Channels = append(p.Channels, Option{Code: string(ch), Name: t.T(postChannels[ch])})
	}
	set := s.deps.Signing.Campaigns()
	recipients, err := s.deps.Signing.Recipients(c.UserContext())
	if err != nil {
		return err
	}
	p.Recipients = recipients
	for i := range set.All {
		p.Campaigns = append(p.Campaigns, CampaignLinkOption{ID: set.All[i].ID, Title: set.All[i].Title})
	}
	for _, tag := range s.deps.Messages.Languages() {
		l := tag.String()
		p.Languages = append(p.Languages, Option{Code: l, Name: selfName(tag)})
		if l == in.Lang {
			continue
		}
		tf := TranslationField{Lang: l, Name: selfName(tag), ErrorPrefix: t.T("form.error_prefix")}
		for _, tr := range in.Translations {
			if tr.Lang == l {
				tf.Title, tf.Excerpt, tf.Body, tf.Open = tr.Title, tr.Excerpt, tr.Body, true
			}
		}
		if msg, ok := p.Errors["post_tr_"+l]; ok {
			tf.Error, tf.Open = msg, true
		}
		p.Translations = append(p.Translations, tf)
	}
	title := t.T("posts.admin.new_title")
	if stored != nil {
		p.Action = "/admin/posts/" + url.PathEscape(stored.ID)
		p.ID, p.Version, p.Slug, p.Unlisted = stored.ID, stored.Version, stored.Slug, stored.Unlisted
		p.ScanViews = scanViews(stored.Scans, "/admin/posts/scans/")
		p.State, p.Live, p.Draft = s.postState(stored), stored.Live(s.cfg.Now()), stored.State == posts.Draft
		if !stored.PublishAt.IsZero() {
			p.PublishAt = t.DateTime(stored.PublishAt.UTC())
		}
		title = t.T("posts.admin.edit_title", "Title", stored.Title)
		if p.Version == 0 {
			p.Version = 1
		}
	}
	p.ScheduleDate = s.cfg.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	p.ScheduleTime = "09:00"
	if len(probs) > 0 || scanError != "" {
		title = t.T("admin.form.error_title", "Title", title)
	}
	p.AdminPage = s.adminPage(c, title)
	return s.render(c, status, "admin/post_edit", p)
}
