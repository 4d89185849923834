package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"golang.org/x/text/language"
)

// APICampaign is a campaign in the public JSON API. Its texts are in the
// language ?lang= asked for when the campaign has one in it, else in the
// language it was written in; Lang says which.
type APICampaign struct {
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Letter  string `json:"letter"`
	// Lang is the language of Title, Summary and Letter; Languages are
	// all those the campaign has a text in, its own first.
	Lang       string   `json:"lang"`
	Languages  []string `json:"languages"`
	Signatures int64    `json:"signatures"`
	// SignaturesByCountry counts signatures by ISO 3166-1 alpha-2 code.
	SignaturesByCountry map[string]int64 `json:"signatures_by_country"`
	Goal                int              `json:"goal"`
	OpensAt             time.Time        `json:"opens_at"`
	ClosesAt            time.Time        `json:"closes_at"`
	// Deadline is ClosesAt in the campaign's time zone, TimeZone.
	Deadline string          `json:"deadline"`
	TimeZone string          `json:"time_zone"`
	Status   campaign.Status `json:"status"`
	// Delivery is what happened to the letter, as the campaign page's
	// timeline shows it: the public events only, oldest first.
	Delivery []APIDeliveryEvent `json:"delivery"`
	// Kind is "letter" or "drive". A drive's Signatures are its cards;
	// Recipients counts them per listed recipient, and Waiting is how
	// many of all its recipients (listed or not) whom cards reach have
	// none yet.
	Kind       string              `json:"kind"`
	Recipients []APIRecipientCards `json:"recipients,omitempty"`
	Waiting    *int                `json:"waiting,omitempty"`
}

// APIRecipientCards is a drive's recipient with the cards written to them.
type APIRecipientCards struct {
	Slug  string `json:"slug"`
	Name  string `json:"name"`
	Cards int64  `json:"cards"`
}

