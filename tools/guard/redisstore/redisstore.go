// Package redisstore is a guard.Store in Redis (or Valkey), so replicas of
// pci-mcp share one memory of used confirmations, pending approvals and
// counters: a token claimed on one replica is claimed for all of them.
//
// Every method is one Redis command or one short Lua script, so each is
// atomic on the server whatever the number of replicas; every entry carries
// an expiry (PX), so Redis forgets a mark when the thing it guards expires.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// DefaultPrefix namespaces pci-mcp's keys in a Redis shared with others.
const DefaultPrefix = "pci-mcp:"

// Store is a guard.Store on a Redis client.
type Store struct {
	client redis.UniversalClient
	prefix string
}

var _ guard.Store = (*Store)(nil)

// New returns a Store on client; prefix is put before every key (so two
// deployments, or two tests, can share one Redis without colliding).
func New(client redis.UniversalClient, prefix string) *Store {
	return &Store{client: client, prefix: prefix}
}

// Options are Open's settings beyond the URL.
type Options struct {
	// Prefix goes before every key (default DefaultPrefix).
	Prefix string
	// Timeout bounds dialling and each command (default 2s): a store that
	// does not answer must turn into a refusal quickly, not a hung call.
	Timeout time.Duration
}

// Open connects to the store a redis:// or rediss:// URL names (password
// and database in the URL, as Redis clients write it). It does not dial:
// the first command does, and Ping tells whether the store answers.
//
// The URL holds a password, so no error from here quotes it.
func Open(rawURL string, opts Options) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, password included: keep only why.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("scheme %q: must be redis:// or rediss:// (TLS)", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("no host: write redis://[:password@]host:port[/db]")
	}
	ro, err := redis.ParseURL(rawURL)
	if err != nil {
		// go-redis's messages name the part at fault, never the password;
		// drop any quoted URL all the same.
		return nil, fmt.Errorf("%s", redactURL(err.Error(), u))
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	ro.DialTimeout = opts.Timeout
	ro.ReadTimeout = opts.Timeout
	ro.WriteTimeout = opts.Timeout
	// One retry covers a connection the server closed while idle. A retried
	// Claim whose first reply was lost is recognised by its nonce (Claim).
	ro.MaxRetries = 1
	return New(redis.NewClient(ro), opts.Prefix), nil
}

// redactURL removes the URL's password from an error message.
func redactURL(msg string, u *url.URL) string {
	if pw, ok := u.User.Password(); ok && pw != "" {
		msg = strings.ReplaceAll(msg, pw, "[REDACTED]")
	}
	return msg
}

// LogTo sends go-redis's own log lines (dial failures, pool notices) to log
// at debug level, instead of its default of bare lines on stderr that pass
// no redactor. go-redis keeps one logger per process, so this is global;
// failures that matter reach the caller as errors anyway.
func LogTo(log *slog.Logger) { redis.SetLogger(slogLogger{log}) }

type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis client", "msg", fmt.Sprintf(format, v...))
}

// Shared reports that this store outlives the process and is seen by every
// replica (guard.SharedStore): tokens need not be bound to one process.
func (s *Store) Shared() bool { return true }

// Close closes the client's connections.
func (s *Store) Close() error { return s.client.Close() }

// ttl turns an expiry into Redis's PX milliseconds; an expiry already past
// gets the shortest life Redis allows rather than none.
func ttl(expires time.Time) int64 {
	ms := time.Until(expires).Milliseconds()
	if ms < 1 {
		ms = 1
	}
	return ms
}

// Claim implements guard.Store with SET NX PX. The value is a fresh nonce
// and the command also returns the value already there (GET, Redis 7): if a
// retry follows a lost reply, finding its own nonce tells the claim it won,
// rather than reporting its own mark as someone else's.
func (s *Store) Claim(ctx context.Context, key string, expires time.Time) (bool, error) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	mine := hex.EncodeToString(nonce)
	prev, err := s.client.Do(ctx, "SET", s.prefix+key, mine, "NX", "PX", ttl(expires), "GET").Text()
	switch {
	case errors.Is(err, redis.Nil):
		return true, nil
	case err != nil:
		return false, storeError("claim", err)
	}
	return prev == mine, nil
}

// Put implements guard.Store.
func (s *Store) Put(ctx context.Context, key string, value []byte, expires time.Time) error {
	if err := s.client.Do(ctx, "SET", s.prefix+key, value, "PX", ttl(expires)).Err(); err != nil {
		return storeError("put", err)
	}
	return nil
}

// Get implements guard.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := s.client.Get(ctx, s.prefix+key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, guard.ErrNotFound
	case err != nil:
		return nil, storeError("get", err)
	}
	return b, nil
}

// swapScript replaces the value only if it is still the expected one; an
// absent key (GET's false) never equals a string, so it is never created.
var swapScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`)

// Swap implements guard.Store.
func (s *Store) Swap(ctx context.Context, key string, old, next []byte, expires time.Time) (bool, error) {
	n, err := swapScript.Run(ctx, s.client, []string{s.prefix + key}, old, next, ttl(expires)).Int()
	if err != nil {
		return false, storeError("swap", err)
	}
	return n == 1, nil
}

// incrScript counts, giving a new counter its expiry and leaving an
// existing one's alone (PTTL -1: a key without an expiry, i.e. just made).
var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n`)

// Incr implements guard.Store.
func (s *Store) Incr(ctx context.Context, key string, expires time.Time) (int64, error) {
	n, err := incrScript.Run(ctx, s.client, []string{s.prefix + key}, ttl(expires)).Int64()
	if err != nil {
		return 0, storeError("incr", err)
	}
	return n, nil
}

// Ping implements guard.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return storeError("ping", err)
	}
	return nil
}

// Durability is what the Redis server keeps of the marks across its own
// restart: everything it has acknowledged (an append-only file), what was
// there at its last snapshot (save points only), or nothing. A forgotten
// "used" mark lets a confirmation be used again until it expires.
type Durability struct {
	// AppendOnly: appendonly yes.
	AppendOnly bool
	// SavePoints is the save setting ("3600 1 300 100"), empty for none;
	// read only when AppendOnly is false.
	SavePoints string
}

// Durability asks the server how it persists: INFO persistence, then,
// without an append-only file, CONFIG GET save, which managed services
// often forbid; that failure is returned as is.
func (s *Store) Durability(ctx context.Context) (Durability, error) {
	info, err := s.client.Info(ctx, "persistence").Result()
	if err != nil {
		return Durability{}, storeError("info persistence", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if strings.TrimSpace(line) == "aof_enabled:1" {
			return Durability{AppendOnly: true}, nil
		}
	}
	save, err := s.client.ConfigGet(ctx, "save").Result()
	if err != nil {
		return Durability{}, storeError("config get save", err)
	}
	return Durability{SavePoints: strings.TrimSpace(save["save"])}, nil
}

// storeError names the operation; go-redis's own text names the address
// and the failure (never the password).
func storeError(op string, err error) error {
	return fmt.Errorf("shared store (Redis) %s: %w", op, err)
}
