package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"simgate/core"
	"simgate/store"
)

// tx is core.Tx over one PostgreSQL transaction. Every statement is
// parameterised; column and table names come from constants only.
type tx struct {
	d     *DB
	ctx   context.Context
	pg    pgx.Tx
	write bool
	// failed is the first error a statement answered: once a statement
	// fails, PostgreSQL refuses the rest of the transaction, and Update
	// must know why whatever fn made of the error.
	failed error
	seqs   map[string]bool // the sequences NextSeq drew from
}

var _ core.Tx = (*tx)(nil)

// maxKeyLen bounds every key and index value written: a btree entry must
// fit in a third of a page, and no identifier of the inventory comes close.
const maxKeyLen = 1024

func (t *tx) fail(what string, err error) error {
	if err == nil {
		return nil
	}
	if t.failed == nil {
		t.failed = err
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// writable refuses a put in View, and keys the store cannot index.
func (t *tx) writable(what string, pk string, values ...string) error {
	if !t.write {
		return store.ErrReadOnly
	}
	// A command's bug, not the store's trouble: internal errors, so that
	// an execution fails after a few tries rather than wait for recovery.
	if pk == "" {
		return core.Internal(fmt.Errorf("postgres: %s: empty key", what))
	}
	for _, v := range append(values, pk) {
		if len(v) > maxKeyLen {
			return core.Internal(fmt.Errorf("postgres: %s: key or index value of %d bytes is longer than %d", what, len(v), maxKeyLen))
		}
	}
	return nil
}

// b passes a string as bytea, never NULL ("" is the empty value).
func b(s string) []byte {
	if s == "" {
		return []byte{}
	}
	return []byte(s)
}

// nb passes a string as bytea, NULL when empty: "" is no index entry.
func nb(s string) any {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// limitArg turns a limit (<= 0: none) into a LIMIT parameter (NULL: none).
func limitArg(limit int) any {
	if limit <= 0 {
		return nil
	}
	return int64(limit)
}

var (
	epoch    = time.Unix(0, 0)
	lastNano = time.Unix(0, math.MaxInt64)
)

// nanos orders times as the bbolt store's timeKey does: Unix nanoseconds,
// times before 1970 clamped to 0 and after 2262 to the maximum.
func nanos(at time.Time) int64 {
	switch {
	case at.Before(epoch):
		return 0
	case at.After(lastNano):
		return math.MaxInt64
	}
	return at.UnixNano()
}

func encode(what string, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode %s: %w", what, err)
	}
	return raw, nil
}

// one loads the data column of the row a query answers, if any.
func one[T any](t *tx, what, sql string, args ...any) (v T, ok bool, err error) {
	var raw []byte
	err = t.pg.QueryRow(t.ctx, sql, args...).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, t.fail(what, err)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, false, fmt.Errorf("postgres: decode %s: %w", what, err)
	}
	return v, true, nil
}

// list loads the data column of every row a query answers, in its order.
func list[T any](t *tx, what, sql string, args ...any) ([]T, error) {
	rows, err := t.pg.Query(t.ctx, sql, args...)
	if err != nil {
		return nil, t.fail(what, err)
	}
	raws, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, t.fail(what, err)
	}
	var out []T
	for _, raw := range raws {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("postgres: decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// run sends the statements of one put in one round trip, in order.
func (t *tx) run(what string, b *pgx.Batch) error {
	return t.fail(what, t.pg.SendBatch(t.ctx, b).Close())
}

// claim queues the statement that takes a unique index value away from
// any other row of table, as the bbolt store's index does with overwrite:
// the newest writer holds the entry. col is a constant.
func claim(bt *pgx.Batch, table, col, pkCol string, value string, pk any) {
	if value == "" {
		return
	}
	bt.Queue("UPDATE "+table+" SET "+col+" = NULL WHERE "+col+" = $1 AND "+pkCol+" <> $2", []byte(value), pk)
}

func (t *tx) Partner(id core.PartnerID) (core.Partner, bool, error) {
	return one[core.Partner](t, "partner", "SELECT data FROM partners WHERE id = $1", b(string(id)))
}

func (t *tx) PartnerByUsername(username string) (core.Partner, bool, error) {
	return one[core.Partner](t, "partner", "SELECT data FROM partners WHERE username = $1", b(username))
}

func (t *tx) PartnerByAPIKeyHash(hash string) (core.Partner, bool, error) {
	return one[core.Partner](t, "partner", "SELECT p.data FROM partner_api_keys k JOIN partners p ON p.id = k.partner WHERE k.hash = $1", b(hash))
}

func (t *tx) PutPartner(p core.Partner) error {
	hashes := [][]byte{} // not nil: a nil array is NULL, and "<> ALL(NULL)" deletes nothing
	seen := map[string]bool{}
	for _, h := range p.APIKeyHashes {
		if h != "" && !seen[h] {
			seen[h] = true
			hashes = append(hashes, []byte(h))
		}
	}
	if err := t.writable("partner", string(p.ID), append(slices.Clone(p.APIKeyHashes), p.Username)...); err != nil {
		return err
	}
	raw, err := encode("partner", p)
	if err != nil {
		return err
	}
	pk := b(string(p.ID))
	bt := &pgx.Batch{}
	claim(bt, "partners", "username", "id", p.Username, pk)
	bt.Queue(`INSERT INTO partners (id, username, data) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, data = EXCLUDED.data`, pk, nb(p.Username), raw)
	bt.Queue("DELETE FROM partner_api_keys WHERE partner = $1 AND hash <> ALL($2::bytea[])", pk, hashes)
	if len(hashes) > 0 {
		bt.Queue(`INSERT INTO partner_api_keys (hash, partner) SELECT h, $2 FROM unnest($1::bytea[]) AS h
			ON CONFLICT (hash) DO UPDATE SET partner = EXCLUDED.partner`, hashes, pk)
	}
	return t.run("put partner", bt)
}

func (t *tx) Account(id core.AccountID) (core.Account, bool, error) {
	return one[core.Account](t, "account", "SELECT data FROM accounts WHERE id = $1", b(string(id)))
}

func (t *tx) AccountChildren(id core.AccountID) ([]core.Account, error) {
	return list[core.Account](t, "account children", "SELECT data FROM accounts WHERE parent = $1 ORDER BY id", b(string(id)))
}

func (t *tx) PutAccount(a core.Account) error {
	if err := t.writable("account", string(a.ID), string(a.Parent)); err != nil {
		return err
	}
	raw, err := encode("account", a)
	if err != nil {
		return err
	}
	_, err = t.pg.Exec(t.ctx, `INSERT INTO accounts (id, parent, data) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET parent = EXCLUDED.parent, data = EXCLUDED.data`, b(string(a.ID)), nb(string(a.Parent)), raw)
	return t.fail("put account", err)
}

func (t *tx) ServiceType(id int64) (core.ServiceType, bool, error) {
	return one[core.ServiceType](t, "service type", "SELECT data FROM service_types WHERE id = $1", id)
}

func (t *tx) PutServiceType(s core.ServiceType) error {
	if err := t.writable("service type", "id"); err != nil {
		return err
	}
	raw, err := encode("service type", s)
	if err != nil {
		return err
	}
	_, err = t.pg.Exec(t.ctx, `INSERT INTO service_types (id, data) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data`, s.ID, raw)
	return t.fail("put service type", err)
}

func (t *tx) Product(id int64) (core.Product, bool, error) {
	return one[core.Product](t, "product", "SELECT data FROM products WHERE id = $1", id)
}

// ProductsOf orders ids as the bbolt store's big-endian keys do: the
// non-negative ones first.
func (t *tx) ProductsOf(owner core.PartnerID) ([]core.Product, error) {
	return list[core.Product](t, "products", "SELECT data FROM products WHERE owner = $1 ORDER BY id < 0, id", b(string(owner)))
}

func (t *tx) PutProduct(p core.Product) error {
	if err := t.writable("product", "id", string(p.Owner)); err != nil {
		return err
	}
	raw, err := encode("product", p)
	if err != nil {
		return err
	}
	_, err = t.pg.Exec(t.ctx, `INSERT INTO products (id, owner, data) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, data = EXCLUDED.data`, p.ID, nb(string(p.Owner)), raw)
	return t.fail("put product", err)
}

func (t *tx) SIM(id string) (core.SIM, bool, error) {
	return one[core.SIM](t, "sim", "SELECT data FROM sims WHERE id = $1", b(id))
}

func (t *tx) SIMByICCID(iccid string) (core.SIM, bool, error) {
	return one[core.SIM](t, "sim", "SELECT data FROM sims WHERE iccid = $1", b(iccid))
}

func (t *tx) SIMBySimNumber(simNumber string) (core.SIM, bool, error) {
	return one[core.SIM](t, "sim", "SELECT data FROM sims WHERE sim_number = $1", b(simNumber))
}

func (t *tx) SIMByIMSI(imsi string) (core.SIM, bool, error) {
	return one[core.SIM](t, "sim", "SELECT data FROM sims WHERE imsi = $1", b(imsi))
}

func (t *tx) SIMByEID(eid string) (core.SIM, bool, error) {
	return one[core.SIM](t, "sim", "SELECT data FROM sims WHERE eid = $1", b(eid))
}

func (t *tx) PutSIM(s core.SIM) error {
	if err := t.writable("sim", s.ID, s.ICCID, s.SimNumber, s.IMSI, s.EID); err != nil {
		return err
	}
	raw, err := encode("sim", s)
	if err != nil {
		return err
	}
	pk := b(s.ID)
	bt := &pgx.Batch{}
	claim(bt, "sims", "iccid", "id", s.ICCID, pk)
	claim(bt, "sims", "sim_number", "id", s.SimNumber, pk)
	claim(bt, "sims", "imsi", "id", s.IMSI, pk)
	claim(bt, "sims", "eid", "id", s.EID, pk)
	bt.Queue(`INSERT INTO sims (id, iccid, sim_number, imsi, eid, data) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET iccid = EXCLUDED.iccid, sim_number = EXCLUDED.sim_number,
			imsi = EXCLUDED.imsi, eid = EXCLUDED.eid, data = EXCLUDED.data`,
		pk, nb(s.ICCID), nb(s.SimNumber), nb(s.IMSI), nb(s.EID), raw)
	return t.run("put sim", bt)
}

func (t *tx) Number(msisdn string) (core.Number, bool, error) {
	return one[core.Number](t, "number", "SELECT data FROM numbers WHERE msisdn = $1", b(msisdn))
}

func (t *tx) NumberByReservation(reservationID string) (core.Number, bool, error) {
	return one[core.Number](t, "number", "SELECT data FROM numbers WHERE reservation_id = $1", b(reservationID))
}

// FirstAvailableNumber answers the pool's Available number whose MSISDN
// sorts first. Inside Update it passes over the numbers that concurrent
// transactions have locked (they are taking them), so activations from
// one pool on several instances pick different numbers instead of
// colliding on the first one.
//
// When every Available number is locked, it answers the first one anyway
// rather than none: those transactions may yet roll back, and an empty
// answer would refuse an activation while the pool still has numbers.
func (t *tx) FirstAvailableNumber(owner core.PartnerID, pool string) (core.Number, bool, error) {
	const q = "SELECT data FROM numbers WHERE avail_owner = $1 AND avail_pool = $2 ORDER BY msisdn LIMIT 1"
	if t.write {
		n, ok, err := one[core.Number](t, "first available number", q+" FOR UPDATE SKIP LOCKED", b(string(owner)), b(pool))
		if ok || err != nil {
			return n, ok, err
		}
	}
	return one[core.Number](t, "first available number", q, b(string(owner)), b(pool))
}

func (t *tx) PutNumber(n core.Number) error {
	if err := t.writable("number", n.MSISDN, n.ReservationID, string(n.Owner), n.Pool); err != nil {
		return err
	}
	raw, err := encode("number", n)
	if err != nil {
		return err
	}
	var availOwner, availPool, aging any
	if n.Status == core.NumberIsAvailable {
		availOwner, availPool = b(string(n.Owner)), b(n.Pool)
	}
	if n.Status == core.NumberIsAging {
		aging = nanos(n.AgingUntil)
	}
	pk := b(n.MSISDN)
	bt := &pgx.Batch{}
	claim(bt, "numbers", "reservation_id", "msisdn", n.ReservationID, pk)
	bt.Queue(`INSERT INTO numbers (msisdn, reservation_id, avail_owner, avail_pool, aging_until_ns, data) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (msisdn) DO UPDATE SET reservation_id = EXCLUDED.reservation_id, avail_owner = EXCLUDED.avail_owner,
			avail_pool = EXCLUDED.avail_pool, aging_until_ns = EXCLUDED.aging_until_ns, data = EXCLUDED.data`,
		pk, nb(n.ReservationID), availOwner, availPool, aging, raw)
	return t.run("put number", bt)
}

func (t *tx) AgedNumbers(until time.Time, limit int) ([]core.Number, error) {
	return list[core.Number](t, "aged numbers", `SELECT data FROM numbers WHERE aging_until_ns IS NOT NULL AND aging_until_ns <= $1
		ORDER BY aging_until_ns, msisdn LIMIT $2`, nanos(until), limitArg(limit))
}

func (t *tx) SQ(id int64) (core.SQ, bool, error) {
	return one[core.SQ](t, "sq", "SELECT data FROM sqs WHERE id = $1", id)
}

func (t *tx) SQsByIdentifier(serviceType int64, identifier string) ([]core.SQ, error) {
	return list[core.SQ](t, "sqs", "SELECT data FROM sqs WHERE service_type = $1 AND identifier = $2 ORDER BY id < 0, id", serviceType, b(identifier))
}

func (t *tx) PutSQ(q core.SQ) error {
	if err := t.writable("sq", "id", q.ServiceIdentifier); err != nil {
		return err
	}
	raw, err := encode("sq", q)
	if err != nil {
		return err
	}
	_, err = t.pg.Exec(t.ctx, `INSERT INTO sqs (id, service_type, identifier, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET service_type = EXCLUDED.service_type, identifier = EXCLUDED.identifier, data = EXCLUDED.data`,
		q.ID, q.ServiceType, b(q.ServiceIdentifier), raw)
	return t.fail("put sq", err)
}

func (t *tx) Subscription(id string) (core.Subscription, bool, error) {
	return one[core.Subscription](t, "subscription", "SELECT data FROM subscriptions WHERE id = $1", b(id))
}

// subscriptionColumn names the column of a subscriber identifier kind.
func subscriptionColumn(kind core.SubscriberKind) string {
	switch kind {
	case core.ByICCID:
		return "iccid"
	case core.ByIMSI:
		return "imsi"
	case core.ByMSISDN:
		return "msisdn"
	case core.ByIMEI:
		return "imei"
	}
	return ""
}

func (t *tx) SubscriptionBy(kind core.SubscriberKind, value string) (core.Subscription, bool, error) {
	if kind == core.ByID {
		return t.Subscription(value)
	}
	col := subscriptionColumn(kind)
	if col == "" {
		return core.Subscription{}, false, core.Errorf(core.KindInvalid, core.ReasonMalformed, "subscriber", "unknown subscriber kind %q", kind)
	}
	return one[core.Subscription](t, "subscription", "SELECT data FROM subscriptions WHERE "+col+" = $1", b(value))
}

// PutSubscription keeps a ceased subscription findable by its identifiers
// until a live one takes them over: a live subscription always claims its
// index entries, a ceased one only the free ones.
func (t *tx) PutSubscription(s core.Subscription) error {
	if err := t.writable("subscription", s.ID, s.ICCID, s.IMSI, s.MSISDN, s.IMEI); err != nil {
		return err
	}
	raw, err := encode("subscription", s)
	if err != nil {
		return err
	}
	pk := b(s.ID)
	bt := &pgx.Batch{}
	if s.Status.Live() {
		claim(bt, "subscriptions", "iccid", "id", s.ICCID, pk)
		claim(bt, "subscriptions", "imsi", "id", s.IMSI, pk)
		claim(bt, "subscriptions", "msisdn", "id", s.MSISDN, pk)
		claim(bt, "subscriptions", "imei", "id", s.IMEI, pk)
		bt.Queue(`INSERT INTO subscriptions (id, iccid, imsi, msisdn, imei, data) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET iccid = EXCLUDED.iccid, imsi = EXCLUDED.imsi, msisdn = EXCLUDED.msisdn,
				imei = EXCLUDED.imei, data = EXCLUDED.data`,
			pk, nb(s.ICCID), nb(s.IMSI), nb(s.MSISDN), nb(s.IMEI), raw)
	} else {
		bt.Queue(`INSERT INTO subscriptions (id, iccid, imsi, msisdn, imei, data) VALUES ($1,
				CASE WHEN NOT EXISTS (SELECT 1 FROM subscriptions WHERE iccid = $2 AND id <> $1) THEN $2 END,
				CASE WHEN NOT EXISTS (SELECT 1 FROM subscriptions WHERE imsi = $3 AND id <> $1) THEN $3 END,
				CASE WHEN NOT EXISTS (SELECT 1 FROM subscriptions WHERE msisdn = $4 AND id <> $1) THEN $4 END,
				CASE WHEN NOT EXISTS (SELECT 1 FROM subscriptions WHERE imei = $5 AND id <> $1) THEN $5 END, $6)
			ON CONFLICT (id) DO UPDATE SET iccid = EXCLUDED.iccid, imsi = EXCLUDED.imsi, msisdn = EXCLUDED.msisdn,
				imei = EXCLUDED.imei, data = EXCLUDED.data`,
			pk, nb(s.ICCID), nb(s.IMSI), nb(s.MSISDN), nb(s.IMEI), raw)
	}
	return t.run("put subscription", bt)
}

func (t *tx) Session(tokenHash string) (core.Session, bool, error) {
	return one[core.Session](t, "session", "SELECT data FROM sessions WHERE token_hash = $1", b(tokenHash))
}

func (t *tx) PutSession(s core.Session) error {
	if err := t.writable("session", s.TokenHash); err != nil {
		return err
	}
	raw, err := encode("session", s)
	if err != nil {
		return err
	}
	_, err = t.pg.Exec(t.ctx, `INSERT INTO sessions (token_hash, expires_ns, data) VALUES ($1, $2, $3)
		ON CONFLICT (token_hash) DO UPDATE SET expires_ns = EXCLUDED.expires_ns, data = EXCLUDED.data`,
		b(s.TokenHash), nanos(s.ExpiresAt), raw)
	return t.fail("put session", err)
}

func (t *tx) DeleteSession(tokenHash string) error {
	if !t.write {
		return store.ErrReadOnly
	}
	_, err := t.pg.Exec(t.ctx, "DELETE FROM sessions WHERE token_hash = $1", b(tokenHash))
	return t.fail("delete session", err)
}

func (t *tx) ExpiredSessions(until time.Time, limit int) ([]core.Session, error) {
	return list[core.Session](t, "expired sessions", `SELECT data FROM sessions WHERE expires_ns <= $1
		ORDER BY expires_ns, token_hash LIMIT $2`, nanos(until), limitArg(limit))
}

func (t *tx) Plan(code string) (core.Plan, bool, error) {
	return one[core.Plan](t, "plan", "SELECT data FROM plans WHERE code = $1", b(code))
}

func (t *tx) PutPlan(p core.Plan) error {
	if err := t.writable("plan", p.Code); err != nil {
		return err
	}
	raw, err := encode("plan", p)
	if err != nil {
		return err
	}
	_, err = t.pg.Exec(t.ctx, `INSERT INTO plans (code, data) VALUES ($1, $2)
		ON CONFLICT (code) DO UPDATE SET data = EXCLUDED.data`, b(p.Code), raw)
	return t.fail("put plan", err)
}

// NextSeq draws from the name's PostgreSQL sequence (see sequence.go):
// nextval takes no row lock and no predicate lock, so transactions drawing
// from one sequence neither wait for nor conflict with each other. A value
// drawn by a transaction that rolls back is not given back.
func (t *tx) NextSeq(name string) (uint64, error) {
	if err := t.writable("sequence", name); err != nil {
		return 0, err
	}
	if t.seqs == nil {
		t.seqs = map[string]bool{}
	}
	t.seqs[name] = true
	rel, err := t.d.sequence(t.ctx, name)
	if err != nil {
		return 0, t.fail("sequence "+name, err)
	}
	var n int64
	if err := t.pg.QueryRow(t.ctx, "SELECT nextval($1::regclass)", rel).Scan(&n); err != nil {
		return 0, t.fail("sequence "+name, err)
	}
	return uint64(n), nil
}

func jsonDecode(raw []byte, v any, what string) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("postgres: decode %s: %w", what, err)
	}
	return nil
}
