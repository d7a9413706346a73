package core

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"time"
)

// Config holds the tunables of the rules.
type Config struct {
	TokenTTL    time.Duration // login token lifetime; default 12 months
	GracePeriod time.Duration // how long a ceased subscription may be reactivated; default 30 days
	// RateLimit is every partner's request budget unless the partner's
	// record sets its own; zero means no limit.
	RateLimit RateLimit
	// Login throttles password guessing (on by default).
	Login LoginThrottle
	// CredentialTTL is how long a verified password is remembered, so
	// that partners sending it on every request (MVNX) do not pay bcrypt
	// each time; default 5 minutes, negative disables.
	CredentialTTL time.Duration
}

// Service executes commands. It is safe for concurrent use.
type Service struct {
	store Store
	clock Clock
	ids   IDs
	pw    Passwords
	cfg   Config
	// dummyHash is verified when a username is unknown so that a wrong
	// username costs the same bcrypt work as a wrong password.
	dummyHash string
	limits    *limiter
	logins    *throttle
	creds     *credCache
}

// NewService wires the rules to their ports.
func NewService(store Store, clock Clock, ids IDs, pw Passwords, cfg Config) (*Service, error) {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 365 * 24 * time.Hour
	}
	if cfg.GracePeriod <= 0 {
		cfg.GracePeriod = 30 * 24 * time.Hour
	}
	if cfg.CredentialTTL == 0 {
		cfg.CredentialTTL = 5 * time.Minute
	}
	dummy, err := pw.Hash("simgate-timing-equaliser")
	if err != nil {
		return nil, Internal(err)
	}
	return &Service{store: store, clock: clock, ids: ids, pw: pw, cfg: cfg, dummyHash: dummy,
		limits: newLimiter(cfg.RateLimit), logins: newThrottle(cfg.Login), creds: newCredCache(cfg.CredentialTTL, 10_000)}, nil
}

// Store exposes the store for read models of the front ends.
func (s *Service) Store() Store { return s.store }

// HashSecret is how tokens and API keys are kept at rest: SHA-256, hex.
// They carry 256 bits of entropy, so a fast hash is enough.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CheckPassword verifies a partner's username (or partner id) and
// password. A wrong username costs the same bcrypt work as a wrong
// password, and both read the same. Failures are counted per username and
// per client address (ClientIP of ctx); past the throttle's limit the check
// is refused with RATE_LIMITED before any bcrypt work.
func (s *Service) CheckPassword(ctx context.Context, username, password string) (PartnerID, error) {
	if username == "" || password == "" {
		return "", Errorf(KindUnauthorized, ReasonLoginRequired, "username", "username and password are required")
	}
	var p Partner
	var found bool
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if p, found, err = tx.PartnerByUsername(username); err != nil || found {
			return err
		}
		p, found, err = tx.Partner(PartnerID(username))
		return err
	})
	if err != nil {
		return "", Internal(err)
	}
	user, addr := userKey(username, p, found), addrKey(ClientIP(ctx))
	if wait := s.logins.wait(user, addr, s.clock.Now()); wait > 0 {
		e := Errorf(KindRateLimited, ReasonRateLimited, "username", "too many failed logins for this username or from this address")
		e.RetryAfter = wait
		return "", e
	}
	if found && p.PasswordHash != "" && s.creds.hit(username, password, p, s.clock.Now()) {
		s.logins.succeeded(user)
		return p.ID, nil
	}
	hash := s.dummyHash
	if found && p.PasswordHash != "" {
		hash = p.PasswordHash
	}
	var ok, cached bool
	s.creds.serialise(username, password, func() {
		// A concurrent check of the same pair may have verified it meanwhile.
		if cached = found && p.PasswordHash != "" && s.creds.hit(username, password, p, s.clock.Now()); !cached {
			ok = s.pw.Verify(hash, password)
			if ok && found && p.PasswordHash != "" {
				// Remembered before the next waiter for this pair runs.
				s.creds.remember(username, password, p, s.clock.Now())
			}
		}
	})
	if cached {
		s.logins.succeeded(user)
		return p.ID, nil
	}
	if !ok || !found || p.PasswordHash == "" {
		s.logins.failed(user, addr, s.clock.Now())
		return "", Errorf(KindUnauthorized, ReasonLoginFailed, "username", "invalid username or password")
	}
	s.logins.succeeded(user)
	return p.ID, nil
}

