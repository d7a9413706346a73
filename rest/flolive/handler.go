// Package flolive is simgate's floLIVE-style front end: moving a
// subscriber (SIM) between the accounts of a reseller hierarchy.
//
//	PUT /api/v2/subscriber/{type}/{value}/move   {"targetCustomerId": UUID}
//	PUT /api/v2/bulk/subscriber/move             {"items":[{"type","value","targetCustomerId"}]}
//	GET /api/v2/global/call/{requestId}          the outcome of a move request
//	GET /api/v2/subscriber/{type}/{value}        the subscriber as the requester sees it
//
// Every call carries "Authorization: Bearer <API key>". A move is checked
// for eligibility when it arrives, so an ineligible one is refused at once;
// an eligible one is stored, acknowledged with its requestId and executed
// asynchronously by the engine. floLIVE has no callback: partners poll
// GET /api/v2/global/call/{requestId}, which answers OPEN, SUCCESS, FAILURE
// or INTERNAL_ERROR.
//
// Both moves take an optional Idempotency-Key header (the IETF httpapi
// draft's), the partner transaction id the document's requests lack: the
// same key with the same moves answers the first request's answer again,
// byte for byte, even after it ran (the key is looked up before the
// eligibility check, which would refuse the retry); with other moves it is
// IDEMPOTENCY_1001. Keys are per partner and endpoint. Without the header
// every request is a new one.
//
// A refusal is the document's NAK,
// {"errorCode":"...","errorMessage":"...","content":"","pageable":null},
// with these codes and HTTP statuses:
//
//	code             HTTP  message                                              when
//	GLOBAL_1001      503   Service unavailable. Please try again                store failure or any internal error; retry the same call
//	GLOBAL_1003      404   Provided request ID does not exist for your account  unknown requestId, or another partner's, or not a floLIVE request
//	CUSTOMER_1008    404   Failed to find target customer                       target outside the requester's tree, below level 1, or the move is not eligible
//	SUBSCRIBER_1002  404   Subscriber does not exist                            unknown, ceased, or another partner's subscriber
//	SUBSCRIBER_1023  422   Failed to move subscriber                            a move refused when it ran (GET global/call), a bulk request with no move accepted, any other business refusal
//	AUTH_1001        401   Missing or invalid API key                           no "Authorization: Bearer <key>" or an unknown key (with WWW-Authenticate: Bearer)
//	RATE_1001        429   Too many requests, retry later                       over the partner's request rate (with Retry-After: seconds)
//	VALIDATION_1001  400   Invalid subscriber type. Valid types are: ...        {type} not one of imsi, iccid, msisdn, imei (lower case)
//	VALIDATION_1002  400   Invalid subscriber value: <type> must be N to M digits
//	                                                                            imsi 6-15, iccid 18-20, msisdn 7-15, imei 14-16 digits
//	VALIDATION_1003  400   targetCustomerId is required and must be a UUID      missing, empty or not 8-4-4-4-12 hex
//	VALIDATION_1004  400   Request body is required                             empty body on a PUT
//	VALIDATION_1005  400   Malformed request body: <what, where>                not JSON, unknown field, duplicate key, wrong type, trailing data
//	VALIDATION_1006  413   Request body is too large: the limit is N bytes      body over Options.Limits.MaxBytes (1 MiB)
//	VALIDATION_1007  400   items must hold 1 to 200 moves: got N                bulk request with no item or more than 200
//	VALIDATION_1008  400   requestId must be a UUID                             malformed {requestId}
//	VALIDATION_1009  (bulk item only)  Subscriber is already moved by an earlier item of this request
//	METHOD_1001      405   Method not allowed                                   a method the path does not serve (with Allow: the methods it does)
//	VALIDATION_1010  415   Unsupported media type: Content-Type must be application/json
//	                                                                            a body sent with another Content-Type (none is accepted)
//	VALIDATION_1011  400   Idempotency-Key must be 1 to 255 printable ASCII characters, sent once: <what>
//	IDEMPOTENCY_1001 409   Idempotency-Key was already used with a different request
//
// The document's codes keep its messages byte for byte; simgate's codes
// (AUTH_, RATE_, METHOD_, VALIDATION_, IDEMPOTENCY_) may add a colon and a
// detail. The two CUSTOMER_1008 causes read the same on purpose: whether a
// customer exists outside the requester's reach is not the requester's
// business.
package flolive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"simgate/core"
	"simgate/rest"
	"simgate/rest/jsonx"
)

