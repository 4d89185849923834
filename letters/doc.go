// Package letters holds the words that travel with a campaign besides
// the signatures.
//
// Now it holds the greetings: the short messages supporters add to their
// signature (Greeting); their moderation, since moderators approve each
// before anything is printed or shown (Status, Reason, the queue in
// Service.Queue); their translations into the languages the prison lets
// through (Translation, Service.Translate); and the name queue, where
// names and cities that prison staff might object to wait for a moderator
// before they are printed or shown (NameStore, Service.HoldName). Next it
// will hold the letters that come back from the recipient.
//
// The word "letter" means three things in solidarity: the text a
// supporter signs (campaign.Campaign.Letter); one envelope of printed
// pages (pdf.Envelope); and this package, the correspondence around a
// campaign.
//
// The store's writes are in the store*.go files; the services call them.
package letters
