package mail_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/mail"
)

// discard is a transport that accepts everything at once: the benchmarks
// measure the queue, not a server.
type discard struct{}

func (discard) Send(context.Context, *mail.Outgoing) error { return nil }

// BenchmarkEnqueue measures storing a sealed message (with its log
// look-up by _id).
func BenchmarkEnqueue(b *testing.B) {
	q := mail.New(dbs.Database(b), testdb.Keys(b), emailKey, mail.Options{Transport: discard{}})
	if err := q.Prepare(b.Context()); err != nil {
		b.Fatal(err)
	}
	m := message(1)
	b.ResetTimer()
	for i := range b.N {
		m.Key = fmt.Sprint("bench/", i)
		if err := q.Enqueue(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSend measures claiming, opening and recording one message as
// sent, with waiting messages in the queue: the scan for due ones costs
// more as the queue grows on the embedded database.
func BenchmarkSend(b *testing.B) {
	for _, waiting := range []int{100, 10000} {
		b.Run(fmt.Sprint("waiting=", waiting), func(b *testing.B) {
			q := mail.New(dbs.Database(b), testdb.Keys(b), emailKey, mail.Options{Transport: discard{}, Rate: 1 << 30})
			if err := q.Prepare(b.Context()); err != nil {
				b.Fatal(err)
			}
			enqueue := func(from, n int) {
				for i := from; i < from+n; i++ {
					m := message(i)
					m.Key = fmt.Sprint("bench/", i)
					if err := q.Enqueue(b.Context(), m); err != nil {
						b.Fatal(err)
					}
				}
			}
			enqueue(0, waiting+b.N)
			b.ResetTimer()
			sent := 0
			for sent < b.N {
				n, err := q.RunOnce(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				sent += n
			}
		})
	}
}