// The endpoints, in echo syntax.
const (
	PathMove       = "/api/v2/subscriber/:type/:value/move"
	PathBulkMove   = "/api/v2/bulk/subscriber/move"
	PathCall       = "/api/v2/global/call/:requestId"
	PathSubscriber = "/api/v2/subscriber/:type/:value"
)

// Operation names: the first two name the stored transactions, all four
// tag the log lines.
const (
	OpMove       = "MoveSubscriber"
	OpBulkMove   = "BulkMoveSubscriber"
	opCall       = "GetCallStatus"
	opSubscriber = "GetSubscriber"
	opUnrouted   = "MethodNotAllowed" // a method the path does not serve
)

// maxBulkItems is the vendor's limit of one bulk move.
const maxBulkItems = 200

// Options configures the front end.
type Options struct {
	Limits jsonx.Limits // default 1 MiB, depth 32
}

// Handler serves the endpoints.
type Handler struct {
	svc  *core.Service
	eng  *core.Engine
	log  *slog.Logger
	opts Options
}

// New builds the front end. It registers no renderer with the engine:
// floLIVE partners poll for outcomes, so a move leaves nothing in the
// outbox.
func New(svc *core.Service, eng *core.Engine, log *slog.Logger, opts Options) *Handler {
	if opts.Limits.MaxBytes <= 0 {
		opts.Limits.MaxBytes = jsonx.DefaultMaxBytes
	}
	if opts.Limits.MaxDepth <= 0 {
		opts.Limits.MaxDepth = jsonx.DefaultMaxDepth
	}
	return &Handler{svc: svc, eng: eng, log: log, opts: opts}
}

// routes are the endpoints and their methods, for 405 answers.
var routes = rest.Routes{
	{Path: PathMove, Methods: http.MethodPut}, {Path: PathBulkMove, Methods: http.MethodPut},
	{Path: PathCall, Methods: http.MethodGet}, {Path: PathSubscriber, Methods: http.MethodGet},
}

// Register mounts the endpoints on e. Another method on one of their paths
// is answered 405 with the NAK, not echo's shape.
func (h *Handler) Register(e *echo.Echo) {
	e.PUT(PathMove, h.move)
	e.PUT(PathBulkMove, h.bulkMove)
	e.GET(PathCall, h.call)
	e.GET(PathSubscriber, h.subscriber)
	routes.RefuseOtherMethods(e, func(c echo.Context, err error) error { return h.nak(c, opUnrouted, "", err) })
}

// txContext is what GET global/call needs of the request beyond the job:
// the position in the request of each stored move (a bulk request stores
// only the moves it accepted).
type txContext struct {
	Indexes []int `json:"indexes"`
}

