package core

import (
	"context"
	"time"
)

// TxStatus is the life of an asynchronous transaction.
type TxStatus string

const (
	TxReceived  TxStatus = "Received"  // stored and acknowledged, not yet executed
	TxSucceeded TxStatus = "Succeeded" // executed; every item succeeded
	TxPartial   TxStatus = "Partial"   // executed; some items failed
	TxFailed    TxStatus = "Failed"    // executed; every item failed
	// TxCancelled: withdrawn by the partner before any item ran; never executed.
	TxCancelled TxStatus = "Cancelled"
)

// Finished reports whether the transaction will not run: it has been
// executed, or cancelled before it ran.
func (s TxStatus) Finished() bool { return s != TxReceived }

// Job is what an asynchronous transaction executes: one or more commands of
// one kind, each an item with its own outcome.
type Job struct {
	Activations []Activate     `json:"activations,omitempty"`
	Changes     []ChangeStatus `json:"changes,omitempty"`
	Moves       []Move         `json:"moves,omitempty"`
}

// Items answers how many commands the job holds.
func (j Job) Items() int { return len(j.Activations) + len(j.Changes) + len(j.Moves) }

// ItemResult is the outcome of one command of a job.
type ItemResult struct {
	OK           bool          `json:"ok"`
	Subscription *Subscription `json:"subscription,omitempty"`
	Error        *ErrorInfo    `json:"error,omitempty"`
}

// ErrorInfo is an Error as stored: reason, field and operator message.
type ErrorInfo struct {
	Kind    Kind   `json:"kind"`
	Reason  Reason `json:"reason"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Info converts an error for storage.
func Info(err error) *ErrorInfo {
	e := AsError(err)
	msg := e.Message
	if e.Kind == KindInternal {
		msg = "internal error"
	}
	return &ErrorInfo{Kind: e.Kind, Reason: e.Reason, Field: e.Field, Message: msg}
}

// TxEvent is one step in a transaction's history.
type TxEvent struct {
	At     time.Time `json:"at"`
	Status TxStatus  `json:"status"`
	Note   string    `json:"note,omitempty"`
}

// Transaction is an asynchronous request: stored before it is acknowledged,
// executed exactly once, its outcome and notifications written together.
type Transaction struct {
	ID            string    `json:"id"`  // simgate's own id (MVNX uniqueTransactionId)
	Seq           uint64    `json:"seq"` // submission order, total even when clocks tie
	Partner       PartnerID `json:"partner"`
	Channel       Channel   `json:"channel"`
	Operation     string    `json:"operation"`     // front-end operation name, for operators
	PartnerTxID   string    `json:"partner_tx_id"` // the partner's id, unique per partner, channel and operation
	CorrelationID string    `json:"correlation_id,omitempty"`
	BodyHash      string    `json:"body_hash"` // SHA-256 of the request as the front end canonicalised it
	Ack           []byte    `json:"ack"`       // the first acknowledgement, replayed verbatim
	AckStatus     int       `json:"ack_status"`
	CallbackURL   string    `json:"callback_url,omitempty"`
	// Context is front-end data the notifications need (for MVNX the
	// request's MessageHeader fields), opaque to the core.
	Context   []byte       `json:"context,omitempty"`
	Job       Job          `json:"job"`
	Status    TxStatus     `json:"status"`
	Results   []ItemResult `json:"results,omitempty"`
	History   []TxEvent    `json:"history"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	// DeletedAt is when the partner deleted a finished order (TMF622
	// DELETE): its channel reads it as absent from then on, but the record
	// stays for audit, operators and its deliveries.
	DeletedAt time.Time `json:"deleted_at,omitzero"`
}

// DeliveryStatus is the state of one outgoing notification.
type DeliveryStatus string

const (
	DeliveryPending   DeliveryStatus = "Pending"
	DeliveryDelivered DeliveryStatus = "Delivered"
	DeliveryDead      DeliveryStatus = "Dead" // retries exhausted or refused for good; an operator may replay it
)

// Acceptance says what answer from the partner counts as delivered.
type Acceptance string

const (
	Accept2xx     Acceptance = "2xx"      // any 2xx status
	AcceptMVNXAck Acceptance = "mvnx-ack" // 2xx and RequestAcknowledgement code "0"
)

// Attempt is one try at delivering a notification.
type Attempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"` // 0: no HTTP answer
	Error      string    `json:"error,omitempty"`
	Duration   float64   `json:"duration_ms"`
}

// Delivery is a notification in the durable outbox. Its ID is the
// webhook-id: the same on every retry and after a crash.
type Delivery struct {
	ID          string         `json:"id"`
	Partner     PartnerID      `json:"partner"`
	TxID        string         `json:"tx_id"`
	Event       string         `json:"event"`
	URL         string         `json:"url"`
	ContentType string         `json:"content_type"`
	Body        []byte         `json:"body"`
	Accept      Acceptance     `json:"accept"`
	Status      DeliveryStatus `json:"status"`
	Attempts    []Attempt      `json:"attempts,omitempty"`
	NextAt      time.Time      `json:"next_at"`
	// ClaimedUntil is set while an engine on a shared store holds the
	// delivery to send it (NextAt is then the same instant); zero otherwise.
	ClaimedUntil time.Time `json:"claimed_until,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
}

// Notification is what a front end renders for the outbox.
type Notification struct {
	Event       string
	URL         string
	ContentType string
	Body        []byte
	Accept      Acceptance
}

// Renderer turns the outcome of one item of a transaction into its
// notifications, in the partner's wire format. It is pure: it runs inside
// the store transaction that records the outcome. t.Results[item] is set.
type Renderer interface {
	Render(t Transaction, item int, now time.Time) ([]Notification, error)
}

// TxRenderer is a Renderer that reads the store while rendering (the
// partner's hub registrations, for TMF events). The engine calls RenderTx
// instead of Render when a channel's renderer has it; tx is the store
// transaction that records the outcome, so RenderTx must not write.
type TxRenderer interface {
	Renderer
	RenderTx(tx Tx, t Transaction, item int, now time.Time) ([]Notification, error)
}

// SendResult is what one delivery attempt learnt.
type SendResult struct {
	StatusCode int
	Delivered  bool          // the partner accepted it
	Permanent  bool          // never retry (410 Gone, a refused destination)
	RetryAfter time.Duration // the partner's Retry-After, 0 if none
	Err        error         // network error or why the answer was not accepted
}

// Sender performs one delivery attempt (HTTP POST, signed). It never
// touches the store.
type Sender interface {
	Send(ctx context.Context, d Delivery, secret string) SendResult
}
