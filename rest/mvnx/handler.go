// Package mvnx is simgate's AT&T-MVNX-style front end:
// POST /ActivateSubscriberReseller, asynchronous, with the result of each
// subscriber POSTed to the request's returnURL.
package mvnx

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"simgate/core"
	"simgate/rest"
	"simgate/rest/jsonx"
)

// Path is the endpoint.
const Path = "/ActivateSubscriberReseller"

// Limits of one request.
const (
	maxSubscribers = 100
	maxURL         = 2048
	maxID          = 128
)

// Options configures the front end.
type Options struct {
	Limits jsonx.Limits // default 1 MiB, depth 32
}

// Handler serves the endpoint.
type Handler struct {
	svc  *core.Service
	eng  *core.Engine
	log  *slog.Logger
	opts Options
}

// New builds the front end and registers its renderer with the engine.
func New(svc *core.Service, eng *core.Engine, log *slog.Logger, opts Options) *Handler {
	if opts.Limits.MaxBytes == 0 {
		opts.Limits.MaxBytes = 1 << 20
	}
	if opts.Limits.MaxDepth == 0 {
		opts.Limits.MaxDepth = 32
	}
	eng.Register(core.ChannelMVNX, Renderer{})
	return &Handler{svc: svc, eng: eng, log: log, opts: opts}
}

// routes is the endpoint and its one method, for 405 answers.
var routes = rest.Routes{{Path: Path, Methods: http.MethodPost}}

// Register mounts the endpoint on e. Another method on the path is
// answered 405 in the acknowledgement's shape, not echo's.
func (h *Handler) Register(e *echo.Echo) {
	e.POST(Path, h.activate)
	routes.RefuseOtherMethods(e, func(c echo.Context, err error) error { return h.refuse(c, nil, err) })
}

func (h *Handler) activate(c echo.Context) error {
	ctx := c.Request().Context()
	if err := rest.CheckJSONBody(c.Request()); err != nil {
		return h.refuse(c, nil, err)
	}
	raw, err := jsonx.ReadBody(c.Request().Body, h.opts.Limits.MaxBytes)
	if err != nil {
		var je *jsonx.Error
		if errors.As(err, &je) && je.Status == http.StatusRequestEntityTooLarge {
			return h.refuse(c, nil, core.Errorf(core.KindTooLarge, core.ReasonTooLarge, "", "Request body exceeds %d bytes", h.opts.Limits.MaxBytes))
		}
		return h.refuse(c, nil, core.Errorf(core.KindInvalid, core.ReasonMalformed, "", "Cannot read the request body"))
	}
	var req ActivateRequest
	if err := jsonx.Decode(raw, &req, h.opts.Limits); err != nil {
		reason := core.ReasonMalformed
		var je *jsonx.Error
		if !errors.As(err, &je) {
			return h.refuse(c, nil, core.Internal(err))
		}
		if je.Status == http.StatusRequestEntityTooLarge {
			reason = core.ReasonTooLarge
		}
		return h.refuse(c, nil, core.Errorf(core.KindInvalid, reason, "", "%s", err.Error()))
	}
	hdr := trackingOf(&req)
	if problems := validate(&req); len(problems) > 0 {
		return h.refuse(c, hdr, core.Errorf(core.KindInvalid, core.ReasonMalformed, "", "%s", strings.Join(problems, "; ")))
	}
	sec := req.MessageHeader.SecurityMessageHeader
	partner, err := h.svc.CheckPassword(ctx, sec.UserName, sec.UserPassword)
	if err != nil {
		return h.refuse(c, hdr, err)
	}
	if _, err := h.svc.Allow(ctx, partner); err != nil {
		return h.refuse(c, hdr, err)
	}

	cx := txContext{
		MessageID: hdr.MessageID, ConversationID: hdr.ConversationID,
		Version: hdr.Version, OriginalVersion: hdr.OriginalVersion,
	}
	if ttl, err := hdr.TimeToLive.Int64(); err == nil {
		cx.TimeToLive = ttl
	}
	if cx.ConversationID == "" {
		if cx.ConversationID, err = h.svc.NewID(); err != nil {
			return h.refuse(c, hdr, core.Internal(err))
		}
	}
	cxJSON, err := json.Marshal(cx)
	if err != nil {
		return h.refuse(c, hdr, core.Internal(err))
	}
	ref := core.TxRef{Partner: partner, Channel: core.ChannelMVNX, PartnerTxID: hdr.MessageID, CorrelationID: cx.ConversationID}
	t, replayed, err := h.eng.Submit(ctx, core.Submission{
		Ref: ref, Operation: "ActivateSubscriberReseller", BodyHash: bodyHash(&req),
		CallbackURL: hdr.ReturnURL, Context: cxJSON, Job: jobOf(ref, &req), AssignBAN: true,
		Ack: func(t core.Transaction) (int, []byte, error) {
			body, err := json.Marshal(ackOf(cx, t.ID, t.CreatedAt, Result{Code: "0", Description: "Success"}))
			return http.StatusOK, body, err
		},
	})
	if err != nil {
		return h.refuse(c, hdr, err)
	}
	// Typed attributes: the same text as key-value pairs, without boxing
	// each value or formatting the partner id with fmt.
	core.LogAttrs(ctx, h.log, slog.LevelInfo, "activation accepted", slog.String("partner", string(partner)),
		slog.String("message_id", hdr.MessageID), slog.String("tx", t.ID), slog.Int("subscribers", t.Job.Items()),
		slog.Bool("replayed", replayed), slog.String("conversation_id", cx.ConversationID))
	return c.JSONBlob(t.AckStatus, t.Ack)
}

