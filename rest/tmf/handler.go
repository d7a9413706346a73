// Package tmf is simgate's TM Forum Open API front end: TMF622 Product
// Ordering v4 (productOrder, cancelProductOrder) with TMF630 hub
// registrations and event notifications. An order is one asynchronous core
// transaction: its items are the job's commands (add: activate a mobile
// line; modify: suspend or resume; delete: cease), its state follows their
// outcomes, and its events go through the signed, retried outbox.
package tmf

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
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
	Base        = "/tmf-api/productOrderingManagement/v4"
	PathOrders  = Base + "/productOrder"
	PathOrder   = Base + "/productOrder/:id"
	PathCancels = Base + "/cancelProductOrder"
	PathCancel  = Base + "/cancelProductOrder/:id"
	PathHubs    = Base + "/hub"
	PathHub     = Base + "/hub/:id"
)

// OpOrder names the transactions of this API (the idempotency scope).
const OpOrder = "ProductOrder"

// Limits of what one request may ask.
const (
	MaxItems     = 100  // productOrderItem per order
	MaxLimit     = 1000 // the largest page of a list
	DefaultLimit = 100  // the page of a list without limit
	MaxQuery     = 2048 // bytes of a query string
	MaxBody      = 512 << 10
)

// Media types: MediaType is the specification's, of every answer and
// event; MergePatch is that of PATCH bodies.
const (
	MediaType  = "application/json;charset=utf-8"
	MergePatch = "application/merge-patch+json"
)

// Options configures the front end.
type Options struct {
	Limits jsonx.Limits // default MaxBody bytes
	// AllowPrivateCallbacks lets hub callbacks name loopback and private
	// hosts (the sandbox); the sender checks again at dial time.
	AllowPrivateCallbacks bool
	// MaxScan bounds the orders a filtered list walks (default
	// core.MaxOrderScan).
	MaxScan int
	// MaxCount bounds the orders an unfiltered list counts in the store's
	// index (default core.MaxOrderKeys).
	MaxCount int
	// BaseURL is the server's public base URL (serve --base-url): hrefs,
	// Location headers and events then name resources absolutely, which
	// a listener needs. Empty: paths of this server.
	BaseURL string
}

// Handler serves the API.
type Handler struct {
	views
	svc  *core.Service
	eng  *core.Engine
	log  *slog.Logger
	opts Options
}

// New builds the front end and registers its event renderer.
func New(svc *core.Service, eng *core.Engine, log *slog.Logger, opts Options) *Handler {
	if opts.Limits.MaxBytes <= 0 {
		opts.Limits.MaxBytes = MaxBody
	}
	if opts.MaxScan <= 0 {
		opts.MaxScan = core.MaxOrderScan
	}
	if opts.MaxCount <= 0 {
		opts.MaxCount = core.MaxOrderKeys
	}
	v := views{base: strings.TrimRight(opts.BaseURL, "/")}
	eng.Register(core.ChannelTMF, Renderer{v})
	return &Handler{views: v, svc: svc, eng: eng, log: log, opts: opts}
}

// Register mounts the API on e.
func (h *Handler) Register(e *echo.Echo) {
	g := e.Group(Base, h.authenticate)
	rel := func(p string) string { return strings.TrimPrefix(p, Base) }
	g.POST(rel(PathOrders), h.create)
	g.GET(rel(PathOrders), h.list)
	g.GET(rel(PathOrder), h.get)
	g.PATCH(rel(PathOrder), h.patch)
	g.DELETE(rel(PathOrder), h.delete)
	g.POST(rel(PathCancels), h.cancel)
	g.GET(rel(PathCancels), h.listCancels)
	g.GET(rel(PathCancel), h.getCancel)
	g.POST(rel(PathHubs), h.registerHub)
	g.DELETE(rel(PathHub), h.unregisterHub)
}

