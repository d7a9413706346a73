package sps

import (
	"encoding/json"
	"errors"
	"strings"
)

// Request and answer types of the wholesale Subscription API, with the
// document's constraints as tags (they feed the OpenAPI document; the
// handler checks them itself and lists every violation at once).

// Address is the service address of a subscription.
type Address struct {
	AddressLine1 string `json:"addressLine1,omitempty" maxLength:"100"`
	AddressLine2 string `json:"addressLine2,omitempty" maxLength:"100"`
	City         string `json:"city,omitempty" maxLength:"60"`
	State        string `json:"state,omitempty" maxLength:"30"`
	Zip          string `json:"zip,omitempty" maxLength:"15"`
}

// Location holds the address; the address is required.
type Location struct {
	Address *Address `json:"address,omitempty" doc:"required"`
}

// Characteristic is one key/value of a product change.
type Characteristic struct {
	Key   string `json:"key" minLength:"1" maxLength:"64"`
	Value string `json:"value" maxLength:"256"`
}

// Product adds, removes or updates a product on top of the plan.
type Product struct {
	ProductID       string           `json:"productId" minLength:"1" maxLength:"36"`
	Action          string           `json:"action" enum:"Add,Remove,Update"`
	Characteristics []Characteristic `json:"characteristics,omitempty" maxItems:"50"`
}

// ActivateRequest is the Activate Subscription request.
type ActivateRequest struct {
	PartnerTransactionID string    `json:"partnerTransactionId" minLength:"1" maxLength:"36" example:"Txn101010101"`
	SubscriberID         string    `json:"subscriberId" minLength:"1" maxLength:"36" pattern:"^[-a-zA-Z0-9\\s].*$"`
	WholesalePlanID      string    `json:"wholesalePlanId" minLength:"1" maxLength:"36" pattern:"^[-a-zA-Z0-9\\s].*$"`
	BucketRefID          []string  `json:"bucketRefId,omitempty" minLength:"1" maxLength:"36" maxItems:"50"`
	Location             *Location `json:"location,omitempty" doc:"required"`
	BillCycleFrequency   string    `json:"billCycleFrequency,omitempty" enum:"MONTHLY"`
	BillCycleStartDay    *int      `json:"billCycleStartDay,omitempty" minimum:"1" maximum:"28" doc:"default 1"`
	Gpsi                 string    `json:"gpsi,omitempty" pattern:"^[0-9]{11,15}$"`
	GpsiReservationID    string    `json:"gpsiReservationId,omitempty" minLength:"1" maxLength:"36"`
	Iccid                string    `json:"iccid,omitempty" pattern:"^[0-9]{19,20}$"`
	Pei                  string    `json:"pei,omitempty" pattern:"^[0-9]{15,17}$"`
	Eid                  string    `json:"eid,omitempty" pattern:"^[0-9]{19,32}$"`
	ESIMDeliveryMethod   string    `json:"eSIMDeliveryMethod,omitempty" enum:"QR"`
	Products             []Product `json:"products,omitempty" maxItems:"50"`
}

// Digits is a run of digits sent as a JSON string or number: the
// document's own status example sends gpsi as a number.
type Digits string

// UnmarshalJSON takes "19459986891" or 19459986891.
func (d *Digits) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Digits(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("must be a string or a number")
	}
	if strings.ContainsAny(string(n), ".eE-+") {
		return errors.New("must be whole digits")
	}
	*d = Digits(n)
	return nil
}

// JSONSchema tells the OpenAPI document that both forms are accepted.
func (Digits) JSONSchema() map[string]any {
	return map[string]any{"type": []any{"string", "integer"}, "description": "digits, as a string or a number"}
}

// StatusRequest is the Update Subscription Status request. The document's
// table requires iccid, its example sends gpsi: either identifies it.
type StatusRequest struct {
	PartnerTransactionID string `json:"partnerTransactionId" minLength:"1" maxLength:"36"`
	Iccid                string `json:"iccid,omitempty" pattern:"^[0-9]{19,20}$"`
	Gpsi                 Digits `json:"gpsi,omitempty"`
	Action               string `json:"action" enum:"Suspend,Resume,Cease,Reactivate"`
}

// Ack is the immediate answer to an accepted request.
type Ack struct {
	Status string `json:"status" enum:"Success"`
}

// ErrorItem is one problem: a code, the field it concerns, a message.
type ErrorItem struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Failure is the one error body of every status code.
type Failure struct {
	Status string      `json:"status" enum:"Failure"`
	Errors []ErrorItem `json:"errors"`
}

// TransactionStatus answers the transaction query.
type TransactionStatus struct {
	Status               string      `json:"status" enum:"InProgress,Success,Failed"`
	PartnerTransactionID string      `json:"partnerTransactionId"`
	TransactionID        string      `json:"transactionId"`
	Operation            string      `json:"operation" enum:"ActivateSubscription,UpdateSubscriptionStatus"`
	CorrelationID        string      `json:"correlationId,omitempty"`
	CreatedAt            string      `json:"createdAt" doc:"RFC 3339"`
	UpdatedAt            string      `json:"updatedAt" doc:"RFC 3339"`
	CompletedAt          string      `json:"completedAt,omitempty" doc:"RFC 3339, once finished"`
	Errors               []ErrorItem `json:"errors,omitempty"`
}

// CallbackSetting is the developer-hub callback URL.
type CallbackSetting struct {
	CallbackURL string `json:"callbackUrl" maxLength:"2048"`
}

// CallbackAnswer shows the setting and the signing secret's id; the secret
// itself only the first time.
type CallbackAnswer struct {
	CallbackURL     string `json:"callbackUrl"`
	SigningSecretID string `json:"signingSecretId"`
	SigningSecret   string `json:"signingSecret,omitempty" doc:"shown once, the first time the setting is read or written"`
}

// SubscriptionInfo identifies the subscription in a notification.
type SubscriptionInfo struct {
	SubscriberID    string `json:"subscriberId,omitempty"`
	Iccid           string `json:"iccid,omitempty"`
	Gpsi            string `json:"gpsi,omitempty"`
	Eid             string `json:"eid,omitempty"`
	Pei             string `json:"pei,omitempty"`
	WholesalePlanID string `json:"wholesalePlanId,omitempty"`
	Status          string `json:"status,omitempty"`
}

// ESIM carries the activation code of an eSIM line and, for QR delivery,
// the QR code as a PNG data URI.
type ESIM struct {
	ActivationCode string `json:"activationCode"`
	QRCode         string `json:"qrCode,omitempty"`
}

// Notification is POSTed to the callback URL when a request completes.
type Notification struct {
	EventType            string            `json:"eventType"`
	EventTime            string            `json:"eventTime"`
	PartnerTransactionID string            `json:"partnerTransactionId"`
	TransactionID        string            `json:"transactionId"`
	CorrelationID        string            `json:"correlationId"`
	WholesaleCustomerID  string            `json:"wholesaleCustomerId"`
	Status               string            `json:"status" enum:"Success,Failed"`
	Subscription         *SubscriptionInfo `json:"subscription,omitempty"`
	ESIM                 *ESIM             `json:"eSIM,omitempty"`
	Errors               []ErrorItem       `json:"errors,omitempty"`
}
