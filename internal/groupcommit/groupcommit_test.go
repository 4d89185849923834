package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder is a Commit that records its batches and can hold them at a
// gate until the test lets them through.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	// gates, when set, holds the n-th batch (from 0) until its channel
	// is closed.
	gates map[int]chan struct{}
	// fail makes the commit fail the items it names.
	fail func(int) error
	// ctxErr is the commit context's error after each batch's gate.
	ctxErr []error
	// panicOn, when set, makes the commit panic on a batch that holds
	// an item it reports true for.
	panicOn func(int) bool
}

func (r *recorder) commit(ctx context.Context, items []int) []error {
	r.mu.Lock()
	n := len(r.batches)
	r.batches = append(r.batches, slices.Clone(items))
	gate := r.gates[n]
	r.mu.Unlock()
	if gate != nil {
		<-gate
	}
	r.mu.Lock()
	r.ctxErr = append(r.ctxErr, ctx.Err())
	r.mu.Unlock()
	if r.panicOn != nil && slices.ContainsFunc(items, r.panicOn) {
		panic("the database driver broke")
	}
	if r.fail == nil {
		return nil
	}
	errs := make([]error, len(items))
	for i, it := range items {
		errs[i] = r.fail(it)
	}
	return errs
}

func (r *recorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, b := range r.batches {
		out = append(out, len(b))
	}
	return out
}

func (r *recorder) committed() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, b := range r.batches {
		out = append(out, b...)
	}
	slices.Sort(out)
	return out
}

// waitFor polls until cond holds, or fails the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (b *Batcher[T]) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

// do calls b.Do(ctx, item) in a goroutine and returns its result's channel.
// holdFirst calls the batcher with item 0 under ctx and returns once its
// batch is committing, which it goes on doing until release is called.
func holdFirst(ctx context.Context, t *testing.T, r *recorder, b *Batcher[int]) (first chan error, release func()) {
	t.Helper()
	gate := make(chan struct{})
	r.gates = map[int]chan struct{}{0: gate}
	first = do(ctx, b, 0)
	waitFor(t, "the first batch is committing", func() bool { return len(r.sizes()) == 1 })
	return first, func() { close(gate) }
}

func do(ctx context.Context, b *Batcher[int], item int) chan error {
	out := make(chan error, 1)
	go func() { out <- b.Do(ctx, item) }()
	return out
}

