package campaign

import "strings"

// Aliases. Many mail services deliver "anna+tag@" to "anna@", and Gmail
// ignores dots in the local part and takes googlemail.com for gmail.com:
// one person can sign a campaign many times under addresses that all reach
// them. A campaign can choose to count such addresses as one
// (Campaign.MergeAliases). It is off by default, since at some services
// "a+b@" and "a@" are two people.
//
// The choice applies to the duplicate key only: the signature's ID is the
// HMAC of the merged address, and the address kept for updates is the
// one typed. Turning it on for a campaign that has signatures changes the
// key of the signatures to come; those stored keep theirs, so an address
// that signed before can sign once more under another alias (the form's
// help says so).

// gmailDomains are the domains whose local part ignores dots.
var gmailDomains = map[string]bool{"gmail.com": true, "googlemail.com": true}

// DuplicateKey is the address that decides whether two signatures of a
// campaign are one person's: the normalised address itself, or, when
// merge is on, its mailbox without a "+tag" and, at Gmail, without dots,
// with googlemail.com as gmail.com.
func DuplicateKey(normalisedEmail string, merge bool) string {
	if !merge {
		return normalisedEmail
	}
	at := strings.LastIndexByte(normalisedEmail, '@')
	if at <= 0 {
		return normalisedEmail
	}
	local, domain := normalisedEmail[:at], normalisedEmail[at+1:]
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	if gmailDomains[domain] {
		domain = "gmail.com"
		if l := strings.ReplaceAll(local, ".", ""); l != "" {
			local = l
		}
	}
	return local + "@" + domain
}