// routes are the methods of each path, for 405 answers (the group's
// catch-all answers every unknown method as not found).
var routes = rest.Routes{
	{Path: PathOrders, Methods: "GET, POST"}, {Path: PathOrder, Methods: "GET, PATCH, DELETE"}, {Path: PathCancels, Methods: "GET, POST"},
	{Path: PathCancel, Methods: "GET"}, {Path: PathHubs, Methods: "POST"}, {Path: PathHub, Methods: "DELETE"},
}

const partnerKey = "tmf.partner"

// authenticate checks the API key and spends one request of the partner's
// rate limit before any handler runs; it also renders echo's own 404 and
// 405 answers below Base in this API's error shape.
func (h *Handler) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		res := c.Response()
		// echo writes JSON as application/json; the specification's media
		// type carries the charset. One hook covers every answer, echo's
		// own 404 and 405 included.
		res.Before(func() {
			if rest.MediaType(res.Header().Get(echo.HeaderContentType)) == echo.MIMEApplicationJSON {
				res.Header().Set(echo.HeaderContentType, MediaType)
			}
		})
		key, ok := rest.BearerKey(req.Header)
		if !ok {
			return h.fail(c, core.Errorf(core.KindUnauthorized, core.ReasonLoginFailed, "authorization", "missing bearer API key, or more than one Authorization header"))
		}
		p, err := h.svc.PartnerByAPIKey(req.Context(), key)
		if err != nil {
			return h.fail(c, err)
		}
		if _, err := h.svc.Allow(req.Context(), p.ID); err != nil {
			return h.fail(c, err)
		}
		if len(req.URL.RawQuery) > MaxQuery {
			return h.fail(c, invalid("the query string is longer than %d bytes", MaxQuery))
		}
		c.Set(partnerKey, p.ID)
		err = next(c)
		var he *echo.HTTPError
		if errors.As(err, &he) {
			switch he.Code {
			case http.StatusNotFound:
				if err := routes.MethodNotAllowed(c); err != nil {
					return h.fail(c, err)
				}
				return h.fail(c, core.Errorf(core.KindNotFound, core.ReasonUnknownOp, "", "no such resource"))
			case http.StatusMethodNotAllowed:
				return h.fail(c, core.Errorf(core.KindInvalid, core.ReasonMethodNotAllowed, "", "%s is not allowed on %s", req.Method, req.URL.Path))
			}
		}
		return err
	}
}

func partnerOf(c echo.Context) core.PartnerID { return c.Get(partnerKey).(core.PartnerID) }

func invalid(format string, args ...any) error {
	return core.Errorf(core.KindInvalid, core.ReasonMalformed, "", format, args...)
}

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
	if err != nil {
		return decodeError(err, lim.MaxBytes)
	}
	return nil
}

// ---- productOrder ----

// orderContext is the order as the partner sent it, kept in the
// transaction's Context: the order's representation is built from it and
// the transaction's state and results.
type orderContext struct {
	Order ProductOrderCreate `json:"order"`
	// Jobs gives, for each productOrderItem, the index of its command in
	// the job; -1 for noChange.
	Jobs   []int         `json:"jobs"`
	Cancel *cancelRecord `json:"cancel,omitempty"`
}

// cancelRecord is the accepted cancelProductOrder of an order.
type cancelRecord struct {
	Reason    string    `json:"reason,omitempty"`
	Requested string    `json:"requested,omitempty"`
	At        time.Time `json:"at"`
	Ext       Ext       `json:"ext"`
}

