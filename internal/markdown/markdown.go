// Package markdown renders the Markdown that organizers write (the letters
// and news published under /letters) to HTML that is safe to put in a page:
// raw HTML in the source is dropped, links go only to web, mail and
// same-site addresses and carry rel="nofollow noopener", and images show
// only when they are the site's own scans. Render is the one way such text
// becomes template.HTML.
package markdown

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// scanPath is the only image address shown: a scan the site serves itself,
// named by the hex SHA-256 of its JPEG. Any other image would make the
// reader's browser ask another site for it; and nothing else may follow
// the prefix, so no escaped dot ("%2e%2e"), query or second segment reaches
// another path.
var scanPath = regexp.MustCompile(`^/letters/scans/[0-9a-f]{64}\.jpg$`)

// Renderer turns Markdown into safe HTML. It is safe for concurrent use.
type Renderer struct {
	md goldmark.Markdown
}

// New returns a renderer: CommonMark with strikethrough, tables and
// autolinked web addresses, raw HTML off (goldmark's default).
func New() *Renderer {
	md := goldmark.New(
		goldmark.WithExtensions(extension.Strikethrough, extension.Table, extension.Linkify),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(links{}, 999))),
	)
	return &Renderer{md: md}
}

// Render returns src as HTML.
func (r *Renderer) Render(src string) (template.HTML, error) {
	var b bytes.Buffer
	if err := r.md.Convert([]byte(src), &b); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	return template.HTML(b.String()), nil //nolint:gosec // built by goldmark with raw HTML off, links checked by links
}

// links checks every link and image of a document: one whose address is
// not allowed becomes its text; allowed links get rel="nofollow noopener".
type links struct{}

var rel = []byte("nofollow noopener")

// Transform implements parser.ASTTransformer.
func (links) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	var unlink []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			if !allowedLink(string(n.Destination)) {
				unlink = append(unlink, n)
				return ast.WalkSkipChildren, nil
			}
			n.SetAttributeString("rel", rel)
		case *ast.AutoLink:
			u := string(n.URL(source))
			if n.AutoLinkType == ast.AutoLinkEmail {
				u = "mailto:" + u
			}
			if !allowedLink(u) {
				unlink = append(unlink, n)
				return ast.WalkSkipChildren, nil
			}
			n.SetAttributeString("rel", rel)
		case *ast.Image:
			if !scanPath.Match(n.Destination) {
				unlink = append(unlink, n)
				return ast.WalkSkipChildren, nil
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range unlink {
		parent := n.Parent()
		if parent == nil {
			continue
		}
		switch l := n.(type) {
		case *ast.AutoLink:
			parent.ReplaceChild(parent, n, ast.NewString(l.Label(source)))
		default:
			// A link or image becomes its text: the children stay, in
			// place of the node.
			for c := n.FirstChild(); c != nil; {
				next := c.NextSibling()
				parent.InsertBefore(parent, n, c)
				c = next
			}
			parent.RemoveChild(parent, n)
		}
	}
}

// allowedLink reports whether a link may point at u: an http, https or
// mailto address, or one on this site (a path or a fragment).
func allowedLink(u string) bool {
	u = strings.TrimSpace(u)
	if u == "" {
		return false
	}
	if strings.HasPrefix(u, "#") || (strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//")) {
		return !strings.ContainsAny(u, "\\")
	}
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https":
		return p.Host != ""
	case "mailto":
		return p.Opaque != ""
	}
	return false
}
