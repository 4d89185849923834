// Package updates tells the supporters who asked to be kept informed what
// happened to their campaign's letter: each public delivery event and each
// published, listed post that answers the campaign. A job gathers a
// campaign's new items since its last notice, waits until none has changed
// for a settle time (so that an organizer's corrections do not send twice)
// and queues one message per supporter covering all of them, with a
// one-click unsubscribe link (RFC 8058, token.go).
//
// Each campaign has a cursor document: the items it has told of, and the
// notice being sent. A node moves the cursor on with a conditional replace
// and owns the move through internal/claim, so that one node sends each
// notice; every message's idempotency key names the campaign, the notice
// and the signature, so that a crash and a rerun send nothing twice.
package updates

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/internal/refresh"
	"github.com/solidarity-letters/solidarity/letters/posts"
	"github.com/solidarity-letters/solidarity/mail"
)

// Kind is the mail kind of update messages.
const Kind mail.Kind = "update"

// Defaults of Options.
const (
	DefaultSettle   = time.Hour
	DefaultInterval = time.Minute
	DefaultLease    = 2 * time.Minute
)

// Options are the notifier's settings.
type Options struct {
	// BaseURL is the site's public address without a trailing slash;
	// without it no message can link back, and nothing is sent.
	BaseURL string
	// Settle is how long the newest item of a notice must stay unchanged
	// before the notice goes; 0: DefaultSettle.
	Settle time.Duration
	// Interval is how often Run looks for new items; 0: DefaultInterval.
	Interval time.Duration
	// Lease is how long a notice's claim lasts unless renewed: a node that
	// stopped while queuing it is taken over once it ran out;
	// 0: DefaultLease.
	Lease time.Duration
	// Heartbeat is how often a node renews the lease of the notice it is
	// queuing; 0: a quarter of Lease.
	Heartbeat time.Duration
	// Queued, when set, is called after each message of a notice is
	// queued (tests pace the work with it).
	Queued func(ctx context.Context)
	// EraseLink returns the address at which the supporter of a signature
	// of the campaign, made at signedAt, can erase it; "" for none (see
	// eraseLink).
	EraseLink func(campaignID, signatureID string, signedAt time.Time) string
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Log receives Run's failures; nil discards them.
	Log *slog.Logger
	// Observe, when set, is told how long each of Run's looks took and
	// whether it failed, as job "updates" (the metrics).
	Observe func(job string, took time.Duration, err error)
}

// Notifier queues update messages.
type Notifier struct {
	campaigns *campaign.Service
	store     *campaign.Store
	delivery  *delivery.Service
	posts     *posts.Service
	queue     *mail.Queue
	composer  *mail.Composer
	messages  *i18n.Catalog
	tokens    Tokens
	cursors   *mongo.Collection
	claims    *claim.Records
	opts      Options
}

// Deps are what the notifier reads and writes through.
type Deps struct {
	Campaigns *campaign.Service
	Store     *campaign.Store
	Delivery  *delivery.Service
	Posts     *posts.Service
	Queue     *mail.Queue
	Composer  *mail.Composer
	Messages  *i18n.Catalog
}

// New returns a notifier over db's cursor collections, signing links
// with tokens.
func New(db *mongo.Database, d Deps, tokens Tokens, opts Options) *Notifier {
	if opts.Settle <= 0 {
		opts.Settle = DefaultSettle
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = opts.Lease / 4
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{
		campaigns: d.Campaigns, store: d.Store, delivery: d.Delivery, posts: d.Posts,
		queue: d.Queue, composer: d.Composer, messages: d.Messages, tokens: tokens,
		cursors: db.Collection(cursorsCollection), claims: claim.New(db.Collection(claimsCollection)),
		opts: opts,
	}
}

// Tokens are the tokens of the notifier's links.
func (n *Notifier) Tokens() Tokens { return n.tokens }

// Run looks for new items every Interval until ctx ends; failures are
// logged and tried again at the next tick. Without a base URL it does
// nothing. It returns when ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	if n.opts.BaseURL == "" {
		n.opts.Log.Warn("updates are not sent: no base URL is set")
		<-ctx.Done()
		return nil
	}
	refresh.Every(ctx, n.opts.Interval, n.opts.Log, "send updates", func(ctx context.Context) error {
		start := time.Now()
		err := n.Tick(ctx)
		if n.opts.Observe != nil && ctx.Err() == nil {
			n.opts.Observe("updates", time.Since(start), err)
		}
		return err
	})
	return nil
}

