package campaign

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/solidarity-letters/solidarity/internal/textnorm"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Problems of partner fields.
const (
	ProblemOrigin Problem = "origin" // not a web address (https://example.org)
	ProblemRef    Problem = "ref"    // not a ref code of a-z, 0-9 and dashes
)

// ErrRevoked is an API key or stats link that was withdrawn.
var ErrRevoked = errors.New("revoked")

// Limits of partner fields.
const (
	PartnerNameMax = 120
	RefMin, RefMax = 2, 40
)

// IdempotencyTTL is how long the API remembers the answer to a request
// with an Idempotency-Key.
const IdempotencyTTL = 24 * time.Hour

// Partner is an organisation that brings signatures: from the widget on
// its website, from links with its ref code, or through the API.
type Partner struct {
	// Ref is the partner's ref code (?ref=) and its ID; it never changes,
	// so that links keep counting.
	Ref string `bson:"_id"`
	// Name is what the console calls it.
	Name string `bson:"name"`
	// Website is the origin of the partner's site (https://ngo.example):
	// signatures from the widget there are the partner's.
	Website   string    `bson:"website,omitempty"`
	CreatedAt time.Time `bson:"created_at"`
	// StatsHash is the SHA-256 of the secret of the partner's stats link;
	// empty when it has none. The secret itself is never stored.
	StatsHash string `bson:"stats_hash,omitempty"`
}

// APIKey is a partner's key for the API. Only the SHA-256 of the key is
// stored; Prefix is enough of the key to recognise it in a list.
type APIKey struct {
	Hash      string     `bson:"_id"`
	Partner   string     `bson:"partner"`
	Prefix    string     `bson:"prefix"`
	CreatedAt time.Time  `bson:"created_at"`
	RevokedAt *time.Time `bson:"revoked_at,omitempty"`
}

// PartnerInput is the partner form as typed.
type PartnerInput struct {
	Name, Website, Ref string
}

// Partners keeps partners, their API keys and stats links, and counts the
// signatures they brought.
type Partners struct {
	store   *partnerStore
	signing *Service
	now     func() time.Time

	mu     sync.Mutex
	cached *attribution // the last count of signatures by referrer
}

// NewPartners returns the partner service over db; signing gives the
// campaigns and the clock.
func NewPartners(db *mongo.Database, signing *Service) *Partners {
	return &Partners{
		store:   newPartnerStore(db, signing.store.keys),
		signing: signing,
		now:     signing.now,
	}
}

var refRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// NormaliseOrigin turns a web address into its origin
// (scheme://host[:port], lower case), the form browsers send in Origin.
func NormaliseOrigin(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw != "" && !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	// A website address may have a path; its origin is what ParseOrigin
	// accepts.
	return ParseOrigin(u.Scheme + "://" + u.Host)
}

// normalisePartner cleans and checks the partner form.
func normalisePartner(in PartnerInput) (Partner, error) {
	var problems []FieldError
	name, nameErr := textnorm.Line(in.Name)
	p := Partner{
		Name: name,
		Ref:  strings.ToLower(strings.TrimSpace(in.Ref)),
	}
	switch n := textnorm.Length(p.Name); {
	case nameErr != nil:
		problems = append(problems, FieldError{Field: "name", Problem: ProblemInvalid})
	case n == 0:
		problems = append(problems, FieldError{Field: "name", Problem: ProblemRequired})
	case n > PartnerNameMax:
		problems = append(problems, FieldError{Field: "name", Problem: ProblemTooLong, Limit: PartnerNameMax})
	}
	if strings.TrimSpace(in.Website) != "" {
		origin, ok := NormaliseOrigin(in.Website)
		if !ok {
			problems = append(problems, FieldError{Field: "website", Problem: ProblemOrigin})
		}
		p.Website = origin
	}
	switch {
	case p.Ref == "":
		problems = append(problems, FieldError{Field: "ref", Problem: ProblemRequired})
	case len(p.Ref) > RefMax:
		problems = append(problems, FieldError{Field: "ref", Problem: ProblemTooLong, Limit: RefMax})
	case len(p.Ref) < RefMin || !refRE.MatchString(p.Ref):
		problems = append(problems, FieldError{Field: "ref", Problem: ProblemRef})
	}
	if len(problems) > 0 {
		return p, &ValidationError{Fields: problems}
	}
	return p, nil
}

