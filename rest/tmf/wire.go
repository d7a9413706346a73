package tmf

import (
	"bytes"
	"encoding/json"
	"errors"
)

// The TMF622 v4 resources simgate serves, with the subset of the
// specification's attributes it accepts. The API is closed: an attribute
// that is not here is refused (400) rather than silently dropped, except
// the specification's extension markers @type, @baseType and
// @schemaLocation, which are accepted everywhere and echoed as given.

// Ext are the TMF extension markers.
type Ext struct {
	Type           string `json:"@type,omitempty" maxLength:"128"`
	BaseType       string `json:"@baseType,omitempty" maxLength:"128"`
	SchemaLocation string `json:"@schemaLocation,omitempty" maxLength:"1024"`
}

// Ref refers to another entity (a product offering, an order).
type Ref struct {
	ID           string `json:"id" minLength:"1" maxLength:"128"`
	Href         string `json:"href,omitempty" maxLength:"1024"`
	Name         string `json:"name,omitempty" maxLength:"256"`
	ReferredType string `json:"@referredType,omitempty" maxLength:"128"`
	Ext
}

// RelatedParty is a party of the order (the customer, the seller...).
type RelatedParty struct {
	ID           string `json:"id" minLength:"1" maxLength:"128"`
	Href         string `json:"href,omitempty" maxLength:"1024"`
	Name         string `json:"name,omitempty" maxLength:"256"`
	Role         string `json:"role,omitempty" maxLength:"128"`
	ReferredType string `json:"@referredType" maxLength:"128"`
	Ext
}

// Note is a free text of the order. simgate writes one per failed item,
// with the item's error.
type Note struct {
	ID     string `json:"id,omitempty" maxLength:"128"`
	Author string `json:"author,omitempty" maxLength:"256"`
	Date   string `json:"date,omitempty" maxLength:"64"`
	Text   string `json:"text" maxLength:"4096"`
	Ext
}

// Value is a characteristic's value: a JSON string, number or boolean,
// kept as sent.
type Value struct{ raw json.RawMessage }

// UnmarshalJSON takes a string, a number or a boolean.
func (v *Value) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] == '{' || t[0] == '[' || bytes.Equal(t, []byte("null")) {
		return errors.New("must be a string, a number or a boolean")
	}
	v.raw = append(json.RawMessage(nil), t...)
	return nil
}

// MarshalJSON writes the value as it was sent.
func (v Value) MarshalJSON() ([]byte, error) {
	if len(v.raw) == 0 {
		return []byte(`""`), nil
	}
	return v.raw, nil
}

// String answers a string value, or the text of a number or boolean.
func (v Value) String() string {
	var s string
	if json.Unmarshal(v.raw, &s) == nil {
		return s
	}
	return string(v.raw)
}

// StringValue makes a Value of s.
func StringValue(s string) Value {
	b, _ := json.Marshal(s)
	return Value{raw: b}
}

// JSONSchema states the accepted forms.
func (Value) JSONSchema() map[string]any {
	return map[string]any{"type": []any{"string", "number", "boolean"}}
}

// Characteristic is a name and value of the ordered product: ICCID,
// MSISDN, IMEI, plan, market, status.
type Characteristic struct {
	Name      string `json:"name" minLength:"1" maxLength:"64"`
	ValueType string `json:"valueType,omitempty" maxLength:"64"`
	Value     Value  `json:"value"`
	Ext
}

// Product is the product an item adds, modifies or deletes: for modify
// and delete, id names the subscription (or a characteristic does).
type Product struct {
	ID                    string           `json:"id,omitempty" maxLength:"128"`
	Href                  string           `json:"href,omitempty" maxLength:"1024"`
	Name                  string           `json:"name,omitempty" maxLength:"256"`
	Status                string           `json:"status,omitempty" enum:"created,pendingActive,cancelled,active,pendingTerminate,suspended,aborted,terminated"`
	ProductCharacteristic []Characteristic `json:"productCharacteristic,omitempty" maxItems:"20"`
	ReferredType          string           `json:"@referredType,omitempty" maxLength:"128"`
	Ext
}