// refuse answers an exception: the same MessageHeader shape with a non-"0"
// code (RATE_LIMITED with a Retry-After header when over a limit). hdr may
// be nil when the request could not be read.
func (h *Handler) refuse(c echo.Context, hdr *TrackingMessageHeader, err error) error {
	reason, w := wireOf(err)
	ctx := c.Request().Context()
	if reason == core.ReasonInternal {
		h.log.ErrorContext(ctx, "mvnx internal error", "error", err.Error())
	} else {
		h.log.InfoContext(ctx, "mvnx request refused", "reason", reason, "status", w.status, "description", w.description)
	}
	cx := txContext{}
	if hdr != nil {
		cx = txContext{MessageID: hdr.MessageID, ConversationID: hdr.ConversationID, Version: hdr.Version, OriginalVersion: hdr.OriginalVersion}
	}
	id, _ := h.svc.NewID()
	if cx.ConversationID == "" {
		cx.ConversationID = id
	}
	if secs, ok := core.RetryAfterSeconds(err); ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	}
	return c.JSON(w.status, ackOf(cx, id, h.svc.Now(), Result{Code: string(reason), Description: w.description}))
}

func ackOf(cx txContext, uniqueID string, at time.Time, res Result) Ack {
	return Ack{
		MessageHeader: AckMessageHeader{
			TrackingMessageHeader: AckTrackingHeader{
				Version: cx.Version, MessageID: cx.MessageID, TimeToLive: cx.TimeToLive,
				DateTimeStamp: at.UTC().Format(time.RFC3339), ConversationID: cx.ConversationID,
				OriginalVersion: cx.OriginalVersion, UniqueTransactionID: uniqueID,
			},
			SecurityMessageHeader: &MaskedSecurityHeader{UserName: "[userName]", UserPassword: "[userPassword]"},
			SequenceMessageHeader: AckSequenceHeader{SequenceNumber: "1", TotalInSequence: "1"},
		},
		RequestAcknowledgement: RequestAcknowledgement{Response: res},
	}
}

func trackingOf(req *ActivateRequest) *TrackingMessageHeader {
	if req.MessageHeader == nil || req.MessageHeader.TrackingMessageHeader == nil {
		return nil
	}
	return req.MessageHeader.TrackingMessageHeader
}

var (
	iccidRE  = regexp.MustCompile(`^[0-9]{19,20}$`)
	msisdnRE = regexp.MustCompile(`^[0-9]{10,15}$`)
	imeiRE   = regexp.MustCompile(`^[0-9]{14,16}$`)
)

