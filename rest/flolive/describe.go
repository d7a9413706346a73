package flolive

import (
	"net/http"

	"simgate/rest/openapi"
)

// SecurityScheme is the name of this API's scheme in the OpenAPI
// document. It is its own rather than a shared "bearer": the key is the
// enterprise's, and two front ends declaring one name with different
// descriptions would overwrite each other.
const SecurityScheme = "floliveApiKey"

const codeTable = "Refusals are the NAK `{\"errorCode\",\"errorMessage\",\"content\":\"\",\"pageable\":null}`:\n\n" +
	"| code | HTTP | message |\n|---|---|---|\n" +
	"| GLOBAL_1001 | 503 | Service unavailable. Please try again |\n" +
	"| GLOBAL_1003 | 404 | Provided request ID does not exist for your account |\n" +
	"| CUSTOMER_1008 | 404 | Failed to find target customer (outside the requester's tree, below level 1, or not eligible) |\n" +
	"| SUBSCRIBER_1002 | 404 | Subscriber does not exist |\n" +
	"| SUBSCRIBER_1023 | 422 | Failed to move subscriber |\n" +
	"| AUTH_1001 | 401 | Missing or invalid API key |\n" +
	"| RATE_1001 | 429 | Too many requests, retry later (over the partner's request rate; Retry-After: seconds) |\n" +
	"| METHOD_1001 | 405 | Method not allowed (a method the path does not serve; Allow: the methods it does) |\n" +
	"| VALIDATION_1001 | 400 | Invalid subscriber type (imsi, iccid, msisdn, imei) |\n" +
	"| VALIDATION_1002 | 400 | Invalid subscriber value (imsi 6-15, iccid 18-20, msisdn 7-15, imei 14-16 digits) |\n" +
	"| VALIDATION_1003 | 400 | targetCustomerId is required and must be a UUID |\n" +
	"| VALIDATION_1004 | 400 | Request body is required |\n" +
	"| VALIDATION_1005 | 400 | Malformed request body (not JSON, unknown field, duplicate key, wrong type, trailing data) |\n" +
	"| VALIDATION_1006 | 413 | Request body is too large (1 MiB) |\n" +
	"| VALIDATION_1007 | 400 | items must hold 1 to 200 moves |\n" +
	"| VALIDATION_1008 | 400 | requestId must be a UUID |\n" +
	"| VALIDATION_1009 | (bulk item) | Subscriber is already moved by an earlier item of this request |\n" +
	"| VALIDATION_1010 | 415 | Unsupported media type: Content-Type must be application/json (a body without Content-Type is read as JSON) |\n" +
	"| VALIDATION_1011 | 400 | Idempotency-Key must be 1 to 255 printable ASCII characters, sent once |\n" +
	"| IDEMPOTENCY_1001 | 409 | Idempotency-Key was already used with a different request |\n"

const idempotency = "With an Idempotency-Key, a request retried with the same key and the same moves answers the first request's " +
	"answer again, byte for byte (the same requestId), even after the moves have run; the same key with other moves is " +
	"IDEMPOTENCY_1001 (409) and changes nothing. Keys are the partner's own and name one request per endpoint; a request " +
	"refused outright stores nothing, so its key stays free. Without the header every request is a new one."

const eligibility = "Eligibility (level 0 is the requester's own account): from the own account to one of its level-1 sub-accounts; " +
	"from a level-1 sub-account to another; back to the own account from any depth. A subscriber below level 1 is seen in the " +
	"level-1 sub-account it was allocated through. Anything else is CUSTOMER_1008."

