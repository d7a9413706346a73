// Package sps is simgate's DISH-style wholesale Subscription API:
// activate, update status (suspend, resume, cease, reactivate), query a
// transaction, and the developer-hub callback setting. Every change is
// acknowledged at once and completes asynchronously, with a signed
// notification to the customer's callback URL.
package sps

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"simgate/core"
	"simgate/rest"
	"simgate/rest/callback"
	"simgate/rest/jsonx"
)

// Paths of the API.
const (
	Base            = "/subscriber-provisioning/v5"
	PathActivate    = Base + "/subscription"
	PathStatus      = Base + "/subscription/status"
	PathTransaction = Base + "/subscription/transactions/:partnerTransactionId"
	PathCallback    = Base + "/callback"
)

// Operation names, also the idempotency scopes.
const (
	OpActivate = "ActivateSubscription"
	OpStatus   = "UpdateSubscriptionStatus"
)

// Headers.
const (
	HeaderCorrelationID = "X-Correlation-Id"
	HeaderCustomerID    = "wholesaleCustomerId"
)

// Options configures the front end.
type Options struct {
	Limits jsonx.Limits
	// SMDPAddress is the SM-DP+ server named in eSIM activation codes.
	SMDPAddress string
	// AllowPrivateCallbacks lets the callback URL name loopback and private
	// hosts (the sandbox); the sender checks again at dial time.
	AllowPrivateCallbacks bool
}

// Handler serves the API.
type Handler struct {
	svc  *core.Service
	eng  *core.Engine
	log  *slog.Logger
	opts Options
}

// New builds the front end and registers its notification renderer.
func New(svc *core.Service, eng *core.Engine, log *slog.Logger, opts Options) *Handler {
	if opts.SMDPAddress == "" {
		opts.SMDPAddress = "smdp.simgate.test"
	}
	eng.Register(core.ChannelSPS, Renderer{})
	return &Handler{svc: svc, eng: eng, log: log, opts: opts}
}

// Register mounts the API on e.
func (h *Handler) Register(e *echo.Echo) {
	// The group's middleware also answers unknown paths below Base, in
	// this API's own error shape.
	g := e.Group(Base, h.authenticate)
	g.POST(strings.TrimPrefix(PathActivate, Base), h.activate)
	g.POST(strings.TrimPrefix(PathStatus, Base), h.updateStatus)
	g.GET(strings.TrimPrefix(PathTransaction, Base), h.transaction)
	g.PUT(strings.TrimPrefix(PathCallback, Base), h.putCallback)
	g.GET(strings.TrimPrefix(PathCallback, Base), h.getCallback)
}

// caller is what authenticate learnt of a request.
type caller struct {
	partner     core.Partner
	account     core.AccountID
	correlation string
}

const callerKey = "sps.caller"

var printable = regexp.MustCompile(`^[\x21-\x7e]{1,64}$`)

