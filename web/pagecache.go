package web

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/valyala/fasthttp"
)

// The campaign page and the home page are drawn once per campaign,
// language and state of what they show (pageCache), and then sent from
// memory: a page is bytes with holes for what differs per request, the
// sign form's token and the partner's ref code, filled in as it is sent.
// The gzip variant is kept too, made of one deflate stream per stretch
// between holes, each ending on a byte boundary, and a stored (not
// compressed) block per hole: the token is never compressed beside text a
// visitor chooses. Pages with form errors, and requests whose query holds
// more than ?lang= and a valid ?ref=, are drawn as before.

// pageCacheMax bounds how many pages are kept; past it, the cache starts
// again empty. Pages are few (campaigns × languages × with or without a
// ref, and the host names a site without a base URL answers to).
const pageCacheMax = 1024

// pageCache holds drawn pages by slot (page, campaign, language, base
// URL, with a ref or not).
type pageCache struct {
	mu    sync.RWMutex
	pages map[string]*cachedPage
	// tokenMark and refMark stand in a drawn page for the token and the
	// ref code; random, so that no text of a campaign can contain them.
	tokenMark, refMark string
}

// countLag is how old the counts a cached page shows may be: a page whose
// only change is its campaigns' counts is drawn again at most once in
// countLag. Without it, on a day of many signatures every signature made
// the next page view draw and compress the page anew (a third of the
// CPU while signing at 1M in the bench's profile); other nodes see a
// count a refresh (a second) late in any case.
const countLag = time.Second

// pageState is what a public page is drawn from: content (the campaigns,
// their status, the profile, the greetings shown) and counts.
type pageState struct{ content, counts uint64 }

// cachedPage is a drawn page: parts[0] hole[0] parts[1] … parts[n].
type cachedPage struct {
	state pageState // what it was drawn from
	drawn time.Time
	parts [][]byte
	holes []hole
	// gz are the parts as deflate data (see above); the CRC of the whole
	// is computed as it is sent.
	gz [][]byte
}

type hole uint8

const (
	holeToken hole = iota
	holeRef
)

func newPageCache() (*pageCache, error) {
	mark := func(prefix string) (string, error) {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("page cache mark: %w", err)
		}
		return prefix + hex.EncodeToString(b[:]), nil
	}
	tok, err := mark("tok")
	if err != nil {
		return nil, err
	}
	ref, err := mark("ref")
	if err != nil {
		return nil, err
	}
	return &pageCache{pages: map[string]*cachedPage{}, tokenMark: tok, refMark: ref}, nil
}

// get returns the slot's page if it was drawn from st, or from st's
// content with counts at most countLag old.
func (pc *pageCache) get(slot string, st pageState) (*cachedPage, bool) {
	pc.mu.RLock()
	defer pc.mu.RUnlock()
	p, ok := pc.pages[slot]
	if !ok || p.state.content != st.content {
		return nil, false
	}
	return p, p.state.counts == st.counts || time.Since(p.drawn) < countLag
}