// Tick queues the notices that are due, campaign by campaign; a campaign
// that fails does not stop the others.
func (n *Notifier) Tick(ctx context.Context) error {
	start, err := n.start(ctx)
	if err != nil {
		return err
	}
	set := n.campaigns.Campaigns()
	var errs []error
	for i := range set.All {
		c := &set.All[i]
		if err := n.campaign(ctx, c, start); err != nil {
			errs = append(errs, fmt.Errorf("updates of %s: %w", c.ID, err))
		}
	}
	return errors.Join(errs...)
}

// item is something public that a notice tells of.
type item struct {
	key     string    // "e:" and an event's ID, or "p:" and a post's
	created time.Time // when it was made or published
	touched time.Time // when it last changed
	event   *delivery.Event
	post    *posts.Post
}

// campaign queues the campaign's notice if one is due, or takes over one
// whose node stopped.
func (n *Notifier) campaign(ctx context.Context, c *campaign.Campaign, start time.Time) error {
	now := n.opts.Now()
	cur, err := n.cursor(ctx, c.ID)
	if err != nil {
		return err
	}
	if len(cur.Items) > 0 {
		if now.Before(cur.LeaseUntil) {
			return nil // another node is sending it
		}
		return n.send(ctx, c, cur, now)
	}
	if !n.fresh(c.ID, cur.Done, now) {
		return nil
	}
	items, err := n.items(ctx, c.ID, now)
	if err != nil {
		return err
	}
	var old, keys []string
	var newest time.Time
	for _, it := range items {
		switch {
		case slices.Contains(cur.Done, it.key):
		case it.created.Before(start):
			old = append(old, it.key) // before updates were sent: never told
		default:
			keys = append(keys, it.key)
			if it.touched.After(newest) {
				newest = it.touched
			}
		}
	}
	if len(keys) > 0 && now.Sub(newest) < n.opts.Settle {
		return nil
	}
	cur.Done = append(cur.Done, old...)
	if len(keys) == 0 {
		if len(old) > 0 {
			_, err = n.advance(ctx, cur)
		}
		return err
	}
	cur.Notice++
	cur.Items = keys
	return n.send(ctx, c, cur, now)
}

// fresh reports, from memory, whether the campaign has public items that
// done does not name.
func (n *Notifier) fresh(campaignID string, done []string, now time.Time) bool {
	timeline, _ := n.delivery.Timeline(campaignID)
	for _, e := range timeline {
		if !slices.Contains(done, "e:"+e.ID) {
			return true
		}
	}
	for _, e := range n.posts.Posts().Listed(now, "") {
		if e.Post.CampaignID == campaignID && !slices.Contains(done, "p:"+e.Post.ID) {
			return true
		}
	}
	return false
}

