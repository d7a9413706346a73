package tmf

import (
	"net/http"
	"strconv"

	"simgate/core"
)

// wireError is how a reason reads on this API.
type wireError struct {
	status  int
	code    string
	reason  string
	message string // "" means the error's own (safe) message
}

// errorTable is this front end's one table from core reasons to its wire
// form: the HTTP status and the TMF Error's code, reason and message. The
// outcomes of execution appear in the order's notes, with the same codes.
var errorTable = map[core.Reason]wireError{
	core.ReasonMalformed:           {http.StatusBadRequest, "INVALID_REQUEST", "Invalid request", ""},
	core.ReasonTooLarge:            {http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", "Request too large", ""},
	core.ReasonLoginFailed:         {http.StatusUnauthorized, "UNAUTHORIZED", "Unauthorized", "A valid API key is required: Authorization: Bearer <key>"},
	core.ReasonRateLimited:         {http.StatusTooManyRequests, "RATE_LIMITED", "Too many requests", "Too many requests, retry later"},
	core.ReasonUnknownOp:           {http.StatusNotFound, "NOT_FOUND", "Not found", "No such resource"},
	core.ReasonMethodNotAllowed:    {http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed", ""},
	core.ReasonMediaType:           {http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type", ""},
	core.ReasonTxNotFound:          {http.StatusNotFound, "NOT_FOUND", "Not found", "No product order with this id"},
	core.ReasonHubNotFound:         {http.StatusNotFound, "NOT_FOUND", "Not found", "No hub with this id"},
	core.ReasonHubLimit:            {http.StatusConflict, "HUB_LIMIT", "Too many hubs", ""},
	core.ReasonOrderNotCancellable: {http.StatusConflict, "ORDER_NOT_CANCELLABLE", "Order not cancellable", "Only an acknowledged order (no item started) can be cancelled"},
	core.ReasonOrderNotDeletable:   {http.StatusConflict, "ORDER_NOT_DELETABLE", "Order not deletable", "Only a finished order (completed, failed, partial or cancelled) can be deleted"},
	core.ReasonOrderNotChangeable:  {http.StatusConflict, "ORDER_NOT_CHANGEABLE", "Order not changeable", "A cancelled order cannot be changed"},
	core.ReasonTooManyOrders:       {http.StatusBadRequest, "TOO_MANY_ORDERS", "Too many orders to list", ""},
	core.ReasonStartLater:          {http.StatusBadRequest, "REQUESTED_START_NOT_SUPPORTED", "Requested start not supported", "simgate runs an order when it acknowledges it: requestedStartDate may not be later than now (5 minutes of clock difference are allowed)"},
	core.ReasonUnavailable:         {http.StatusServiceUnavailable, "UNAVAILABLE", "Service unavailable", "Service unavailable, retry later"},
	core.ReasonInternal:            {http.StatusInternalServerError, "INTERNAL_ERROR", "Internal error", "Internal error"},

	// Outcomes of execution, in the order's notes.
	core.ReasonSIMRequired:          {http.StatusBadRequest, "SIM_REQUIRED", "SIM required", "An ICCID characteristic is required to add a mobile line"},
	core.ReasonSIMNotFound:          {http.StatusNotFound, "SIM_NOT_FOUND", "SIM not found", "The ICCID is not a SIM of this partner"},
	core.ReasonSIMNotAvailable:      {http.StatusConflict, "SIM_NOT_AVAILABLE", "SIM not available", "The SIM is already in use"},
	core.ReasonIMEIInvalid:          {http.StatusBadRequest, "IMEI_INVALID", "IMEI invalid", "The IMEI must be 15 digits ending in a valid check digit"},
	core.ReasonPlanNotFound:         {http.StatusNotFound, "PLAN_NOT_FOUND", "Plan not found", "The plan is not offered to this partner"},
	core.ReasonOfferingNotFound:     {http.StatusNotFound, "OFFERING_NOT_FOUND", "Offering not found", "The offering is not part of the plan"},
	core.ReasonNumberNotAvailable:   {http.StatusConflict, "MSISDN_NOT_AVAILABLE", "MSISDN not available", "The MSISDN is not available"},
	core.ReasonReservationInvalid:   {http.StatusConflict, "RESERVATION_INVALID", "Reservation invalid", "The reservation does not hold the MSISDN"},
	core.ReasonPoolExhausted:        {http.StatusConflict, "NO_MSISDN_AVAILABLE", "No MSISDN available", "No MSISDN is available in the market's pool (give a market characteristic)"},
	core.ReasonSubscriptionNotFound: {http.StatusNotFound, "PRODUCT_NOT_FOUND", "Product not found", "No subscription of this partner with this id, ICCID or MSISDN"},
	core.ReasonIllegalTransition:    {http.StatusConflict, "INVALID_STATE_TRANSITION", "Invalid state transition", ""},
	core.ReasonGraceExpired:         {http.StatusConflict, "GRACE_PERIOD_EXPIRED", "Grace period expired", "The subscription can no longer be reactivated"},
	core.ReasonNumberReused:         {http.StatusConflict, "MSISDN_REUSED", "MSISDN reused", "The subscription's MSISDN was given to another subscription"},
}

func wireOf(e *core.Error) wireError {
	w, ok := errorTable[e.Reason]
	if !ok {
		return errorTable[core.ReasonInternal]
	}
	if w.message == "" {
		w.message = e.Message
	}
	return w
}

// errorBody renders a wire error.
func errorBody(w wireError) Error {
	return Error{Code: w.code, Reason: w.reason, Message: w.message, Status: strconv.Itoa(w.status), Type: "Error"}
}

// noteOf renders a stored item error as the text of an order note.
func noteOf(info *core.ErrorInfo) string {
	w := wireOf(&core.Error{Kind: info.Kind, Reason: info.Reason, Field: info.Field, Message: info.Message})
	return w.code + ": " + w.message
}
