package flolive

import "encoding/json"

// The wire types. Field order is the document's: encoding/json writes
// struct fields in declaration order, so the ACK reads exactly like the
// document's example. The struct tags other than json feed the OpenAPI
// document (see rest/openapi).

// uuidPattern is the syntax of a customer id and of a request id: any
// version, either case (RFC 9562 makes UUIDs case-insensitive on input).
const uuidPattern = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`

// MoveRequest is the body of PUT /api/v2/subscriber/{type}/{value}/move.
type MoveRequest struct {
	TargetCustomerID string `json:"targetCustomerId" pattern:"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" doc:"The UUID of the customer (account) the subscriber moves to: the requester's own account or one of its level-1 sub-accounts." example:"dd64dca6-8e7f-4b85-a42b-13860913bb5a"`
}

// BulkMoveRequest is the body of PUT /api/v2/bulk/subscriber/move.
type BulkMoveRequest struct {
	Items []BulkMoveItem `json:"items" minItems:"1" maxItems:"200" doc:"1 to 200 moves, each checked on its own."`
}

// BulkMoveItem is one move of a bulk request. Its fields are checked one
// by one so that a bad item is refused on its own, not the whole request:
// hence no patterns here.
type BulkMoveItem struct {
	Type             string `json:"type" doc:"imsi, iccid, msisdn or imei" example:"iccid"`
	Value            string `json:"value" doc:"The subscriber's identifier of that type (digits)." example:"8997201000000000004"`
	TargetCustomerID string `json:"targetCustomerId" doc:"UUID of the target customer." example:"dd64dca6-8e7f-4b85-a42b-13860913bb5a"`
}

// Pageable is the paging block of every successful answer. The answers
// hold one element, so it always reads page 0 of 1.
type Pageable struct {
	Page          int `json:"page" doc:"Page number, from 0."`
	Size          int `json:"size" doc:"Page size: number of requested elements per page."`
	TotalPages    int `json:"totalPages" doc:"Total amount of available pages per requested page size."`
	TotalElements int `json:"totalElements" doc:"Total amount of retrieved elements."`
}

// defaultPageSize is what the document's ACK shows.
const defaultPageSize = 10

func pageOf(n int) Pageable {
	return Pageable{Page: 0, Size: defaultPageSize, TotalPages: 1, TotalElements: n}
}

// Page is the envelope of a successful answer: empty errorCode and
// errorMessage, content an array.
type Page[T any] struct {
	ErrorCode    string   `json:"errorCode" doc:"Empty on success; SUBSCRIBER_1023 when a bulk move accepted no item."`
	ErrorMessage string   `json:"errorMessage" doc:"Empty on success; Failed to move subscriber when a bulk move accepted no item."`
	Content      []T      `json:"content"`
	Pageable     Pageable `json:"pageable"`
}

// NAK is the envelope of a refusal: content is the empty string and
// pageable null, as in the document (whose example's stray quote after the
// message is not reproduced: the answer is valid JSON).
type NAK struct {
	ErrorCode    string `json:"errorCode" doc:"The failure code; see the API description for the table." example:"CUSTOMER_1008"`
	ErrorMessage string `json:"errorMessage" doc:"The failure message." example:"Failed to find target customer"`
	Content      string `json:"content" enum:"" doc:"Always empty for a failure."`
	Pageable     null   `json:"pageable" doc:"Always null for a failure."`
}

// null encodes as JSON null and is described as such.
type null struct{}

// MarshalJSON implements json.Marshaler.
func (null) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// JSONSchema implements openapi.Schemer.
func (null) JSONSchema() map[string]any { return map[string]any{"type": "null"} }

var _ json.Marshaler = null{}

// Accepted is the content of an ACK.
type Accepted struct {
	RequestID string `json:"requestId" pattern:"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" doc:"Request instance id: poll GET /api/v2/global/call/{requestId} for the outcome."`
}

// Call statuses of GET /api/v2/global/call/{requestId}.
const (
	StatusOpen          = "OPEN"           // stored, not yet executed
	StatusSuccess       = "SUCCESS"        // every move done
	StatusFailure       = "FAILURE"        // at least one move refused when it ran
	StatusInternalError = "INTERNAL_ERROR" // at least one move failed on simgate's side
)

// CallStatus is the content of GET /api/v2/global/call/{requestId}.
type CallStatus struct {
	Status       string      `json:"status" enum:"OPEN,SUCCESS,FAILURE,INTERNAL_ERROR" doc:"OPEN: in progress; SUCCESS: done; FAILURE: refused when it ran; INTERNAL_ERROR: failed on simgate's side."`
	ErrorCode    string      `json:"errorCode,omitempty" doc:"For FAILURE: SUBSCRIBER_1023; for INTERNAL_ERROR: GLOBAL_1001."`
	ErrorMessage string      `json:"errorMessage,omitempty"`
	Failures     []ItemError `json:"failures,omitempty" doc:"The moves that failed when they ran, by their index in the request (0 for a single move)."`
}

// ItemError is one move of a request that was refused (bulk, at submit)
// or that failed (GET global/call, at execution).
type ItemError struct {
	Index        int    `json:"index" doc:"Position of the move in the request's items, from 0."`
	Type         string `json:"type"`
	Value        string `json:"value"`
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

// BulkResult is the content of the answer to a bulk move.
type BulkResult struct {
	RequestID string      `json:"requestId,omitempty" doc:"Present when at least one move was accepted: one request for all of them."`
	Accepted  int         `json:"accepted" doc:"How many moves were accepted."`
	Refused   []ItemError `json:"refused" doc:"The moves refused at once, in request order."`
}

// Subscriber statuses, as this API spells them.
const (
	SubscriberPending   = "PENDING"
	SubscriberActive    = "ACTIVE"
	SubscriberSuspended = "SUSPENDED"
	SubscriberCeased    = "CEASED"
)

// Subscriber is the content of GET /api/v2/subscriber/{type}/{value}.
type Subscriber struct {
	CustomerID string `json:"customerId" doc:"The customer the requester sees the subscriber in: where it is, down to level 1; the level-1 sub-account it was allocated through when it is deeper."`
	Status     string `json:"status" enum:"PENDING,ACTIVE,SUSPENDED,CEASED"`
	IMSI       string `json:"imsi,omitempty"`
	ICCID      string `json:"iccid,omitempty"`
	MSISDN     string `json:"msisdn,omitempty"`
	IMEI       string `json:"imei,omitempty"`
}
