package mvnx

import (
	"net/http"

	"simgate/core"
)

// wireError is how a reason reads on this API.
type wireError struct {
	status      int    // HTTP status of an acknowledgement refused at submit
	description string // "" means the error's own (safe) message
}

// errorTable is this front end's one table from core reasons to its wire
// form. The code on the wire is the reason itself: stable and
// self-describing.
var errorTable = map[core.Reason]wireError{
	core.ReasonMalformed:        {http.StatusBadRequest, ""},
	core.ReasonTooLarge:         {http.StatusRequestEntityTooLarge, ""},
	core.ReasonLoginFailed:      {http.StatusUnauthorized, "Invalid userName or userPassword"},
	core.ReasonLoginRequired:    {http.StatusUnauthorized, "SecurityMessageHeader.userName and userPassword are required"},
	core.ReasonDuplicateTxID:    {http.StatusUnprocessableEntity, "messageId was already used with a different request"},
	core.ReasonUnavailable:      {http.StatusServiceUnavailable, "Service unavailable, please retry"},
	core.ReasonInternal:         {http.StatusServiceUnavailable, "Service unavailable, please retry"},
	core.ReasonRateLimited:      {http.StatusTooManyRequests, "Too many requests, please retry later"},
	core.ReasonMethodNotAllowed: {http.StatusMethodNotAllowed, ""},
	core.ReasonMediaType:        {http.StatusUnsupportedMediaType, ""},

	// Outcomes of one subscriber, reported in its response message.
	core.ReasonSIMRequired:        {http.StatusBadRequest, "Device.SIM is required"},
	core.ReasonSIMNotFound:        {http.StatusUnprocessableEntity, "SIM is not a device of this reseller"},
	core.ReasonSIMNotAvailable:    {http.StatusUnprocessableEntity, "SIM is not pending activation"},
	core.ReasonIMEIInvalid:        {http.StatusUnprocessableEntity, "IMEI must be 15 digits ending in a valid check digit"},
	core.ReasonPlanNotFound:       {http.StatusUnprocessableEntity, "PricePlan.singleUserCode is not a price plan of this reseller"},
	core.ReasonOfferingNotFound:   {http.StatusUnprocessableEntity, "offeringCode is not an offering of the price plan"},
	core.ReasonNumberNotAvailable: {http.StatusUnprocessableEntity, "subscriberNumber is not available to this reseller"},
	core.ReasonPoolExhausted:      {http.StatusUnprocessableEntity, "No subscriber number is available in the market's pool"},
}

func wireOf(err error) (core.Reason, wireError) {
	e := core.AsError(err)
	w, ok := errorTable[e.Reason]
	if !ok {
		return core.ReasonInternal, errorTable[core.ReasonInternal]
	}
	if w.description == "" {
		w.description = e.Message
	}
	return e.Reason, w
}
