package sps

import (
	"net/http"

	"simgate/rest/openapi"
)

// Describe adds the API to the OpenAPI document.
func Describe(d *openapi.Doc) {
	d.AddSecurityScheme("bearer", map[string]any{"type": "http", "scheme": "bearer", "description": "The wholesale customer's API key."})
	headers := []openapi.Param{
		{Name: HeaderCorrelationID, In: "header", Description: "1 to 64 printable characters; generated when absent; echoed on the answer, the notification and every log line."},
		{Name: HeaderCustomerID, In: "header", Description: "A node of the caller's hierarchy (a brand); default the caller's own node. Any other node is answered as not found.",
			Schema: map[string]any{"type": "string", "minLength": 1, "maxLength": 12}},
	}
	echoed := map[string]string{HeaderCorrelationID: "The correlation id of the request."}
	tooMany := openapi.Response{Status: http.StatusTooManyRequests,
		Description: "RATE_LIMITED: over the customer's request rate; retry after the Retry-After header's seconds.", Body: Failure{},
		Headers: map[string]string{HeaderCorrelationID: echoed[HeaderCorrelationID], "Retry-After": "Seconds to wait before retrying."}}
	// A body whose Content-Type is present and not JSON; none is read as JSON.
	mediaType := openapi.Response{Status: http.StatusUnsupportedMediaType, Description: "UNSUPPORTED_MEDIA_TYPE: the Content-Type is not application/json or application/*+json (a body without one is read as JSON).", Body: Failure{}, Headers: echoed}
	failures := func(statuses ...int) []openapi.Response {
		out := []openapi.Response{{Status: http.StatusOK, Description: `Accepted: {"status":"Success"}; the outcome follows as a notification and through the transaction query.`, Body: Ack{}, Headers: echoed}}
		for _, s := range statuses {
			switch s {
			case http.StatusTooManyRequests:
				out = append(out, tooMany)
				continue
			case http.StatusUnsupportedMediaType:
				out = append(out, mediaType)
				continue
			}
			out = append(out, openapi.Response{Status: s, Description: http.StatusText(s) + ": every problem with its code, field and message.", Body: Failure{}, Headers: echoed})
		}
		return out
	}
	common := []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusTooManyRequests, http.StatusInternalServerError}
	tags := []string{"Wholesale Subscription (SPS)"}
	d.Add(openapi.Op{
		Method: http.MethodPost, Path: PathActivate, OperationID: "activateSubscription", Tags: tags, Security: []string{"bearer"}, Params: headers,
		Summary:     "Activate a subscription (asynchronous)",
		Description: "gpsi with gpsiReservationId takes that reservation; gpsi alone must be available; neither takes a number of the customer's pool. The ICCID must be an available SIM of the customer; eid activates a BYOD eSIM. partnerTransactionId is an idempotency key per customer and operation.",
		Request:     ActivateRequest{}, Responses: failures(common...),
	})
	d.Add(openapi.Op{
		Method: http.MethodPost, Path: PathStatus, OperationID: "updateSubscriptionStatus", Tags: tags, Security: []string{"bearer"}, Params: headers,
		Summary:     "Suspend, resume, cease or reactivate a subscription (asynchronous)",
		Description: "Identified by iccid or gpsi (a string or a number). Suspend: Active to Suspended; Resume: Suspended to Active; Cease: Active or Suspended to Ceased; Reactivate: Ceased to Active within the grace period while the number has not been reused.",
		Request:     StatusRequest{}, Responses: failures(common...),
	})
	d.Add(openapi.Op{
		Method: http.MethodGet, Path: PathTransaction, OperationID: "queryTransactionStatus", Tags: tags, Security: []string{"bearer"},
		Params:  append([]openapi.Param{{Name: "partnerTransactionId", In: "path", Required: true, Schema: map[string]any{"type": "string", "minLength": 1, "maxLength": 36}}}, headers...),
		Summary: "The latest transaction under a partnerTransactionId",
		Responses: []openapi.Response{
			{Status: http.StatusOK, Description: "InProgress, Success or Failed, with timestamps and, when failed, the errors.", Body: TransactionStatus{}, Headers: echoed},
			{Status: http.StatusBadRequest, Body: Failure{}, Headers: echoed},
			{Status: http.StatusUnauthorized, Body: Failure{}, Headers: echoed},
			{Status: http.StatusNotFound, Description: "No such transaction for this customer.", Body: Failure{}, Headers: echoed},
			tooMany,
		},
	})
	d.Add(openapi.Op{
		Method: http.MethodPut, Path: PathCallback, OperationID: "setCallback", Tags: tags, Security: []string{"bearer"}, Params: headers,
		Summary: "Set the callback URL of notifications (the developer-hub setting)",
		Request: CallbackSetting{},
		Responses: []openapi.Response{
			{Status: http.StatusOK, Description: "The setting and the signing secret's id; the secret itself the first time only.", Body: CallbackAnswer{}, Headers: echoed},
			{Status: http.StatusBadRequest, Body: Failure{}, Headers: echoed},
			{Status: http.StatusUnauthorized, Body: Failure{}, Headers: echoed},
			mediaType,
			tooMany,
		},
	})
	d.Add(openapi.Op{
		Method: http.MethodGet, Path: PathCallback, OperationID: "getCallback", Tags: tags, Security: []string{"bearer"}, Params: headers,
		Summary: "Read the callback URL setting",
		Responses: []openapi.Response{
			{Status: http.StatusOK, Description: "The setting and the signing secret's id.", Body: CallbackAnswer{}, Headers: echoed},
			{Status: http.StatusUnauthorized, Body: Failure{}, Headers: echoed},
			tooMany,
		},
	})
}