func (h *Handler) create(c echo.Context) error {
	var r ProductOrderCreate
	raw, err := h.readBody(c)
	if err != nil {
		return h.fail(c, err)
	}
	if err := jsonx.Decode(raw, &r, h.opts.Limits); err != nil {
		return h.fail(c, decodeError(err, h.opts.Limits.MaxBytes))
	}
	var k checker
	checkOrder(&k, &r)
	ctx := c.Request().Context()
	partner := partnerOf(c)
	key, err := h.svc.NewID()
	if err != nil {
		return h.fail(c, core.Internal(err))
	}
	ref := core.TxRef{Partner: partner, Channel: core.ChannelTMF, PartnerTxID: key, CorrelationID: core.RequestID(ctx)}
	job, jobs := translate(&k, ref, r.ProductOrderItem)
	if err := k.err(); err != nil {
		return h.fail(c, err)
	}
	if err := checkStart(&r, h.svc.Now()); err != nil {
		return h.fail(c, err)
	}
	cx, err := json.Marshal(orderContext{Order: r, Jobs: jobs})
	if err != nil {
		return h.fail(c, core.Internal(err))
	}
	sum := sha256.Sum256(raw)
	t, _, err := h.eng.Submit(ctx, core.Submission{
		Ref: ref, Operation: OpOrder, BodyHash: hex.EncodeToString(sum[:]), Context: cx, Job: job,
		Ack: func(t core.Transaction) (int, []byte, error) {
			o, err := h.orderView(t)
			if err != nil {
				return 0, nil, err
			}
			b, err := json.Marshal(o)
			return http.StatusCreated, b, err
		},
		Notify: func(tx core.Tx, t core.Transaction) ([]core.Notification, error) {
			o, err := h.orderView(t)
			if err != nil {
				return nil, err
			}
			return hubNotes(tx, t.Partner, Event{EventID: t.ID + "-create", EventTime: stamp(t.CreatedAt), EventType: EventOrderCreate, Event: EventPayload{ProductOrder: &o}})
		},
	})
	if err != nil {
		return h.fail(c, err)
	}
	h.log.InfoContext(ctx, "tmf order accepted", "partner", partner, "tx", t.ID, "items", len(r.ProductOrderItem), "commands", job.Items())
	c.Response().Header().Set(echo.HeaderLocation, h.orderHref(t.ID))
	return c.JSONBlob(t.AckStatus, t.Ack)
}

// readBody reads a JSON body within the limit; one declared in another
// media type is refused unread.
func (h *Handler) readBody(c echo.Context) ([]byte, error) {
	if err := rest.CheckJSONBody(c.Request()); err != nil {
		return nil, err
	}
	raw, err := jsonx.ReadBody(c.Request().Body, h.opts.Limits.MaxBytes)
	if err != nil {
		return nil, decodeError(err, h.opts.Limits.MaxBytes)
	}
	return raw, nil
}

func decodeError(err error, max int64) error {
	var je *jsonx.Error
	switch {
	case errors.As(err, &je) && je.Status == http.StatusRequestEntityTooLarge:
		return core.Errorf(core.KindTooLarge, core.ReasonTooLarge, "", "Request body exceeds %d bytes", max)
	case errors.As(err, &je):
		return invalid("%s", je.Message)
	default:
		return invalid("cannot read the request body")
	}
}

func (h *Handler) get(c echo.Context) error {
	q, err := parseQuery(c, "fields")
	if err != nil {
		return h.fail(c, err)
	}
	fields, err := orderFields(q.Get("fields"))
	if err != nil {
		return h.fail(c, err)
	}
	t, err := h.svc.Order(c.Request().Context(), partnerOf(c), core.ChannelTMF, c.Param("id"))
	if err != nil {
		return h.fail(c, err)
	}
	o, err := h.orderView(t)
	if err != nil {
		return h.fail(c, core.Internal(err))
	}
	return h.project(c, http.StatusOK, o, fields)
}