// validate checks the syntax the document requires and answers every
// problem at once, each with its field path.
func validate(req *ActivateRequest) []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	hdr := trackingOf(req)
	switch {
	case req.MessageHeader == nil:
		add("MessageHeader is required")
	case hdr == nil:
		add("MessageHeader.TrackingMessageHeader is required")
	default:
		if hdr.MessageID == "" || len(hdr.MessageID) > maxID {
			add("MessageHeader.TrackingMessageHeader.messageId is required (1 to %d characters)", maxID)
		}
		if u, err := url.Parse(hdr.ReturnURL); hdr.ReturnURL == "" || len(hdr.ReturnURL) > maxURL || err != nil ||
			(u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("MessageHeader.TrackingMessageHeader.returnURL must be an absolute http or https URL (at most %d characters)", maxURL)
		}
		if _, err := time.Parse(time.RFC3339, hdr.DateTimeStamp); err != nil {
			add("MessageHeader.TrackingMessageHeader.dateTimeStamp must be an RFC 3339 date-time")
		}
		if len(hdr.ConversationID) > 256 {
			add("MessageHeader.TrackingMessageHeader.conversationId is longer than 256 characters")
		}
		if hdr.TimeToLive != "" {
			if _, err := hdr.TimeToLive.Int64(); err != nil {
				add("MessageHeader.TrackingMessageHeader.timeToLive must be an integer from -9223372036854775808 to 9223372036854775807")
			}
		}
	}
	if req.MessageHeader != nil {
		if s := req.MessageHeader.SecurityMessageHeader; s == nil || s.UserName == "" || s.UserPassword == "" {
			add("MessageHeader.SecurityMessageHeader.userName and userPassword are required")
		}
	}
	body := req.ActivateSubscriberResellerRequest
	if body == nil {
		add("ActivateSubscriberResellerRequest is required")
		return p
	}
	if len(body.SubscriberReseller) == 0 || len(body.SubscriberReseller) > maxSubscribers {
		add("ActivateSubscriberResellerRequest.SubscriberReseller must hold 1 to %d subscribers", maxSubscribers)
	}
	needPool := false
	var seenSIM map[string]bool // made for a second subscriber only
	for i, s := range body.SubscriberReseller {
		// The path of the subscriber, formatted only for a problem.
		at := subscriberPath(i)
		if s.Device == nil || s.Device.SIM == "" {
			add("%s.Device.SIM is required", at)
		} else if !iccidRE.MatchString(s.Device.SIM) {
			add("%s.Device.SIM must be an ICCID of 19 or 20 digits", at)
		} else if seenSIM[s.Device.SIM] {
			add("%s.Device.SIM repeats an earlier subscriber's SIM", at)
		} else if len(body.SubscriberReseller) > 1 {
			if seenSIM == nil {
				seenSIM = make(map[string]bool, len(body.SubscriberReseller))
			}
			seenSIM[s.Device.SIM] = true
		}
		if s.Device != nil && s.Device.IMEI != "" && !imeiRE.MatchString(s.Device.IMEI) {
			add("%s.Device.IMEI must be digits", at)
		}
		if s.SubscriberNumber == "" {
			needPool = true
		} else if !msisdnRE.MatchString(s.SubscriberNumber) {
			add("%s.subscriberNumber must be 10 to 15 digits", at)
		}
	}
	if needPool && localMarket(body) == "" {
		add("ActivateSubscriberResellerRequest.MarketServiceInfo.billingMarket.localMarket is required to pick a subscriber number from the pool")
	}
	return p
}

// subscriberPath formats, as a %s operand, the field path of the i-th
// subscriber.
type subscriberPath int

func (i subscriberPath) String() string {
	return "ActivateSubscriberResellerRequest.SubscriberReseller[" + strconv.Itoa(int(i)) + "]"
}

func localMarket(body *ActivateSubscriberResellerRequest) string {
	if m := body.MarketServiceInfo; m != nil && m.BillingMarket != nil {
		return m.BillingMarket.LocalMarket
	}
	return ""
}

// jobOf translates the request into one core activation per subscriber.
func jobOf(ref core.TxRef, req *ActivateRequest) core.Job {
	body := req.ActivateSubscriberResellerRequest
	var job core.Job
	for _, s := range body.SubscriberReseller {
		a := core.Activate{Ref: ref, SIM: core.SIMRef{ICCID: s.Device.SIM}, Device: core.Device{IMEI: s.Device.IMEI}}
		if m := s.Device.Manufacturer; m != nil {
			a.Device.Make, a.Device.Model = m.Make, m.Model
		}
		if s.SubscriberNumber != "" {
			a.Number = core.NumberChoice{Mode: core.NumberProvided, MSISDN: s.SubscriberNumber, AcceptReserved: true}
		} else {
			a.Number = core.NumberChoice{Mode: core.NumberFromPool, Pool: localMarket(body)}
		}
		if pp := s.PricePlan; pp != nil {
			a.Plan = pp.SingleUserCode
			for _, o := range pp.OfferingsBundled {
				a.Products = append(a.Products, core.ProductChange{ProductID: o.OfferingCode, Action: offeringAction(o.Action)})
			}
		}
		for _, o := range s.AdditionalOfferings {
			a.Products = append(a.Products, core.ProductChange{ProductID: o.OfferingCode, Action: offeringAction(o.Action)})
		}
		job.Activations = append(job.Activations, a)
	}
	return job
}

// offeringAction maps the document's one-letter action codes.
func offeringAction(code string) core.ProductAction {
	switch code {
	case "D", "R":
		return core.ProductRemove
	case "C", "U":
		return core.ProductUpdate
	default:
		return core.ProductAdd
	}
}

// bodyHash identifies a request for idempotency. The credentials are left
// out: a retry after a password change is still the same request.
func bodyHash(req *ActivateRequest) string {
	cp := *req
	if cp.MessageHeader != nil {
		mh := *cp.MessageHeader
		mh.SecurityMessageHeader = nil
		cp.MessageHeader = &mh
	}
	b, _ := json.Marshal(cp)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
