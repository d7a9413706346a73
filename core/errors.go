package core

import (
	"errors"
	"fmt"
	"time"
)

// Kind is the generic class of an error. Front ends map it to a transport
// status when a reason has no entry of its own in their table.
type Kind uint8

const (
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindConflict
	KindUnauthorized
	KindForbidden
	KindRateLimited
	KindUnavailable
	KindTooLarge
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "Invalid"
	case KindNotFound:
		return "NotFound"
	case KindConflict:
		return "Conflict"
	case KindUnauthorized:
		return "Unauthorized"
	case KindForbidden:
		return "Forbidden"
	case KindRateLimited:
		return "RateLimited"
	case KindUnavailable:
		return "Unavailable"
	case KindTooLarge:
		return "TooLarge"
	default:
		return "Internal"
	}
}

// Reason is a stable, append-only code naming the exact cause of an error.
// Front ends translate reasons to their wire messages; never rename one.
type Reason string

// Error is the only error type the core returns to front ends.
type Error struct {
	Kind    Kind
	Reason  Reason
	Field   string // the offending input, in core terms ("sq", "sim", "product"...)
	Message string // for logs and operators; front ends own the wire text
	// RetryAfter is how long a rate-limited caller should wait (KindRateLimited only).
	RetryAfter time.Duration
	cause      error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Reason, e.Message, e.cause)
	}
	return string(e.Reason) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.cause }

// Errorf builds an Error.
func Errorf(kind Kind, reason Reason, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: reason, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure. Its cause is logged, never shown.
func Internal(cause error) *Error {
	return &Error{Kind: KindInternal, Reason: ReasonInternal, Message: "internal error", cause: cause}
}

// AsError returns err as an *Error, wrapping anything else as Internal.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// ReasonOf returns the reason of err, or "" when err is nil.
func ReasonOf(err error) Reason {
	if err == nil {
		return ""
	}
	return AsError(err).Reason
}

// RetryAfterSeconds answers the wait of a rate-limited err in whole
// seconds, rounded up and at least 1 (the form of HTTP's Retry-After), and
// false when err is not rate limited.
func RetryAfterSeconds(err error) (int, bool) {
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonRateLimited {
		return 0, false
	}
	secs := (e.RetryAfter + time.Second - 1) / time.Second
	return int(max(1, secs)), true
}

// Reasons. Append only.
const (
	ReasonInternal         Reason = "INTERNAL"
	ReasonUnavailable      Reason = "UNAVAILABLE"
	ReasonMalformed        Reason = "MALFORMED_REQUEST"
	ReasonTooLarge         Reason = "REQUEST_TOO_LARGE"
	ReasonUnknownOp        Reason = "UNKNOWN_OPERATION"
	ReasonMethodNotAllowed Reason = "METHOD_NOT_ALLOWED"
	ReasonRateLimited      Reason = "RATE_LIMITED"
	ReasonMediaType        Reason = "UNSUPPORTED_MEDIA_TYPE" // a body in a media type the operation does not take

	// Authentication.
	ReasonLoginFailed   Reason = "LOGIN_FAILED"
	ReasonTokenInvalid  Reason = "TOKEN_INVALID"
	ReasonTokenExpired  Reason = "TOKEN_EXPIRED"
	ReasonLoginRequired Reason = "LOGIN_FIELD_REQUIRED"

	// Service qualification (SQ) selection.
	ReasonSQAndServiceBothSet     Reason = "SQ_AND_SERVICE_BOTH_SET"
	ReasonSQOrServiceRequired     Reason = "SQ_OR_SERVICE_REQUIRED"
	ReasonSQIDConflict            Reason = "SQ_ID_CONFLICT"
	ReasonSQIDBlank               Reason = "SQ_ID_BLANK"
	ReasonSQIDNotNumeric          Reason = "SQ_ID_NOT_NUMERIC"
	ReasonSQNotFound              Reason = "SQ_NOT_FOUND"
	ReasonSQStatus                Reason = "SQ_STATUS_NOT_READY"
	ReasonServiceIdentifierBlank  Reason = "SERVICE_IDENTIFIER_BLANK"
	ReasonServiceIdentifierFormat Reason = "SERVICE_IDENTIFIER_INVALID"
	ReasonServiceTypeRequired     Reason = "SERVICE_TYPE_REQUIRED"
	ReasonServiceTypeBlank        Reason = "SERVICE_TYPE_BLANK"
	ReasonServiceTypeNotNumeric   Reason = "SERVICE_TYPE_NOT_NUMERIC"
	ReasonServiceTypeWithoutIdent Reason = "SERVICE_TYPE_WITHOUT_IDENTIFIER"
	ReasonServiceTypeNotFound     Reason = "SERVICE_TYPE_NOT_FOUND"
	ReasonServiceTypeNotMapped    Reason = "SERVICE_TYPE_NOT_MAPPED"
	ReasonServiceIdentNotReady    Reason = "SERVICE_IDENTIFIER_NOT_READY"
	ReasonServiceIdentAllocated   Reason = "SERVICE_IDENTIFIER_ALLOCATED"
	ReasonOrderNotFound           Reason = "ORDER_NOT_FOUND"
	ReasonOrderNotFinalised       Reason = "ORDER_NOT_FINALISED"

	// Products.
	ReasonProductIDNotNumeric    Reason = "PRODUCT_ID_NOT_NUMERIC"
	ReasonProductNotFound        Reason = "PRODUCT_NOT_FOUND"
	ReasonProductNoCategory      Reason = "PRODUCT_NO_CATEGORY"
	ReasonProductOtherCategory   Reason = "PRODUCT_CATEGORY_MISMATCH"
	ReasonProductAmbiguous       Reason = "PRODUCT_AMBIGUOUS"
	ReasonProductNoneForCategory Reason = "PRODUCT_NONE_FOR_CATEGORY"

	// SIMs.
	ReasonSIMNumberBlank  Reason = "SIM_NUMBER_BLANK"
	ReasonSIMNumberFormat Reason = "SIM_NUMBER_INVALID"
	ReasonSIMRequired     Reason = "SIM_REQUIRED"
	ReasonSIMNotFound     Reason = "SIM_NOT_FOUND"
	ReasonSIMNotHeld      Reason = "SIM_NOT_HELD"
	ReasonSIMLocked       Reason = "SIM_LOCKED"
	ReasonSIMOtherProduct Reason = "SIM_PRODUCT_MISMATCH"
	ReasonSIMNotAvailable Reason = "SIM_NOT_AVAILABLE"

	// Numbers.
	ReasonNumberNotFound     Reason = "NUMBER_NOT_FOUND"
	ReasonNumberNotAvailable Reason = "NUMBER_NOT_AVAILABLE"
	ReasonReservationInvalid Reason = "RESERVATION_INVALID"
	ReasonPoolExhausted      Reason = "NUMBER_POOL_EXHAUSTED"

	// Services / subscriptions.
	ReasonServiceIDBlank       Reason = "SERVICE_ID_BLANK"
	ReasonServiceIDNotNumeric  Reason = "SERVICE_ID_NOT_NUMERIC"
	ReasonServiceNotFound      Reason = "SERVICE_NOT_FOUND"
	ReasonSubscriptionNotFound Reason = "SUBSCRIPTION_NOT_FOUND"
	ReasonIllegalTransition    Reason = "ILLEGAL_TRANSITION"
)

// ErrNotFound is what store lookups wrap when a key is absent; rules turn it
// into a reason of their own.
var ErrNotFound = errors.New("not found")