func (h *Handler) list(c echo.Context) error {
	q, err := parseQuery(c, "fields", "offset", "limit", "id", "state", "orderDate", "externalId")
	if err != nil {
		return h.fail(c, err)
	}
	fields, err := orderFields(q.Get("fields"))
	if err != nil {
		return h.fail(c, err)
	}
	if s := q.Get("state"); s != "" && !slices.Contains(orderStates, s) {
		return h.fail(c, invalid("state must be one of %s", strings.Join(orderStates, ", ")))
	}
	// The filters read the transaction; only externalId needs the order's
	// data, and only the page is rendered.
	match := func(t core.Transaction) (bool, error) {
		if q.Has("state") && q.Get("state") != wireState[core.StateOf(t)] || q.Has("orderDate") && q.Get("orderDate") != stamp(t.CreatedAt) {
			return false, nil
		}
		if !q.Has("externalId") {
			return true, nil
		}
		var cx struct {
			Order struct {
				ExternalID string `json:"externalId"`
			} `json:"order"`
		}
		if err := json.Unmarshal(t.Context, &cx); err != nil {
			return false, fmt.Errorf("order %s: context: %w", t.ID, err)
		}
		return q.Get("externalId") == cx.Order.ExternalID, nil
	}
	return h.answerList(c, q, fields, q.Get("id"), unfiltered(q), match, func(t core.Transaction) (any, error) { return h.orderView(t) })
}

// unfiltered reports whether a list's query names no filter: only fields
// and the page, so that every order of the partner matches.
func unfiltered(q url.Values) bool {
	for k := range q {
		if k != "fields" && k != "offset" && k != "limit" {
			return false
		}
	}
	return true
}

// answerList answers the page (offset, limit) of the partner's orders that
// match, each rendered and projected on fields, with X-Total-Count and
// X-Result-Count. With the id filter (orderID: the id of the one order it
// may name) it reads that order rather than walk them all. When every
// order matches (all: no filter) the store counts them and reads only
// the page (up to MaxCount orders); otherwise a walk reads at most MaxScan
// orders.
func (h *Handler) answerList(c echo.Context, q url.Values, fields map[string]bool, orderID string, all bool,
	match func(core.Transaction) (bool, error), render func(core.Transaction) (any, error)) error {
	offset, limit, err := page(q)
	if err != nil {
		return h.fail(c, err)
	}
	ctx := c.Request().Context()
	partner := partnerOf(c)
	items := []any{}
	total := 0
	consider := func(t core.Transaction) (bool, error) {
		if ok, err := match(t); !ok || err != nil {
			return err == nil, err
		}
		total++
		if total <= offset || len(items) >= limit {
			return true, nil // counted, not on the page
		}
		v, err := render(t)
		if err == nil {
			v, err = projection(v, fields)
		}
		if err != nil {
			return false, err
		}
		items = append(items, v)
		return true, nil
	}
	switch {
	case all:
		total, err = h.svc.OrderPage(ctx, partner, core.ChannelTMF, offset, limit, h.opts.MaxCount, func(t core.Transaction) error {
			v, err := render(t)
			if err == nil {
				v, err = projection(v, fields)
			}
			if err == nil {
				items = append(items, v)
			}
			return err
		})
		if err != nil {
			return h.fail(c, h.tooMany(ctx, err, true))
		}
	case q.Has("id"):
		t, err := h.svc.Order(ctx, partner, core.ChannelTMF, orderID)
		if err == nil {
			_, err = consider(t)
		}
		if err != nil && core.ReasonOf(err) != core.ReasonTxNotFound {
			return h.fail(c, err)
		}
	default:
		if err := h.svc.Orders(ctx, partner, core.ChannelTMF, h.opts.MaxScan, consider); err != nil {
			return h.fail(c, h.tooMany(ctx, err, false))
		}
	}
	c.Response().Header().Set("X-Total-Count", strconv.Itoa(total))
	c.Response().Header().Set("X-Result-Count", strconv.Itoa(len(items)))
	return c.JSON(http.StatusOK, items)
}