// put cuts body, drawn with the marks in place of the holes, into a page
// and keeps it.
func (pc *pageCache) put(slot string, st pageState, body []byte) (*cachedPage, error) {
	p := &cachedPage{state: st, drawn: time.Now()}
	tok, ref := []byte(pc.tokenMark), []byte(pc.refMark)
	for {
		i, j := bytes.Index(body, tok), bytes.Index(body, ref)
		if i < 0 && j < 0 {
			break
		}
		h, at, n := holeToken, i, len(tok)
		if i < 0 || (j >= 0 && j < i) {
			h, at, n = holeRef, j, len(ref)
		}
		p.parts = append(p.parts, body[:at])
		p.holes = append(p.holes, h)
		body = body[at+n:]
	}
	p.parts = append(p.parts, body)
	for i, part := range p.parts {
		z, err := deflatePart(part, i == len(p.parts)-1)
		if err != nil {
			return nil, err
		}
		p.gz = append(p.gz, z)
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if len(pc.pages) >= pageCacheMax {
		pc.pages = map[string]*cachedPage{}
	}
	pc.pages[slot] = p
	return p, nil
}

// deflatePart compresses b as deflate blocks that end on a byte boundary
// (a sync flush), or as the stream's final block when last.
func deflatePart(b []byte, last bool) ([]byte, error) {
	var out bytes.Buffer
	w, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("compress page: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("compress page: %w", err)
	}
	if last {
		err = w.Close()
	} else {
		err = w.Flush()
	}
	if err != nil {
		return nil, fmt.Errorf("compress page: %w", err)
	}
	return out.Bytes(), nil
}

// gzipHeader is a gzip member's header: deflate, no name, no time.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// fill writes the page with its holes filled, plain or gzipped, to w
// (a response body, whose buffer fasthttp reuses).
func (p *cachedPage) fill(w *fasthttp.Response, values [2]string, gz bool) {
	if !gz {
		for i, part := range p.parts {
			w.AppendBody(part)
			if i < len(p.holes) {
				w.AppendBodyString(values[p.holes[i]])
			}
		}
		return
	}
	w.AppendBody(gzipHeader)
	var crc uint32
	size := 0
	var stored [5]byte
	for i, z := range p.gz {
		w.AppendBody(z)
		crc = crc32.Update(crc, crc32.IEEETable, p.parts[i])
		size += len(p.parts[i])
		if i < len(p.holes) {
			v := values[p.holes[i]]
			// A stored block, not final: the header's three bits and the
			// padding to the byte, then the length and its complement.
			stored[0] = 0
			binary.LittleEndian.PutUint16(stored[1:], uint16(len(v)))
			binary.LittleEndian.PutUint16(stored[3:], ^uint16(len(v)))
			w.AppendBody(stored[:])
			w.AppendBodyString(v)
			crc = crc32.Update(crc, crc32.IEEETable, []byte(v))
			size += len(v)
		}
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc)
	binary.LittleEndian.PutUint32(trailer[4:], uint32(size))
	w.AppendBody(trailer[:])
}

// pageSlot names the cache slot of the request's page, and false when the
// page is not to come from the cache: a query with more than ?lang= and
// one valid ?ref=.
func (s *Server) pageSlot(c *fiber.Ctx, name, slug string) (slot, ref string, ok bool) {
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return "", "", false
	}
	for k, vs := range q {
		switch {
		case k == "lang":
		case k == "ref" && len(vs) == 1 && refCode(vs[0]) == vs[0]:
			ref = vs[0]
		default:
			return "", "", false
		}
	}
	withRef := "0"
	if ref != "" {
		withRef = "1"
	}
	t := s.localizer(c)
	return strings.Join([]string{name, slug, t.Tag().String(), s.baseURL(c), withRef}, "\x00"), ref, true
}

// pageKey sums up the state a public page is drawn from: the campaign
// set, the organisation profile, and of each listed campaign its status
// and counts; versions are those of what else the page shows (the public
// greetings, the delivery timeline).
func (s *Server) pageKey(set *campaign.CampaignSet, listed []*campaign.Campaign, versions ...uint64) pageState {
	now := s.cfg.Now()
	var profile int64
	if p, ok := s.deps.Site.Profile(); ok {
		profile = p.Version
	}
	parts := append([]uint64{set.Gen, uint64(profile), uint64(len(listed))}, versions...)
	counts := make([]uint64, 0, len(listed))
	for _, c := range listed {
		h := fnv.New64a()
		h.Write([]byte(c.ID))
		parts = append(parts, h.Sum64(), statusKey(c.Status(now)))
		counts = append(counts, s.deps.Signing.CountVersion(c.ID))
	}
	return pageState{content: cacheKey(parts...), counts: cacheKey(counts...)}
}

// drawPage draws a page for the cache: data's token and ref are to be
// the cache's marks already, and its language links carry ref, which are
// swapped for the mark here.
func (s *Server) drawPage(name string, page *Page, ref string, data any) ([]byte, error) {
	if ref != "" {
		for i := range page.Switcher {
			page.Switcher[i].Href = strings.Replace(page.Switcher[i].Href, "ref="+ref, "ref="+s.pages.refMark, 1)
		}
	}
	t, ok := s.views.pages[name]
	if !ok {
		return nil, fmt.Errorf("render: no page %q", name)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// sendPage sends a page from the cache with a fresh token for purpose
// (none when purpose is empty) and the request's ref, gzipped to clients
// that take it.
func (s *Server) sendPage(c *fiber.Ctx, p *cachedPage, purpose, ref string) error {
	var values [2]string
	if purpose != "" && len(p.holes) > 0 {
		values[holeToken] = s.tokens.issue(purpose)
	}
	values[holeRef] = ref
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Vary(fiber.HeaderAcceptEncoding)
	gz := c.Request().Header.HasAcceptEncoding("gzip")
	if gz {
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	c.Status(fiber.StatusOK)
	c.Response().ResetBody()
	p.fill(c.Response(), values, gz)
	return nil
}
