package web

import (
	"errors"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/scanimage"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// The console's posts: their list, and the form to write, preview,
// translate, publish (now or at a time), unpublish and unlist one and to
// add and remove its scans.

// AdminPostListPage lists every post.
type AdminPostListPage struct {
	AdminPage
	Rows []AdminPostRow
}

// AdminPostRow is a post in the console's list.
type AdminPostRow struct {
	ID, Title, Slug, Kind, Recipient, State, Date string
	Unlisted                                      bool
}

func (s *Server) adminPostList(c *fiber.Ctx) error {
	all, err := s.deps.Posts.All(c.UserContext())
	if err != nil {
		return err
	}
	t := s.localizer(c)
	p := AdminPostListPage{AdminPage: s.adminPage(c, t.T("posts.admin.title"))}
	set := s.deps.Signing.Campaigns()
	for i := range all {
		post := &all[i]
		row := AdminPostRow{ID: post.ID, Title: post.Title, Slug: post.Slug, Kind: t.T(postKinds[post.Kind]),
			State: s.postState(post), Date: day(t, post.Date()), Unlisted: post.Unlisted}
		if r, ok := set.Recipient(post.RecipientID); ok {
			row.Recipient = r.Name
		}
		p.Rows = append(p.Rows, row)
	}
	return s.render(c, fiber.StatusOK, "admin/posts", p)
}

// postState names where a post is, in the reader's language.
func (s *Server) postState(p *posts.Post) string {
	switch {
	case p.State == posts.Draft:
		return "posts.state.draft"
	case p.Live(s.cfg.Now()):
		return "posts.state.published"
	}
	return "posts.state.scheduled"
}

// AdminPostEditPage is the form to write or edit a post.
type AdminPostEditPage struct {
	AdminPage
	FormState
	New    bool
	Action string
	ID     string
	// Version is the stored version the form was filled in over.
	Version int64
	Form    posts.Input
	// State names the post's state (a message ID); Live says whether
	// visitors may read it now, PublishAt when it is or will be public.
	State, PublishAt string
	Live, Draft      bool
	Unlisted         bool
	Slug             string
	Translations     []TranslationField
	Recipients       []campaign.Recipient
	Campaigns        []CampaignLinkOption
	Kinds, Channels  []Option
	Languages        []Option
	ScanError        string
	PublishError     string
	// Preview is the post as its public page draws it, when asked.
	Preview *PostArticle
	// ScanViews are the post's scans as the console serves them.
	ScanViews []ScanView
	// Schedule is the publishing form's default day, time and zone.
	ScheduleDate, ScheduleTime, ScheduleZone string
}

// Option is a choice of a select.
type Option struct{ Code, Name string }

// CampaignLinkOption is a campaign to choose.
type CampaignLinkOption struct{ ID, Title string }

// TranslationField is a post's text in one other language, as typed.
type TranslationField struct {
	Lang, Name           string
	Title, Excerpt, Body string
	Open                 bool
	Error, ErrorPrefix   string
}

func (s *Server) adminPostNew(c *fiber.Ctx) error {
	t := s.localizer(c)
	return s.renderPostForm(c, fiber.StatusOK, nil, posts.Input{Lang: t.Lang(), Kind: string(posts.KindFrom)}, nil, nil)
}

func (s *Server) adminPostEdit(c *fiber.Ctx) error {
	p, err := s.deps.Posts.Post(c.UserContext(), c.Params("id"))
	if err != nil {
		return postError(err)
	}
	return s.renderPostForm(c, fiber.StatusOK, &p, posts.InputOf(&p), nil, nil)
}

// postInput reads the post form.
func (s *Server) postInput(c *fiber.Ctx) posts.Input {
	in := posts.Input{
		Title: formValue(c, "post_title"), Slug: formValue(c, "post_slug"), Lang: formValue(c, "post_lang"),
		RecipientID: formValue(c, "post_recipient_id"), Kind: formValue(c, "post_kind"),
		WrittenOn: formValue(c, "post_written_on"), WrittenAt: formValue(c, "post_written_at"),
		ReceivedOn: formValue(c, "post_received_on"), ReceivedBy: formValue(c, "post_received_by"),
		ShowReceivedBy: formValue(c, "post_show_received_by") == "yes",
		Consent:        formValue(c, "post_consent") == "yes", ConsentBy: formValue(c, "post_consent_by"),
		Excerpt: formValue(c, "post_excerpt"), Body: formValue(c, "post_body"), Tags: formValue(c, "post_tags"),
		CampaignID: formValue(c, "post_campaign_id"),
	}
	for _, tag := range s.deps.Messages.Languages() {
		l := tag.String()
		tr := posts.Translation{Lang: l, Title: formValue(c, "tr_"+l+"_title"), Excerpt: formValue(c, "tr_"+l+"_excerpt"), Body: formValue(c, "tr_"+l+"_body")}
		if strings.TrimSpace(tr.Title+tr.Excerpt+tr.Body) != "" {
			in.Translations = append(in.Translations, tr)
		}
	}
	return in
}

// consoleFields names a post's fields as the form does: post_title.
func consoleFields(probs []campaign.FieldError) []campaign.FieldError {
	out := slices.Clone(probs)
	for i := range out {
		out[i].Field = "post_" + out[i].Field
	}
	return out
}

func (s *Server) adminPostCreate(c *fiber.Ctx) error {
	in := s.postInput(c)
	if formValue(c, "action") == "preview" {
		return s.renderPreview(c, nil, in)
	}
	p, err := s.deps.Posts.Create(c.UserContext(), in)
	return s.postChanged(c, err, nil, in, "/admin/posts/"+url.PathEscape(p.ID)+"?done=post_saved")
}

// postChanged answers a change of a post: the form again with the problem
// when err is a *campaign.ValidationError (422) or ErrConflict (409, the
// post was saved meanwhile), the error page for another error, else a
// redirect to next.
func (s *Server) postChanged(c *fiber.Ctx, err error, stored *posts.Post, in posts.Input, next string) error {
	var verr *campaign.ValidationError
	switch {
	case errors.As(err, &verr):
		return s.renderPostForm(c, fiber.StatusUnprocessableEntity, stored, in, verr.Fields, nil)
	case errors.Is(err, posts.ErrConflict):
		return s.renderPostForm(c, fiber.StatusConflict, stored, in,
			[]campaign.FieldError{{Field: "version", Problem: campaign.ProblemStale}}, nil)
	case err != nil:
		return postError(err)
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// renderPreview shows the form again with the post drawn as its public
// page would draw it, unless the input has problems.
func (s *Server) renderPreview(c *fiber.Ctx, stored *posts.Post, in posts.Input) error {
	base := posts.Post{}
	if stored != nil {
		base = *stored
	}
	p, err := s.deps.Posts.Check(in, base)
	var verr *campaign.ValidationError
	switch {
	case errors.As(err, &verr):
		return s.renderPostForm(c, fiber.StatusUnprocessableEntity, stored, in, verr.Fields, nil)
	case err != nil:
		return err
	}
	body := map[string]string{}
	for _, lang := range p.Languages() {
		text, _ := p.TextIn(lang)
		body[lang] = text.Body
	}
	rendered, err := s.renderBodies(body)
	if err != nil {
		return err
	}
	v := s.postView(c, &p, rendered)
	v.Scans = scanViews(p.Scans, "/admin/posts/scans/")
	return s.renderPostForm(c, fiber.StatusOK, stored, in, nil, &PostArticle{T: s.localizer(c), P: v})
}

func (s *Server) adminPostSave(c *fiber.Ctx) error {
	ctx := c.UserContext()
	stored, err := s.deps.Posts.Post(ctx, c.Params("id"))
	if err != nil {
		return postError(err)
	}
	in := s.postInput(c)
	if formValue(c, "action") == "preview" {
		return s.renderPreview(c, &stored, in)
	}
	version, _ := strconv.ParseInt(formValue(c, "version"), 10, 64)
	_, err = s.deps.Posts.Update(ctx, stored.ID, version, in)
	return s.postChanged(c, err, &stored, in, "/admin/posts/"+url.PathEscape(stored.ID)+"?done=post_saved")
}

// postAction runs a change of a stored post that the console's small
// forms ask for (publish, unpublish, unlist, scans), with the version the
// page showed, and sends the user back to the post with done, or shows the
// form again with the problem.
func (s *Server) postAction(c *fiber.Ctx, done string, change func(p *posts.Post, version int64) (posts.Post, error)) error {
	stored, err := s.deps.Posts.Post(c.UserContext(), c.Params("id"))
	if err != nil {
		return postError(err)
	}
	version, _ := strconv.ParseInt(formValue(c, "version"), 10, 64)
	_, err = change(&stored, version)
	return s.postChanged(c, err, &stored, posts.InputOf(&stored), "/admin/posts/"+url.PathEscape(stored.ID)+"?done="+done)
}

// actor is the signed-in user's email, for the audit log.
func actor(c *fiber.Ctx) string {
	if u := currentUser(c); u != nil {
		return u.Email
	}
	return "visitor"
}

func (s *Server) adminPostPublish(c *fiber.Ctx) error {
	at := time.Time{}
	done := "post_published"
	if date := strings.TrimSpace(formValue(c, "publish_date")); date != "" {
		loc, err := time.LoadLocation(strings.TrimSpace(formValue(c, "publish_zone", "UTC")))
		if err != nil {
			return s.postProblem(c, campaign.FieldError{Field: "publish_zone", Problem: campaign.ProblemTimeZone})
		}
		t, ok := localTime(date, strings.TrimSpace(formValue(c, "publish_time")), loc)
		if !ok {
			return s.postProblem(c, campaign.FieldError{Field: "publish_date", Problem: campaign.ProblemDate})
		}
		at, done = t, "post_scheduled"
		if !t.After(s.cfg.Now()) {
			done = "post_published"
		}
	}
	return s.postAction(c, done, func(p *posts.Post, v int64) (posts.Post, error) {
		return s.deps.Posts.Publish(c.UserContext(), p.ID, v, at, actor(c))
	})
}

// postProblem shows the form of the stored post again with one problem.
func (s *Server) postProblem(c *fiber.Ctx, fe campaign.FieldError) error {
	stored, err := s.deps.Posts.Post(c.UserContext(), c.Params("id"))
	if err != nil {
		return postError(err)
	}
	return s.renderPostForm(c, fiber.StatusUnprocessableEntity, &stored, posts.InputOf(&stored), []campaign.FieldError{fe}, nil)
}

func (s *Server) adminPostUnpublish(c *fiber.Ctx) error {
	return s.postAction(c, "post_unpublished", func(p *posts.Post, v int64) (posts.Post, error) {
		return s.deps.Posts.Unpublish(c.UserContext(), p.ID, v, actor(c))
	})
}

func (s *Server) adminPostUnlist(c *fiber.Ctx) error {
	unlisted := formValue(c, "unlisted") == "yes"
	done := "post_listed"
	if unlisted {
		done = "post_unlisted"
	}
	return s.postAction(c, done, func(p *posts.Post, v int64) (posts.Post, error) {
		return s.deps.Posts.SetUnlisted(c.UserContext(), p.ID, v, unlisted, actor(c))
	})
}

// scanProblems words why a picture was refused.
var scanProblems = []struct {
	err error
	id  string
}{
	{scanimage.ErrType, "posts.scan.error.type"},
	{scanimage.ErrTooLarge, "posts.scan.error.too_large"},
	{scanimage.ErrPixels, "posts.scan.error.pixels"},
	{scanimage.ErrCorrupt, "posts.scan.error.corrupt"},
}

func (s *Server) adminPostScanAdd(c *fiber.Ctx) error {
	ctx := c.UserContext()
	stored, err := s.deps.Posts.Post(ctx, c.Params("id"))
	if err != nil {
		return postError(err)
	}
	t := s.localizer(c)
	refuse := func(msg string) error {
		return s.renderPostFormWith(c, fiber.StatusUnprocessableEntity, &stored, posts.InputOf(&stored), nil, nil, msg)
	}
	fh, err := c.FormFile("scan")
	if err != nil {
		return refuse(t.T("posts.scan.error.missing"))
	}
	if fh.Size > scanimage.MaxBytes {
		return refuse(t.T("posts.scan.error.too_large", "MB", scanimage.MaxBytes>>20))
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, scanimage.MaxBytes+1))
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(formValue(c, "version"), 10, 64)
	_, err = s.deps.Posts.AddScan(ctx, stored.ID, version, data)
	for _, p := range scanProblems {
		if errors.Is(err, p.err) {
			return refuse(t.T(p.id, "MB", scanimage.MaxBytes>>20))
		}
	}
	return s.postChanged(c, err, &stored, posts.InputOf(&stored), "/admin/posts/"+url.PathEscape(stored.ID)+"?done=post_scan_added#scans")
}

func (s *Server) adminPostScanRemove(c *fiber.Ctx) error {
	return s.postAction(c, "post_scan_removed", func(p *posts.Post, v int64) (posts.Post, error) {
		return s.deps.Posts.RemoveScan(c.UserContext(), p.ID, v, c.Params("scan"))
	})
}

// adminPostScan serves any stored scan to organizers, for the form and the
// preview of posts that are not public yet.
func (s *Server) adminPostScan(c *fiber.Ctx) error {
	return s.sendScan(c, c.Params("scan"), "private, max-age=3600")
}
