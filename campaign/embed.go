package campaign

import (
	"net/url"
	"slices"
	"strings"
)

// ParseOrigin reads a web origin exactly as a browser sends it ("https://a.example",
// "http://127.0.0.1:8080") and returns it in lower case without a trailing
// slash. Anything with a path, query, user or another scheme is refused, so
// that an origin from a query string can be compared and stored safely.
func ParseOrigin(s string) (string, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "/")
	if s == "" || len(s) > 255 {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", false
	}
	if strings.ContainsAny(u.Host, " \t\"'<>;,*") {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// EmbedAllowed reports whether the site at origin may embed the campaign:
// any site when EmbedOrigins is empty, else only those listed. (Browsers
// enforce the list themselves through the embed pages' frame-ancestors;
// this check refuses an origin that the loader names but may not use.)
func (c *Campaign) EmbedAllowed(origin string) bool {
	if len(c.EmbedOrigins) == 0 {
		return true
	}
	o, ok := ParseOrigin(origin)
	return ok && slices.Contains(c.EmbedOrigins, o)
}
