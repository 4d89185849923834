package web

import (
	"errors"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// The API's rate limits: token buckets per client address and per API key,
// and the 429 answer when one is empty.

// limitIP applies the per-client limit of API requests.
func (s *Server) limitIP(c *fiber.Ctx) error {
	if wait, ok := s.api.ipLimit.take("ip:"+s.clientIP(c), apiReadRate, s.cfg.Now()); !ok {
		return tooMany(c, wait)
	}
	return nil
}

// errLimited ends a request that tooMany answered.
var errLimited = errors.New("rate limited")

// answered turns errLimited, whose answer is written, into success.
func answered(err error) error {
	if errors.Is(err, errLimited) {
		return nil
	}
	return err
}

func tooMany(c *fiber.Ctx, wait time.Duration) error {
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait.Seconds()+0.999)))
	if err := apiFail(c, fiber.StatusTooManyRequests, "rate_limited", "Too many requests; try again after the time in Retry-After.", nil); err != nil {
		return err
	}
	return errLimited
}

// limiter is a token bucket per key, in memory: rate requests per minute,
// in bursts of up to rate. Buckets that are full again are forgotten. Its
// zero value is ready.
type limiter struct {
	shards [16]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// take spends a token of key's bucket, which holds up to perMinute and
// refills at perMinute; when it is empty take says how long until it is not.
func (l *limiter) take(key string, perMinute int, now time.Time) (time.Duration, bool) {
	h := fnv.New32a()
	h.Write([]byte(key))
	sh := &l.shards[h.Sum32()%uint32(len(l.shards))]
	rate := float64(perMinute)
	perSecond := rate / 60
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.buckets == nil {
		sh.buckets = map[string]*bucket{}
	}
	if now.Sub(sh.swept) > time.Minute {
		for k, b := range sh.buckets {
			if b.tokens+now.Sub(b.at).Seconds()*perSecond >= rate {
				delete(sh.buckets, k)
			}
		}
		sh.swept = now
	}
	b, ok := sh.buckets[key]
	if !ok {
		b = &bucket{tokens: rate, at: now}
		sh.buckets[key] = b
	}
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = min(rate, b.tokens+elapsed*perSecond)
		b.at = now
	}
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / perSecond * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}
