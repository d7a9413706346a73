package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Store runs commands against the inventory. Update runs fn in one
// read-write transaction: either everything fn wrote is committed and made
// durable before Update returns nil, or nothing is. fn must have no effect
// outside tx, since a failed commit discards its work. View runs fn in a
// read-only snapshot.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
}

// Tx is the inventory as one transaction sees it. Getters answer ok=false
// when the key is absent; values are copies the caller may keep. Putters
// keep every index of the object in step.
type Tx interface {
	Partner(id PartnerID) (Partner, bool, error)
	PartnerByUsername(username string) (Partner, bool, error)
	PartnerByAPIKeyHash(hash string) (Partner, bool, error)
	PutPartner(p Partner) error

	Account(id AccountID) (Account, bool, error)
	AccountChildren(id AccountID) ([]Account, error)
	PutAccount(a Account) error

	ServiceType(id int64) (ServiceType, bool, error)
	PutServiceType(t ServiceType) error

	Product(id int64) (Product, bool, error)
	ProductsOf(owner PartnerID) ([]Product, error)
	PutProduct(p Product) error

	SIM(id string) (SIM, bool, error)
	SIMByICCID(iccid string) (SIM, bool, error)
	SIMBySimNumber(simNumber string) (SIM, bool, error)
	SIMByIMSI(imsi string) (SIM, bool, error)
	SIMByEID(eid string) (SIM, bool, error)
	PutSIM(s SIM) error

	Number(msisdn string) (Number, bool, error)
	NumberByReservation(reservationID string) (Number, bool, error)
	// FirstAvailableNumber answers the lowest Available number of owner's pool.
	FirstAvailableNumber(owner PartnerID, pool string) (Number, bool, error)
	PutNumber(n Number) error
	// AgedNumbers answers up to limit Aging numbers whose AgingUntil is at
	// or before until, earliest first.
	AgedNumbers(until time.Time, limit int) ([]Number, error)

	SQ(id int64) (SQ, bool, error)
	// SQsByIdentifier answers every SQ of the service type with that identifier.
	SQsByIdentifier(serviceType int64, identifier string) ([]SQ, error)
	PutSQ(q SQ) error

	Subscription(id string) (Subscription, bool, error)
	SubscriptionBy(kind SubscriberKind, value string) (Subscription, bool, error)
	PutSubscription(s Subscription) error

	Plan(code string) (Plan, bool, error)
	PutPlan(p Plan) error

	Session(tokenHash string) (Session, bool, error)
	PutSession(s Session) error
	// DeleteSession removes a session; deleting an absent one is not an error.
	DeleteSession(tokenHash string) error
	// ExpiredSessions answers up to limit sessions whose ExpiresAt is at or
	// before until, earliest first.
	ExpiredSessions(until time.Time, limit int) ([]Session, error)

	// NextSeq answers the next value of a named durable sequence: the
	// first value drawn from a name is 1, values are never answered twice, and a
	// value drawn after another (by any caller) is larger. Values may have
	// gaps: a failed Update, or one whose fn runs again, may consume values
	// that no committed Update keeps. Names count independently.
	NextSeq(name string) (uint64, error)

	AsyncTx
	OrderTx
}

// Clock tells the time; tests use a fixed one.
type Clock interface{ Now() time.Time }

// IDs makes secrets and identifiers; tests use deterministic ones.
type IDs interface {
	// Token answers 64 lower-case hex characters from a secure source.
	Token() (string, error)
	// UUID answers a random (version 4) UUID.
	UUID() (string, error)
	// TimeUUID answers a version 7 UUID for now: its first 48 bits are
	// the Unix time in milliseconds, the rest random, so ids made later
	// sort after earlier ones. Records keyed by such ids are appended to
	// their bucket instead of landing all over it.
	TimeUUID(now time.Time) (string, error)
}

// Passwords hashes and verifies partner passwords (bcrypt in production).
type Passwords interface {
	Hash(plain string) (string, error)
	Verify(hash, plain string) bool
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now answers the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// RandomIDs draws identifiers from crypto/rand.
type RandomIDs struct{}

// Token answers 32 random bytes as 64 lower-case hex characters.
func (RandomIDs) Token() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// UUID answers a version 4 UUID from crypto/rand.
func (RandomIDs) UUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return formatUUID(b, 4), nil
}

// TimeUUID answers a version 7 UUID (RFC 9562): 48 bits of Unix
// milliseconds, then 74 bits from crypto/rand.
func (RandomIDs) TimeUUID(now time.Time) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[6:]); err != nil {
		return "", err
	}
	ms := uint64(max(now.UnixMilli(), 0))
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	return formatUUID(b, 7), nil
}

// formatUUID sets b's version and RFC 9562 variant bits and answers its
// canonical text.
func formatUUID(b [16]byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// AsyncTx is the part of Tx the asynchronous engine uses.
type AsyncTx interface {
	Transaction(id string) (Transaction, bool, error)
	// TransactionByKey finds a transaction by the partner's own id.
	TransactionByKey(partner PartnerID, channel Channel, operation, partnerTxID string) (Transaction, bool, error)
	// PutTransaction keeps the key index and the index of unfinished
	// transactions (those with Status Received) in step.
	PutTransaction(t Transaction) error
	// UnfinishedTransactions answers up to limit ids of Received transactions, oldest first.
	UnfinishedTransactions(limit int) ([]string, error)

	Delivery(id string) (Delivery, bool, error)
	// PutDelivery keeps the due index (Pending deliveries by NextAt) and the
	// per-transaction and dead-letter indexes in step.
	PutDelivery(d Delivery) error
	// DueDeliveries answers up to limit Pending deliveries with NextAt <=
	// until, earliest first, passing over (without decoding them) those
	// for which skip answers true, so that one partner's backlog never hides
	// another partner's due work. skip may be nil.
	DueDeliveries(until time.Time, limit int, skip func(id string, partner PartnerID) bool) ([]Delivery, error)
	// DeliveriesOf answers the deliveries of one transaction, in creation order.
	DeliveriesOf(txID string) ([]Delivery, error)
	// DeliveriesByStatus answers up to limit deliveries in a status, oldest first.
	DeliveriesByStatus(status DeliveryStatus, limit int) ([]Delivery, error)
}
