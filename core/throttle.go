package core

import (
	"net/netip"
	"sync"
	"time"
)

// LoginThrottle bounds password guessing. Failed password checks are
// counted per username and per client address; once a count reaches its
// limit, further checks for that username or from that address are refused
// (RATE_LIMITED, without running bcrypt) for a delay that doubles with each
// further failure, up to MaxDelay. A success clears the username's count;
// an address's count fades only with time, so that one valid account does
// not let an address guess at others. Zero fields take the defaults.
type LoginThrottle struct {
	Disabled      bool
	MaxFailures   int           // per username; default 5
	MaxPerAddress int           // per client address; default 20 (many partners may share a NAT)
	Window        time.Duration // a count is forgotten this long after its last failure; default 1h
	BaseDelay     time.Duration // the first refusal period; default 1s
	MaxDelay      time.Duration // the cap of the refusal period; default 15m
}

func (c LoginThrottle) withDefaults() LoginThrottle {
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.MaxPerAddress <= 0 {
		c.MaxPerAddress = 20
	}
	if c.BaseDelay <= 0 {
		c.BaseDelay = time.Second
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 15 * time.Minute
	}
	if c.Window <= 0 {
		c.Window = time.Hour
	}
	// A count must outlive the refusal it caused, or the delay could never grow.
	c.Window = max(c.Window, 2*c.MaxDelay)
	return c
}

// strikes is the failure count of one username or address.
type strikes struct {
	count int
	last  time.Time // the latest failure
	until time.Time // checks are refused before this
}

type throttle struct {
	cfg   LoginThrottle
	max   int // entries of each table
	mu    sync.Mutex
	users map[string]*strikes
	addrs map[string]*strikes
}

func newThrottle(cfg LoginThrottle) *throttle {
	return &throttle{cfg: cfg.withDefaults(), max: maxTracked, users: map[string]*strikes{}, addrs: map[string]*strikes{}}
}

// userKey names the account a check is for: the partner once the username
// (or partner id) resolved to one, so that both spellings share one count;
// otherwise what was typed, hashed when long so that a huge username costs
// no memory.
func userKey(typed string, p Partner, found bool) string {
	if found {
		return "p:" + string(p.ID)
	}
	if len(typed) > 128 {
		return "h:" + HashSecret(typed)
	}
	return "u:" + typed
}

// addrKey groups client addresses: an IPv6 client controls a whole /64, so
// it counts as one address.
func addrKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		if len(ip) > 64 {
			return HashSecret(ip)
		}
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
	}
	return a.String()
}

// wait answers how long checks for user from addr are still refused (0:
// go ahead).
func (t *throttle) wait(user, addr string, now time.Time) time.Duration {
	if t.cfg.Disabled {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, s := range []*strikes{t.users[user], t.addrs[addr]} {
		if s != nil && now.Before(s.until) {
			wait = max(wait, s.until.Sub(now))
		}
	}
	return wait
}

// failed counts a failed check.
func (t *throttle) failed(user, addr string, now time.Time) {
	if t.cfg.Disabled {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.strike(t.users, user, t.cfg.MaxFailures, now)
	if addr != "" {
		t.strike(t.addrs, addr, t.cfg.MaxPerAddress, now)
	}
}

func (t *throttle) strike(m map[string]*strikes, key string, limit int, now time.Time) {
	s, ok := m[key]
	if !ok {
		if len(m) >= t.max {
			t.sweep(m, now)
		}
		s = &strikes{}
		m[key] = s
	}
	if now.Sub(s.last) > t.cfg.Window {
		s.count = 0
	}
	s.count++
	s.last = now
	if over := s.count - limit; over >= 0 {
		delay := t.cfg.MaxDelay
		if over < 30 {
			delay = min(delay, t.cfg.BaseDelay<<over)
		}
		if delay <= 0 { // overflow
			delay = t.cfg.MaxDelay
		}
		s.until = now.Add(delay)
	}
}

// sweep drops the counts that have faded, then, if the table is still
// full, the least recently failed.
func (t *throttle) sweep(m map[string]*strikes, now time.Time) {
	for k, s := range m {
		if now.Sub(s.last) > t.cfg.Window && !now.Before(s.until) {
			delete(m, k)
		}
	}
	evictOldest(m, t.max, func(s *strikes) time.Time { return s.last })
}

// failedAddr counts a failed check of a secret that names no account (an
// API key, a login token) against the client address alone.
func (t *throttle) failedAddr(addr string, now time.Time) {
	if t.cfg.Disabled || addr == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.strike(t.addrs, addr, t.cfg.MaxPerAddress, now)
}

// succeeded clears the username's count.
func (t *throttle) succeeded(user string) {
	if t.cfg.Disabled {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.users, user)
}
