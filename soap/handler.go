package soap

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/labstack/echo/v4"

	"simgate/core"
	"simgate/rest"
	"simgate/wsdl"
	"simgate/wsdl/authentication"
	"simgate/wsdl/services"
)

// Options configures the front end.
type Options struct {
	Limits Limits
	// BaseURL is the public URL the served WSDLs point at (soap:address).
	// Empty: derived from each request's Host.
	BaseURL string
}

// Handler serves the userapi endpoints.
type Handler struct {
	svc  *core.Service
	log  *slog.Logger
	opts Options
}

// New builds the SOAP front end.
func New(svc *core.Service, log *slog.Logger, opts Options) *Handler {
	opts.Limits = opts.Limits.withDefaults()
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	return &Handler{svc: svc, log: log, opts: opts}
}

// Paths of the userapi endpoints.
const (
	PathServices       = "/userapi/Services"
	PathAuthentication = "/userapi/Authentication"
)

// Register mounts the endpoints and their WSDLs on e.
func (h *Handler) Register(e *echo.Echo) {
	for _, ep := range []struct {
		path, wsdl string
		serve      func(echo.Context, *request) error
	}{
		{PathServices, "Services.wsdl", h.services},
		{PathAuthentication, "Authentication.wsdl", h.authentication},
	} {
		ep := ep
		e.POST(ep.path, func(c echo.Context) error { return h.dispatch(c, ep.serve) })
		e.GET(ep.path, func(c echo.Context) error {
			if _, ok := c.QueryParams()["wsdl"]; ok {
				return h.serveWSDL(c, ep.wsdl)
			}
			return h.fault(c, core.Errorf(core.KindInvalid, core.ReasonMethodNotAllowed, "", "Use POST for SOAP calls, or GET %s?wsdl for the service description", ep.path))
		})
		e.GET("/userapi/"+ep.wsdl, func(c echo.Context) error { return h.serveWSDL(c, ep.wsdl) })
	}
}

// dispatch reads the body within the limit, scans it and hands the
// operation to serve. Every refusal is a SOAP fault.
func (h *Handler) dispatch(c echo.Context, serve func(echo.Context, *request) error) error {
	if err := checkContentType(c.Request()); err != nil {
		return h.fault(c, err)
	}
	raw, err := readBody(c.Request(), h.opts.Limits.MaxBody)
	if err != nil {
		return h.fault(c, err)
	}
	req, err := scan(raw, h.opts.Limits)
	if err != nil {
		return h.fault(c, err)
	}
	if req.op.Space != NSUserAPI {
		return h.fault(c, unknownOp("{"+req.op.Space+"}"+req.op.Local))
	}
	return serve(c, req)
}

// checkContentType refuses, unread, a body declared in a media type other
// than SOAP's: text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2, which
// the envelope check then refuses by name, more helpfully than a media
// type would). A body without Content-Type is read as XML: legacy clients
// send none (see rest.CheckBodyType).
func checkContentType(r *http.Request) error {
	return rest.CheckBodyType(r, "text/xml (SOAP 1.1)", func(mt string) bool { return mt == "text/xml" || mt == "application/soap+xml" })
}

// readBody reads the body within limit. A declared length over the limit
// is refused unread; a declared length within it is read into one buffer of
// that size (io.ReadAll would allocate about twice the body on the way).
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	if r.ContentLength >= 0 {
		raw := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, raw); err != nil {
			return nil, malformed("Cannot read the request body")
		}
		return raw, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, malformed("Cannot read the request body")
	}
	if int64(len(raw)) > limit {
		return nil, tooLarge(limit)
	}
	return raw, nil
}

func (h *Handler) authentication(c echo.Context, req *request) error {
	if req.op.Local != "login" {
		return h.fault(c, unknownOp(req.op.Local))
	}
	setOperation(c, "login")
	var in authentication.Login
	if err := h.decode(req, &in, "username", "password"); err != nil {
		return h.fault(c, err)
	}
	token, expires, err := h.svc.Login(c.Request().Context(), strings.TrimSpace(in.Username), in.Password)
	if err != nil {
		return h.fault(c, err)
	}
	h.log.InfoContext(c.Request().Context(), "login", "username", in.Username, "expires", expires.Format(time.RFC3339))
	return h.reply(c, &authentication.LoginResponse{Token: token})
}

func (h *Handler) services(c echo.Context, req *request) error {
	switch req.op.Local {
	case "ActivateService":
		setOperation(c, "ActivateService")
		return h.activateService(c, req)
	case "serviceDetail":
		setOperation(c, "serviceDetail")
		return h.serviceDetail(c, req)
	}
	return h.fault(c, unknownOp(req.op.Local))
}