func (h *Handler) move(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := h.authenticate(c)
	if err != nil {
		return h.nak(c, OpMove, "", err)
	}
	key, err := idempotencyKey(c.Request().Header)
	if err != nil {
		return h.nak(c, OpMove, p.ID, err)
	}
	ref, err := subscriberRef(c.Param("type"), c.Param("value"))
	if err != nil {
		return h.nak(c, OpMove, p.ID, err)
	}
	var req MoveRequest
	if err := h.decode(c, &req); err != nil {
		return h.nak(c, OpMove, p.ID, err)
	}
	target, err := customerID(req.TargetCustomerID)
	if err != nil {
		return h.nak(c, OpMove, p.ID, err)
	}
	cmd := core.Move{Ref: txRef(ctx, p.ID, key), Subscriber: ref, Target: target}
	hash := bodyHash(OpMove, []fingerprint{fingerprintOf(cmd)})
	// A retried request is answered before the eligibility check, which
	// refuses it once the first one has run.
	if t, done, err := h.repeated(ctx, cmd.Ref, OpMove, hash); done {
		return h.replay(c, OpMove, p.ID, t, err)
	}
	// Refusing here, not in the worker, is what lets the partner read the
	// NAK at once instead of polling for a FAILURE. The worker checks again:
	// a concurrent move may change the answer in between.
	if err := h.svc.CheckMove(ctx, cmd); err != nil {
		// A concurrent request with the same key may have been stored, and
		// run, since the look-up: its answer is this one's.
		if t, done, rerr := h.repeated(ctx, cmd.Ref, OpMove, hash); done {
			return h.replay(c, OpMove, p.ID, t, rerr)
		}
		return h.nak(c, OpMove, p.ID, err)
	}
	t, replayed, err := h.submit(ctx, cmd.Ref, OpMove, hash, []core.Move{cmd}, []int{0}, func(id string) any {
		return Page[Accepted]{Content: []Accepted{{RequestID: id}}, Pageable: pageOf(1)}
	})
	if err != nil || replayed {
		return h.replay(c, OpMove, p.ID, t, err)
	}
	// Typed attributes: the same text as key-value pairs, without boxing
	// each value or formatting the ids with fmt.
	core.LogAttrs(ctx, h.log, slog.LevelInfo, "flolive request accepted", slog.String("op", OpMove),
		slog.String("partner", string(p.ID)), slog.String("code", ""), slog.String("tx", t.ID),
		slog.String("type", wireType(ref.Kind)), slog.String("target", string(target)))
	return c.JSONBlob(t.AckStatus, t.Ack)
}

func (h *Handler) bulkMove(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := h.authenticate(c)
	if err != nil {
		return h.nak(c, OpBulkMove, "", err)
	}
	key, err := idempotencyKey(c.Request().Header)
	if err != nil {
		return h.nak(c, OpBulkMove, p.ID, err)
	}
	var req BulkMoveRequest
	if err := h.decode(c, &req); err != nil {
		return h.nak(c, OpBulkMove, p.ID, err)
	}
	if n := len(req.Items); n == 0 || n > maxBulkItems {
		return h.nak(c, OpBulkMove, p.ID, refuse(errBulkSize, "got %d", n))
	}
	ref := txRef(ctx, p.ID, key)
	// The request is what the partner asked for, every item, valid or
	// not: which items are accepted depends on the inventory, which the
	// first request may have changed by the time it is retried.
	prints := make([]fingerprint, len(req.Items))
	for i, it := range req.Items {
		prints[i] = fingerprint{Kind: it.Type, Value: it.Value, Target: strings.ToLower(it.TargetCustomerID)}
	}
	hash := bodyHash(OpBulkMove, prints)
	if t, done, err := h.repeated(ctx, ref, OpBulkMove, hash); done {
		return h.replay(c, OpBulkMove, p.ID, t, err)
	}
	refused := []ItemError{}
	var moves []core.Move
	var indexes []int
	seen := map[string]bool{}
	for i, it := range req.Items {
		cmd, err := h.checkItem(ctx, ref, it, seen)
		if err != nil {
			r := refusalOf(err)
			if r.internal() {
				// Half an answer would be a guess: the partner retries
				// the whole request.
				return h.nak(c, OpBulkMove, p.ID, err)
			}
			refused = append(refused, ItemError{Index: i, Type: echoed(it.Type), Value: echoed(it.Value), ErrorCode: r.wire.Code, ErrorMessage: r.message()})
			continue
		}
		moves = append(moves, cmd)
		indexes = append(indexes, i)
	}
	if len(moves) == 0 {
		// As for a single move: a concurrent request with the same key
		// may have been stored and run since the look-up.
		if t, done, err := h.repeated(ctx, ref, OpBulkMove, hash); done {
			return h.replay(c, OpBulkMove, p.ID, t, err)
		}
		h.log.InfoContext(ctx, "flolive request refused", "op", OpBulkMove, "partner", p.ID, "code", errMoveFailed.Code,
			"status", errMoveFailed.Status, "items", len(req.Items), "refused", len(refused))
		return writeJSON(c, errMoveFailed.Status, Page[BulkResult]{
			ErrorCode: errMoveFailed.Code, ErrorMessage: errMoveFailed.Message,
			Content: []BulkResult{{Refused: refused}}, Pageable: pageOf(1),
		})
	}
	t, replayed, err := h.submit(ctx, ref, OpBulkMove, hash, moves, indexes, func(id string) any {
		return Page[BulkResult]{Content: []BulkResult{{RequestID: id, Accepted: len(moves), Refused: refused}}, Pageable: pageOf(1)}
	})
	if err != nil || replayed {
		return h.replay(c, OpBulkMove, p.ID, t, err)
	}
	core.LogAttrs(ctx, h.log, slog.LevelInfo, "flolive request accepted", slog.String("op", OpBulkMove),
		slog.String("partner", string(p.ID)), slog.String("code", ""), slog.String("tx", t.ID),
		slog.Int("items", len(req.Items)), slog.Int("accepted", len(moves)), slog.Int("refused", len(refused)))
	return c.JSONBlob(t.AckStatus, t.Ack)
}