// Login checks a partner's credentials and opens a session. It answers the
// token, shown this once, and its expiry.
func (s *Service) Login(ctx context.Context, username, password string) (string, time.Time, error) {
	partner, err := s.CheckPassword(ctx, username, password)
	if err != nil {
		return "", time.Time{}, err
	}
	// Each login writes a session: it spends the partner's request budget.
	if _, err := s.Allow(ctx, partner); err != nil {
		return "", time.Time{}, err
	}
	token, err := s.ids.Token()
	if err != nil {
		return "", time.Time{}, Internal(err)
	}
	now := s.clock.Now().UTC()
	sess := Session{TokenHash: HashSecret(token), Partner: partner, CreatedAt: now, ExpiresAt: now.Add(s.cfg.TokenTTL)}
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.PutSession(sess) }); err != nil {
		return "", time.Time{}, Internal(err)
	}
	return token, sess.ExpiresAt, nil
}

// ValidTokenFormat reports whether t has the shape of a login token.
func ValidTokenFormat(t string) bool {
	if len(t) != 64 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Authenticate resolves a login token to its partner.
func (s *Service) Authenticate(ctx context.Context, token string) (PartnerID, error) {
	addr := addrKey(ClientIP(ctx))
	if err := s.guessesRefused(addr, "loginToken"); err != nil {
		return "", err
	}
	if !ValidTokenFormat(token) {
		s.logins.failedAddr(addr, s.clock.Now())
		return "", Errorf(KindUnauthorized, ReasonTokenInvalid, "loginToken", "login token must be valid for the end user")
	}
	hash := HashSecret(token)
	var sess Session
	var ok bool
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		sess, ok, err = tx.Session(hash)
		return err
	})
	if err != nil {
		return "", Internal(err)
	}
	// The lookup is by hash, so its timing tells nothing of the token; the
	// comparison guards against a store that answered a near match.
	if !ok || subtle.ConstantTimeCompare([]byte(sess.TokenHash), []byte(hash)) != 1 {
		s.logins.failedAddr(addr, s.clock.Now())
		return "", Errorf(KindUnauthorized, ReasonTokenInvalid, "loginToken", "login token must be valid for the end user")
	}
	if !s.clock.Now().Before(sess.ExpiresAt) {
		return "", Errorf(KindUnauthorized, ReasonTokenExpired, "loginToken", "the token has expired")
	}
	return sess.Partner, nil
}

// guessesRefused answers RATE_LIMITED while the client address has failed
// too many checks of secrets (passwords, API keys, login tokens): these are
// long random values, so a stream of wrong ones is a scan, and refusing it
// before the lookup keeps it from costing the store.
func (s *Service) guessesRefused(addr, field string) error {
	wait := s.logins.wait("", addr, s.clock.Now())
	if wait <= 0 {
		return nil
	}
	e := Errorf(KindRateLimited, ReasonRateLimited, field, "too many failed authentications from this address")
	e.RetryAfter = wait
	return e
}

// Activate runs an activation command in one store transaction.
func (s *Service) Activate(ctx context.Context, cmd Activate) (Subscription, error) {
	now := s.clock.Now().UTC()
	var out Subscription
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		out, err = activate(tx, cmd, now)
		return err
	})
	if err != nil {
		return Subscription{}, AsError(err)
	}
	return out, nil
}

// activate runs the rules of the command's flavour.
func activate(tx Tx, cmd Activate, now time.Time) (Subscription, error) {
	if cmd.SQ != nil {
		return activateSQ(tx, cmd, now)
	}
	return activateLine(tx, cmd, now)
}