// Item is one line of the order.
type Item struct {
	ID              string   `json:"id" minLength:"1" maxLength:"64"`
	Action          string   `json:"action" enum:"add,modify,delete,noChange"`
	Quantity        *int     `json:"quantity,omitempty" minimum:"1" maximum:"1"`
	ProductOffering *Ref     `json:"productOffering,omitempty"`
	Product         *Product `json:"product,omitempty"`
	State           string   `json:"state,omitempty" enum:"acknowledged,inProgress,completed,failed,cancelled" doc:"read only"`
	Ext
}

// ProductOrderCreate is the body of POST /productOrder.
type ProductOrderCreate struct {
	Category                string         `json:"category,omitempty" maxLength:"256"`
	Description             string         `json:"description,omitempty" maxLength:"4096"`
	ExternalID              string         `json:"externalId,omitempty" maxLength:"128"`
	NotificationContact     string         `json:"notificationContact,omitempty" maxLength:"256"`
	Priority                string         `json:"priority,omitempty" enum:"0,1,2,3,4"`
	RequestedCompletionDate string         `json:"requestedCompletionDate,omitempty" doc:"date-time"`
	RequestedStartDate      string         `json:"requestedStartDate,omitempty" doc:"date-time"`
	Note                    []Note         `json:"note,omitempty" maxItems:"20"`
	ProductOrderItem        []Item         `json:"productOrderItem" minItems:"1" maxItems:"100"`
	RelatedParty            []RelatedParty `json:"relatedParty,omitempty" maxItems:"20"`
	Ext
}

// ProductOrder is an order as simgate answers it.
type ProductOrder struct {
	ID                      string         `json:"id"`
	Href                    string         `json:"href"`
	CancellationDate        string         `json:"cancellationDate,omitempty"`
	CancellationReason      string         `json:"cancellationReason,omitempty"`
	Category                string         `json:"category,omitempty"`
	CompletionDate          string         `json:"completionDate,omitempty"`
	Description             string         `json:"description,omitempty"`
	ExternalID              string         `json:"externalId,omitempty"`
	NotificationContact     string         `json:"notificationContact,omitempty"`
	OrderDate               string         `json:"orderDate"`
	Priority                string         `json:"priority,omitempty"`
	RequestedCompletionDate string         `json:"requestedCompletionDate,omitempty"`
	RequestedStartDate      string         `json:"requestedStartDate,omitempty"`
	Note                    []Note         `json:"note,omitempty"`
	ProductOrderItem        []Item         `json:"productOrderItem"`
	RelatedParty            []RelatedParty `json:"relatedParty"`
	State                   string         `json:"state" enum:"acknowledged,inProgress,completed,failed,partial,cancelled"`
	Ext
}

// ProductOrderPatch is the body of PATCH /productOrder/{id} (JSON merge
// patch): the descriptive attributes of the order. null removes one.
// Items, state and dates simgate keeps are not patchable.
type ProductOrderPatch struct {
	Category                json.RawMessage `json:"category,omitempty"`
	Description             json.RawMessage `json:"description,omitempty"`
	ExternalID              json.RawMessage `json:"externalId,omitempty"`
	NotificationContact     json.RawMessage `json:"notificationContact,omitempty"`
	Priority                json.RawMessage `json:"priority,omitempty"`
	RequestedCompletionDate json.RawMessage `json:"requestedCompletionDate,omitempty"`
	RequestedStartDate      json.RawMessage `json:"requestedStartDate,omitempty"`
	Note                    json.RawMessage `json:"note,omitempty"`
	RelatedParty            json.RawMessage `json:"relatedParty,omitempty"`
	Type                    json.RawMessage `json:"@type,omitempty"`
	BaseType                json.RawMessage `json:"@baseType,omitempty"`
	SchemaLocation          json.RawMessage `json:"@schemaLocation,omitempty"`
}

// JSONSchema describes the patch: the patchable attributes, each nullable.
func (ProductOrderPatch) JSONSchema() map[string]any {
	str := map[string]any{"type": []any{"string", "null"}}
	arr := map[string]any{"type": []any{"array", "null"}}
	return map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
		"category": str, "description": str, "externalId": str, "notificationContact": str, "priority": str,
		"requestedCompletionDate": str, "requestedStartDate": str, "note": arr, "relatedParty": arr,
		"@type": str, "@baseType": str, "@schemaLocation": str,
	}}
}

