// Package core is simgate's domain: the inventory types, the commands every
// front end translates into, the business rules, the error model and the
// ports (Store, Clock, IDs, Passwords) the rules need. It imports nothing
// but the standard library: transports and storage depend on it, never the
// reverse.
package core

import "time"

// PartnerID names a partner (RSP, reseller, wholesale customer, enterprise).
type PartnerID string

// AccountID names a node of a partner's account hierarchy.
type AccountID string

// Channel is the partner API a request arrived through.
type Channel string

const (
	ChannelSOAP    Channel = "soap"
	ChannelMVNX    Channel = "mvnx"
	ChannelSPS     Channel = "sps"
	ChannelFloLIVE Channel = "flolive"
)

// Partner is a tenant. Every inventory object belongs to exactly one.
type Partner struct {
	ID           PartnerID `json:"id"`
	Name         string    `json:"name"`
	Username     string    `json:"username,omitempty"`
	PasswordHash string    `json:"password_hash,omitempty"`  // bcrypt
	APIKeyHashes []string  `json:"api_key_hashes,omitempty"` // SHA-256 hex of each key
	RootAccount  AccountID `json:"root_account,omitempty"`
	// WebhookSecret signs notifications (Standard Webhooks, "whsec_" +
	// base64). Kept in clear: the HMAC needs it.
	WebhookSecret string `json:"webhook_secret,omitempty"`
	// CallbackURL is where notifications go when the API has no per-request
	// URL (the SPS developer-hub setting).
	CallbackURL string `json:"callback_url,omitempty"`
	// SecretShown records that the signing secret was shown to the partner
	// once; it is never shown again.
	SecretShown bool `json:"secret_shown,omitempty"`
	// RateLimit overrides the server's default request budget for this
	// partner; nil keeps the default.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
}

// Plan is a price plan (MVNX singleUserCode, SPS wholesalePlanId) with the
// offering / product codes that may be added to it.
type Plan struct {
	Code      string      `json:"code"`
	Partners  []PartnerID `json:"partners"`
	Offerings []string    `json:"offerings,omitempty"`
}

// OfferedTo reports whether the plan may be sold by p.
func (pl Plan) OfferedTo(p PartnerID) bool {
	for _, q := range pl.Partners {
		if q == p {
			return true
		}
	}
	return false
}

// HasOffering reports whether code is one of the plan's offerings.
func (pl Plan) HasOffering(code string) bool {
	for _, o := range pl.Offerings {
		if o == code {
			return true
		}
	}
	return false
}

// Account is a node of a partner's hierarchy; Parent is empty for the root.
type Account struct {
	ID      AccountID `json:"id"`
	Partner PartnerID `json:"partner"`
	Parent  AccountID `json:"parent,omitempty"`
	Name    string    `json:"name"`
}

// ServiceType is a kind of retail service (Emersion's service_type_id).
type ServiceType struct {
	ID       int64       `json:"id"`
	Name     string      `json:"name"`
	Partners []PartnerID `json:"partners"` // the RSPs it is mapped to
	// NeedsProduct applies the product rule: the RSP's SIM-card product of
	// the matching category supplies the SIM.
	NeedsProduct bool `json:"needs_product"`
}

// MappedTo reports whether the service type is offered to p.
func (t ServiceType) MappedTo(p PartnerID) bool {
	for _, q := range t.Partners {
		if q == p {
			return true
		}
	}
	return false
}

// ProductTypeSIMCard is the product type whose activation takes a SIM.
const ProductTypeSIMCard = "SIM Card"

// Product is an RSP's catalogue item. Category names a service type ("" for none).
type Product struct {
	ID       int64     `json:"id"`
	Owner    PartnerID `json:"owner"`
	Type     string    `json:"type"`
	Category string    `json:"category,omitempty"`
}

// SIMStatus is a SIM's inventory state.
type SIMStatus string

const (
	SIMHeld      SIMStatus = "Held"      // Emersion stock, ready for activation
	SIMAvailable SIMStatus = "Available" // in stock, not yet allocated to an activation flow
	SIMPending   SIMStatus = "Pending"   // MVNX: shipped, waiting for activation
	SIMActive    SIMStatus = "Active"    // bound to a live subscription
)

// SIM is one physical or embedded SIM. ID is the primary key: the ICCID when
// known, otherwise "sim:" and the 9-digit sim number.
type SIM struct {
	ID           string    `json:"id"`
	ICCID        string    `json:"iccid,omitempty"`
	SimNumber    string    `json:"sim_number,omitempty"`
	IMSI         string    `json:"imsi,omitempty"`
	EID          string    `json:"eid,omitempty"`
	Product      int64     `json:"product,omitempty"`
	Owner        PartnerID `json:"owner"`
	Account      AccountID `json:"account,omitempty"`
	Status       SIMStatus `json:"status"`
	Locked       bool      `json:"locked,omitempty"`
	Subscription string    `json:"subscription,omitempty"`
}