// items returns the campaign's public events, as stored, and its listed
// posts, oldest first.
func (n *Notifier) items(ctx context.Context, campaignID string, now time.Time) ([]item, error) {
	events, err := n.delivery.Events(ctx, campaignID)
	if err != nil {
		return nil, fmt.Errorf("read delivery events: %w", err)
	}
	var out []item
	for i := range events {
		e := &events[i]
		if e.Public {
			out = append(out, item{key: "e:" + e.ID, created: e.CreatedAt, touched: later(e.CreatedAt, e.UpdatedAt), event: e})
		}
	}
	listed := n.posts.Posts().Listed(now, "")
	for i := len(listed) - 1; i >= 0; i-- { // Listed is newest first
		p := &listed[i].Post
		if p.CampaignID == campaignID {
			out = append(out, item{key: "p:" + p.ID, created: p.PublishAt, touched: later(p.PublishAt, p.UpdatedAt), post: p})
		}
	}
	return out, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// send queues the cursor's notice to every subscriber, as the node that
// moved the cursor on, and then records it as told. The claim is renewed
// every Heartbeat while the messages are queued (claim.Keep); a renewal
// that finds the notice taken over by another node stops the work.
func (n *Notifier) send(ctx context.Context, c *campaign.Campaign, cur *cursorDoc, now time.Time) error {
	cur.LeaseUntil = now.Add(n.opts.Lease)
	won, err := n.advance(ctx, cur)
	if err != nil || !won {
		return err
	}
	work, stop := claim.Keep(ctx, n.opts.Heartbeat, func(ctx context.Context) (bool, error) {
		return n.renew(ctx, cur)
	}, func(err error) {
		n.opts.Log.Warn("renew the lease of a notice", "campaign", c.ID, "err", err)
	})
	err = n.queueNotice(work, c, cur, now)
	lost := claim.Lost(work)
	stop() // no renewal touches cur after this
	if lost {
		n.opts.Log.Warn("notice taken over by another node; stopped", "campaign", c.ID, "notice", cur.Notice)
		return nil
	}
	if err != nil {
		return err // the lease runs out, and the notice is sent again
	}
	cur.Done = append(cur.Done, cur.Items...)
	cur.Items, cur.LeaseUntil = nil, time.Time{}
	_, err = n.advance(ctx, cur)
	return err
}

// renew extends the lease of the notice being queued by moving the cursor
// on, and reports whether this node still holds it: another node's move
// (a takeover) in between loses it. A renewal whose move was stored but
// whose claim record failed is found lost at the next one; the work
// stops and the notice is taken over once the lease ran out.
func (n *Notifier) renew(ctx context.Context, cur *cursorDoc) (bool, error) {
	next := *cur
	next.LeaseUntil = n.opts.Now().Add(n.opts.Lease)
	won, err := n.advance(ctx, &next)
	if won {
		cur.Version, cur.LeaseUntil = next.Version, next.LeaseUntil
	}
	return won, err
}

// queueNotice queues the cursor's notice to every subscriber of the
// campaign.
func (n *Notifier) queueNotice(ctx context.Context, c *campaign.Campaign, cur *cursorDoc, now time.Time) error {
	items, err := n.items(ctx, c.ID, now)
	if err != nil {
		return err
	}
	// What was made non-public or deleted since is left out.
	items = slices.DeleteFunc(items, func(it item) bool { return !slices.Contains(cur.Items, it.key) })
	if len(items) == 0 {
		return nil
	}
	texts := map[string]mail.Content{}
	return n.store.EachSubscriber(ctx, c.ID, func(sub campaign.Subscriber) error {
		if err := n.enqueue(ctx, c, cur.Notice, items, sub, texts); err != nil {
			return err
		}
		if n.opts.Queued != nil {
			n.opts.Queued(ctx)
		}
		return ctx.Err()
	})
}

// enqueue queues the notice for one subscriber; texts keeps the contents
// laid out so far, by language.
func (n *Notifier) enqueue(ctx context.Context, c *campaign.Campaign, notice int, items []item, sub campaign.Subscriber, texts map[string]mail.Content) error {
	lang := sub.Lang
	if lang == "" {
		lang = c.TextLanguage()
	}
	tag, ok := n.messages.Supported(lang)
	if !ok {
		tag = i18n.Default()
	}
	lang = tag.String()
	content, ok := texts[lang]
	if !ok {
		content = n.content(c, tag, items)
		texts[lang] = content
	}
	l := n.messages.Localizer(tag)
	unsubscribe := n.opts.BaseURL + "/u/" + url.PathEscape(n.tokens.Unsubscribe(sub.ID))
	content.Links = []mail.Link{{Label: l.T("updates.mail.unsubscribe"), URL: unsubscribe}}
	if erase := n.eraseLink(c.ID, sub); erase != "" {
		content.Links = append(content.Links, mail.Link{Label: l.T("updates.mail.erase"), URL: erase})
	}
	m, err := n.composer.Compose(lang, content)
	if err != nil {
		return fmt.Errorf("compose an update: %w", err)
	}
	m.Kind, m.To = Kind, sub.Email
	m.Key = fmt.Sprintf("update/%s/%d/%s", c.ID, notice, sub.ID)
	m.About = []string{campaign.CampaignRef(c.ID), campaign.SignatureRef(sub.ID)}
	m.Headers = map[string]string{
		"List-Unsubscribe":      "<" + unsubscribe + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
	if err := n.queue.Enqueue(ctx, m); err != nil && !errors.Is(err, mail.ErrDuplicate) {
		return fmt.Errorf("queue an update: %w", err)
	}
	return nil
}

// eraseLink is the link to erase the subscriber's signature of the
// campaign, which every message carries (Options.EraseLink, the privacy
// rights' erasure codes); "" when none is set, as in tests of other
// things.
func (n *Notifier) eraseLink(campaignID string, sub campaign.Subscriber) string {
	if n.opts.EraseLink == nil {
		return ""
	}
	return n.opts.EraseLink(campaignID, sub.ID, sub.SignedAt)
}
