package tmf

import (
	"net/http"
	"strconv"
	"strings"

	"simgate/core"
	"simgate/rest/openapi"
)

// Describe adds the API to the OpenAPI document.
func Describe(d *openapi.Doc) {
	d.AddSecurityScheme("bearer", map[string]any{"type": "http", "scheme": "bearer", "description": "The partner's API key."})
	tags := []string{"TMF622 Product Ordering"}
	sec := []string{"bearer"}
	idParam := openapi.Param{Name: "id", In: "path", Required: true, Schema: map[string]any{"type": "string", "minLength": 1}}
	fields := openapi.Param{Name: "fields", In: "query", Description: "Comma-separated attributes to answer (id and href always are)."}
	paging := []openapi.Param{
		{Name: "offset", In: "query", Description: "Items to skip.", Schema: map[string]any{"type": "integer", "minimum": 0}},
		{Name: "limit", In: "query", Description: "Items to answer, default 100.", Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": MaxLimit}},
	}
	counts := map[string]string{"X-Total-Count": "Items matching the filters.", "X-Result-Count": "Items in this answer."}
	errs := func(statuses ...int) []openapi.Response {
		var out []openapi.Response
		for _, s := range statuses {
			out = append(out, openapi.Response{Status: s, Description: http.StatusText(s) + ": a TMF Error.", Body: Error{}})
		}
		return out
	}
	common := []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusInternalServerError}
	with := func(extra ...int) []int { return append(append([]int(nil), common...), extra...) }
	location := map[string]string{"Location": "The href of the new resource."}

	d.Add(openapi.Op{
		Method: http.MethodPost, Path: PathOrders, OperationID: "createProductOrder", Tags: tags, Security: sec,
		Summary: "Create a product order (asynchronous)",
		Description: "Items: add activates a mobile line (product.productCharacteristic ICCID, MSISDN or none for a number of the market's pool, IMEI, plan, market); " +
			"modify suspends or resumes (status suspended or active) and delete ceases the subscription named by product.id or an ICCID or MSISDN characteristic. " +
			"The order is acknowledged at once and moves to inProgress, then completed, failed or partial; failed items are explained in the order's notes. " +
			"At most 100 items. Attributes not listed are refused, but for @type, @baseType and @schemaLocation. " +
			"Nothing is scheduled: a requestedStartDate more than 5 minutes ahead is refused (REQUESTED_START_NOT_SUPPORTED).",
		Request: ProductOrderCreate{},
		Responses: append([]openapi.Response{{Status: http.StatusCreated, Description: "The acknowledged order.", Body: ProductOrder{}, Headers: location}},
			errs(with(http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)...)...),
	})
	d.Add(openapi.Op{
		Method: http.MethodGet, Path: PathOrders, OperationID: "listProductOrder", Tags: tags, Security: sec,
		Summary: "List the partner's product orders, oldest first",
		Description: "Every attribute, or with fields= id, href and those named. Without filters (id, state, orderDate, externalId) a list " +
			"reads only its page and counts at most " + strconv.Itoa(core.MaxOrderKeys) + " orders; a filtered list walks at most " + strconv.Itoa(core.MaxOrderScan) +
			" of the partner's orders. Past either it answers 400 TOO_MANY_ORDERS (read orders by id).",
		Params: append([]openapi.Param{fields,
			{Name: "id", In: "query"}, {Name: "state", In: "query", Schema: map[string]any{"type": "string", "enum": anyOf(orderStates)}},
			{Name: "orderDate", In: "query", Description: "Exact orderDate, as answered."}, {Name: "externalId", In: "query"}}, paging...),
		Responses: append([]openapi.Response{{Status: http.StatusOK, Description: "The page of orders.", Body: []ProductOrderProjection(nil), Headers: counts}}, errs(common...)...),
	})
	d.Add(openapi.Op{
		Method: http.MethodGet, Path: PathOrder, OperationID: "retrieveProductOrder", Tags: tags, Security: sec,
		Summary: "Read a product order", Params: []openapi.Param{idParam, fields},
		Responses: append([]openapi.Response{{Status: http.StatusOK, Description: "Every attribute, or with fields= id, href and those named.", Body: ProductOrderProjection{}}}, errs(with(http.StatusNotFound)...)...),
	})
	d.Add(openapi.Op{
		Method: http.MethodPatch, Path: PathOrder, OperationID: "patchProductOrder", Tags: tags, Security: sec,
		Summary:      "Change the descriptive attributes of a product order (JSON merge patch)",
		Description:  "Patchable: " + strings.Join(patchable, ", ") + ". null removes an attribute. Not for a cancelled order.",
		Params:       []openapi.Param{idParam},
		Request:      ProductOrderPatch{},
		RequestTypes: []string{MergePatch, "application/json"},
		Responses: append([]openapi.Response{{Status: http.StatusOK, Body: ProductOrder{}}},
			errs(with(http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)...)...),
	})
	d.Add(openapi.Op{
		Method: http.MethodDelete, Path: PathOrder, OperationID: "deleteProductOrder", Tags: tags, Security: sec,
		Summary:     "Delete a finished product order",
		Description: "Only a completed, failed, partial or cancelled order. It then reads as absent on this API; its record and its lines stay.",
		Params:      []openapi.Param{idParam},
		Responses:   append([]openapi.Response{{Status: http.StatusNoContent}}, errs(with(http.StatusNotFound, http.StatusConflict)...)...),
	})
	d.Add(openapi.Op{
		Method: http.MethodPost, Path: PathCancels, OperationID: "createCancelProductOrder", Tags: tags, Security: sec,
		Summary:     "Cancel a product order",
		Description: "Only an acknowledged order (no item started); it is then cancelled at once (state done).",
		Request:     CancelProductOrderCreate{},
		Responses: append([]openapi.Response{{Status: http.StatusCreated, Body: CancelProductOrder{}, Headers: location}},
			errs(with(http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)...)...),
	})
	d.Add(openapi.Op{
		Method: http.MethodGet, Path: PathCancels, OperationID: "listCancelProductOrder", Tags: tags, Security: sec,
		Summary:   "List the partner's order cancellations",
		Params:    append([]openapi.Param{fields, {Name: "id", In: "query"}}, paging...),
		Responses: append([]openapi.Response{{Status: http.StatusOK, Body: []CancelProductOrderProjection(nil), Headers: counts}}, errs(common...)...),
	})
	d.Add(openapi.Op{
		Method: http.MethodGet, Path: PathCancel, OperationID: "retrieveCancelProductOrder", Tags: tags, Security: sec,
		Summary: "Read an order cancellation", Params: []openapi.Param{idParam, fields},
		Responses: append([]openapi.Response{{Status: http.StatusOK, Body: CancelProductOrderProjection{}}}, errs(with(http.StatusNotFound)...)...),
	})
	d.Add(openapi.Op{
		Method: http.MethodPost, Path: PathHubs, OperationID: "registerListener", Tags: tags, Security: sec,
		Summary: "Register a listener of order events",
		Description: "Events (" + strings.Join(EventTypes, ", ") + ") are POSTed, signed (Standard Webhooks) and retried, to {callback}/listener/<event name> " +
			"(e.g. /listener/productOrderCreateEvent). query: empty for every event, or eventType=<type>[,<type>...].",
		Request: HubInput{},
		Responses: append([]openapi.Response{{Status: http.StatusCreated, Body: Hub{}, Headers: location}},
			errs(with(http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)...)...),
	})
	d.Add(openapi.Op{
		Method: http.MethodDelete, Path: PathHub, OperationID: "unregisterListener", Tags: tags, Security: sec,
		Summary: "Unregister a listener", Params: []openapi.Param{idParam},
		Responses: append([]openapi.Response{{Status: http.StatusNoContent}}, errs(with(http.StatusNotFound)...)...),
	})
}

func anyOf(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