// SIMID derives the primary key of a SIM from its identifiers.
func SIMID(iccid, simNumber, eid string) string {
	switch {
	case iccid != "":
		return iccid
	case simNumber != "":
		return "sim:" + simNumber
	default:
		return "eid:" + eid
	}
}

// NumberStatus is an MSISDN's inventory state.
type NumberStatus string

const (
	NumberIsAvailable NumberStatus = "Available"
	NumberIsReserved  NumberStatus = "Reserved"
	NumberIsAssigned  NumberStatus = "Assigned"
	NumberIsAging     NumberStatus = "Aging" // freed by Cease, not reused before AgingUntil
)

// Number is a subscriber number (MSISDN / GPSI).
type Number struct {
	MSISDN        string       `json:"msisdn"`
	Owner         PartnerID    `json:"owner"`
	Account       AccountID    `json:"account,omitempty"`
	Pool          string       `json:"pool,omitempty"` // market or pool name
	Status        NumberStatus `json:"status"`
	ReservationID string       `json:"reservation_id,omitempty"`
	Subscription  string       `json:"subscription,omitempty"`
	AgingUntil    time.Time    `json:"aging_until,omitzero"`
}

// SQ status values of the Emersion service qualification workflow.
const (
	SQFulfilmentRequired = "Fulfilment Required"
	SQWaitingOnEndUser   = "Waiting on End-User"
	SQActive             = "Active"
)

// SQ is an Emersion account presale service qualification: the right to
// activate one service identifier of one service type.
type SQ struct {
	ID                int64     `json:"id"`
	Owner             PartnerID `json:"owner"`
	ServiceIdentifier string    `json:"service_identifier"`
	ServiceType       int64     `json:"service_type"`
	Status            string    `json:"status"`
	Order             *Order    `json:"order,omitempty"`
	Service           string    `json:"service,omitempty"` // subscription created from it
}

// ReadyForActivation is the document's rule: Fulfilment Required or Waiting on End-User.
func (q SQ) ReadyForActivation() bool {
	return q.Status == SQFulfilmentRequired || q.Status == SQWaitingOnEndUser
}

// Order is the sales order behind an SQ.
type Order struct {
	ID        string    `json:"id"`
	Owner     PartnerID `json:"owner"`
	Finalised bool      `json:"finalised"`
}

// SubscriptionStatus follows DESIGN.md's state machine:
// Pending -> Active <-> Suspended -> Ceased -> (Reactivate in grace) Active.
type SubscriptionStatus string

const (
	SubPending   SubscriptionStatus = "Pending"
	SubActive    SubscriptionStatus = "Active"
	SubSuspended SubscriptionStatus = "Suspended"
	SubCeased    SubscriptionStatus = "Ceased"
)

// Live reports whether the subscription holds its SIM and number.
func (s SubscriptionStatus) Live() bool { return s != SubCeased }

// Subscription is one activated line (Emersion calls it a service).
type Subscription struct {
	ID                string             `json:"id"`
	Partner           PartnerID          `json:"partner"`
	Account           AccountID          `json:"account,omitempty"`
	Channel           Channel            `json:"channel"`
	Status            SubscriptionStatus `json:"status"`
	SIM               string             `json:"sim,omitempty"` // SIM.ID
	ICCID             string             `json:"iccid,omitempty"`
	SimNumber         string             `json:"sim_number,omitempty"`
	IMSI              string             `json:"imsi,omitempty"`
	EID               string             `json:"eid,omitempty"`
	MSISDN            string             `json:"msisdn,omitempty"`
	IMEI              string             `json:"imei,omitempty"`
	Product           int64              `json:"product,omitempty"`
	ServiceType       int64              `json:"service_type,omitempty"`
	ServiceIdentifier string             `json:"service_identifier,omitempty"`
	SQ                int64              `json:"sq,omitempty"`
	Plan              string             `json:"plan,omitempty"`
	Products          []ProductChange    `json:"products,omitempty"`
	SubscriberID      string             `json:"subscriber_id,omitempty"` // the partner's own id
	ActivationCode    string             `json:"activation_code,omitempty"`
	BAN               string             `json:"ban,omitempty"`
	CreatedAt         time.Time          `json:"created_at"`
	UpdatedAt         time.Time          `json:"updated_at"`
	CeasedAt          time.Time          `json:"ceased_at,omitzero"`
}

// Session is a login token's server-side record. Only the token's SHA-256
// is stored; the token itself is shown once, to the caller of login.
type Session struct {
	TokenHash string    `json:"token_hash"`
	Partner   PartnerID `json:"partner"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}
