package sps

import (
	"net/http"

	"simgate/core"
)

// wireError is how a reason reads on this API.
type wireError struct {
	status  int
	code    string
	message string // "" means the error's own (safe) message
}

// errorTable is this front end's one table from core reasons to its wire
// form: HTTP status, error code and message.
var errorTable = map[core.Reason]wireError{
	core.ReasonMalformed:        {http.StatusBadRequest, "INVALID_REQUEST", ""},
	core.ReasonTooLarge:         {http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", ""},
	core.ReasonLoginFailed:      {http.StatusUnauthorized, "UNAUTHORIZED", "A valid API key is required: Authorization: Bearer <key>"},
	core.ReasonAccountNotFound:  {http.StatusNotFound, "CUSTOMER_NOT_FOUND", "wholesaleCustomerId not found"},
	core.ReasonTxNotFound:       {http.StatusNotFound, "TRANSACTION_NOT_FOUND", "No transaction with this partnerTransactionId"},
	core.ReasonDuplicateTxID:    {http.StatusConflict, "DUPLICATE_TRANSACTION", "partnerTransactionId was already used with a different request"},
	core.ReasonRateLimited:      {http.StatusTooManyRequests, "RATE_LIMITED", "Too many requests, retry later"},
	core.ReasonMethodNotAllowed: {http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", ""},
	core.ReasonMediaType:        {http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", ""},
	core.ReasonUnavailable:      {http.StatusInternalServerError, "INTERNAL_ERROR", "Internal error"},
	core.ReasonInternal:         {http.StatusInternalServerError, "INTERNAL_ERROR", "Internal error"},

	// Outcomes of execution, reported in the notification and the query.
	core.ReasonSIMRequired:          {http.StatusBadRequest, "SIM_REQUIRED", "iccid or eid is required"},
	core.ReasonSIMNotFound:          {http.StatusNotFound, "SIM_NOT_FOUND", "The SIM is not an available SIM of this wholesale customer"},
	core.ReasonSIMNotAvailable:      {http.StatusConflict, "SIM_NOT_AVAILABLE", "The SIM is already in use"},
	core.ReasonIMEIInvalid:          {http.StatusBadRequest, "PEI_INVALID", "pei of 15 digits must end in a valid check digit"},
	core.ReasonPlanNotFound:         {http.StatusNotFound, "PLAN_NOT_FOUND", "wholesalePlanId not found"},
	core.ReasonOfferingNotFound:     {http.StatusNotFound, "PRODUCT_NOT_FOUND", "productId is not a product of the wholesale plan"},
	core.ReasonNumberNotAvailable:   {http.StatusConflict, "GPSI_NOT_AVAILABLE", "gpsi is not available"},
	core.ReasonReservationInvalid:   {http.StatusConflict, "GPSI_RESERVATION_MISMATCH", "gpsi does not match gpsiReservationId"},
	core.ReasonPoolExhausted:        {http.StatusConflict, "NO_GPSI_AVAILABLE", "No gpsi is available in the customer's pool"},
	core.ReasonSubscriptionNotFound: {http.StatusNotFound, "SUBSCRIPTION_NOT_FOUND", "No subscription with this iccid / gpsi"},
	core.ReasonIllegalTransition:    {http.StatusConflict, "INVALID_STATE_TRANSITION", ""},
	core.ReasonGraceExpired:         {http.StatusConflict, "REACTIVATION_PERIOD_EXPIRED", "The subscription can no longer be reactivated: its grace period has ended"},
	core.ReasonNumberReused:         {http.StatusConflict, "GPSI_REUSED", "The subscription's gpsi was given to another subscription"},
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

// itemOf renders a stored outcome error.
func itemOf(info *core.ErrorInfo) ErrorItem {
	w := wireOf(&core.Error{Kind: info.Kind, Reason: info.Reason, Field: info.Field, Message: info.Message})
	return ErrorItem{Code: w.code, Field: fieldOf(info.Field), Message: w.message}
}

// fieldOf names a core field in the API's terms.
func fieldOf(f string) string {
	switch f {
	case "sim":
		return "iccid"
	case "number", "reservation":
		return "gpsi"
	case "plan":
		return "wholesalePlanId"
	case "transaction":
		return "partnerTransactionId"
	case "offering":
		return "products"
	case "imei":
		return "pei"
	case "subscriber":
		return "iccid"
	case "partner_tx_id":
		return "partnerTransactionId"
	case "account":
		return HeaderCustomerID
	case "authorization":
		return "Authorization"
	case "content_type":
		return "Content-Type"
	}
	return f
}