// checkItem checks one move of a bulk request as the single move would be,
// and refuses a subscriber that an earlier item already moves (under any
// of its identifiers): running both in a row would make the outcome of the
// second depend on the first.
func (h *Handler) checkItem(ctx context.Context, ref core.TxRef, it BulkMoveItem, seen map[string]bool) (core.Move, error) {
	sub, err := subscriberRef(it.Type, it.Value)
	if err != nil {
		return core.Move{}, err
	}
	target, err := customerID(it.TargetCustomerID)
	if err != nil {
		return core.Move{}, err
	}
	cmd := core.Move{Ref: ref, Subscriber: sub, Target: target}
	if err := h.svc.CheckMove(ctx, cmd); err != nil {
		return core.Move{}, err
	}
	s, _, err := h.svc.Subscriber(ctx, ref.Partner, sub)
	if err != nil {
		return core.Move{}, err
	}
	if seen[s.ID] {
		return core.Move{}, refuse(errDuplicateInBulk, "")
	}
	seen[s.ID] = true
	return cmd, nil
}

func (h *Handler) call(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := h.authenticate(c)
	if err != nil {
		return h.nak(c, opCall, "", err)
	}
	id, err := requestID(c.Param("requestId"))
	if err != nil {
		return h.nak(c, opCall, p.ID, err)
	}
	t, err := h.svc.Transaction(ctx, p.ID, id)
	if err == nil && t.Channel != core.ChannelFloLIVE {
		// Another API's transaction of the same partner is no request of
		// this one.
		err = core.Errorf(core.KindNotFound, core.ReasonTxNotFound, "request", "transaction %s is not a floLIVE request", id)
	}
	if err != nil {
		return h.nak(c, opCall, p.ID, err)
	}
	st := callStatusOf(t)
	// Partners poll: a line per answer would drown the log at info level.
	h.log.DebugContext(ctx, "flolive request answered", "op", opCall, "partner", p.ID, "code", "", "tx", t.ID, "status", st.Status)
	return writeJSON(c, http.StatusOK, Page[CallStatus]{Content: []CallStatus{st}, Pageable: pageOf(1)})
}

