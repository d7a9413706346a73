package mvnx

import (
	"net/http"

	"simgate/rest/openapi"
)

// Describe adds the endpoint to the OpenAPI document.
func Describe(d *openapi.Doc) {
	refused := func(status int, why string) openapi.Response {
		return openapi.Response{Status: status, Description: why + `: RequestAcknowledgement.Response.code names the reason (not "0").`, Body: Ack{}}
	}
	d.Add(openapi.Op{
		Method: http.MethodPost, Path: Path, OperationID: "activateSubscriberReseller",
		Tags:    []string{"AT&T MVNX"},
		Summary: "Activate one or more subscribers of a reseller (asynchronous)",
		Description: "Authenticated by MessageHeader.SecurityMessageHeader. The request is stored before it is acknowledged; " +
			"each SubscriberReseller is then activated and its outcome POSTed to TrackingMessageHeader.returnURL as a ResponseMessage " +
			"(SequenceMessageHeader i of n, signed per Standard Webhooks). The partner answers each with an Ack whose code is \"0\". " +
			"messageId is an idempotency key per reseller: the same request replays the first acknowledgement.",
		Request: ActivateRequest{},
		Responses: []openapi.Response{
			{Status: http.StatusOK, Description: `Stored for processing: code "0", description "Success".`, Body: Ack{}},
			refused(http.StatusBadRequest, "Malformed request (every problem listed with its field path)"),
			refused(http.StatusUnauthorized, "Wrong userName / userPassword"),
			refused(http.StatusRequestEntityTooLarge, "Body over 1 MiB"),
			refused(http.StatusUnsupportedMediaType, "Content-Type present and not JSON (application/json or application/*+json; a body without Content-Type is read as JSON): code UNSUPPORTED_MEDIA_TYPE"),
			refused(http.StatusUnprocessableEntity, "messageId already used with another request"),
			{Status: http.StatusTooManyRequests, Description: `Over the reseller's request rate, or too many failed logins for this userName or from this address: code "RATE_LIMITED"; retry after the Retry-After header's seconds.`,
				Body: Ack{}, Headers: map[string]string{"Retry-After": "Seconds to wait before retrying."}},
			refused(http.StatusServiceUnavailable, "Temporarily unavailable; retry with the same messageId"),
		},
	})
}