func (h *Handler) decode(req *request, v any, fields ...string) error {
	if err := checkFields(req, fields...); err != nil {
		return err
	}
	return decodeOp(req, v)
}

func (h *Handler) activateService(c echo.Context, req *request) error {
	var in services.ActivateService
	if err := h.decode(req, &in, "loginToken", "SQ_ID", "sq_id", "service_identifier", "service_type_id", "sim_number", "product_id"); err != nil {
		return h.fault(c, err)
	}
	ctx := c.Request().Context()
	partner, err := h.svc.Authenticate(ctx, strings.TrimSpace(in.LoginToken))
	if err != nil {
		return h.fault(c, err)
	}
	if _, err := h.svc.Allow(ctx, partner); err != nil {
		return h.fault(c, err)
	}
	cmd, err := activateCommand(req, &in)
	if err != nil {
		return h.fault(c, err)
	}
	cmd.Ref = core.TxRef{Partner: partner, Channel: core.ChannelSOAP, CorrelationID: core.RequestID(ctx)}
	sub, err := h.svc.Activate(ctx, cmd)
	if err != nil {
		return h.fault(c, err)
	}
	h.log.InfoContext(ctx, "service activated", "partner", partner, "service_id", sub.ID,
		"service_identifier", sub.ServiceIdentifier, "service_type", sub.ServiceType, "sim_number", sub.SimNumber)
	return h.reply(c, &services.ActiveServiceResponse{Value: true})
}

var serviceIdentifierRE = regexp.MustCompile(`^[A-Za-z0-9+][A-Za-z0-9._@:+/-]{0,63}$`)

// activateCommand checks the syntax of ActivateService in the documented
// precedence and builds the core command. Semantic rules are the core's.
func activateCommand(req *request, in *services.ActivateService) (core.Activate, error) {
	sq := present(req, "SQ_ID", in.SQ_ID)
	if alt := present(req, "sq_id", in.Sq_id); alt != nil {
		if sq != nil && strings.TrimSpace(*sq) != strings.TrimSpace(*alt) {
			return core.Activate{}, reason(core.ReasonSQIDConflict, "sq", "SQ_ID and sq_id differ")
		}
		sq = alt
	}
	ident := present(req, "service_identifier", in.Service_identifier)
	stype := present(req, "service_type_id", in.Service_type_id)
	sim := present(req, "sim_number", in.Sim_number)
	product := present(req, "product_id", in.Product_id)

	var cmd core.Activate
	switch {
	case sq != nil && (ident != nil || stype != nil):
		return cmd, reason(core.ReasonSQAndServiceBothSet, "sq", "both an SQ and a service identifier / type")
	case sq == nil && ident == nil && stype == nil:
		return cmd, reason(core.ReasonSQOrServiceRequired, "sq", "neither an SQ nor a service identifier / type")
	case sq != nil:
		v := strings.TrimSpace(*sq)
		if v == "" {
			return cmd, reason(core.ReasonSQIDBlank, "sq", "blank SQ ID")
		}
		id, ok := parseID(v)
		if !ok {
			return cmd, reason(core.ReasonSQIDNotNumeric, "sq", "SQ ID is not numeric")
		}
		cmd.SQ = &core.SQRef{ID: id}
	default:
		if ident == nil {
			return cmd, reason(core.ReasonServiceTypeWithoutIdent, "service_type", "service type without identifier")
		}
		v := strings.TrimSpace(*ident)
		if v == "" {
			return cmd, reason(core.ReasonServiceIdentifierBlank, "service_identifier", "blank service identifier")
		}
		if !serviceIdentifierRE.MatchString(v) {
			return cmd, reason(core.ReasonServiceIdentifierFormat, "service_identifier", "service identifier format")
		}
		if stype == nil {
			return cmd, reason(core.ReasonServiceTypeRequired, "service_type", "service identifier without service type")
		}
		t := strings.TrimSpace(*stype)
		if t == "" {
			return cmd, reason(core.ReasonServiceTypeBlank, "service_type", "blank service type id")
		}
		id, ok := parseID(t)
		if !ok {
			return cmd, reason(core.ReasonServiceTypeNotNumeric, "service_type", "service type id is not numeric")
		}
		cmd.SQ = &core.SQRef{ServiceIdentifier: v, ServiceType: id}
	}
	if sim != nil {
		v := strings.TrimSpace(*sim)
		if v == "" {
			return cmd, reason(core.ReasonSIMNumberBlank, "sim", "blank sim number")
		}
		if len(v) != 9 || strings.Trim(v, "0123456789") != "" {
			return cmd, reason(core.ReasonSIMNumberFormat, "sim", "sim number is not 9 digits")
		}
		cmd.SIM.SimNumber = v
	}
	if product != nil {
		id, ok := parseID(strings.TrimSpace(*product))
		if !ok {
			return cmd, reason(core.ReasonProductIDNotNumeric, "product", "product id is not numeric")
		}
		cmd.Product = id
	}
	return cmd, nil
}