func TestBatcher(t *testing.T) {
	errOdd := errors.New("odd")
	tests := []struct {
		name string
		opts Options
		run  func(t *testing.T, r *recorder, b *Batcher[int])
	}{
		{
			name: "a lone call commits at once, alone",
			opts: Options{Wait: time.Hour},
			run: func(t *testing.T, r *recorder, b *Batcher[int]) {
				if err := b.Do(context.Background(), 1); err != nil {
					t.Fatal(err)
				}
				if got := r.sizes(); !slices.Equal(got, []int{1}) {
					t.Errorf("batches %v, want [1]", got)
				}
			},
		},
		{
			name: "batches hold at most Max items",
			opts: Options{Max: 4},
			run: func(t *testing.T, r *recorder, b *Batcher[int]) {
				first, release := holdFirst(context.Background(), t, r, b)
				var rest []chan error
				for i := 1; i <= 10; i++ {
					rest = append(rest, do(context.Background(), b, i))
				}
				waitFor(t, "ten calls are queued", func() bool { return b.queued() == 10 })
				release()
				for _, c := range append(rest, first) {
					if err := <-c; err != nil {
						t.Fatal(err)
					}
				}
				if got := r.sizes(); !slices.Equal(got, []int{1, 4, 4, 2}) {
					t.Errorf("batches %v, want [1 4 4 2]", got)
				}
				if got, want := r.committed(), []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(got, want) {
					t.Errorf("committed %v, want each of %v once", got, want)
				}
			},
		},
		{
			name: "the leader waits for as many calls as the last batch held",
			opts: Options{Wait: time.Hour},
			run: func(t *testing.T, r *recorder, b *Batcher[int]) {
				first, release := holdFirst(context.Background(), t, r, b)
				second := []chan error{do(context.Background(), b, 1), do(context.Background(), b, 2)}
				waitFor(t, "two calls are queued", func() bool { return b.queued() == 2 })
				release()
				for _, c := range append(second, first) {
					if err := <-c; err != nil {
						t.Fatal(err)
					}
				}
				// The last batch held 2: a lone call waits for a second.
				third := do(context.Background(), b, 3)
				waitFor(t, "one call is queued", func() bool { return b.queued() == 1 })
				fourth := do(context.Background(), b, 4)
				for _, c := range []chan error{third, fourth} {
					if err := <-c; err != nil {
						t.Fatal(err)
					}
				}
				if got := r.sizes(); !slices.Equal(got, []int{1, 2, 2}) {
					t.Errorf("batches %v, want [1 2 2]", got)
				}
			},
		},
		{
			name: "the leader waits at most Wait",
			opts: Options{Wait: 20 * time.Millisecond},
			run: func(t *testing.T, r *recorder, b *Batcher[int]) {
				first, release := holdFirst(context.Background(), t, r, b)
				second := []chan error{do(context.Background(), b, 1), do(context.Background(), b, 2)}
				waitFor(t, "two calls are queued", func() bool { return b.queued() == 2 })
				release()
				for _, c := range append(second, first) {
					if err := <-c; err != nil {
						t.Fatal(err)
					}
				}
				// Nobody joins the lone call: it is committed alone.
				if err := b.Do(context.Background(), 3); err != nil {
					t.Fatal(err)
				}
				if got := r.sizes(); !slices.Equal(got, []int{1, 2, 1}) {
					t.Errorf("batches %v, want [1 2 1]", got)
				}
			},
		},
		{
			name: "each call gets its own item's result",
			run: func(t *testing.T, r *recorder, b *Batcher[int]) {
				r.fail = func(i int) error {
					if i%2 == 1 {
						return fmt.Errorf("item %d: %w", i, errOdd)
					}
					return nil
				}
				var wg sync.WaitGroup
				errs := make([]error, 50)
				for i := range errs {
					wg.Go(func() { errs[i] = b.Do(context.Background(), i) })
				}
				wg.Wait()
				for i, err := range errs {
					if got, want := errors.Is(err, errOdd), i%2 == 1; got != want {
						t.Errorf("item %d: error %v, want an error: %t", i, err, want)
					}
				}
				if got := r.committed(); len(got) != 50 {
					t.Errorf("committed %d items, want 50", len(got))
				}
			},
		},
		{
			name: "a call whose context ends before a batch takes its item writes nothing",
			run: func(t *testing.T, r *recorder, b *Batcher[int]) {
				first, release := holdFirst(context.Background(), t, r, b)
				ctx, cancel := context.WithCancel(context.Background())
				gone := do(ctx, b, 1)
				waitFor(t, "one call is queued", func() bool { return b.queued() == 1 })
				next := do(context.Background(), b, 2)
				waitFor(t, "two calls are queued", func() bool { return b.queued() == 2 })
				cancel()
				if err := <-gone; !errors.Is(err, context.Canceled) {
					t.Errorf("cancelled call: %v, want context.Canceled", err)
				}
				release()
				for _, c := range []chan error{first, next} {
					if err := <-c; err != nil {
						t.Fatal(err)
					}
				}
				if got := r.committed(); !slices.Equal(got, []int{0, 2}) {
					t.Errorf("committed %v, want [0 2]", got)
				}
				if err := b.Do(context.Background(), 3); err != nil {
					t.Errorf("a later call: %v", err)
				}
			},
		},
		{
			name: "a call whose item is being committed waits for the result",
			run: func(t *testing.T, r *recorder, b *Batcher[int]) {
				gate0, gate1 := make(chan struct{}), make(chan struct{})
				r.gates = map[int]chan struct{}{0: gate0, 1: gate1}
				first := do(context.Background(), b, 0)
				waitFor(t, "the first batch is committing", func() bool { return len(r.sizes()) == 1 })
				ctx, cancel := context.WithCancel(context.Background())
				held := do(ctx, b, 1)
				waitFor(t, "one call is queued", func() bool { return b.queued() == 1 })
				close(gate0)
				waitFor(t, "the second batch is committing", func() bool { return len(r.sizes()) == 2 })
				cancel()
				select {
				case err := <-held:
					t.Fatalf("returned %v before its batch was committed", err)
				default:
				}
				close(gate1)
				if err := <-held; err != nil {
					t.Errorf("held call: %v, want its batch's result", err)
				}
				if err := <-first; err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "a commit that panics fails its batch's calls and the next batch still runs",
			run: func(t *testing.T, r *recorder, b *Batcher[int]) {
				r.panicOn = func(i int) bool { return i == 1 }
				first, release := holdFirst(context.Background(), t, r, b)
				second := []chan error{do(context.Background(), b, 1), do(context.Background(), b, 2)}
				waitFor(t, "two calls are queued", func() bool { return b.queued() == 2 })
				release()
				if err := <-first; err != nil {
					t.Fatal(err)
				}
				for i, c := range second {
					select {
					case err := <-c:
						if !errors.Is(err, ErrPanic) {
							t.Errorf("item %d: error %v, want ErrPanic", i+1, err)
						}
					case <-time.After(10 * time.Second):
						t.Fatalf("item %d: no answer after the commit panicked", i+1)
					}
				}
				third := do(context.Background(), b, 3)
				select {
				case err := <-third:
					if err != nil {
						t.Errorf("a later call: %v", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("a later call hangs: nobody leads")
				}
			},
		},
		{
			name: "the leader's cancelled context does not cancel its batch",
			run: func(t *testing.T, r *recorder, b *Batcher[int]) {
				ctx, cancel := context.WithCancel(context.Background())
				first, release := holdFirst(ctx, t, r, b)
				cancel()
				release()
				if err := <-first; err != nil {
					t.Fatal(err)
				}
				if r.ctxErr[0] != nil {
					t.Errorf("the commit's context ended: %v", r.ctxErr[0])
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			tt.run(t, r, New(r.commit, tt.opts))
		})
	}
}

// Observe is told the size of every batch, the sizes the commit saw.
func TestObserveSeesEveryBatch(t *testing.T) {
	r := &recorder{}
	var mu sync.Mutex
	var observed []int
	b := New(r.commit, Options{Max: 4, Observe: func(n int) {
		mu.Lock()
		defer mu.Unlock()
		observed = append(observed, n)
	}})
	ctx := context.Background()
	first, release := holdFirst(ctx, t, r, b)
	var rest []chan error
	for i := 1; i <= 9; i++ {
		rest = append(rest, do(ctx, b, i))
	}
	waitFor(t, "the others are queued", func() bool { return b.queued() == 9 })
	release()
	for _, ch := range append(rest, first) {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := r.sizes(); !slices.Equal(observed, want) || len(want) < 3 {
		t.Errorf("observed batches of %v, the commit saw %v (want at least three, of at most 4)", observed, want)
	}
}