func (h *Handler) patch(c echo.Context) error {
	if mt := rest.MediaType(c.Request().Header.Get(echo.HeaderContentType)); mt != MergePatch && mt != echo.MIMEApplicationJSON {
		return h.fail(c, core.Errorf(core.KindInvalid, core.ReasonMediaType, "content_type", "PATCH takes %s", MergePatch))
	}
	var p ProductOrderPatch
	raw, err := h.readBody(c)
	if err != nil {
		return h.fail(c, err)
	}
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) == nil {
		for _, name := range slices.Sorted(maps.Keys(keys)) {
			if why, ok := notPatchable[name]; ok {
				return h.fail(c, invalid("%s is not patchable: %s (patchable: %s)", name, why, strings.Join(patchable, ", ")))
			}
		}
	}
	if err := jsonx.Decode(raw, &p, h.opts.Limits); err != nil {
		err = decodeError(err, h.opts.Limits.MaxBytes)
		if core.ReasonOf(err) == core.ReasonMalformed {
			err = invalid("%s (patchable: %s)", core.AsError(err).Message, strings.Join(patchable, ", "))
		}
		return h.fail(c, err)
	}
	paths := p.present()
	if len(paths) == 0 {
		return h.fail(c, invalid("the patch changes nothing (patchable: %s)", strings.Join(patchable, ", ")))
	}
	t, err := h.eng.ChangeOrder(c.Request().Context(), partnerOf(c), core.ChannelTMF, c.Param("id"), core.OrderChange{
		Context: func(t core.Transaction) ([]byte, error) {
			var cx orderContext
			if err := json.Unmarshal(t.Context, &cx); err != nil {
				return nil, err
			}
			if err := p.apply(&cx.Order, h.opts.Limits, t.UpdatedAt); err != nil {
				return nil, err
			}
			return json.Marshal(cx)
		},
		Notify: func(tx core.Tx, t core.Transaction) ([]core.Notification, error) {
			o, err := h.orderView(t)
			if err != nil {
				return nil, err
			}
			return hubNotes(tx, t.Partner, Event{EventID: t.ID + "-change-" + strconv.Itoa(len(t.History)), EventTime: stamp(t.UpdatedAt),
				EventType: EventOrderAttributeChange, FieldPath: strings.Join(paths, ","), Event: EventPayload{ProductOrder: &o}})
		},
	})
	if err != nil {
		return h.fail(c, err)
	}
	h.changed(c, t, "patch "+strings.Join(paths, ","))
	o, err := h.orderView(t)
	if err != nil {
		return h.fail(c, core.Internal(err))
	}
	return c.JSON(http.StatusOK, o)
}

func (h *Handler) delete(c echo.Context) error {
	t, err := h.eng.ChangeOrder(c.Request().Context(), partnerOf(c), core.ChannelTMF, c.Param("id"), core.OrderChange{
		Delete: true,
		Notify: func(tx core.Tx, t core.Transaction) ([]core.Notification, error) {
			o, err := h.orderView(t)
			if err != nil {
				return nil, err
			}
			return hubNotes(tx, t.Partner, Event{EventID: t.ID + "-delete", EventTime: stamp(t.DeletedAt), EventType: EventOrderDelete, Event: EventPayload{ProductOrder: &o}})
		},
	})
	if err != nil {
		return h.fail(c, err)
	}
	h.changed(c, t, "delete")
	return c.NoContent(http.StatusNoContent)
}

// ---- cancelProductOrder ----

// cancelPrefix makes a cancellation's id from its order's: an order is
// cancelled at most once, and the id finds the order without a scan.
const cancelPrefix = "cancel-"

