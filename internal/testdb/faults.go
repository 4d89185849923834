package testdb

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// Proxy stands between a test's driver and the database server and plays
// the faults a real deployment meets: a database that stops (Stop), one
// that answers slowly (Slow), and its return (Resume). It listens on TCP
// on 127.0.0.1 and forwards every connection to the server, over its Unix
// socket or TCP.
type Proxy struct {
	ln      net.Listener
	network string // of the server
	addr    string

	mu      sync.Mutex
	stopped bool
	delay   time.Duration
	resumed chan struct{} // closed by Resume, to end the waits under way
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
	closed  bool
	dialled int
}

// NewProxy starts a proxy to the server of uri (a mongodb:// URI with one
// host), closed when the test ends.
func NewProxy(t testing.TB, uri string) *Proxy {
	t.Helper()
	cs, err := connstring.ParseAndValidate(uri)
	if err != nil || len(cs.Hosts) != 1 {
		t.Fatalf("proxy to %q: want a URI with one host (%v)", uri, err)
	}
	network, addr := "tcp", cs.Hosts[0]
	if strings.HasSuffix(addr, ".sock") {
		network = "unix"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, network: network, addr: addr, conns: map[net.Conn]struct{}{}, resumed: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URI is a MongoDB connection string that reaches the server through the
// proxy. Server selection is bounded as in production (database.ConnectTimeout).
func (p *Proxy) URI() string { return "mongodb://" + p.Addr() + "/?directConnection=true" }

// Stop makes the database unreachable: connections open now are closed,
// and new ones are closed as soon as they are accepted.
func (p *Proxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	for c := range p.conns {
		c.Close()
	}
}

// Slow holds everything read from either side for d before passing it on
// (0 for none), from the next bytes on, including those of a read already
// waiting when Slow is called.
func (p *Proxy) Slow(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Resume lets connections through again, without delay.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped, p.delay = false, 0
	close(p.resumed)
	p.resumed = make(chan struct{})
}

// Dialled counts the connections the proxy accepted so far.
func (p *Proxy) Dialled() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dialled
}

// Close stops the proxy and waits for its goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		p.dialled++
		if p.stopped || p.closed {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(c)
	}
}

// serve forwards one client connection until either side closes it.
func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout(p.network, p.addr, 5*time.Second)
	if err != nil {
		p.drop(client)
		return
	}
	p.mu.Lock()
	if p.stopped || p.closed {
		p.mu.Unlock()
		server.Close()
		p.drop(client)
		return
	}
	p.conns[server] = struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, &slowReader{r: src, p: p})
		// One side ended: end the other too, as a dropped connection does.
		dst.Close()
		src.Close()
	}
	wg.Add(2)
	go pipe(server, client)
	go pipe(client, server)
	wg.Wait()
	p.drop(client)
	p.drop(server)
}

func (p *Proxy) drop(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// slowReader holds what each read returns for the proxy's delay, or until
// Resume. Waiting after the read, not before, slows the bytes that a read
// already under way brings, so a Slow takes effect at once.
type slowReader struct {
	r net.Conn
	p *Proxy
}

func (s *slowReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	s.p.mu.Lock()
	d, resumed := s.p.delay, s.p.resumed
	s.p.mu.Unlock()
	if d > 0 && n > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-resumed:
			t.Stop()
		}
	}
	return n, err
}

// Faulty gives the test t a database of its own on this server, reached by
// a client of its own through a new Proxy, with the driver's settings of
// production (database.ClientOptions). The database is dropped when the
// test ends, through the server's own client.
func (s *Server) Faulty(t testing.TB) (*Proxy, DB) {
	t.Helper()
	p := NewProxy(t, s.URI)
	direct := s.Database(t)
	client, err := mongo.Connect(database.ClientOptions(p.URI()))
	if err != nil {
		t.Fatalf("connect through the proxy: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := client.Disconnect(ctx); err != nil && !errors.Is(err, mongo.ErrClientDisconnected) {
			t.Errorf("disconnect the proxy's client: %v", err)
		}
	})
	return p, s.Wrap(client.Database(direct.Name()))
}
