package soap

import (
	"fmt"

	"simgate/core"
)

// reasonMustUnderstand is SOAP 1.1's own fault for a mandatory header the
// server does not process.
const reasonMustUnderstand core.Reason = "MUST_UNDERSTAND"

// fault is the wire form of one reason.
type fault struct {
	code    string // faultcode without prefix: Client, Server, MustUnderstand
	message string // faultstring; "" means the error's own Message (safe text we wrote)
}

// faults is this front end's one table from core reasons to SOAP faults.
// The messages are the Emersion document's, byte for byte; the rows marked
// "simgate" cover causes the document has no message for. Three of the
// document's messages are never sent: "Access denied for this SQ",
// "Access denied for this order" and "Product not accessible to caller"
// would tell an RSP that another RSP's object exists, so the core reports
// such an object exactly as a missing one (SQ ID not found, Order not
// found, Product ID not found).
var faults = map[core.Reason]fault{
	core.ReasonTokenInvalid: {"Client", "Login token must be valid for the end user"},
	core.ReasonTokenExpired: {"Client", "The token has expired"},

	core.ReasonSQAndServiceBothSet:     {"Client", "Either SQ ID or Service Identifier / Service Type should be set. Both should not be set"},
	core.ReasonSQOrServiceRequired:     {"Client", "Either SQ ID or Service Identifier / Service Type must be set."},
	core.ReasonSQIDBlank:               {"Client", "SQ ID should not be blank"},
	core.ReasonSQIDNotNumeric:          {"Client", "SQ ID should be numeric"},
	core.ReasonSQNotFound:              {"Client", "SQ ID not found"},
	core.ReasonSQStatus:                {"Client", "SQ not in appropriate status for Activation"},
	core.ReasonServiceIdentifierBlank:  {"Client", "Service identifier should not be blank"},
	core.ReasonServiceIdentifierFormat: {"Client", "Service identifier is in invalid format"},
	core.ReasonServiceTypeRequired:     {"Client", "When service identifier is provided, service type id must also be provided"},
	core.ReasonServiceTypeBlank:        {"Client", "Service type id should not be blank"},
	core.ReasonServiceTypeNotNumeric:   {"Client", "Service Type ID should be numeric"},
	core.ReasonServiceTypeWithoutIdent: {"Client", "Service type id should only be provided with a service identifier"},
	core.ReasonServiceTypeNotFound:     {"Client", "Service type not found"},
	core.ReasonServiceTypeNotMapped:    {"Client", "Service type not mapped to caller"},
	core.ReasonServiceIdentNotReady:    {"Client", "Service identifier not found in a ready-for-activation SQ against the service type"},
	core.ReasonServiceIdentAllocated:   {"Client", "Service identifier already allocated against the same service type"},
	core.ReasonSIMNumberBlank:          {"Client", "SIM number should not be blank"},
	core.ReasonSIMRequired:             {"Client", "SIM number should not be blank"},
	core.ReasonSIMNumberFormat:         {"Client", "Please provide 9 digit sim number"},
	core.ReasonProductIDNotNumeric:     {"Client", "Product ID must be numeric"},
	core.ReasonProductNotFound:         {"Client", "Product ID not found"},
	core.ReasonProductNoCategory:       {"Client", "Product does not have a service type category"},
	core.ReasonProductOtherCategory:    {"Client", "Product has a different service type category"},
	core.ReasonProductAmbiguous:        {"Client", "More than one products found against the service type category. Please specify a product id in your call."},
	core.ReasonProductNoneForCategory:  {"Client", "No product found against the service type category."},
	core.ReasonOrderNotFound:           {"Client", "Order not found"},
	core.ReasonOrderNotFinalised:       {"Client", "This Order is not yet ready for activation as it has not been finalised"},

	// simgate: causes the document names no message for.
	core.ReasonSQIDConflict:        {"Client", "SQ_ID and sq_id should not have different values"},
	core.ReasonSIMNotFound:         {"Client", "SIM number not found"},
	core.ReasonSIMOtherProduct:     {"Client", "SIM number is not in the inventory of the product"},
	core.ReasonSIMLocked:           {"Client", "SIM number is locked"},
	core.ReasonSIMNotHeld:          {"Client", "SIM number is not in Held status"},
	core.ReasonLoginFailed:         {"Client", "Invalid username or password"},
	core.ReasonLoginRequired:       {"Client", "Username and password should not be blank"},
	core.ReasonServiceIDBlank:      {"Client", "Service ID should not be blank"},
	core.ReasonServiceIDNotNumeric: {"Client", "Service ID should be numeric"},
	core.ReasonServiceNotFound:     {"Client", "Service not found"},
	core.ReasonMalformed:           {"Client", ""},
	core.ReasonUnknownOp:           {"Client", ""},
	core.ReasonTooLarge:            {"Client", ""},
	core.ReasonMethodNotAllowed:    {"Client", ""},
	core.ReasonMediaType:           {"Client", ""},
	reasonMustUnderstand:           {"MustUnderstand", ""},
	core.ReasonRateLimited:         {"Client", "Too many requests, retry later"},
	core.ReasonUnavailable:         {"Server", "Service temporarily unavailable, please retry"},
	core.ReasonInternal:            {"Server", "Internal error"},
}

// faultFor answers the fault of err. Unknown reasons are our bug, never the
// caller's: they become a Server fault that reveals nothing.
func faultFor(err error) (fault, core.Reason) {
	e := core.AsError(err)
	f, ok := faults[e.Reason]
	if !ok {
		return faults[core.ReasonInternal], core.ReasonInternal
	}
	if f.message == "" {
		f.message = e.Message
	}
	return f, e.Reason
}

func tooLarge(limit int64) *core.Error {
	return core.Errorf(core.KindTooLarge, core.ReasonTooLarge, "", "Request body exceeds %d bytes", limit)
}

func unknownOp(name string) *core.Error {
	return core.Errorf(core.KindInvalid, core.ReasonUnknownOp, "", "%s", fmt.Sprintf("Unknown operation %s", truncate(name, 64)))
}