func (h *Handler) cancel(c echo.Context) error {
	var r CancelProductOrderCreate
	if err := h.decode(c, &r); err != nil {
		return h.fail(c, err)
	}
	var k checker
	switch {
	case r.ProductOrder == nil:
		k.add("productOrder is required")
	case r.ProductOrder.ID == "" || len(r.ProductOrder.ID) > 128:
		k.add("productOrder.id must be 1 to 128 characters")
	}
	k.maxLen("cancellationReason", r.CancellationReason, 1024)
	k.date("requestedCancellationDate", r.RequestedCancellationDate)
	checkExt(&k, "", r.Ext)
	if err := k.err(); err != nil {
		return h.fail(c, err)
	}
	t, err := h.eng.ChangeOrder(c.Request().Context(), partnerOf(c), core.ChannelTMF, r.ProductOrder.ID, core.OrderChange{
		Cancel: true,
		Context: func(t core.Transaction) ([]byte, error) {
			var cx orderContext
			if err := json.Unmarshal(t.Context, &cx); err != nil {
				return nil, err
			}
			cx.Cancel = &cancelRecord{Reason: r.CancellationReason, Requested: r.RequestedCancellationDate, At: t.UpdatedAt, Ext: r.Ext}
			return json.Marshal(cx)
		},
		Notify: func(tx core.Tx, t core.Transaction) ([]core.Notification, error) {
			o, err := h.orderView(t)
			if err != nil {
				return nil, err
			}
			cp, err := h.cancelView(t)
			if err != nil {
				return nil, err
			}
			a, err := hubNotes(tx, t.Partner, Event{EventID: t.ID + "-cancel", EventTime: stamp(t.UpdatedAt), EventType: EventCancelCreate, Event: EventPayload{CancelProductOrder: &cp}})
			if err != nil {
				return nil, err
			}
			b, err := hubNotes(tx, t.Partner, Event{EventID: t.ID + "-cancelled", EventTime: stamp(t.UpdatedAt), EventType: EventOrderStateChange, Event: EventPayload{ProductOrder: &o}})
			return append(a, b...), err
		},
	})
	if err != nil {
		return h.fail(c, err)
	}
	h.changed(c, t, "cancel")
	cp, err := h.cancelView(t)
	if err != nil {
		return h.fail(c, core.Internal(err))
	}
	c.Response().Header().Set(echo.HeaderLocation, cp.Href)
	return c.JSON(http.StatusCreated, cp)
}

func (h *Handler) getCancel(c echo.Context) error {
	q, err := parseQuery(c, "fields")
	if err != nil {
		return h.fail(c, err)
	}
	fields, err := cancelFields(q.Get("fields"))
	if err != nil {
		return h.fail(c, err)
	}
	notFound := core.Errorf(core.KindNotFound, core.ReasonTxNotFound, "cancel", "cancellation %s not found", c.Param("id"))
	id, ok := strings.CutPrefix(c.Param("id"), cancelPrefix)
	if !ok {
		return h.fail(c, notFound)
	}
	t, err := h.svc.Order(c.Request().Context(), partnerOf(c), core.ChannelTMF, id)
	if err != nil {
		return h.fail(c, err)
	}
	cp, err := h.cancelView(t)
	if err != nil {
		return h.fail(c, notFound)
	}
	return h.project(c, http.StatusOK, cp, fields)
}

func (h *Handler) listCancels(c echo.Context) error {
	q, err := parseQuery(c, "fields", "offset", "limit", "id")
	if err != nil {
		return h.fail(c, err)
	}
	fields, err := cancelFields(q.Get("fields"))
	if err != nil {
		return h.fail(c, err)
	}
	// A cancellation's id names its order: the id filter reads one order.
	orderID, named := strings.CutPrefix(q.Get("id"), cancelPrefix)
	// Only cancelled orders match: this list always walks (at most MaxScan).
	return h.answerList(c, q, fields, orderID, false, func(t core.Transaction) (bool, error) {
		return t.Status == core.TxCancelled && (!q.Has("id") || named), nil
	}, func(t core.Transaction) (any, error) { return h.cancelView(t) })
}