// activateSQ applies Emersion's ActivateService rules. The order of the
// checks is the documented precedence: SQ, order, product, SIM.
func activateSQ(tx Tx, cmd Activate, now time.Time) (Subscription, error) {
	caller := cmd.Ref.Partner
	q, st, err := resolveSQ(tx, caller, *cmd.SQ)
	if err != nil {
		return Subscription{}, err
	}
	if err := checkOrder(q, caller); err != nil {
		return Subscription{}, err
	}
	product, err := resolveProduct(tx, caller, st, cmd.Product)
	if err != nil {
		return Subscription{}, err
	}
	var sim *SIM
	needSIM := product != nil && product.Type == ProductTypeSIMCard
	if needSIM || cmd.SIM.SimNumber != "" {
		if cmd.SIM.SimNumber == "" {
			return Subscription{}, Errorf(KindInvalid, ReasonSIMRequired, "sim", "the product is a SIM card: a sim number is required")
		}
		found, err := heldSIM(tx, caller, cmd.SIM.SimNumber, product)
		if err != nil {
			return Subscription{}, err
		}
		sim = &found
	}

	sub := Subscription{
		ID:                strconv.FormatInt(q.ID, 10),
		Partner:           caller,
		Channel:           cmd.Ref.Channel,
		Status:            SubActive,
		ServiceType:       st.ID,
		ServiceIdentifier: q.ServiceIdentifier,
		SQ:                q.ID,
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	if product != nil {
		sub.Product = product.ID
	}
	if sim != nil {
		sub.SIM, sub.ICCID, sub.SimNumber, sub.IMSI = sim.ID, sim.ICCID, sim.SimNumber, sim.IMSI
		sim.Status, sim.Subscription = SIMActive, sub.ID
		if err := tx.PutSIM(*sim); err != nil {
			return Subscription{}, err
		}
	}
	q.Status, q.Service = SQActive, sub.ID
	if err := tx.PutSQ(q); err != nil {
		return Subscription{}, err
	}
	if err := tx.PutSubscription(sub); err != nil {
		return Subscription{}, err
	}
	return sub, nil
}

func resolveSQ(tx Tx, caller PartnerID, ref SQRef) (SQ, ServiceType, error) {
	if ref.ID != 0 {
		q, ok, err := tx.SQ(ref.ID)
		if err != nil {
			return SQ{}, ServiceType{}, err
		}
		if !ok || q.Owner != caller {
			// Another RSP's SQ reads exactly as one that does not exist:
			// a caller never learns that another tenant's object exists.
			return SQ{}, ServiceType{}, Errorf(KindNotFound, ReasonSQNotFound, "sq", "SQ %d not found", ref.ID)
		}
		if !q.ReadyForActivation() {
			return SQ{}, ServiceType{}, Errorf(KindConflict, ReasonSQStatus, "sq", "SQ %d is %q", q.ID, q.Status)
		}
		st, ok, err := tx.ServiceType(q.ServiceType)
		if err != nil {
			return SQ{}, ServiceType{}, err
		}
		if !ok {
			return SQ{}, ServiceType{}, Internal(errorString("SQ " + strconv.FormatInt(q.ID, 10) + " names a missing service type"))
		}
		return q, st, nil
	}

	st, ok, err := tx.ServiceType(ref.ServiceType)
	if err != nil {
		return SQ{}, ServiceType{}, err
	}
	if !ok {
		return SQ{}, ServiceType{}, Errorf(KindNotFound, ReasonServiceTypeNotFound, "service_type", "service type %d not found", ref.ServiceType)
	}
	if !st.MappedTo(caller) {
		return SQ{}, ServiceType{}, Errorf(KindForbidden, ReasonServiceTypeNotMapped, "service_type", "service type %d is not mapped to %s", st.ID, caller)
	}
	sqs, err := tx.SQsByIdentifier(st.ID, ref.ServiceIdentifier)
	if err != nil {
		return SQ{}, ServiceType{}, err
	}
	var ready *SQ
	for i := range sqs {
		q := sqs[i]
		if q.Owner != caller {
			continue // another RSP's SQ is as good as absent
		}
		if q.Status == SQActive || q.Service != "" {
			return SQ{}, ServiceType{}, Errorf(KindConflict, ReasonServiceIdentAllocated, "service_identifier", "%s is already allocated against service type %d", ref.ServiceIdentifier, st.ID)
		}
		if q.ReadyForActivation() && ready == nil {
			ready = &sqs[i]
		}
	}
	if ready == nil {
		return SQ{}, ServiceType{}, Errorf(KindNotFound, ReasonServiceIdentNotReady, "service_identifier", "no ready SQ for %s and service type %d", ref.ServiceIdentifier, st.ID)
	}
	return *ready, st, nil
}

// checkOrder checks the SQ's order. An order another RSP raised reads
// exactly as no order: a caller never learns of another tenant's order.
func checkOrder(q SQ, caller PartnerID) error {
	switch {
	case q.Order == nil || q.Order.Owner != caller:
		return Errorf(KindNotFound, ReasonOrderNotFound, "order", "SQ %d has no order", q.ID)
	case !q.Order.Finalised:
		return Errorf(KindConflict, ReasonOrderNotFinalised, "order", "order %s of SQ %d is not finalised", q.Order.ID, q.ID)
	}
	return nil
}

// resolveProduct applies the product rule: an explicit product must be the
// caller's (another's reads as not found) and of the service type's
// category; otherwise the caller's only SIM-card product of that category
// is used.
func resolveProduct(tx Tx, caller PartnerID, st ServiceType, id int64) (*Product, error) {
	if id != 0 {
		p, ok, err := tx.Product(id)
		if err != nil {
			return nil, err
		}
		switch {
		case !ok || p.Owner != caller: // another RSP's product reads as absent
			return nil, Errorf(KindNotFound, ReasonProductNotFound, "product", "product %d not found", id)
		case p.Category == "":
			return nil, Errorf(KindInvalid, ReasonProductNoCategory, "product", "product %d has no service type category", id)
		case p.Category != st.Name:
			return nil, Errorf(KindInvalid, ReasonProductOtherCategory, "product", "product %d is for %q, not %q", id, p.Category, st.Name)
		}
		return &p, nil
	}
	if !st.NeedsProduct {
		return nil, nil
	}
	all, err := tx.ProductsOf(caller)
	if err != nil {
		return nil, err
	}
	var match []Product
	for _, p := range all {
		if p.Type == ProductTypeSIMCard && p.Category == st.Name {
			match = append(match, p)
		}
	}
	switch len(match) {
	case 0:
		return nil, Errorf(KindInvalid, ReasonProductNoneForCategory, "product", "no SIM card product of category %q", st.Name)
	case 1:
		return &match[0], nil
	default:
		return nil, Errorf(KindInvalid, ReasonProductAmbiguous, "product", "%d SIM card products of category %q", len(match), st.Name)
	}
}

// heldSIM finds the caller's SIM by sim number and checks it can be
// activated: Held, not locked, and from the product's inventory.
func heldSIM(tx Tx, caller PartnerID, simNumber string, product *Product) (SIM, error) {
	sim, ok, err := tx.SIMBySimNumber(simNumber)
	if err != nil {
		return SIM{}, err
	}
	switch {
	case !ok || sim.Owner != caller:
		return SIM{}, Errorf(KindNotFound, ReasonSIMNotFound, "sim", "SIM %s not found", simNumber)
	case product != nil && sim.Product != product.ID:
		return SIM{}, Errorf(KindInvalid, ReasonSIMOtherProduct, "sim", "SIM %s is not in the inventory of product %d", simNumber, product.ID)
	case sim.Locked:
		return SIM{}, Errorf(KindConflict, ReasonSIMLocked, "sim", "SIM %s is locked", simNumber)
	case sim.Status != SIMHeld:
		return SIM{}, Errorf(KindConflict, ReasonSIMNotHeld, "sim", "SIM %s is %s, not Held", simNumber, sim.Status)
	}
	return sim, nil
}

// ServiceDetail reads one of the caller's services, with its service type.
func (s *Service) ServiceDetail(ctx context.Context, caller PartnerID, serviceID string) (Subscription, ServiceType, error) {
	var sub Subscription
	var st ServiceType
	err := s.store.View(ctx, func(tx Tx) error {
		var ok bool
		var err error
		sub, ok, err = tx.Subscription(serviceID)
		if err != nil {
			return err
		}
		if !ok || sub.Partner != caller {
			return Errorf(KindNotFound, ReasonServiceNotFound, "service_id", "service %s not found", serviceID)
		}
		if sub.ServiceType != 0 {
			st, _, err = tx.ServiceType(sub.ServiceType)
		}
		return err
	})
	if err != nil {
		return Subscription{}, ServiceType{}, AsError(err)
	}
	return sub, st, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// Now answers the service's clock, for timestamps front ends write.
func (s *Service) Now() time.Time { return s.clock.Now() }

// NewID answers a fresh random identifier (a UUID).
func (s *Service) NewID() (string, error) { return s.ids.UUID() }
