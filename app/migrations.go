package app

import (
	"context"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/backup"

	"github.com/solidarity-letters/solidarity/internal/migrate"
)

// Migrations is the history of the stored data's shape: what brings a
// database made by any earlier version to the shape this version reads.
// Prepare applies the ones a database has not had yet (internal/migrate
// records its version in the schema collection, under a lock that several
// app nodes share).
//
// The list is append-only: a migration that has shipped keeps its number
// and its effect. A new index, a renamed field or a repair of old data is a
// new entry at the end, whose Up is idempotent and resumable (it may run
// again after a crash half way). The first entries are what every start
// used to do before versions existed; a database made then has version 0
// and gets them once more, which changes nothing there.
func (a *App) Migrations() []migrate.Migration {
	return []migrate.Migration{
		// Values stored plain by a version before sealing are sealed before
		// anything else touches the collections: on the embedded database
		// this copies and renames collections, and a copy must not meet a
		// collection made anew by an index.
		{Version: 1, Name: "seal the values stored in plain text", Up: a.sealStored},
		{Version: 2, Name: "campaign and signature indexes", Up: a.Campaigns.EnsureIndexes},
		{Version: 3, Name: "greeting indexes", Up: a.Greetings.EnsureIndexes},
		{Version: 4, Name: "name queue indexes", Up: a.Greetings.Names().EnsureIndexes},
		{Version: 5, Name: "account indexes", Up: a.Users.EnsureIndexes},
		{Version: 6, Name: "partner indexes", Up: a.Partners.EnsureIndexes},
		// Campaigns gained translations; each now names its own language.
		{Version: 7, Name: "campaigns state their language", Up: a.Campaigns.StateLanguages},
		// Signatures hold their greeting, sealed (the field "greeting"; older
		// signatures have none, and their greeting is in the greetings
		// collection only), and a journal names the greetings being copied
		// from them (campaign/commit.go).
		{Version: 8, Name: "signing journal", Up: a.Campaigns.EnsureJournal},
		// Nodes tell each other which campaigns' public greetings changed.
		{Version: 9, Name: "public greetings versions", Up: a.Greetings.EnsureShownVersions},
		// Counters are corrected by recounts that other nodes' additions
		// survive (campaign/recount.go), no longer rewritten at start-up.
		{Version: 10, Name: "counter documents take recounts", Up: a.readyCounters},
		// A sign form's token signs once: the spent ones are kept, a
		// collection an hour, until they expire.
		{Version: 11, Name: "spent form token collections", Up: a.Spent.Prepare},
		// The organisation's blocked email domains, an empty list at first,
		// and the invalidations of bursts of signatures, read by campaign.
		{Version: 12, Name: "blocked email domains and invalidations", Up: func(ctx context.Context) error {
			if err := a.Signing.BlockList().Prepare(ctx); err != nil {
				return err
			}
			return a.Campaigns.EnsureInvalidations(ctx)
		}},
		// Nodes tell each other which signatures were erased, to take them
		// out of the console's index of signatures (campaign/indexsync.go).
		{Version: 13, Name: "signature erasures", Up: a.Campaigns.EnsureErasures},
		// Each campaign's shown_versions document names its newest approved
		// greetings, which start-up reads by _id instead of every greeting.
		{Version: 14, Name: "lists of public greetings", Up: a.Greetings.FillShownLists},
		// Organizers record what happened to a campaign's letter after it
		// closed (delivery/): the events, by campaign, and the version
		// the nodes read to learn of changes.
		{Version: 15, Name: "delivery events", Up: a.Events.EnsureIndexes},
		// Letters and news under /letters: the posts, with a unique slug,
		// and their scans by content hash.
		{Version: 16, Name: "posts and their scans", Up: a.Posts.Store().EnsureCollections},
		// Recipients have a public page under a slug made from their name
		// (campaign.Recipient.Slug), unique among them. Unlisted recipients
		// and campaigns need nothing: an absent field is listed.
		{Version: 17, Name: "recipient slugs", Up: a.Campaigns.EnsureRecipientSlugs},
		// A bundle keeps, when it is built, which signature it printed as
		// each number (bundle_numbers), so that a reply names the
		// supporters on the letter posted; the bundles built before get
		// theirs from the signatures as they are now.
		{Version: 18, Name: "bundles' signature numbers", Up: a.Bundles.FillNumbers},
		// Messages to supporters wait in mail_queue, whose _id is the
		// keyed hash of each one's idempotency key (unique on both
		// databases), with an index on the time each is due and a unique
		// one on its claim (_id/attempt); mail_log keeps how each ended
		// under the same _id, mail_stats the counts and mail_claims the
		// claims of the workers (package mail).
		{Version: 19, Name: "mail queue", Up: a.Mail.Prepare},
		// Signatures waiting for their supporter's confirmation, in a
		// collection of their own, by campaign (the console's count) and
		// by the slot of their time (the cleanup: campaign/pending.go).
		// Campaigns need nothing: an absent confirm_email is off.
		{Version: 20, Name: "pending signatures", Up: a.Campaigns.EnsurePending},
		// Supporters who asked for updates are told of each public
		// delivery event and listed post (package updates): the cursors
		// record, by campaign, what was told, and when updates began, so
		// that nothing public before is sent. Signatures keep the
		// language they were made in (lang); one stored before has none,
		// and its updates are in the campaign's language: nothing to
		// write.
		{Version: 21, Name: "update cursors", Up: a.Updates.Prepare},
		// On a partner's embedded form a supporter may let the partner
		// contact them: the consent is in the signature (partner_consent,
		// sealed), which its partner's API key lists by this index.
		{Version: 22, Name: "partner contacts index", Up: a.Campaigns.EnsureContactIndex},
		// The retention job's collections: retention (the campaigns
		// whose signatures it trimmed) and retention_claims (one node
		// per run; campaign.Retention).
		{Version: 23, Name: "retention", Up: func(ctx context.Context) error {
			return campaign.PrepareRetention(ctx, a.db.Mongo())
		}},
		// A retention record names the pass it did (closing date, posted
		// day), so that a moved closing date is trimmed again.
		{Version: 24, Name: "retention records name their pass", Up: func(ctx context.Context) error {
			return campaign.RetentionPasses(ctx, a.db.Mongo())
		}},
		// A pending signature's partner consent (partner, partner_text) is
		// sealed like its other fields. Signatures mark an address its
		// supporter confirmed (confirmed), the only kind updates and
		// partners get: the ones on campaigns that ask for confirmation
		// are marked; the others never were confirmed.
		{Version: 25, Name: "sealed pending consents and confirmed addresses", Up: func(ctx context.Context) error {
			if err := a.Campaigns.SealPendingConsents(ctx); err != nil {
				return err
			}
			return a.Campaigns.MarkConfirmed(ctx)
		}},
		// Confirmation messages are composed and queued by a worker, not
		// by the request that signs (campaign/confirm_worker.go): pending
		// signatures whose message waits are found by an index on "send",
		// and the worker's claims have a collection. Pending signatures
		// stored before had their message sent with the request: none
		// waits.
		{Version: 26, Name: "confirmation messages' worker", Up: a.Campaigns.EnsureConfirmQueue},
		// Scheduled backups (internal/backup) record each run's result in
		// backups, which every node's console and /readyz read, and give
		// each period's run to one node by a claim in backup_claims.
		{Version: 27, Name: "scheduled backups", Up: func(ctx context.Context) error {
			return backup.Prepare(ctx, a.db.Mongo())
		}},
	}
}

// Migrate brings the database to the shape this version reads (see
// Migrations). Prepare calls it first; commands that write without
// preparing the whole application call it themselves.
func (a *App) Migrate(ctx context.Context) error {
	return migrate.Run(ctx, a.db.Mongo(), a.Migrations(), migrate.Options{Log: a.log.With("component", "migrate")})
}

// sealStored seals what an older version stored plain. On the embedded
// database, whose only client is this process, it copies each collection
// and so seals anew the values under a rotated-out key too; elsewhere Run's
// resealer does that in the background.
func (a *App) sealStored(ctx context.Context) error {
	n, err := a.Resealer.Migrate(ctx, a.db.Embedded())
	if err != nil || n == 0 {
		return err
	}
	// The plain values it replaced may linger in the write-ahead log.
	return a.db.Scrub(ctx)
}

// readyCounters gives the counter documents of an older version what
// recounts need, and counts every campaign's signatures once: the counter
// documents are all start-up reads now, and an older version may not have
// written any.
func (a *App) readyCounters(ctx context.Context) error {
	if err := a.Campaigns.SealCounters(ctx); err != nil {
		return err
	}
	_, err := a.Signing.RecountAll(ctx)
	return err
}