// authenticate checks the API key, spends one request of the customer's
// rate limit, and checks the correlation id and the wholesaleCustomerId
// header before any handler runs.
func (h *Handler) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		for _, name := range []string{HeaderCorrelationID, echo.HeaderAuthorization, HeaderCustomerID} {
			if !once(req.Header, name) {
				if name == HeaderCorrelationID {
					c.Response().Header().Set(HeaderCorrelationID, "")
				}
				return h.failItems(c, http.StatusBadRequest, ErrorItem{Code: "INVALID_HEADER", Field: name, Message: name + " must be given once"})
			}
		}
		corr := req.Header.Get(HeaderCorrelationID)
		if corr == "" {
			id, err := h.svc.NewID()
			if err != nil {
				return h.fail(c, core.Internal(err))
			}
			corr = id
		} else if !printable.MatchString(corr) {
			c.Response().Header().Set(HeaderCorrelationID, "")
			return h.failItems(c, http.StatusBadRequest, ErrorItem{Code: "INVALID_HEADER", Field: HeaderCorrelationID, Message: "X-Correlation-Id must be 1 to 64 printable characters"})
		}
		c.Response().Header().Set(HeaderCorrelationID, corr)
		ctx := core.WithCorrelationID(req.Context(), corr)
		c.SetRequest(req.WithContext(ctx))

		key, ok := rest.BearerKey(req.Header) // a repeated line was refused above, with 400
		if !ok {
			return h.fail(c, core.Errorf(core.KindUnauthorized, core.ReasonLoginFailed, "Authorization", "missing bearer API key"))
		}
		p, err := h.svc.PartnerByAPIKey(ctx, key)
		if err != nil {
			return h.fail(c, err)
		}
		if _, err := h.svc.Allow(ctx, p.ID); err != nil {
			return h.fail(c, err)
		}
		node := req.Header.Get(HeaderCustomerID)
		if len(node) > 12 {
			return h.failItems(c, http.StatusBadRequest, ErrorItem{Code: "INVALID_HEADER", Field: HeaderCustomerID, Message: "wholesaleCustomerId must be 1 to 12 characters"})
		}
		acc, err := h.svc.ResolveAccount(ctx, p, core.AccountID(node))
		if err != nil {
			return h.fail(c, err)
		}
		c.Set(callerKey, &caller{partner: p, account: acc, correlation: corr})
		err = next(c)
		var he *echo.HTTPError
		if errors.As(err, &he) && (he.Code == http.StatusNotFound || he.Code == http.StatusMethodNotAllowed) {
			// The router's own answer: give it this API's shape.
			if err := routes.MethodNotAllowed(c); err != nil {
				return h.fail(c, err)
			}
			return h.failItems(c, http.StatusNotFound, ErrorItem{Code: "NOT_FOUND", Message: "No such resource"})
		}
		return err
	}
}

// once reports whether the request carries header name at most once.
// Read with Get, a repeated header is its first line: a request naming two
// wholesale customers would act on the first, two keys would authenticate
// with the first, whatever the client or a proxy meant. A
// wholesaleCustomerId listing several ids on one line (as a proxy joins
// repeated lines, RFC 9110 5.3) is repeated too.
func once(h http.Header, name string) bool {
	values := h.Values(name)
	return len(values) <= 1 && (name != HeaderCustomerID || len(values) == 0 || !strings.Contains(values[0], ","))
}

// routes are the paths of this API and their methods, for 405 answers.
var routes = rest.Routes{
	{Path: PathActivate, Methods: http.MethodPost}, {Path: PathStatus, Methods: http.MethodPost},
	{Path: PathTransaction, Methods: http.MethodGet}, {Path: PathCallback, Methods: http.MethodGet + ", " + http.MethodPut},
}

func callerOf(c echo.Context) *caller { return c.Get(callerKey).(*caller) }

// decode reads a strict JSON body into v.
func (h *Handler) decode(c echo.Context, v any) error {
	if err := rest.CheckJSONBody(c.Request()); err != nil {
		return err
	}
	lim := h.opts.Limits
	raw, err := jsonx.ReadBody(c.Request().Body, lim.MaxBytes)
	if err == nil {
		err = jsonx.Decode(raw, v, lim)
	}
	var je *jsonx.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &je) && je.Status == http.StatusRequestEntityTooLarge:
		return core.Errorf(core.KindTooLarge, core.ReasonTooLarge, "", "Request body exceeds %d bytes", jsonx.DefaultMaxBytes)
	case errors.As(err, &je) && je.Reason == jsonx.ReasonWrongType && je.Path == "gpsi":
		// jsonx names the Go type of a value its UnmarshalJSON refused.
		return &fieldError{items: []ErrorItem{{Code: "INVALID_JSON", Field: je.Path, Message: `"gpsi" must be whole digits, as a string or a number`}}}
	case errors.As(err, &je):
		return &fieldError{items: []ErrorItem{{Code: "INVALID_JSON", Field: je.Path, Message: je.Message}}}
	default:
		return core.Errorf(core.KindInvalid, core.ReasonMalformed, "", "Cannot read the request body")
	}
}

// fieldError is a 400 listing every violated field.
type fieldError struct{ items []ErrorItem }

func (e *fieldError) Error() string { return fmt.Sprintf("%d invalid fields", len(e.items)) }

// checker collects violations with their field paths and rules.
type checker struct{ items []ErrorItem }