// callStatusOf reads a transaction as the document's request status.
func callStatusOf(t core.Transaction) CallStatus {
	switch {
	case !t.Status.Finished():
		return CallStatus{Status: StatusOpen}
	case t.Status == core.TxSucceeded:
		return CallStatus{Status: StatusSuccess}
	}
	var cx txContext
	// A context that does not decode only costs the request positions.
	_ = json.Unmarshal(t.Context, &cx)
	out := CallStatus{Status: StatusFailure}
	for i, r := range t.Results {
		if r.OK {
			continue
		}
		w := errMoveFailed
		if failedOnOurSide(r.Error) {
			w, out.Status = errUnavailable, StatusInternalError
		}
		f := ItemError{Index: i, ErrorCode: w.Code, ErrorMessage: w.Message}
		if i < len(cx.Indexes) {
			f.Index = cx.Indexes[i]
		}
		if i < len(t.Job.Moves) {
			m := t.Job.Moves[i]
			f.Type, f.Value = wireType(m.Subscriber.Kind), m.Subscriber.Value
		}
		out.Failures = append(out.Failures, f)
	}
	w := errMoveFailed
	if out.Status == StatusInternalError {
		w = errUnavailable
	}
	out.ErrorCode, out.ErrorMessage = w.Code, w.Message
	return out
}

func (h *Handler) subscriber(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := h.authenticate(c)
	if err != nil {
		return h.nak(c, opSubscriber, "", err)
	}
	ref, err := subscriberRef(c.Param("type"), c.Param("value"))
	if err != nil {
		return h.nak(c, opSubscriber, p.ID, err)
	}
	sub, visible, err := h.svc.Subscriber(ctx, p.ID, ref)
	if err != nil {
		return h.nak(c, opSubscriber, p.ID, err)
	}
	h.log.DebugContext(ctx, "flolive request answered", "op", opSubscriber, "partner", p.ID, "code", "", "subscription", sub.ID)
	out := Subscriber{
		CustomerID: string(visible), Status: subscriberStatus(sub.Status),
		IMSI: sub.IMSI, ICCID: sub.ICCID, MSISDN: sub.MSISDN, IMEI: sub.IMEI,
	}
	return writeJSON(c, http.StatusOK, Page[Subscriber]{Content: []Subscriber{out}, Pageable: pageOf(1)})
}

func subscriberStatus(s core.SubscriptionStatus) string {
	switch s {
	case core.SubPending:
		return SubscriberPending
	case core.SubActive:
		return SubscriberActive
	case core.SubSuspended:
		return SubscriberSuspended
	case core.SubCeased:
		return SubscriberCeased
	}
	return strings.ToUpper(string(s))
}

// authenticate resolves "Authorization: Bearer <API key>" to its partner
// and spends one request of the partner's rate limit (see rest.BearerKey:
// the scheme is case-insensitive, two Authorization lines are refused).
func (h *Handler) authenticate(c echo.Context) (core.Partner, error) {
	key, ok := rest.BearerKey(c.Request().Header)
	if !ok {
		return core.Partner{}, refuse(errUnauthorized, "")
	}
	ctx := c.Request().Context()
	p, err := h.svc.PartnerByAPIKey(ctx, key)
	if err != nil {
		return core.Partner{}, err
	}
	if _, err := h.svc.Allow(ctx, p.ID); err != nil {
		return core.Partner{}, err
	}
	return p, nil
}

// decode reads and strictly decodes a request body into v.
func (h *Handler) decode(c echo.Context, v any) error {
	if err := rest.CheckJSONBody(c.Request()); err != nil {
		return err
	}
	raw, err := jsonx.ReadBody(c.Request().Body, h.opts.Limits.MaxBytes)
	if err != nil {
		var je *jsonx.Error
		if errors.As(err, &je) {
			return refuse(errTooLarge, "the limit is %d bytes", h.opts.Limits.MaxBytes)
		}
		return &refusal{wire: errMalformedBody, detail: "the request body could not be read", cause: err}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return refuse(errMissingBody, "")
	}
	if err := jsonx.Decode(raw, v, h.opts.Limits); err != nil {
		var je *jsonx.Error
		switch {
		case !errors.As(err, &je):
			return core.Internal(err)
		case je.Status == http.StatusRequestEntityTooLarge:
			return refuse(errTooLarge, "the limit is %d bytes", h.opts.Limits.MaxBytes)
		}
		return refuse(errMalformedBody, "%s", je.Message)
	}
	return nil
}

