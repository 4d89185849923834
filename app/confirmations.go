package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/mail"
)

// KindConfirm is the mail queue's kind of the messages that ask a
// supporter to confirm a signature.
const KindConfirm mail.Kind = "confirm"

// mailConfirmations sends the messages of double opt-in
// (campaign.Confirmations) through the mail queue, in the language of the
// page the supporter signed on.
type mailConfirmations struct {
	queue    *mail.Queue
	composer *mail.Composer
	messages *i18n.Catalog
}

// SendConfirmation composes and queues the message; the confirmation
// worker calls it (campaign/confirm_worker.go), never the signing request.
// One queued before under the same key (by a worker that stopped before it
// recorded that it had) is not queued again.
func (c mailConfirmations) SendConfirmation(ctx context.Context, m campaign.ConfirmationMail) error {
	tag, ok := c.messages.Supported(m.Lang)
	if !ok {
		tag = i18n.Default()
	}
	l := c.messages.Localizer(tag)
	msg, err := c.composer.Compose(tag.String(), mail.Content{
		Subject: l.T("optin.mail.subject", "Title", m.CampaignTitle),
		Paragraphs: []string{
			l.T("optin.mail.intro", "Title", m.CampaignTitle),
			l.T("optin.mail.button_page"),
			l.T("optin.mail.ignore"),
		},
		Action: &mail.Link{Label: l.T("optin.mail.action"), URL: m.ConfirmURL},
		Reason: l.T("optin.mail.reason"),
	})
	if err != nil {
		return fmt.Errorf("compose the confirmation of campaign %s: %w", m.CampaignID, err)
	}
	msg.Kind, msg.To, msg.Key = KindConfirm, m.To, m.Key
	msg.About = []string{campaign.CampaignRef(m.CampaignID)}
	if err := c.queue.Enqueue(ctx, msg); err != nil && !errors.Is(err, mail.ErrDuplicate) {
		return fmt.Errorf("queue the confirmation of campaign %s: %w", m.CampaignID, err)
	}
	return nil
}

// mailWithdrawals withdraws the messages still queued about an erased or
// unsubscribed signature, or a trimmed campaign
// (campaign.Withdrawals).
type mailWithdrawals struct {
	queue *mail.Queue
}

// Withdraw cancels the queued messages about ref.
func (w mailWithdrawals) Withdraw(ctx context.Context, ref string) error {
	_, err := w.queue.Cancel(ctx, ref)
	return err
}