// tooMany words a walk over the bound for the partner (counted: the
// count of an unfiltered list); other errors pass.
func (h *Handler) tooMany(ctx context.Context, err error, counted bool) error {
	if core.ReasonOf(err) != core.ReasonTooManyOrders {
		return err
	}
	h.log.WarnContext(ctx, "tmf list refused: too many orders to walk", "error", err.Error())
	if counted {
		return core.Errorf(core.KindInvalid, core.ReasonTooManyOrders, "", "A list counts at most %d orders and this API holds more of yours: "+
			"read an order by its id (productOrder/{id}, or the id filter)", h.opts.MaxCount)
	}
	return core.Errorf(core.KindInvalid, core.ReasonTooManyOrders, "", "A list walks at most %d orders and this API holds more of yours: "+
		"read an order by its id (productOrder/{id}, or the id filter)", h.opts.MaxScan)
}

// ---- hub ----

func (h *Handler) registerHub(c echo.Context) error {
	var r HubInput
	if err := h.decode(c, &r); err != nil {
		return h.fail(c, err)
	}
	// Events go to the callback's path + /listener/<event>: a query or a
	// fragment would end up before it.
	u, err := callback.CheckPartnerURL(r.Callback, h.opts.AllowPrivateCallbacks)
	if errors.Is(err, callback.ErrURLForm) || err == nil && (u.RawQuery != "" || u.Fragment != "") {
		return h.fail(c, invalid("callback must be an absolute http or https URL without credentials, query or fragment (at most 2048 characters)"))
	}
	if err != nil {
		return h.fail(c, invalid("callback must not name a loopback, private or link-local address"))
	}
	if _, err := eventFilter(r.Query); err != nil {
		return h.fail(c, err)
	}
	hub, err := h.svc.RegisterHub(c.Request().Context(), partnerOf(c), core.ChannelTMF, r.Callback, r.Query)
	if err != nil {
		return h.fail(c, err)
	}
	h.log.InfoContext(c.Request().Context(), "tmf hub registered", "partner", hub.Partner, "hub", hub.ID, "callback", hub.Callback)
	c.Response().Header().Set(echo.HeaderLocation, h.base+PathHubs+"/"+hub.ID)
	return c.JSON(http.StatusCreated, Hub{ID: hub.ID, Callback: hub.Callback, Query: hub.Query})
}

func (h *Handler) unregisterHub(c echo.Context) error {
	if err := h.svc.UnregisterHub(c.Request().Context(), partnerOf(c), core.ChannelTMF, c.Param("id")); err != nil {
		return h.fail(c, err)
	}
	h.log.InfoContext(c.Request().Context(), "tmf hub unregistered", "partner", partnerOf(c), "hub", c.Param("id"))
	return c.NoContent(http.StatusNoContent)
}

// ---- queries ----

