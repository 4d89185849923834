// Package audit keeps the record of what was done in the console and by
// whom: logins, campaign changes, moderation decisions, exports, erasures
// and bundle downloads. The application only ever appends to it.
package audit

import "time"

// Action names what happened.
type Action string

// The recorded actions.
const (
	Login           Action = "login"
	LoginFailed     Action = "login_failed"
	Logout          Action = "logout"
	UserAdded       Action = "user_added"
	UserChanged     Action = "user_changed"
	CampaignCreated Action = "campaign_created"
	CampaignChanged Action = "campaign_changed"
	RecipientSaved  Action = "recipient_saved"
	PaperAdded      Action = "paper_signatures_added"
	GreetingDecided Action = "greeting_moderated"
	NameDecided     Action = "name_moderated"
	TranslationSent Action = "translation_saved"
	Exported        Action = "signatures_exported"
	Erased          Action = "signature_erased"
	BundleBuilt     Action = "bundle_built"
	BundleFetched   Action = "bundle_downloaded"
	BundleRebuilt   Action = "bundle_rebuilt"
	// BundleConfirmed: a bundle was queued despite the console's warnings
	// (a recipient who cannot receive letters, a letter's language or
	// censor rules), with the ticked confirmation.
	BundleConfirmed Action = "bundle_warnings_confirmed"
	PartnerAdded    Action = "partner_added"
	PartnerKeyAdded Action = "partner_api_key_created"
	PartnerKeyGone  Action = "partner_api_key_revoked"
	PartnerLinkSet  Action = "partner_stats_link_created"
	PartnerLinkGone Action = "partner_stats_link_revoked"
	// PartnerContactsRead: a partner's API key read a page of the
	// addresses that let the partner contact them.
	PartnerContactsRead Action = "partner_contacts_read"
	ProfileChanged      Action = "organisation_profile_changed"
	// BurstInvalidated and BurstRestored: an organizer invalidated or
	// restored a group of signatures in bulk; BlockListChanged: the email
	// domains refused changed.
	BurstInvalidated Action = "signatures_invalidated"
	BurstRestored    Action = "signatures_restored"
	BlockListChanged Action = "blocked_domains_changed"
	// DeliveryRecorded, DeliveryChanged and DeliveryRemoved: an event of
	// a campaign's delivery log; RecipientStatus: a recipient's situation
	// recorded or removed.
	DeliveryRecorded Action = "delivery_event_recorded"
	DeliveryChanged  Action = "delivery_event_changed"
	DeliveryRemoved  Action = "delivery_event_removed"
	RecipientStatus  Action = "recipient_status_changed"
	// A post under /letters was published, scheduled, taken back to a
	// draft, or unlisted or listed again.
	PostPublished   Action = "post_published"
	PostScheduled   Action = "post_scheduled"
	PostUnpublished Action = "post_unpublished"
	PostVisibility  Action = "post_visibility_changed"
	// ArchiveFetched: a recipient's archive (package archive) was
	// downloaded.
	ArchiveFetched Action = "recipient_archive_downloaded"

	PasswordChanged   Action = "password_changed"
	TwoFactorEnabled  Action = "two_factor_enabled"
	TwoFactorDisabled Action = "two_factor_disabled"
	TwoFactorReset    Action = "two_factor_reset"
	RecoveryCodeUsed  Action = "recovery_code_used"
	TwoFactorSetting  Action = "two_factor_setting_changed"
	// Retained: the retention job trimmed a campaign's signatures.
	Retained Action = "retention_applied"
)

// Entry is one line of the audit log.
type Entry struct {
	At     time.Time
	Actor  string // the account's email, or "cli" / "system"
	Action Action // what was done
	Target string // what it was done to, e.g. a campaign slug; never a supporter
	Detail string
}
