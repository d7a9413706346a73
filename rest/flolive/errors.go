package flolive

import (
	"errors"
	"fmt"
	"net/http"

	"simgate/core"
)

// wireError is how one refusal reads on this API: the NAK's errorCode and
// errorMessage, and the HTTP status it is sent with.
type wireError struct {
	Code    string
	Status  int
	Message string
}

// The codes of this API. The document's own codes keep its exact
// messages; the AUTH_, RATE_, METHOD_, VALIDATION_ and IDEMPOTENCY_ codes
// are simgate's, in the same DOMAIN_NNNN style but in namespaces of their
// own so that they can never collide with a code the vendor documents
// later. The table is repeated in the package comment and in the OpenAPI
// description.
var (
	// The document's codes.
	errUnavailable        = wireError{"GLOBAL_1001", http.StatusServiceUnavailable, "Service unavailable. Please try again"}
	errRequestNotFound    = wireError{"GLOBAL_1003", http.StatusNotFound, "Provided request ID does not exist for your account"}
	errTargetNotFound     = wireError{"CUSTOMER_1008", http.StatusNotFound, "Failed to find target customer"}
	errSubscriberNotFound = wireError{"SUBSCRIBER_1002", http.StatusNotFound, "Subscriber does not exist"}
	errMoveFailed         = wireError{"SUBSCRIBER_1023", http.StatusUnprocessableEntity, "Failed to move subscriber"}

	// simgate's codes.
	errUnauthorized    = wireError{"AUTH_1001", http.StatusUnauthorized, "Missing or invalid API key"}
	errBadType         = wireError{"VALIDATION_1001", http.StatusBadRequest, "Invalid subscriber type. Valid types are: imsi, iccid, msisdn, imei"}
	errBadValue        = wireError{"VALIDATION_1002", http.StatusBadRequest, "Invalid subscriber value"}
	errBadCustomer     = wireError{"VALIDATION_1003", http.StatusBadRequest, "targetCustomerId is required and must be a UUID"}
	errMissingBody     = wireError{"VALIDATION_1004", http.StatusBadRequest, "Request body is required"}
	errMalformedBody   = wireError{"VALIDATION_1005", http.StatusBadRequest, "Malformed request body"}
	errTooLarge        = wireError{"VALIDATION_1006", http.StatusRequestEntityTooLarge, "Request body is too large"}
	errBulkSize        = wireError{"VALIDATION_1007", http.StatusBadRequest, fmt.Sprintf("items must hold 1 to %d moves", maxBulkItems)}
	errBadRequestID    = wireError{"VALIDATION_1008", http.StatusBadRequest, "requestId must be a UUID"}
	errDuplicateInBulk = wireError{"VALIDATION_1009", http.StatusBadRequest, "Subscriber is already moved by an earlier item of this request"}
	errMediaType       = wireError{"VALIDATION_1010", http.StatusUnsupportedMediaType, "Unsupported media type: Content-Type must be application/json"}
	errBadIdemKey      = wireError{"VALIDATION_1011", http.StatusBadRequest, fmt.Sprintf("%s must be 1 to %d printable ASCII characters, sent once", HeaderIdempotencyKey, maxIdempotencyKey)}
	errIdemKeyReused   = wireError{"IDEMPOTENCY_1001", http.StatusConflict, HeaderIdempotencyKey + " was already used with a different request"}
	errRateLimited     = wireError{"RATE_1001", http.StatusTooManyRequests, "Too many requests, retry later"}
	errMethod          = wireError{"METHOD_1001", http.StatusMethodNotAllowed, "Method not allowed"}
)

// reasonTable is this front end's one table from core reasons to the wire.
// Where the core tells two causes apart that the partner must not (a
// target outside the requester's tree and one inside it but not eligible,
// as for another tenant's object), both read the same.
var reasonTable = map[core.Reason]wireError{
	core.ReasonSubscriptionNotFound: errSubscriberNotFound,
	core.ReasonTargetNotFound:       errTargetNotFound,
	core.ReasonMoveNotEligible:      errTargetNotFound,
	core.ReasonAccountNotFound:      errTargetNotFound,
	core.ReasonTxNotFound:           errRequestNotFound,
	core.ReasonLoginFailed:          errUnauthorized,
	core.ReasonRateLimited:          errRateLimited,
	core.ReasonTooLarge:             errTooLarge,
	core.ReasonMediaType:            errMediaType,
	core.ReasonMethodNotAllowed:     errMethod,
	core.ReasonDuplicateTxID:        errIdemKeyReused,
	core.ReasonInternal:             errUnavailable,
	core.ReasonUnavailable:          errUnavailable,
}

// refusal is an error the handlers answer with a NAK. Detail, for
// simgate's own codes only, says which input was wrong; the document's
// codes keep their messages byte for byte.
type refusal struct {
	wire   wireError
	detail string
	cause  error // for the log, never shown
}

func (r *refusal) Error() string {
	msg := r.wire.Code + ": " + r.message()
	if r.cause != nil {
		msg += ": " + r.cause.Error()
	}
	return msg
}

func (r *refusal) Unwrap() error { return r.cause }

// message is the NAK's errorMessage.
func (r *refusal) message() string {
	if r.detail == "" {
		return r.wire.Message
	}
	return r.wire.Message + ": " + r.detail
}

// internal reports whether the refusal is simgate's fault, to be logged as
// an error with its cause.
func (r *refusal) internal() bool { return r.wire == errUnavailable }

func refuse(w wireError, format string, args ...any) *refusal {
	r := &refusal{wire: w}
	if format != "" {
		r.detail = fmt.Sprintf(format, args...)
	}
	return r
}

// refusalOf turns any error into its wire form: a refusal as it is, a core
// error through reasonTable, and whatever the table does not know by its
// kind. A business refusal the table does not name reads as the document's
// generic "Failed to move subscriber".
func refusalOf(err error) *refusal {
	var r *refusal
	if errors.As(err, &r) {
		return r
	}
	e := core.AsError(err)
	if w, ok := reasonTable[e.Reason]; ok {
		return &refusal{wire: w, cause: err}
	}
	switch e.Kind {
	case core.KindInternal, core.KindUnavailable:
		return &refusal{wire: errUnavailable, cause: err}
	case core.KindUnauthorized:
		return &refusal{wire: errUnauthorized, cause: err}
	case core.KindRateLimited:
		return &refusal{wire: errRateLimited, cause: err}
	case core.KindTooLarge:
		return &refusal{wire: errTooLarge, cause: err}
	}
	return &refusal{wire: errMoveFailed, cause: err}
}

// failedOnOurSide reports whether a stored item error is simgate's fault
// rather than a rule that refused the move.
func failedOnOurSide(e *core.ErrorInfo) bool {
	return e != nil && (e.Kind == core.KindInternal || e.Kind == core.KindUnavailable)
}