// parseQuery refuses parameters other than allowed, repeated ones and an
// unparsable query string.
func parseQuery(c echo.Context, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil {
		return nil, invalid("the query string is malformed")
	}
	for k, vs := range q {
		if !slices.Contains(allowed, k) {
			return nil, invalid("unsupported query parameter %q (supported: %s)", truncate(k, 64), strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return nil, invalid("query parameter %q is repeated", k)
		}
	}
	return q, nil
}

func page(q url.Values) (offset, limit int, err error) {
	offset, limit = 0, DefaultLimit
	if s := q.Get("offset"); q.Has("offset") {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 || offset > 1_000_000_000 {
			return 0, 0, invalid("offset must be a whole number from 0")
		}
	}
	if s := q.Get("limit"); q.Has("limit") {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > MaxLimit {
			return 0, 0, invalid("limit must be a whole number from 1 to %d", MaxLimit)
		}
	}
	return offset, limit, nil
}

// wireState spells the core's order states as the specification's
// ProductOrderStateType.
var wireState = map[core.OrderState]string{
	core.OrderAcknowledged: "acknowledged",
	core.OrderInProgress:   "inProgress",
	core.OrderCompleted:    "completed",
	core.OrderFailed:       "failed",
	core.OrderPartial:      "partial",
	core.OrderCancelled:    "cancelled",
}

// orderStates are the specification's ProductOrderStateType: each is a
// valid filter, though simgate gives an order only acknowledged,
// inProgress, completed, failed, partial or cancelled.
var orderStates = []string{"acknowledged", "rejected", "pending", "held", "inProgress", "cancelled", "completed", "failed", "partial",
	"assessingCancellation", "pendingCancellation"}

// jsonNames lists the JSON attribute names of a struct type's value.
func jsonNames(v any) []string {
	b, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var (
	orderAttributes = jsonNames(ProductOrder{ExternalID: "x", Category: "x", CancellationDate: "x", CancellationReason: "x", CompletionDate: "x",
		Description: "x", NotificationContact: "x", Priority: "x", RequestedCompletionDate: "x", RequestedStartDate: "x", Note: []Note{{}},
		Ext: Ext{"x", "x", "x"}})
	cancelAttributes = jsonNames(CancelProductOrder{CancellationReason: "x", EffectiveCancellationDate: "x", RequestedCancellationDate: "x", Ext: Ext{"x", "x", "x"}})
)

func orderFields(s string) (map[string]bool, error)  { return fieldSet(s, orderAttributes) }
func cancelFields(s string) (map[string]bool, error) { return fieldSet(s, cancelAttributes) }

// fieldSet parses fields=a,b; nil means every attribute. id and href are
// always answered.
func fieldSet(s string, known []string) (map[string]bool, error) {
	if s == "" {
		return nil, nil
	}
	set := map[string]bool{"id": true, "href": true}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(known, f) {
			return nil, invalid("fields: unknown attribute %q (known: %s)", truncate(f, 64), strings.Join(known, ", "))
		}
		set[f] = true
	}
	return set, nil
}

// projection keeps the attributes of fields (all when nil).
func projection(v any, fields map[string]bool) (any, error) {
	if fields == nil {
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k := range m {
		if !fields[k] {
			delete(m, k)
		}
	}
	return m, nil
}

func (h *Handler) project(c echo.Context, status int, v any, fields map[string]bool) error {
	p, err := projection(v, fields)
	if err != nil {
		return h.fail(c, core.Internal(err))
	}
	return c.JSON(status, p)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ---- errors ----

// checker collects the problems of a request; the API's Error carries
// them in one message.
type checker struct{ msgs []string }

func (k *checker) add(format string, args ...any) {
	if len(k.msgs) < 20 {
		k.msgs = append(k.msgs, fmt.Sprintf(format, args...))
	}
}

func (k *checker) maxLen(field, v string, max int) {
	if len([]rune(v)) > max {
		k.add("%s must be at most %d characters", field, max)
	}
}

func (k *checker) date(field, v string) {
	if v == "" {
		return
	}
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		k.add("%s must be an RFC 3339 date-time", field)
	}
}

func (k *checker) err() error {
	if len(k.msgs) == 0 {
		return nil
	}
	return invalid("%s", strings.Join(k.msgs, "; "))
}

// fail answers err in the API's one error shape.
func (h *Handler) fail(c echo.Context, err error) error {
	e := core.AsError(err)
	w := wireOf(e)
	if w.status >= 500 {
		h.log.ErrorContext(c.Request().Context(), "tmf internal error", "error", err.Error())
	}
	if secs, ok := core.RetryAfterSeconds(err); ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	}
	return h.refuse(c, w, e.Message)
}

// refuse answers w, and logs it with the partner (once known) and detail,
// core's own words for operators, which name the order or hub.
func (h *Handler) refuse(c echo.Context, w wireError, detail string) error {
	partner, _ := c.Get(partnerKey).(core.PartnerID)
	h.log.InfoContext(c.Request().Context(), "tmf request refused", "partner", partner, "status", w.status, "code", w.code, "error", detail)
	return c.JSON(w.status, errorBody(w))
}

// changed logs a partner's accepted change of an order.
func (h *Handler) changed(c echo.Context, t core.Transaction, change string) {
	h.log.InfoContext(c.Request().Context(), "tmf order changed", "partner", t.Partner, "tx", t.ID, "change", change, "state", core.StateOf(t))
}
