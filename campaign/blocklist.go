package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/net/idna"
)

// Block lists. The organisation keeps one list of email domains whose
// addresses may not sign any of its campaigns: a domain refuses its
// subdomains too. A blocked address is refused, not marked (the issue asks
// for block lists, and a mark would still count it): the supporter is told
// in their language that addresses at that domain are not accepted, which
// says nothing about anyone else. The list lives in one document that
// every node reads at most blockListTTL after a change.

// ProblemBlocked is an email address at a blocked domain.
const ProblemBlocked Problem = "blocked_domain"

// blockListTTL is how long a node keeps the list it read;
// blockListTimeout bounds a read for a caller without a deadline.
const (
	blockListTTL     = 2 * time.Second
	blockListTimeout = 5 * time.Second
)

// BlockListMax is how many domains the list holds at most.
const BlockListMax = 2000

const (
	blockListCollection = "block_lists"
	blockListID         = "email_domains"
)

// blockListDoc is the stored list.
type blockListDoc struct {
	ID        string    `bson:"_id"`
	Domains   []string  `bson:"domains"`
	UpdatedAt time.Time `bson:"updated_at"`
}

// BlockList is the organisation's blocked email domains, read through a
// short cache. Its zero value is not ready: Service.BlockList returns it.
type BlockList struct {
	coll *mongo.Collection
	now  func() time.Time

	mu      sync.Mutex
	domains []string
	read    time.Time
}

func newBlockList(db *mongo.Database, now func() time.Time) *BlockList {
	return &BlockList{coll: db.Collection(blockListCollection), now: now}
}

// BlockList returns the organisation's blocked email domains.
func (s *Service) BlockList() *BlockList { return s.blocked }

// Prepare stores an empty list unless one is stored: the migration that
// brings the collection.
func (b *BlockList) Prepare(ctx context.Context) error {
	_, err := b.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: blockListID}},
		bson.D{{Key: "$setOnInsert", Value: blockListDoc{ID: blockListID, Domains: []string{}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("prepare block list: %w", err)
	}
	return nil
}

// Domains returns the blocked domains, in ASCII (IDNA) form, sorted.
func (b *BlockList) Domains(ctx context.Context) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.read.IsZero() && b.now().Sub(b.read) < blockListTTL && !b.now().Before(b.read) {
		return b.domains, nil
	}
	var d blockListDoc
	err := b.coll.FindOne(ctx, bson.D{{Key: "_id", Value: blockListID}}).Decode(&d)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("read block list: %w", err)
	}
	b.domains, b.read = d.Domains, b.now()
	return b.domains, nil
}

// Save replaces the list with domains (ParseDomains's) and returns the
// domains added and removed.
func (b *BlockList) Save(ctx context.Context, domains []string) (added, removed []string, err error) {
	before, err := b.Domains(ctx)
	if err != nil {
		return nil, nil, err
	}
	_, err = b.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: blockListID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "domains", Value: domains}, {Key: "updated_at", Value: b.now().UTC()}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return nil, nil, fmt.Errorf("save block list: %w", err)
	}
	b.mu.Lock()
	b.domains, b.read = domains, b.now()
	b.mu.Unlock()
	for _, d := range domains {
		if !slices.Contains(before, d) {
			added = append(added, d)
		}
	}
	for _, d := range before {
		if !slices.Contains(domains, d) {
			removed = append(removed, d)
		}
	}
	return added, removed, nil
}

// Blocks reports whether a normalised email address is at a blocked
// domain or one of its subdomains.
func (b *BlockList) Blocks(ctx context.Context, normalisedEmail string) (bool, error) {
	// Like the batch's writes (batch.go), the read does not end when the
	// caller's request is cancelled, only at its deadline: a signature
	// sent goes through to its outcome.
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(blockListTimeout)
	}
	rctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	list, err := b.Domains(rctx)
	if err != nil || len(list) == 0 {
		return false, err
	}
	domain, err := idna.Lookup.ToASCII(EmailDomain(normalisedEmail))
	if err != nil {
		// Not a domain names can match; the address rules judge it.
		return false, nil
	}
	for _, d := range list {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true, nil
		}
	}
	return false, nil
}

// DomainProblem is a line of a block list that is not a domain.
type DomainProblem struct {
	Line  int    // from 1
	Entry string // as typed
}

// ParseDomains reads a block list as typed, one domain a line (commas and
// spaces separate too): each is lowercased and put in its ASCII (IDNA)
// form; a leading "@" or "*." is dropped; repeats are dropped. Entries
// that are not domain names (an address, a single label, a bad
// character) are returned as problems, with their line.
func ParseDomains(text string) (domains []string, problems []DomainProblem) {
	for i, line := range strings.Split(text, "\n") {
		for entry := range strings.FieldsFuncSeq(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == ';' }) {
			d, ok := parseDomain(entry)
			if !ok {
				problems = append(problems, DomainProblem{Line: i + 1, Entry: entry})
				continue
			}
			if !slices.Contains(domains, d) {
				domains = append(domains, d)
			}
		}
	}
	slices.Sort(domains)
	return domains, problems
}

// domainProfile checks and maps a domain name as a registry would.
var domainProfile = idna.New(idna.MapForLookup(), idna.StrictDomainName(true), idna.ValidateLabels(true), idna.BidiRule())

func parseDomain(entry string) (string, bool) {
	e := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(entry, "@"), "*."), ".")
	if e == "" || strings.ContainsAny(e, "@/:") {
		return "", false
	}
	d, err := domainProfile.ToASCII(strings.ToLower(e))
	if err != nil || !strings.Contains(d, ".") || len(d) > 253 || slices.Contains(strings.Split(d, "."), "") {
		return "", false
	}
	return d, true
}