func (k *checker) add(field, code, format string, args ...any) {
	k.items = append(k.items, ErrorItem{Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (k *checker) required(field, v string) bool {
	if v == "" {
		k.add(field, "REQUIRED", "%s is required", field)
		return false
	}
	return true
}

func (k *checker) length(field, v string, min, max int) {
	if n := len([]rune(v)); n < min || n > max {
		k.add(field, "LENGTH", "%s must be %d to %d characters", field, min, max)
	}
}

func (k *checker) pattern(field, v string, re *regexp.Regexp, rule string) {
	if !re.MatchString(v) {
		k.add(field, "PATTERN", "%s must match %s", field, rule)
	}
}

func (k *checker) err() error {
	if len(k.items) == 0 {
		return nil
	}
	return &fieldError{items: k.items}
}

var (
	idPattern     = regexp.MustCompile(`^[-a-zA-Z0-9\s]`)
	gpsiPattern   = regexp.MustCompile(`^[0-9]{11,15}$`)
	iccidPattern  = regexp.MustCompile(`^[0-9]{19,20}$`)
	peiPattern    = regexp.MustCompile(`^[0-9]{15,17}$`)
	eidPattern    = regexp.MustCompile(`^[0-9]{19,32}$`)
	printableText = regexp.MustCompile(`^[^\x00-\x1f\x7f]*$`)
)

// validateActivate applies every constraint of the document and answers
// all violations at once.
func validateActivate(r *ActivateRequest) error {
	var k checker
	if k.required("partnerTransactionId", r.PartnerTransactionID) {
		k.length("partnerTransactionId", r.PartnerTransactionID, 1, 36)
	}
	for _, f := range []struct{ name, v string }{{"subscriberId", r.SubscriberID}, {"wholesalePlanId", r.WholesalePlanID}} {
		if k.required(f.name, f.v) {
			k.length(f.name, f.v, 1, 36)
			k.pattern(f.name, f.v, idPattern, `^[-a-zA-Z0-9\s].*$`)
		}
	}
	if len(r.BucketRefID) > 50 {
		k.add("bucketRefId", "LENGTH", "bucketRefId holds at most 50 items")
	}
	for i, b := range r.BucketRefID {
		if strings.TrimSpace(b) == "" || len(b) > 36 {
			k.add(fmt.Sprintf("bucketRefId[%d]", i), "LENGTH", "bucketRefId items must be non-empty (at most 36 characters)")
		}
	}
	switch {
	case r.Location == nil:
		k.add("location", "REQUIRED", "location is required")
	case r.Location.Address == nil:
		k.add("location.address", "REQUIRED", "location.address is required")
	default:
		a := r.Location.Address
		for _, f := range []struct {
			name, v string
			max     int
		}{{"addressLine1", a.AddressLine1, 100}, {"addressLine2", a.AddressLine2, 100}, {"city", a.City, 60}, {"state", a.State, 30}, {"zip", a.Zip, 15}} {
			if len([]rune(f.v)) > f.max {
				k.add("location.address."+f.name, "LENGTH", "location.address.%s must be at most %d characters", f.name, f.max)
			}
			if !printableText.MatchString(f.v) {
				k.add("location.address."+f.name, "PATTERN", "location.address.%s must not hold control characters", f.name)
			}
		}
	}
	if r.BillCycleFrequency != "" && r.BillCycleFrequency != "MONTHLY" {
		k.add("billCycleFrequency", "ENUM", "billCycleFrequency must be MONTHLY")
	}
	if d := r.BillCycleStartDay; d != nil && (*d < 1 || *d > 28) {
		k.add("billCycleStartDay", "RANGE", "billCycleStartDay must be 1 to 28")
	}
	if r.Gpsi != "" {
		k.pattern("gpsi", r.Gpsi, gpsiPattern, "^[0-9]{11,15}$")
	}
	if r.GpsiReservationID != "" {
		k.length("gpsiReservationId", r.GpsiReservationID, 1, 36)
		if r.Gpsi == "" {
			k.add("gpsi", "REQUIRED", "gpsi is required with gpsiReservationId")
		}
	}
	if r.Iccid != "" {
		k.pattern("iccid", r.Iccid, iccidPattern, "^[0-9]{19,20}$")
	}
	if r.Pei != "" {
		k.pattern("pei", r.Pei, peiPattern, "^[0-9]{15,17}$")
	}
	if r.Eid != "" {
		k.pattern("eid", r.Eid, eidPattern, "^[0-9]{19,32}$")
	}
	if r.Iccid == "" && r.Eid == "" {
		k.add("iccid", "REQUIRED", "iccid is required (or eid, to activate a BYOD eSIM)")
	}
	if r.ESIMDeliveryMethod != "" && r.ESIMDeliveryMethod != "QR" {
		k.add("eSIMDeliveryMethod", "ENUM", "eSIMDeliveryMethod must be QR")
	}
	if len(r.Products) > 50 {
		k.add("products", "LENGTH", "products holds at most 50 items")
	}
	for i, p := range r.Products {
		at := fmt.Sprintf("products[%d]", i)
		if k.required(at+".productId", p.ProductID) {
			k.length(at+".productId", p.ProductID, 1, 36)
		}
		switch p.Action {
		case "Add", "Remove", "Update":
		default:
			k.add(at+".action", "ENUM", "%s.action must be Add, Remove or Update", at)
		}
		for j, ch := range p.Characteristics {
			if ch.Key == "" || len(ch.Key) > 64 || len(ch.Value) > 256 {
				k.add(fmt.Sprintf("%s.characteristics[%d]", at, j), "LENGTH", "characteristic keys are 1 to 64 characters, values at most 256")
			}
		}
	}
	return k.err()
}

func validateStatus(r *StatusRequest) error {
	var k checker
	if k.required("partnerTransactionId", r.PartnerTransactionID) {
		k.length("partnerTransactionId", r.PartnerTransactionID, 1, 36)
	}
	if r.Iccid == "" && r.Gpsi == "" {
		k.add("iccid", "REQUIRED", "iccid or gpsi is required")
	}
	if r.Iccid != "" {
		k.pattern("iccid", r.Iccid, iccidPattern, "^[0-9]{19,20}$")
	}
	if r.Gpsi != "" {
		k.pattern("gpsi", string(r.Gpsi), gpsiPattern, "^[0-9]{11,15}$")
	}
	switch core.Action(r.Action) {
	case core.ActionSuspend, core.ActionResume, core.ActionCease, core.ActionReactivate:
	case "":
		k.add("action", "REQUIRED", "action is required")
	default:
		k.add("action", "ENUM", "action must be Suspend, Resume, Cease or Reactivate")
	}
	return k.err()
}

func (h *Handler) activate(c echo.Context) error {
	var r ActivateRequest
	if err := h.decode(c, &r); err != nil {
		return h.fail(c, err)
	}
	if err := validateActivate(&r); err != nil {
		return h.fail(c, err)
	}
	cl := callerOf(c)
	ref := core.TxRef{Partner: cl.partner.ID, Channel: core.ChannelSPS, PartnerTxID: r.PartnerTransactionID, CorrelationID: cl.correlation}
	a := core.Activate{
		Ref: ref, Account: cl.account, SIM: core.SIMRef{ICCID: r.Iccid, EID: r.Eid},
		Plan: r.WholesalePlanID, SubscriberID: r.SubscriberID,
	}
	if len(r.Pei) == 15 {
		a.Device.IMEI = r.Pei
	} else {
		a.Device.PEI = r.Pei
	}
	switch {
	case r.GpsiReservationID != "":
		a.Number = core.NumberChoice{Mode: core.NumberReserved, MSISDN: r.Gpsi, ReservationID: r.GpsiReservationID}
	case r.Gpsi != "":
		a.Number = core.NumberChoice{Mode: core.NumberProvided, MSISDN: r.Gpsi}
	default:
		a.Number = core.NumberChoice{Mode: core.NumberFromPool}
	}
	for _, p := range r.Products {
		pc := core.ProductChange{ProductID: p.ProductID, Action: productActions[p.Action]}
		if len(p.Characteristics) > 0 {
			pc.Characteristics = map[string]string{}
			for _, ch := range p.Characteristics {
				pc.Characteristics[ch.Key] = ch.Value
			}
		}
		a.Products = append(a.Products, pc)
	}
	if r.ESIMDeliveryMethod != "" || (r.Eid != "" && r.Iccid == "") {
		matching, err := h.svc.NewID()
		if err != nil {
			return h.fail(c, core.Internal(err))
		}
		a.ActivationCode = "LPA:1$" + h.opts.SMDPAddress + "$" + strings.ToUpper(strings.ReplaceAll(matching, "-", ""))
	}
	return h.submit(c, OpActivate, &r, core.Job{Activations: []core.Activate{a}}, txContext{Delivery: r.ESIMDeliveryMethod, PEI: r.Pei})
}

func (h *Handler) updateStatus(c echo.Context) error {
	var r StatusRequest
	if err := h.decode(c, &r); err != nil {
		return h.fail(c, err)
	}
	if err := validateStatus(&r); err != nil {
		return h.fail(c, err)
	}
	cl := callerOf(c)
	ref := core.TxRef{Partner: cl.partner.ID, Channel: core.ChannelSPS, PartnerTxID: r.PartnerTransactionID, CorrelationID: cl.correlation}
	sub := core.SubscriberRef{Kind: core.ByICCID, Value: r.Iccid}
	if r.Iccid == "" {
		sub = core.SubscriberRef{Kind: core.ByMSISDN, Value: string(r.Gpsi)}
	}
	cmd := core.ChangeStatus{Ref: ref, Account: cl.account, Subscription: sub, Action: core.Action(r.Action)}
	return h.submit(c, OpStatus, &r, core.Job{Changes: []core.ChangeStatus{cmd}}, txContext{})
}

// txContext is what the notification needs beyond the transaction.
type txContext struct {
	WholesaleCustomerID string `json:"wholesaleCustomerId"`
	Delivery            string `json:"eSIMDeliveryMethod,omitempty"`
	PEI                 string `json:"pei,omitempty"`
}

// submit stores the request durably and answers {"status":"Success"}; the
// same partnerTransactionId and body replays that answer.
func (h *Handler) submit(c echo.Context, op string, body any, job core.Job, cx txContext) error {
	cl := callerOf(c)
	ctx := c.Request().Context()
	cx.WholesaleCustomerID = string(cl.account)
	cxJSON, err := json.Marshal(cx)
	if err != nil {
		return h.fail(c, core.Internal(err))
	}
	canonical, err := json.Marshal(struct {
		Account core.AccountID `json:"a"`
		Body    any            `json:"b"`
	}{cl.account, body})
	if err != nil {
		return h.fail(c, core.Internal(err))
	}
	sum := sha256.Sum256(canonical)
	var partnerTxID string
	switch {
	case len(job.Activations) > 0:
		partnerTxID = job.Activations[0].Ref.PartnerTxID
	case len(job.Changes) > 0:
		partnerTxID = job.Changes[0].Ref.PartnerTxID
	}
	t, replayed, err := h.eng.Submit(ctx, core.Submission{
		Ref:         core.TxRef{Partner: cl.partner.ID, Channel: core.ChannelSPS, PartnerTxID: partnerTxID, CorrelationID: cl.correlation},
		Operation:   op,
		BodyHash:    hex.EncodeToString(sum[:]),
		CallbackURL: cl.partner.CallbackURL,
		Context:     cxJSON,
		Job:         job,
		Ack: func(core.Transaction) (int, []byte, error) {
			b, err := json.Marshal(Ack{Status: "Success"})
			return http.StatusOK, b, err
		},
	})
	if err != nil {
		return h.fail(c, err)
	}
	// Typed attributes: the same text as key-value pairs, without boxing
	// each value or formatting the ids with fmt.
	core.LogAttrs(ctx, h.log, slog.LevelInfo, "sps request accepted", slog.String("partner", string(cl.partner.ID)),
		slog.String("operation", op), slog.String("partner_tx_id", partnerTxID), slog.String("tx", t.ID),
		slog.String("account", string(cl.account)), slog.Bool("replayed", replayed), slog.Bool("callback", t.CallbackURL != ""))
	return c.JSONBlob(t.AckStatus, t.Ack)
}

func (h *Handler) transaction(c echo.Context) error {
	cl := callerOf(c)
	id := c.Param("partnerTransactionId")
	if id == "" || len(id) > 36 {
		return h.failItems(c, http.StatusBadRequest, ErrorItem{Code: "LENGTH", Field: "partnerTransactionId", Message: "partnerTransactionId must be 1 to 36 characters"})
	}
	t, err := h.svc.LatestTransaction(c.Request().Context(), cl.partner.ID, core.ChannelSPS, id, OpActivate, OpStatus)
	if err != nil {
		return h.fail(c, err)
	}
	return c.JSON(http.StatusOK, statusOf(t))
}

// statusOf renders a transaction for the query.
func statusOf(t core.Transaction) TransactionStatus {
	out := TransactionStatus{
		Status: "InProgress", PartnerTransactionID: t.PartnerTxID, TransactionID: t.ID, Operation: t.Operation,
		CorrelationID: t.CorrelationID, CreatedAt: t.CreatedAt.UTC().Format(time.RFC3339Nano), UpdatedAt: t.UpdatedAt.UTC().Format(time.RFC3339Nano),
	}
	if !t.Status.Finished() {
		return out
	}
	out.Status = "Success"
	if t.Status != core.TxSucceeded {
		out.Status = "Failed"
	}
	out.CompletedAt = out.UpdatedAt
	for _, r := range t.Results {
		if r.Error != nil {
			out.Errors = append(out.Errors, itemOf(r.Error))
		}
	}
	return out
}

func (h *Handler) putCallback(c echo.Context) error {
	var s CallbackSetting
	if err := h.decode(c, &s); err != nil {
		return h.fail(c, err)
	}
	if _, err := callback.CheckPartnerURL(s.CallbackURL, h.opts.AllowPrivateCallbacks); errors.Is(err, callback.ErrURLForm) {
		return h.failItems(c, http.StatusBadRequest, ErrorItem{Code: "INVALID_URL", Field: "callbackUrl", Message: "callbackUrl must be an absolute http or https URL without credentials (at most 2048 characters)"})
	} else if err != nil {
		return h.failItems(c, http.StatusBadRequest, ErrorItem{Code: "INVALID_URL", Field: "callbackUrl", Message: "callbackUrl must not name a loopback, private or link-local address"})
	}
	cl := callerOf(c)
	p, reveal, err := h.svc.SetCallback(c.Request().Context(), cl.partner.ID, s.CallbackURL)
	if err != nil {
		return h.fail(c, err)
	}
	h.log.InfoContext(c.Request().Context(), "sps callback set", "partner", p.ID, "callback_url", p.CallbackURL)
	return c.JSON(http.StatusOK, callbackAnswer(p, reveal))
}

func (h *Handler) getCallback(c echo.Context) error {
	return c.JSON(http.StatusOK, callbackAnswer(callerOf(c).partner, false))
}

func callbackAnswer(p core.Partner, reveal bool) CallbackAnswer {
	sum := sha256.Sum256([]byte(p.WebhookSecret))
	a := CallbackAnswer{CallbackURL: p.CallbackURL, SigningSecretID: "whsec-id-" + hex.EncodeToString(sum[:6])}
	if reveal {
		a.SigningSecret = p.WebhookSecret
	}
	return a
}

// fail answers err in the one error shape of the API.
func (h *Handler) fail(c echo.Context, err error) error {
	var fe *fieldError
	if errors.As(err, &fe) {
		return h.failItems(c, http.StatusBadRequest, fe.items...)
	}
	e := core.AsError(err)
	w := wireOf(e)
	if w.status >= 500 {
		h.log.ErrorContext(c.Request().Context(), "sps internal error", "error", err.Error())
	}
	if secs, ok := core.RetryAfterSeconds(err); ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	}
	return h.failItems(c, w.status, ErrorItem{Code: w.code, Field: fieldOf(e.Field), Message: w.message})
}

func (h *Handler) failItems(c echo.Context, status int, items ...ErrorItem) error {
	codes := make([]string, len(items))
	for i, it := range items {
		codes[i] = it.Code
	}
	h.log.InfoContext(c.Request().Context(), "sps request refused", "status", status, "codes", strings.Join(codes, ","))
	return c.JSON(status, Failure{Status: "Failure", Errors: items})
}

// productActions reads a product's action (its enum is checked when the
// request is decoded).
var productActions = map[string]core.ProductAction{
	"Add":    core.ProductAdd,
	"Remove": core.ProductRemove,
	"Update": core.ProductUpdate,
}
