package archive

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"time"
)

// ManifestName is the name of the manifest in the ZIP, its last file.
const ManifestName = "manifest.json"

// Manifest is manifest.json: what the archive holds, file by file, and
// the rules by which it was chosen.
type Manifest struct {
	Recipient   string `json:"recipient"`
	RecipientID string `json:"recipient_id"`
	// Language is the BCP 47 tag of the language the archive's texts
	// (README.txt, the logs, the column heads, what and rules here) are
	// in; the keys and the codes stay the same in every language.
	Language string `json:"language"`
	// BuildTime is when the archive was written, in UTC.
	BuildTime time.Time  `json:"build_time"`
	Rules     Rules      `json:"rules"`
	Campaigns []Campaign `json:"campaigns"`
	// Files lists every file of the ZIP but manifest.json, in ZIP order.
	Files []File `json:"files"`
	// MissingBundles are bundles that were built but are not included.
	MissingBundles []MissingBundle `json:"missing_bundles"`
}

// Rules says in words, in the archive's language, what each part of the
// archive holds.
type Rules struct {
	Names     string `json:"names"`
	Greetings string `json:"greetings"`
	Bundles   string `json:"bundles"`
	Delivery  string `json:"delivery_log"`
	Status    string `json:"status_history"`
	Posts     string `json:"letters"`
}

// Campaign is one campaign of the recipient in the manifest.
type Campaign struct {
	ID    string `json:"id"`
	Slug  string `json:"slug"`
	Title string `json:"title"`
	// GreetingsRule is RuleGreetingsPosted or RuleGreetingsApproved, and
	// Greetings how many greetings the campaign's file holds.
	GreetingsRule string `json:"greetings_rule"`
	Greetings     int    `json:"greetings"`
	// SentBundles are the bundles the greetings were taken from under
	// RuleGreetingsPosted; Bundles those included as files.
	SentBundles []string `json:"sent_bundles"`
	Bundles     []string `json:"bundles"`
}

// File is one file of the ZIP.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	What   string `json:"what"`
}

// MissingBundle is a bundle that was built but whose file is not in the
// archive, and why.
type MissingBundle struct {
	Campaign   string `json:"campaign"`
	Bundle     string `json:"bundle"`
	SHA256     string `json:"sha256,omitempty"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	ReplacedBy string `json:"replaced_by,omitempty"`
}

// manifest writes manifest.json, the last file.
func (z *writer) manifest() error {
	w, err := z.zip.CreateHeader(&zip.FileHeader{Name: ManifestName, Method: zip.Deflate, Modified: z.at})
	if err != nil {
		return fmt.Errorf("archive: add %s: %w", ManifestName, err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(z.m); err != nil {
		return fmt.Errorf("archive: write %s: %w", ManifestName, err)
	}
	return nil
}