// Describe adds the endpoints to the OpenAPI document.
func Describe(d *openapi.Doc) {
	d.AddSecurityScheme(SecurityScheme, map[string]any{
		"type": "http", "scheme": "bearer",
		"description": "The enterprise's floLIVE API key: `Authorization: Bearer <key>`.",
	})
	tags := []string{"floLIVE"}
	sec := []string{SecurityScheme}
	nak := func(status int, why string) openapi.Response {
		r := openapi.Response{Status: status, Description: why, Body: NAK{}}
		switch status {
		case http.StatusUnauthorized:
			r.Headers = map[string]string{"WWW-Authenticate": `Bearer realm="simgate"`}
		case http.StatusTooManyRequests:
			r.Headers = map[string]string{"Retry-After": "Seconds to wait before retrying."}
		}
		return r
	}
	typeParam := openapi.Param{Name: "type", In: "path", Description: "Which identifier {value} is.",
		Schema: map[string]any{"type": "string", "enum": []any{"imsi", "iccid", "msisdn", "imei"}}}
	valueParam := openapi.Param{Name: "value", In: "path", Description: "The identifier: digits (imsi 6-15, iccid 18-20, msisdn 7-15, imei 14-16).",
		Schema: map[string]any{"type": "string", "pattern": "^[0-9]{6,20}$"}}
	keyParam := openapi.Param{Name: HeaderIdempotencyKey, In: "header",
		Description: "Optional: the partner's key for this request, to retry it safely (IETF httpapi Idempotency-Key). " +
			"1 to 255 printable ASCII characters (0x21-0x7E), sent once; otherwise VALIDATION_1011.",
		Schema: map[string]any{"type": "string", "minLength": 1, "maxLength": maxIdempotencyKey, "pattern": "^[!-~]+$"}}
	reused := nak(http.StatusConflict, "IDEMPOTENCY_1001: the Idempotency-Key was used before with other moves; nothing changed.")
	unauthorized := nak(http.StatusUnauthorized, "AUTH_1001: missing or invalid API key.")
	unavailable := nak(http.StatusServiceUnavailable, "GLOBAL_1001: temporarily unavailable; retry.")
	tooMany := nak(http.StatusTooManyRequests, "RATE_1001: over the partner's request rate; retry after the Retry-After header's seconds.")

	d.Add(openapi.Op{
		Method: http.MethodPut, Path: PathMove, OperationID: "floliveMoveSubscriber", Tags: tags, Security: sec,
		Summary: "Move a subscriber to another account of the requester's hierarchy (asynchronous)",
		Description: "The move is checked for eligibility at once and refused with a NAK if it is not eligible; " +
			"otherwise it is stored and the ACK carries the requestId to poll with GET /api/v2/global/call/{requestId}. " +
			eligibility + "\n\n" + idempotency + "\n\n" + codeTable,
		Params:  []openapi.Param{typeParam, valueParam, keyParam},
		Request: MoveRequest{},
		Responses: []openapi.Response{
			{Status: http.StatusOK, Description: "ACK: the move is stored and will run.", Body: Page[Accepted]{}},
			nak(http.StatusBadRequest, "VALIDATION_1001 to VALIDATION_1005, VALIDATION_1011: the request is malformed."),
			unauthorized,
			nak(http.StatusNotFound, "SUBSCRIBER_1002 or CUSTOMER_1008: no such subscriber, or the target is not eligible."),
			reused,
			nak(http.StatusRequestEntityTooLarge, "VALIDATION_1006: body over 1 MiB."),
			nak(http.StatusUnsupportedMediaType, "VALIDATION_1010: the Content-Type is not application/json or application/*+json (a body without one is read as JSON)."),
			nak(http.StatusUnprocessableEntity, "SUBSCRIBER_1023: the move is refused."),
			tooMany,
			unavailable,
		},
	})
	d.Add(openapi.Op{
		Method: http.MethodPut, Path: PathBulkMove, OperationID: "floliveBulkMoveSubscribers", Tags: tags, Security: sec,
		Summary: "Move up to 200 subscribers, each checked on its own (asynchronous)",
		Description: "Each item is checked like a single move. The accepted items become one request (one requestId); " +
			"the refused ones are listed with their index (from 0) and code. With no item accepted the answer is 422 with " +
			"errorCode SUBSCRIBER_1023 and the same list. " + eligibility + "\n\n" + idempotency + "\n\n" + codeTable,
		Params:  []openapi.Param{keyParam},
		Request: BulkMoveRequest{},
		Responses: []openapi.Response{
			{Status: http.StatusOK, Description: "At least one move accepted: requestId, and the refused items.", Body: Page[BulkResult]{}},
			nak(http.StatusBadRequest, "VALIDATION_1004, VALIDATION_1005, VALIDATION_1007 or VALIDATION_1011: the request is malformed."),
			unauthorized,
			reused,
			nak(http.StatusRequestEntityTooLarge, "VALIDATION_1006: body over 1 MiB."),
			nak(http.StatusUnsupportedMediaType, "VALIDATION_1010: the Content-Type is not application/json or application/*+json (a body without one is read as JSON)."),
			{Status: http.StatusUnprocessableEntity, Description: "SUBSCRIBER_1023: no move accepted; content lists every refused item.", Body: Page[BulkResult]{}},
			tooMany,
			unavailable,
		},
	})
	d.Add(openapi.Op{
		Method: http.MethodGet, Path: PathCall, OperationID: "floliveGetCallStatus", Tags: tags, Security: sec,
		Summary: "Status of a move request",
		Description: "OPEN until the request has run, then SUCCESS, FAILURE (a move was refused when it ran: SUBSCRIBER_1023) " +
			"or INTERNAL_ERROR (GLOBAL_1001). failures lists the moves that did not happen.\n\n" + codeTable,
		Params: []openapi.Param{{Name: "requestId", In: "path", Description: "The requestId of an ACK.",
			Schema: map[string]any{"type": "string", "pattern": uuidPattern}}},
		Responses: []openapi.Response{
			{Status: http.StatusOK, Description: "The request's status.", Body: Page[CallStatus]{}},
			nak(http.StatusBadRequest, "VALIDATION_1008: requestId is not a UUID."),
			unauthorized,
			nak(http.StatusNotFound, "GLOBAL_1003: no such request for this account."),
			tooMany,
			unavailable,
		},
	})
	d.Add(openapi.Op{
		Method: http.MethodGet, Path: PathSubscriber, OperationID: "floliveGetSubscriber", Tags: tags, Security: sec,
		Summary:     "A subscriber as the requester sees it",
		Description: "customerId is the account the requester sees the subscriber in (its level-1 sub-account when it is deeper).\n\n" + codeTable,
		Params:      []openapi.Param{typeParam, valueParam},
		Responses: []openapi.Response{
			{Status: http.StatusOK, Description: "The subscriber.", Body: Page[Subscriber]{}},
			nak(http.StatusBadRequest, "VALIDATION_1001 or VALIDATION_1002: bad {type} or {value}."),
			unauthorized,
			nak(http.StatusNotFound, "SUBSCRIBER_1002: no such subscriber."),
			tooMany,
			unavailable,
		},
	})
}
