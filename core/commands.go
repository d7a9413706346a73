package core

// The command model. Front ends authenticate the caller, check the syntax of
// their wire format, and build one of these; the rules in this package give
// them their meaning. Fields carry one meaning each and no wire spelling.

// TxRef identifies who asked, through which API, and under which of the
// partner's own transaction ids.
type TxRef struct {
	Partner       PartnerID
	Channel       Channel
	PartnerTxID   string // MVNX messageId, SPS partnerTransactionId, ... ("" for synchronous SOAP)
	CorrelationID string // for logs and notifications
}

// SIMRef names a SIM by one of its identifiers; the first non-empty wins.
type SIMRef struct {
	ICCID     string
	SimNumber string // Emersion's 9-digit sim number
	EID       string // eSIM
}

// IsZero reports whether no identifier was given.
func (r SIMRef) IsZero() bool { return r.ICCID == "" && r.SimNumber == "" && r.EID == "" }

// Device is the handset the line is activated on.
type Device struct {
	IMEI  string // 15 digits, Luhn-checked
	PEI   string // a permanent equipment identifier that is not a plain IMEI (IMEISV), kept as given
	Make  string
	Model string
}

// NumberMode says how the subscriber number is chosen.
type NumberMode uint8

const (
	NumberNone     NumberMode = iota // the service has no number of its own (Emersion SQ flow)
	NumberProvided                   // a given MSISDN that must be available
	NumberReserved                   // a reservation held by the caller (by id, MSISDN or both)
	NumberFromPool                   // any available number of the caller's pool
)

// NumberChoice selects the subscriber number.
type NumberChoice struct {
	Mode          NumberMode
	MSISDN        string
	ReservationID string
	Pool          string // market / pool for NumberFromPool
	// AcceptReserved lets NumberProvided take a number the caller reserved
	// by MSISDN alone (MVNX: "a reserved subscriber number").
	AcceptReserved bool
}

// SQRef selects an Emersion service qualification: by ID, or by service
// identifier and service type. Exactly one way is set.
type SQRef struct {
	ID                int64
	ServiceIdentifier string
	ServiceType       int64
}

// ProductAction is what a product change does on top of the plan.
type ProductAction string

const (
	ProductAdd    ProductAction = "Add"
	ProductRemove ProductAction = "Remove"
	ProductUpdate ProductAction = "Update"
)

// ProductChange adds, removes or updates a product on the line.
type ProductChange struct {
	ProductID       string
	Action          ProductAction
	Characteristics map[string]string
}

// Activate creates a subscription. It covers every front end's flavour:
// Emersion (SQ + sim number + product), MVNX (ICCID + number + plan), SPS
// (ICCID or EID + gpsi + plan + products) and TMF622 order items.
type Activate struct {
	Ref      TxRef
	Account  AccountID // which node of the caller's hierarchy owns the line ("" = caller's root)
	SIM      SIMRef
	Device   Device
	Number   NumberChoice
	Plan     string
	Products []ProductChange
	// SubscriberID is the partner's own id of the subscriber (SPS subscriberId).
	SubscriberID string
	// ActivationCode is the eSIM activation code (LPA:1$<SM-DP+>$<matching
	// id>) the front end drew for an eSIM line; "" for a physical SIM.
	ActivationCode string
	// Emersion: the SQ to activate and, optionally, the product supplying the SIM.
	SQ      *SQRef
	Product int64
	BAN     string // billing account the line joins ("" = none)
}

// Action is a lifecycle change of a subscription.
type Action string

const (
	ActionSuspend    Action = "Suspend"
	ActionResume     Action = "Resume"
	ActionCease      Action = "Cease"
	ActionReactivate Action = "Reactivate"
)

// SubscriberKind names the identifier a subscriber is looked up by.
type SubscriberKind string

const (
	ByICCID  SubscriberKind = "iccid"
	ByIMSI   SubscriberKind = "imsi"
	ByMSISDN SubscriberKind = "msisdn"
	ByIMEI   SubscriberKind = "imei"
	ByID     SubscriberKind = "id"
)

// SubscriberRef finds one subscription.
type SubscriberRef struct {
	Kind  SubscriberKind
	Value string
}

// ChangeStatus suspends, resumes, ceases or reactivates a subscription.
type ChangeStatus struct {
	Ref          TxRef
	Account      AccountID
	Subscription SubscriberRef
	Action       Action
}

// Move re-parents a subscriber to another account of the caller's hierarchy.
type Move struct {
	Ref        TxRef
	Subscriber SubscriberRef
	Target     AccountID
}

// QueryTransaction reads the state of an asynchronous transaction.
type QueryTransaction struct {
	Ref TxRef
}