func reason(r core.Reason, field, msg string) *core.Error {
	return core.Errorf(core.KindInvalid, r, field, "%s", msg)
}

// parseID accepts the decimal digits of a positive int64.
func parseID(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0
}

func (h *Handler) serviceDetail(c echo.Context, req *request) error {
	var in services.ServiceDetail
	if err := h.decode(req, &in, "loginToken", "service_id"); err != nil {
		return h.fault(c, err)
	}
	ctx := c.Request().Context()
	partner, err := h.svc.Authenticate(ctx, strings.TrimSpace(in.LoginToken))
	if err != nil {
		return h.fault(c, err)
	}
	if _, err := h.svc.Allow(ctx, partner); err != nil {
		return h.fault(c, err)
	}
	id := strings.TrimSpace(in.Service_id)
	if id == "" {
		return h.fault(c, reason(core.ReasonServiceIDBlank, "service_id", "blank service id"))
	}
	if _, ok := parseID(id); !ok {
		return h.fault(c, reason(core.ReasonServiceIDNotNumeric, "service_id", "service id is not numeric"))
	}
	sub, st, err := h.svc.ServiceDetail(ctx, partner, id)
	if err != nil {
		return h.fault(c, err)
	}
	info := &services.ServiceInfo{
		Service_id:         sub.ID,
		Service_identifier: sub.ServiceIdentifier,
		Service_type_id:    strconv.FormatInt(sub.ServiceType, 10),
		Service_type:       st.Name,
		Status:             string(sub.Status),
		Sq_id:              strconv.FormatInt(sub.SQ, 10),
		Sim_number:         sub.SimNumber,
		Activated_at:       sub.CreatedAt.UTC().Format(time.RFC3339),
	}
	if sub.Product != 0 {
		info.Product_id = strconv.FormatInt(sub.Product, 10)
	}
	return h.reply(c, &services.ServiceDetailResponse{Service: info})
}

func (h *Handler) reply(c echo.Context, v any) error {
	body, err := encode(v)
	if err != nil {
		return h.fault(c, core.Internal(err))
	}
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", body)
}

// fault answers err as a SOAP fault: HTTP 500 (413 for size, 405 for a
// method, 415 for a media type, 429 with Retry-After when rate limited), the table's faultstring, and the reason
// in a typed detail. Server faults are logged with their cause; the caller
// sees only the table's text.
func (h *Handler) fault(c echo.Context, err error) error {
	f, r := faultFor(err)
	ctx := c.Request().Context()
	status := http.StatusInternalServerError
	if r == core.ReasonTooLarge {
		status = http.StatusRequestEntityTooLarge
	}
	if f.code == "Server" {
		h.log.ErrorContext(ctx, "soap server fault", "reason", r, "error", err.Error())
	} else {
		h.log.InfoContext(ctx, "soap client fault", "reason", r, "faultstring", f.message)
	}
	switch r {
	case core.ReasonMethodNotAllowed:
		status = http.StatusMethodNotAllowed
	case core.ReasonMediaType:
		status = http.StatusUnsupportedMediaType
	}
	if secs, ok := core.RetryAfterSeconds(err); ok {
		status = http.StatusTooManyRequests
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	}
	return c.Blob(status, "text/xml; charset=utf-8", encodeFault(f, &services.Fault{Reason: string(r)}))
}

// serveWSDL answers a WSDL with soap:address pointing at this server.
func (h *Handler) serveWSDL(c echo.Context, name string) error {
	raw, err := wsdl.Files.ReadFile(name)
	if err != nil {
		return h.fault(c, core.Internal(err))
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return h.fault(c, core.Internal(err))
	}
	endpoint := h.baseURL(c) + "/userapi/" + strings.TrimSuffix(name, ".wsdl")
	for _, addr := range doc.FindElements("//service/port/address") {
		addr.CreateAttr("location", endpoint)
	}
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return h.fault(c, core.Internal(err))
	}
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", buf.Bytes())
}

var hostRE = regexp.MustCompile(`^[A-Za-z0-9.\-\[\]:]{1,255}$`)

func (h *Handler) baseURL(c echo.Context) string {
	if h.opts.BaseURL != "" {
		return h.opts.BaseURL
	}
	host := c.Request().Host
	if !hostRE.MatchString(host) {
		host = "127.0.0.1:8080"
	}
	scheme := "http"
	if c.Request().TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + host
}

// setOperation names the SOAP operation for the metrics and logs: every
// operation shares one route.
func setOperation(c echo.Context, op string) {
	c.SetRequest(c.Request().WithContext(core.WithOperation(c.Request().Context(), op)))
}