// CancelProductOrderCreate is the body of POST /cancelProductOrder.
type CancelProductOrderCreate struct {
	CancellationReason        string `json:"cancellationReason,omitempty" maxLength:"1024"`
	RequestedCancellationDate string `json:"requestedCancellationDate,omitempty" doc:"date-time"`
	ProductOrder              *Ref   `json:"productOrder" doc:"required"`
	Ext
}

// CancelProductOrder is a cancellation request as simgate answers it.
type CancelProductOrder struct {
	ID                        string `json:"id"`
	Href                      string `json:"href"`
	CancellationReason        string `json:"cancellationReason,omitempty"`
	EffectiveCancellationDate string `json:"effectiveCancellationDate,omitempty"`
	RequestedCancellationDate string `json:"requestedCancellationDate,omitempty"`
	ProductOrder              Ref    `json:"productOrder"`
	State                     string `json:"state" enum:"acknowledged,terminatedWithError,inProgress,done"`
	Ext
}

// HubInput is the body of POST /hub (TMF630 EventSubscriptionInput).
type HubInput struct {
	Callback string `json:"callback" minLength:"1" maxLength:"2048"`
	Query    string `json:"query,omitempty" maxLength:"1024"`
}

// Hub is a registered listener (TMF630 EventSubscription).
type Hub struct {
	ID       string `json:"id"`
	Callback string `json:"callback"`
	Query    string `json:"query,omitempty"`
}

// Error is the one error body of the API.
type Error struct {
	Code    string `json:"code"`
	Reason  string `json:"reason"`
	Message string `json:"message,omitempty"`
	Status  string `json:"status,omitempty"`
	Type    string `json:"@type,omitempty"`
}

// Event is a notification POSTed to a listener.
type Event struct {
	EventID   string       `json:"eventId"`
	EventTime string       `json:"eventTime"`
	EventType string       `json:"eventType"`
	FieldPath string       `json:"fieldPath,omitempty"`
	Event     EventPayload `json:"event"`
}

// EventPayload holds the resource of an event.
type EventPayload struct {
	ProductOrder       *ProductOrder       `json:"productOrder,omitempty"`
	CancelProductOrder *CancelProductOrder `json:"cancelProductOrder,omitempty"`
}

// ProductOrderProjection describes an order answered with fields=: id
// and href always, the other attributes of ProductOrder as asked.
type ProductOrderProjection struct {
	ID                      string         `json:"id"`
	Href                    string         `json:"href"`
	CancellationDate        string         `json:"cancellationDate,omitempty"`
	CancellationReason      string         `json:"cancellationReason,omitempty"`
	Category                string         `json:"category,omitempty"`
	CompletionDate          string         `json:"completionDate,omitempty"`
	Description             string         `json:"description,omitempty"`
	ExternalID              string         `json:"externalId,omitempty"`
	NotificationContact     string         `json:"notificationContact,omitempty"`
	OrderDate               string         `json:"orderDate,omitempty"`
	Priority                string         `json:"priority,omitempty"`
	RequestedCompletionDate string         `json:"requestedCompletionDate,omitempty"`
	RequestedStartDate      string         `json:"requestedStartDate,omitempty"`
	Note                    []Note         `json:"note,omitempty"`
	ProductOrderItem        []Item         `json:"productOrderItem,omitempty"`
	RelatedParty            []RelatedParty `json:"relatedParty,omitempty"`
	State                   string         `json:"state,omitempty" enum:"acknowledged,inProgress,completed,failed,partial,cancelled"`
	Ext
}

// CancelProductOrderProjection describes a cancellation answered with
// fields=.
type CancelProductOrderProjection struct {
	ID                        string `json:"id"`
	Href                      string `json:"href"`
	CancellationReason        string `json:"cancellationReason,omitempty"`
	EffectiveCancellationDate string `json:"effectiveCancellationDate,omitempty"`
	RequestedCancellationDate string `json:"requestedCancellationDate,omitempty"`
	ProductOrder              *Ref   `json:"productOrder,omitempty"`
	State                     string `json:"state,omitempty" enum:"acknowledged,terminatedWithError,inProgress,done"`
	Ext
}