// EnsureIndexes creates the indexes of the partner collections; safe to
// call at every start-up. Idempotency records expire by a TTL index on
// MongoDB; the embedded database has none, and an expired record is taken
// over when its key comes again (Claim).
func (ps *Partners) EnsureIndexes(ctx context.Context) error {
	return ps.store.ensureIndexes(ctx)
}

// Add registers a partner. Invalid input is a *ValidationError; a ref code
// in use is a *ValidationError with ProblemTaken on "ref".
func (ps *Partners) Add(ctx context.Context, in PartnerInput) (*Partner, error) {
	p, err := normalisePartner(in)
	if err != nil {
		return nil, err
	}
	p.CreatedAt = ps.now().UTC().Truncate(time.Millisecond)
	if err := ps.store.insertPartner(ctx, &p); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return nil, &ValidationError{Fields: []FieldError{{Field: "ref", Problem: ProblemTaken}}}
		}
		return nil, err
	}
	return &p, nil
}

// All returns every partner by name.
func (ps *Partners) All(ctx context.Context) ([]Partner, error) {
	out, err := ps.store.allPartners(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Partner) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// Partner returns the partner with that ref code, or ErrNotFound.
func (ps *Partners) Partner(ctx context.Context, ref string) (*Partner, error) {
	return ps.store.partner(ctx, ref)
}

// secret returns a random 256-bit secret, URL-safe, and its SHA-256.
func secret() (string, string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("make a secret: %w", err)
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	return s, hashSecret(s), nil
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// NewStatsLink gives the partner a new secret for its stats link, which
// replaces the old one, and returns it; only its hash is stored.
func (ps *Partners) NewStatsLink(ctx context.Context, ref string) (string, error) {
	token, hash, err := secret()
	if err != nil {
		return "", err
	}
	if err := ps.store.setStatsHash(ctx, ref, hash); err != nil {
		return "", err
	}
	return token, nil
}

// RevokeStatsLink withdraws the partner's stats link.
func (ps *Partners) RevokeStatsLink(ctx context.Context, ref string) error {
	return ps.store.setStatsHash(ctx, ref, "")
}

// ByStatsToken returns the partner whose stats link has that secret, or
// ErrNotFound. The partners collection is small, so it is read whole.
func (ps *Partners) ByStatsToken(ctx context.Context, token string) (*Partner, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	all, err := ps.All(ctx)
	if err != nil {
		return nil, err
	}
	hash := hashSecret(token)
	for i := range all {
		if all[i].StatsHash != "" && all[i].StatsHash == hash {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("stats link: %w", ErrNotFound)
}

// apiKeyPrefix starts every API key, so that secret scanners recognise it.
const apiKeyPrefix = "sol_"

// NewKey creates an API key for the partner and returns it; it cannot be
// read again, only its hash is stored.
func (ps *Partners) NewKey(ctx context.Context, ref string) (string, error) {
	if _, err := ps.Partner(ctx, ref); err != nil {
		return "", err
	}
	s, _, err := secret()
	if err != nil {
		return "", err
	}
	key := apiKeyPrefix + s
	k := APIKey{Hash: hashSecret(key), Partner: ref, Prefix: key[:len(apiKeyPrefix)+6], CreatedAt: ps.now().UTC().Truncate(time.Millisecond)}
	if err := ps.store.insertKey(ctx, &k); err != nil {
		return "", err
	}
	return key, nil
}

// Keys returns the partner's API keys, newest first.
func (ps *Partners) Keys(ctx context.Context, ref string) ([]APIKey, error) {
	out, err := ps.store.keysOf(ctx, ref)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b APIKey) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// RevokeKey withdraws one of the partner's keys, named by its prefix; the
// API refuses it from then on. ErrNotFound if the partner has no such key.
func (ps *Partners) RevokeKey(ctx context.Context, ref, prefix string) error {
	return ps.store.revokeKeys(ctx, ref, prefix, ps.now().UTC().Truncate(time.Millisecond))
}

// Authenticate returns the partner whose API key this is. An unknown key
// is ErrNotFound, a withdrawn one ErrRevoked. It reads by _id only.
func (ps *Partners) Authenticate(ctx context.Context, key string) (*Partner, error) {
	if !strings.HasPrefix(key, apiKeyPrefix) {
		return nil, fmt.Errorf("api key: %w", ErrNotFound)
	}
	k, err := ps.store.key(ctx, hashSecret(key))
	if err != nil {
		return nil, err
	}
	if k.RevokedAt != nil {
		return nil, fmt.Errorf("api key: %w", ErrRevoked)
	}
	return ps.Partner(ctx, k.Partner)
}

// Sign adds a signature the partner collected on its own form, with the
// web form's rules (Service.Sign), attributed to the partner.
func (ps *Partners) Sign(ctx context.Context, p *Partner, c *Campaign, in SignInput) error {
	in.Source = SourceAPI
	in.Referrer = p.Ref
	return ps.signing.Sign(ctx, c, in)
}

// PartnerStats are the signatures a partner brought to one campaign.
type PartnerStats struct {
	CampaignID string
	Slug       string
	Title      string
	Total      int64
	// Days counts the signatures of each day (in the campaign's time zone)
	// that has any, oldest first.
	Days []DayTotal
}

// DayTotal is one day's signatures.
type DayTotal struct {
	Date time.Time // midnight UTC of the date
	N    int64
}

// attribution is every signature with a referrer, counted by referrer,
// campaign and day.
type attribution struct {
	at     time.Time
	counts map[string]map[string]map[time.Time]int64 // referrer → campaign → day
}

// StatsMaxAge is how old the counts of Stats may be: counting them reads
// every signature, so they are computed at most this often.
const StatsMaxAge = time.Minute

// Stats returns, for each of partners (by ref), the signatures it brought
// to each campaign, and the time they were counted.
func (ps *Partners) Stats(ctx context.Context, partners []Partner) (map[string][]PartnerStats, time.Time, error) {
	a, err := ps.attribution(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	set := ps.signing.Campaigns()
	byID := map[string]*Campaign{}
	for i := range set.All {
		byID[set.All[i].ID] = &set.All[i]
	}
	out := map[string][]PartnerStats{}
	for _, p := range partners {
		merged := map[string]map[time.Time]int64{}
		for _, referrer := range []string{p.Ref, p.Website} {
			if referrer == "" {
				continue
			}
			for cid, days := range a.counts[referrer] {
				if merged[cid] == nil {
					merged[cid] = map[time.Time]int64{}
				}
				for d, n := range days {
					merged[cid][d] += n
				}
			}
		}
		var list []PartnerStats
		for cid, days := range merged {
			st := PartnerStats{CampaignID: cid, Slug: cid, Title: cid}
			if c, ok := byID[cid]; ok {
				st.Slug, st.Title = c.Slug, c.Title
			}
			for d, n := range days {
				st.Total += n
				st.Days = append(st.Days, DayTotal{Date: d, N: n})
			}
			slices.SortFunc(st.Days, func(a, b DayTotal) int { return a.Date.Compare(b.Date) })
			list = append(list, st)
		}
		slices.SortFunc(list, func(a, b PartnerStats) int { return strings.Compare(a.Title, b.Title) })
		out[p.Ref] = list
	}
	return out, a.at, nil
}

// attribution counts the signatures by referrer, reusing a count younger
// than StatsMaxAge. It reads every signature, in natural order.
func (ps *Partners) attribution(ctx context.Context) (*attribution, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	now := ps.now().UTC()
	if ps.cached != nil && now.Sub(ps.cached.at) < StatsMaxAge && !now.Before(ps.cached.at) {
		return ps.cached, nil
	}
	locs := map[string]*time.Location{}
	for _, c := range ps.signing.Campaigns().All {
		locs[c.ID] = c.Location()
	}
	a := &attribution{at: now, counts: map[string]map[string]map[time.Time]int64{}}
	err := ps.signing.store.eachReferral(ctx, func(campaignID string, signedAt time.Time, referrer string) {
		loc := locs[campaignID]
		if loc == nil {
			loc = time.UTC
		}
		byCampaign := a.counts[referrer]
		if byCampaign == nil {
			byCampaign = map[string]map[time.Time]int64{}
			a.counts[referrer] = byCampaign
		}
		days := byCampaign[campaignID]
		if days == nil {
			days = map[time.Time]int64{}
			byCampaign[campaignID] = days
		}
		days[dateIn(signedAt, loc)]++
	})
	if err != nil {
		return nil, fmt.Errorf("count signatures by partner: %w", err)
	}
	ps.cached = a
	return a, nil
}