// APIDeliveryEvent is a public event of a campaign's delivery log. The
// fields a kind does not have are left out.
type APIDeliveryEvent struct {
	ID   string        `json:"id"`
	Kind delivery.Kind `json:"kind"`
	// Day is the calendar day, YYYY-MM-DD, in the campaign's time zone.
	Day        string          `json:"day"`
	Note       string          `json:"note,omitempty"`
	Method     delivery.Method `json:"method,omitempty"`
	Envelopes  int             `json:"envelopes,omitempty"`
	Signatures int             `json:"signatures,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	// Post is the slug of the post that holds a reply, while that post is
	// published and listed.
	Post string `json:"post,omitempty"`
}

// APICampaignList is the answer of GET /api/v1/campaigns.
type APICampaignList struct {
	Campaigns []APICampaign `json:"campaigns"`
}

// APISignatureInput is the body of POST /api/v1/campaigns/{slug}/signatures.
type APISignatureInput struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	City     string `json:"city"`
	Country  string `json:"country"`
	Greeting string `json:"greeting"`
	Consent  bool   `json:"consent"`
	Updates  bool   `json:"updates"`
	Display  string `json:"display"`
	// Recipient is the slug of the recipient a drive's card goes to.
	Recipient string `json:"recipient"`
}

// fields maps the body's keys, exactly as documented, to the input's
// fields, for decodeObject.
func (in *APISignatureInput) fields() map[string]any {
	return map[string]any{
		"name": &in.Name, "email": &in.Email, "city": &in.City, "country": &in.Country,
		"greeting": &in.Greeting, "consent": &in.Consent, "updates": &in.Updates, "display": &in.Display,
		"recipient": &in.Recipient,
	}
}

// APISigned is the answer to a signature, new or repeated: it holds
// nothing that differs between the two (no ID, no time), so that nobody
// learns whether an address had signed before.
type APISigned struct {
	Campaign string `json:"campaign"`
	Status   string `json:"status"`
}

// APIError is the body of every API error response.
type APIError struct {
	Error APIErrorBody `json:"error"`
}

// APIErrorBody says what went wrong in words for developers and a code for
// programs; Fields names the problem of each invalid field.
type APIErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// RequestID is the request's id, also in the X-Request-Id header and
	// on the server's log lines for it.
	RequestID string `json:"request_id,omitempty"`
}

// API limits and caching.
const (
	apiCacheControl = "public, max-age=2"
	// apiReadRate and apiWriteRate are requests per minute per client IP
	// (all API requests) and per API key (signatures).
	apiReadRate  = 600
	apiWriteRate = 60
	// idempotencyKeyMax is the longest Idempotency-Key accepted.
	idempotencyKeyMax = 255
)

// apiState is the API's memory on the Server; its zero value is ready.
type apiState struct {
	cache    apiCache
	ipLimit  limiter
	keyLimit limiter
}

// apiCache keeps the JSON of each campaign and of the list, rebuilt only
// when the counts, the campaign list or a status changed.
type apiCache struct {
	mu     sync.RWMutex
	bodies map[string]apiBody // by slug and language; "\x00" and a language is the list
}

type apiBody struct {
	key  uint64 // what it was built from
	body []byte
	etag string
}

func (a *apiCache) get(slug string, key uint64) (apiBody, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	b, ok := a.bodies[slug]
	return b, ok && b.key == key
}

func (a *apiCache) put(slug string, key uint64, v any) (apiBody, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return apiBody{}, fmt.Errorf("encode api answer: %w", err)
	}
	sum := sha256.Sum256(body)
	b := apiBody{key: key, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	a.mu.Lock()
	if a.bodies == nil {
		a.bodies = map[string]apiBody{}
	}
	a.bodies[slug] = b
	a.mu.Unlock()
	return b, nil
}

// cacheKey sums what an answer is built from.
func cacheKey(parts ...uint64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, p := range parts {
		for i := range b {
			b[i] = byte(p >> (8 * i))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}

func statusKey(s campaign.Status) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// cors lets pages of any site read the public GET endpoints.
func cors(c *fiber.Ctx) {
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Set(fiber.HeaderAccessControlExposeHeaders, "ETag, Retry-After")
}

// apiPreflight answers CORS preflight requests for the GET endpoints.
func (s *Server) apiPreflight(c *fiber.Ctx) error {
	cors(c)
	c.Set(fiber.HeaderAccessControlAllowMethods, "GET, HEAD, OPTIONS")
	c.Set(fiber.HeaderAccessControlAllowHeaders, "If-None-Match, Accept")
	c.Set(fiber.HeaderAccessControlMaxAge, "86400")
	return c.SendStatus(fiber.StatusNoContent)
}

// sendCached sends a cached JSON answer, or 304 when the client has it.
func sendCached(c *fiber.Ctx, b apiBody) error {
	cors(c)
	c.Set(fiber.HeaderCacheControl, apiCacheControl)
	c.Set(fiber.HeaderETag, b.etag)
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && etagMatches(match, b.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b.body)
}

func etagMatches(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// apiLang is the base language a request's ?lang= asks for, "" for none
// or one that cannot be read.
func apiLang(c *fiber.Ctx) string {
	q := c.Query("lang")
	if q == "" || len(q) > 35 {
		return ""
	}
	tag, err := language.Parse(q)
	if err != nil {
		return ""
	}
	base, conf := tag.Base()
	if conf == language.No {
		return ""
	}
	return base.String()
}

// apiCampaignView is a campaign as the API shows it, its texts in lang
// when it has them.
func (s *Server) apiCampaignView(camp *campaign.Campaign, lang string, now time.Time) APICampaign {
	text, _ := camp.TextIn(lang)
	v := APICampaign{
		Slug:                camp.Slug,
		Title:               text.Title,
		Summary:             text.Summary,
		Letter:              text.Letter,
		Lang:                text.Lang,
		Languages:           camp.Languages(),
		Signatures:          s.deps.Signing.Count(camp.ID),
		SignaturesByCountry: s.deps.Signing.Countries(camp.ID),
		Goal:                camp.Goal,
		OpensAt:             camp.OpensAt.UTC(),
		ClosesAt:            camp.ClosesAt.UTC(),
		Deadline:            camp.ClosesAt.In(camp.Location()).Format(time.RFC3339),
		TimeZone:            camp.Location().String(),
		Status:              camp.Status(now),
		Delivery:            s.apiDelivery(camp.ID),
		Kind:                "letter",
	}
	if camp.IsDrive() {
		v.Kind = "drive"
		counts := s.deps.Signing.CardCounts(camp.ID)
		waiting := s.deps.Signing.Waiting(camp)
		v.Waiting = &waiting
		set := s.deps.Signing.Campaigns()
		v.Recipients = []APIRecipientCards{}
		for _, id := range camp.RecipientIDs {
			if r, ok := set.Recipient(id); ok && !r.Unlisted {
				v.Recipients = append(v.Recipients, APIRecipientCards{Slug: r.Slug, Name: r.Name, Cards: counts[id]})
			}
		}
	}
	return v
}

// apiRecipientID is the ID of the recipient whose slug a card names: the
// slug itself when no recipient has it, which Sign refuses as one the
// drive does not write to.
func (s *Server) apiRecipientID(slug string) string {
	if slug == "" {
		return ""
	}
	if r, err := s.deps.Signing.Campaigns().PublicRecipient(slug); err == nil {
		return r.ID
	}
	return "?" + slug
}

// apiDelivery lists the campaign's public delivery events, from memory.
func (s *Server) apiDelivery(campaignID string) []APIDeliveryEvent {
	out := []APIDeliveryEvent{}
	if s.deps.Delivery == nil {
		return out
	}
	events, _ := s.deps.Delivery.Timeline(campaignID)
	for _, e := range events {
		out = append(out, APIDeliveryEvent{ID: e.ID, Kind: e.Kind, Day: e.Day, Note: e.Note, Method: e.Method,
			Envelopes: e.Envelopes, Signatures: e.Signatures, Reason: e.Reason, Post: s.replyPost(e.Post)})
	}
	return out
}

// apiCampaign answers GET /api/v1/campaigns/{slug} from memory.
func (s *Server) apiCampaign(c *fiber.Ctx) error {
	if err := s.limitIP(c); err != nil {
		return answered(err)
	}
	now := s.cfg.Now()
	set := s.deps.Signing.Campaigns()
	camp, err := set.Public(c.Params("slug"), now)
	if err != nil {
		return err // an old slug is redirected
	}
	status := camp.Status(now)
	key := cacheKey(set.Gen, s.deps.Signing.CountVersion(camp.ID), statusKey(status), s.deliveryGen())
	// One answer per language the campaign has: a language it lacks gets
	// the original's.
	text, _ := camp.TextIn(apiLang(c))
	slot := camp.Slug + "\x00" + text.Lang
	b, ok := s.api.cache.get(slot, key)
	if !ok {
		if b, err = s.api.cache.put(slot, key, s.apiCampaignView(camp, text.Lang, now)); err != nil {
			return err
		}
	}
	return sendCached(c, b)
}

// apiCampaigns answers GET /api/v1/campaigns: the open campaigns, closing
// soonest first, then those closed in the last year, from memory.
func (s *Server) apiCampaigns(c *fiber.Ctx) error {
	if err := s.limitIP(c); err != nil {
		return answered(err)
	}
	now := s.cfg.Now()
	set := s.deps.Signing.Campaigns()
	l := set.Listed(now)
	listed := append(l.Open, l.Closed...)
	parts := []uint64{set.Gen, uint64(len(listed)), s.deliveryGen()}
	for i := range listed {
		parts = append(parts, s.deps.Signing.CountVersion(listed[i].ID), statusKey(listed[i].Status(now)))
	}
	key := cacheKey(parts...)
	// One answer per language some listed campaign has a text in, so that
	// what ?lang= asks cannot grow the cache.
	lang := apiLang(c)
	if !slices.ContainsFunc(listed, func(camp campaign.Campaign) bool { _, ok := camp.TextIn(lang); return ok }) {
		lang = ""
	}
	slot := "\x00" + lang
	b, ok := s.api.cache.get(slot, key)
	if !ok {
		out := APICampaignList{Campaigns: []APICampaign{}}
		for i := range listed {
			out.Campaigns = append(out.Campaigns, s.apiCampaignView(&listed[i], lang, now))
		}
		var err error
		if b, err = s.api.cache.put(slot, key, out); err != nil {
			return err
		}
	}
	return sendCached(c, b)
}

// apiOpenAPI serves the API's OpenAPI 3.1 description.
func (s *Server) apiOpenAPI(c *fiber.Ctx) error {
	cors(c)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(openAPI)
}

// apiFail answers an API request with an error.
func apiFail(c *fiber.Ctx, status int, code, message string, fields map[string]string) error {
	return c.Status(status).JSON(APIError{Error: APIErrorBody{Code: code, Message: message, Fields: fields, RequestID: requestID(c)}})
}

// apiSign answers POST /api/v1/campaigns/{slug}/signatures: a partner's
// signature, with the web form's rules.
func (s *Server) apiSign(c *fiber.Ctx) error {
	return answered(s.apiSignInner(c))
}

// bearerRE reads the key of an Authorization header.
var bearerRE = regexp.MustCompile(`^(?i:bearer)\s+(\S+)$`)

// apiPartner answers for the partner API's routes what they share: no
// caching, the network's rate limit, and the partner whose key the
// Authorization header holds. A nil partner means the request was
// answered already (refused); return the error.
func (s *Server) apiPartner(c *fiber.Ctx) (*campaign.Partner, error) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if err := s.limitIP(c); err != nil {
		return nil, err
	}
	m := bearerRE.FindStringSubmatch(c.Get(fiber.HeaderAuthorization))
	if m == nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="solidarity"`)
		return nil, apiFail(c, fiber.StatusUnauthorized, "unauthorized", "Send your API key as Authorization: Bearer <key>.", nil)
	}
	partner, err := s.deps.Partners.Authenticate(c.UserContext(), m[1])
	switch {
	case errors.Is(err, campaign.ErrNotFound), errors.Is(err, campaign.ErrRevoked):
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="solidarity", error="invalid_token"`)
		return nil, apiFail(c, fiber.StatusUnauthorized, "unauthorized", "This API key is unknown or was revoked.", nil)
	case err != nil:
		return nil, err
	}
	return partner, nil
}

func (s *Server) apiSignInner(c *fiber.Ctx) error {
	ctx := c.UserContext()
	partner, err := s.apiPartner(c)
	if partner == nil {
		return err
	}
	if wait, ok := s.api.keyLimit.take("key:"+partner.Ref, apiWriteRate, s.cfg.Now()); !ok {
		return tooMany(c, wait)
	}

	body := c.Body()
	var in APISignatureInput
	if err := decodeObject(body, in.fields()); err != nil {
		var berr *bodyError
		if !errors.As(err, &berr) {
			return err
		}
		return apiFail(c, fiber.StatusBadRequest, "bad_json", berr.Message, berr.fields())
	}

	idem := c.Get("Idempotency-Key")
	if idem == "" {
		return s.apiSignOnce(c, partner, in)
	}
	if len(idem) > idempotencyKeyMax {
		return apiFail(c, fiber.StatusBadRequest, "bad_idempotency_key", fmt.Sprintf("Idempotency-Key has at most %d characters.", idempotencyKeyMax), nil)
	}
	sum := sha256.Sum256(append([]byte(c.Params("slug")+"\x00"), body...))
	earlier, err := s.deps.Partners.Claim(ctx, partner.Ref, idem, hex.EncodeToString(sum[:]))
	switch {
	case errors.Is(err, campaign.ErrInProgress):
		return apiFail(c, fiber.StatusConflict, "idempotency_in_progress", "A request with this Idempotency-Key is still being answered.", nil)
	case errors.Is(err, campaign.ErrKeyReused):
		return apiFail(c, fiber.StatusUnprocessableEntity, "idempotency_key_reused", "This Idempotency-Key came with a different request.", nil)
	case err != nil:
		return err
	case earlier != nil:
		c.Set("Idempotent-Replayed", "true")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(earlier.Status).Send(earlier.Body)
	}
	if err := s.apiSignOnce(c, partner, in); err != nil {
		// Our failure, not the request's: the partner may try again.
		return errors.Join(err, s.deps.Partners.Release(context.WithoutCancel(ctx), partner.Ref, idem))
	}
	status := c.Response().StatusCode()
	if status >= 300 && status < 400 || status >= 500 {
		return s.deps.Partners.Release(ctx, partner.Ref, idem)
	}
	return s.deps.Partners.Remember(ctx, partner.Ref, idem, status, c.Response().Body())
}

// apiSignOnce signs and writes the answer.
func (s *Server) apiSignOnce(c *fiber.Ctx, partner *campaign.Partner, in APISignatureInput) error {
	ctx := c.UserContext()
	camp, err := s.deps.Signing.Campaigns().Public(c.Params("slug"), s.cfg.Now())
	if err != nil {
		var moved *campaign.MovedError
		if errors.As(err, &moved) {
			return err // the error handler redirects
		}
		if errors.Is(err, campaign.ErrNotFound) {
			return apiFail(c, fiber.StatusNotFound, "not_found", "There is no open campaign with this slug.", nil)
		}
		return err
	}
	err = s.deps.Partners.Sign(ctx, partner, camp, campaign.SignInput{
		Name: in.Name, Email: in.Email, City: in.City, Country: in.Country, Greeting: in.Greeting,
		Consent: in.Consent, Updates: in.Updates, Display: campaign.NameDisplay(in.Display),
		Lang: camp.TextLanguage(), LinkBase: s.baseURL(c), RecipientID: s.apiRecipientID(in.Recipient),
	})
	var verr *campaign.ValidationError
	switch {
	case (err == nil || errors.Is(err, campaign.ErrDuplicate)) && camp.ConfirmEmail:
		// The signature counts once the supporter confirms it, whether
		// or not the address is new (campaign/pending.go).
		return c.Status(fiber.StatusAccepted).JSON(APISigned{Campaign: camp.Slug, Status: "pending_confirmation"})
	case err == nil, errors.Is(err, campaign.ErrDuplicate):
		// The same answer for a repeat, as on the web form: a key holder
		// must not be able to test whether an address has signed.
		return c.Status(fiber.StatusCreated).JSON(APISigned{Campaign: camp.Slug, Status: "signed"})
	case errors.Is(err, campaign.ErrClosed):
		return apiFail(c, fiber.StatusGone, "closed", "This campaign is closed.", nil)
	case errors.Is(err, campaign.ErrNotOpen):
		return apiFail(c, fiber.StatusNotFound, "not_found", "There is no open campaign with this slug.", nil)
	case errors.As(err, &verr):
		t := s.deps.Messages.Localizer(i18n.Default())
		fields := map[string]string{}
		for _, f := range verr.Fields {
			fields[f.Field] = s.problemMessage(t, f)
		}
		return apiFail(c, fiber.StatusUnprocessableEntity, "invalid", "Some fields are invalid; see fields.", fields)
	}
	return err
}

// refRE is the shape of a ref code on a link (campaign.Partner.Ref).
var refRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// refCode returns the ref code of a link's ?ref=, or "" when it is not one.
func refCode(raw string) string {
	raw = strings.ToLower(strings.TrimSpace(raw))
	if len(raw) < campaign.RefMin || len(raw) > campaign.RefMax || !refRE.MatchString(raw) {
		return ""
	}
	return raw
}