// submit stores the moves as one transaction and answers it with its
// acknowledgement, rendered by ack from the transaction id; replayed when
// a request with the same key was stored first (Submit decides in its
// commit, so concurrent retries make one transaction).
func (h *Handler) submit(ctx context.Context, ref core.TxRef, op, hash string, moves []core.Move, indexes []int, ack func(id string) any) (core.Transaction, bool, error) {
	cx, err := json.Marshal(txContext{Indexes: indexes})
	if err != nil {
		return core.Transaction{}, false, core.Internal(err)
	}
	return h.eng.Submit(ctx, core.Submission{
		Ref: ref, Operation: op, BodyHash: hash, Context: cx, Job: core.Job{Moves: moves},
		Ack: func(t core.Transaction) (int, []byte, error) {
			body, err := json.Marshal(ack(t.ID))
			return http.StatusOK, body, err
		},
	})
}

// repeated looks up the request a keyed one repeats: done when there is
// an answer, the first request's transaction or err (the key used with
// another request, or a failed look-up). A request without a key is
// never done here.
func (h *Handler) repeated(ctx context.Context, ref core.TxRef, op, hash string) (t core.Transaction, done bool, err error) {
	if ref.PartnerTxID == "" {
		return core.Transaction{}, false, nil
	}
	t, ok, err := h.eng.Submitted(ctx, core.Submission{Ref: ref, Operation: op, BodyHash: hash})
	return t, ok || err != nil, err
}

// replay answers a request that repeats a stored one: the first request's
// acknowledgement, byte for byte, or the NAK of err.
func (h *Handler) replay(c echo.Context, op string, partner core.PartnerID, t core.Transaction, err error) error {
	if err != nil {
		return h.nak(c, op, partner, err)
	}
	core.LogAttrs(c.Request().Context(), h.log, slog.LevelInfo, "flolive request replayed", slog.String("op", op),
		slog.String("partner", string(partner)), slog.String("code", ""), slog.String("tx", t.ID))
	return c.JSONBlob(t.AckStatus, t.Ack)
}

// txRef identifies a request of this API. Its partner transaction id is
// the request's Idempotency-Key; without one every request is a new
// transaction. The X-Request-Id ties the stored transaction to the
// request's log lines.
func txRef(ctx context.Context, partner core.PartnerID, key string) core.TxRef {
	return core.TxRef{Partner: partner, Channel: core.ChannelFloLIVE, PartnerTxID: key, CorrelationID: core.RequestID(ctx)}
}

// fingerprint is one requested move as bodyHash reads it: the document's
// type (which is core's kind), the value and the target in lower case (a
// UUID in either case is the same request).
type fingerprint struct{ Kind, Value, Target string }

func fingerprintOf(m core.Move) fingerprint {
	return fingerprint{string(m.Subscriber.Kind), m.Subscriber.Value, string(m.Target)}
}

// bodyHash fingerprints a request: the same key with the same hash is a
// retry, with another a conflict. It reads the moves asked for, not the
// bytes, so a retry may be spelled with other whitespace or key order.
func bodyHash(op string, items []fingerprint) string {
	b, _ := json.Marshal(struct {
		Op    string
		Items []fingerprint
	}{op, items})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// nak answers a refusal and writes its one log line.
func (h *Handler) nak(c echo.Context, op string, partner core.PartnerID, err error) error {
	r := refusalOf(err)
	ctx := c.Request().Context()
	if r.internal() {
		h.log.ErrorContext(ctx, "flolive request failed", "op", op, "partner", partner, "code", r.wire.Code, "error", err.Error())
	} else {
		h.log.InfoContext(ctx, "flolive request refused", "op", op, "partner", partner, "code", r.wire.Code,
			"status", r.wire.Status, "message", r.message())
	}
	if r.wire == errUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="simgate"`)
	}
	if secs, ok := core.RetryAfterSeconds(err); ok {
		c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(secs))
	}
	return writeJSON(c, r.wire.Status, NAK{ErrorCode: r.wire.Code, ErrorMessage: r.message()})
}

func writeJSON(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.JSONBlob(status, b)
}
