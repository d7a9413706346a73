package mvnx

import "encoding/json"

// The request of AT&T MVNX ActivateSubscriberReseller, transcribed field
// for field from the example request of the API document
// (testdata/mvnx/seed_example.request.json). JSON keys are the document's,
// spelling included ("cbBundeledDiscount"). Strings are string, booleans
// *bool, numbers json.Number, nested objects pointers: an absent member
// stays visibly absent. Decode with jsonx.Decode, which refuses any key
// not listed here.

// ActivateRequest is the body of POST /ActivateSubscriberReseller: the
// MessageHeader envelope and the activation itself.
type ActivateRequest struct {
	MessageHeader                     *MessageHeader                     `json:"MessageHeader,omitempty"`
	ActivateSubscriberResellerRequest *ActivateSubscriberResellerRequest `json:"ActivateSubscriberResellerRequest,omitempty"`
}

// MessageHeader is the envelope of every MVNX message: tracking,
// credentials and sequencing.
type MessageHeader struct {
	TrackingMessageHeader *TrackingMessageHeader `json:"TrackingMessageHeader,omitempty"`
	SecurityMessageHeader *SecurityMessageHeader `json:"SecurityMessageHeader,omitempty"`
	SequenceMessageHeader *SequenceMessageHeader `json:"SequenceMessageHeader,omitempty"`
}

// TrackingMessageHeader identifies a message and where its asynchronous
// responses go (returnURL).
type TrackingMessageHeader struct {
	Version                       string      `json:"version,omitempty"`
	MessageID                     string      `json:"messageId,omitempty"`
	ReturnURL                     string      `json:"returnURL,omitempty"`
	ResponseTo                    string      `json:"responseTo,omitempty"`
	TimeToLive                    json.Number `json:"timeToLive,omitempty"`
	OriginatorID                  string      `json:"originatorId,omitempty"`
	DateTimeStamp                 string      `json:"dateTimeStamp,omitempty"`
	ConversationID                string      `json:"conversationId,omitempty"`
	ApplicationName               string      `json:"applicationName,omitempty"`
	OriginalVersion               string      `json:"originalVersion,omitempty"`
	UniqueTransactionID           string      `json:"uniqueTransactionId,omitempty"`
	InfrastructureVersion         string      `json:"infrastructureVersion,omitempty"`
	OriginalInfrastructureVersion string      `json:"originalInfrastructureVersion,omitempty"`
}

// SecurityMessageHeader carries the partner's credentials.
type SecurityMessageHeader struct {
	UserName     string `json:"userName,omitempty"`
	UserPassword string `json:"userPassword,omitempty"`
}

// SequenceMessageHeader numbers a message within a sequence ("1" of "1").
type SequenceMessageHeader struct {
	SequenceNumber  string `json:"sequenceNumber,omitempty"`
	TotalInSequence string `json:"totalInSequence,omitempty"`
}

// ActivateSubscriberResellerRequest activates one or more subscribers.
type ActivateSubscriberResellerRequest struct {
	StoreID            string               `json:"storeId,omitempty"`
	MarketServiceInfo  *MarketServiceInfo   `json:"MarketServiceInfo,omitempty"`
	SubscriberReseller []SubscriberReseller `json:"SubscriberReseller,omitempty"`
}

// MarketServiceInfo places the activation in a billing market.
type MarketServiceInfo struct {
	BillingMarket   *BillingMarket `json:"billingMarket,omitempty"`
	ServiceZipCode  string         `json:"serviceZipCode,omitempty"`
	BillingSystemID string         `json:"billingSystemId,omitempty"`
}

// BillingMarket names the local, billing and billing sub-market.
type BillingMarket struct {
	LocalMarket      string `json:"localMarket,omitempty"`
	BillingMarket    string `json:"billingMarket,omitempty"`
	BillingSubMarket string `json:"billingSubMarket,omitempty"`
}

// SubscriberReseller is one subscriber to activate: its device, plan and
// offerings.
type SubscriberReseller struct {
	Device                       *Device              `json:"Device,omitempty"`
	PrePaid                      *PrePaid             `json:"PrePaid,omitempty"`
	Contract                     *Contract            `json:"Contract,omitempty"`
	PricePlan                    *PricePlan           `json:"PricePlan,omitempty"`
	ServiceArea                  string               `json:"serviceArea,omitempty"`
	ActivationDate               string               `json:"activationDate,omitempty"`
	PortingLocator               *PortingLocator      `json:"PortingLocator,omitempty"`
	SubscriberNumber             string               `json:"subscriberNumber,omitempty"`
	SuspendImmediate             *bool                `json:"suspendImmediate,omitempty"`
	AdditionalOfferings          []AdditionalOffering `json:"AdditionalOfferings,omitempty"`
	LongDistanceCarrier          *LongDistanceCarrier `json:"longDistanceCarrier,omitempty"`
	WaiveActivationFeeReasonCode string               `json:"waiveActivationFeeReasonCode,omitempty"`
}

// Device is the SIM and handset of a subscriber.
type Device struct {
	SIM                       string              `json:"SIM,omitempty"`
	ESN                       string              `json:"ESN,omitempty"`
	MIN                       string              `json:"MIN,omitempty"`
	SKU                       string              `json:"SKU,omitempty"`
	IMSI                      string              `json:"IMSI,omitempty"`
	IMEI                      string              `json:"IMEI,omitempty"`
	MSID                      string              `json:"MSID,omitempty"`
	OSType                    string              `json:"osType,omitempty"`
	IMEIType                  string              `json:"IMEIType,omitempty"`
	DcapValue                 string              `json:"dcapValue,omitempty"`
	OSVersion                 string              `json:"osVersion,omitempty"`
	SIMStatus                 string              `json:"simStatus,omitempty"`
	Manufacturer              *Manufacturer       `json:"Manufacturer,omitempty"`
	EquipmentType             string              `json:"equipmentType,omitempty"`
	IMEIFrequency             string              `json:"IMEIFrequency,omitempty"`
	TechnologyType            string              `json:"technologyType,omitempty"`
	UMTSCapability            *bool               `json:"umtsCapability,omitempty"`
	EIDDataIndicator          string              `json:"eidDataIndicator,omitempty"`
	IMEIDeviceFirmware        *IMEIDeviceFirmware `json:"IMEIDeviceFirmware,omitempty"`
	IMEISoftwareVersion       string              `json:"imeiSoftwareVersion,omitempty"`
	SMSCapabilityIndicator    *bool               `json:"smsCapabilityIndicator,omitempty"`
	DeviceCertificationStatus string              `json:"deviceCertificationStatus,omitempty"`
}

// Manufacturer describes a handset model.
type Manufacturer struct {
	Make          string `json:"make,omitempty"`
	Model         string `json:"model,omitempty"`
	MarketingName string `json:"marketingName,omitempty"`
}

// IMEIDeviceFirmware is the software a handset last reported.
type IMEIDeviceFirmware struct {
	OSType                  string `json:"osType,omitempty"`
	OSVersion               string `json:"osVersion,omitempty"`
	SoftwareVersionNumber   string `json:"softwareVersionNumber,omitempty"`
	NetworkActivityDateTime string `json:"networkActivityDateTime,omitempty"`
}

// PrePaid holds the PIN of a prepaid subscriber.
type PrePaid struct {
	PrePaidPin string `json:"prePaidPin,omitempty"`
}

// Contract is a subscriber's contract and terms-and-conditions status.
type Contract struct {
	ContractTerm         *ContractTerm `json:"ContractTerm,omitempty"`
	TermsConditionStatus string        `json:"termsConditionStatus,omitempty"`
}

// ContractTerm is the length and start of a contract.
type ContractTerm struct {
	Term            json.Number `json:"term,omitempty"`
	StartDate       string      `json:"startDate,omitempty"`
	Commission      *Commission `json:"Commission,omitempty"`
	TAndCIndicator  string      `json:"tAndCIndicator,omitempty"`
	CommitStartDate string      `json:"commitStartDate,omitempty"`
}

// Commission credits a sale to a dealer and sales representative. The
// same shape appears under ContractTerm, PricePlan, AdditionalOffering and
// LongDistanceCarrier.
type Commission struct {
	Dealer                 *Dealer         `json:"dealer,omitempty"`
	Location               string          `json:"location,omitempty"`
	CustomerCode           string          `json:"customerCode,omitempty"`
	DualCommission         *DualCommission `json:"DualCommission,omitempty"`
	SalesRepresentative    string          `json:"salesRepresentative,omitempty"`
	AffiliateSalesRepCode  string          `json:"affiliateSalesRepCode,omitempty"`
	BillingTelephoneNumber string          `json:"billingTelephoneNumber,omitempty"`
}

// Dealer identifies the selling dealer.
type Dealer struct {
	Code          string `json:"code,omitempty"`
	SecondaryCode string `json:"secondaryCode,omitempty"`
}

// DualCommission names the credit-check agent of a shared commission.
type DualCommission struct {
	CreditCheckAgent         string `json:"creditCheckAgent,omitempty"`
	CreditCheckAgentLocation string `json:"creditCheckAgentLocation,omitempty"`
}

// PricePlan is a subscriber's rate plan and its bundled offerings.
type PricePlan struct {
	CBDiscount           *bool                 `json:"cbDiscount,omitempty"`
	Commission           *Commission           `json:"Commission,omitempty"`
	ActionCode           string                `json:"actionCode,omitempty"`
	Description          string                `json:"description,omitempty"`
	PromotionCode        string                `json:"promotionCode,omitempty"`
	SingleUserCode       string                `json:"singleUserCode,omitempty"`
	EffectiveDates       *EffectiveDates       `json:"EffectiveDates,omitempty"`
	TechnologyType       string                `json:"technologyType,omitempty"`
	CommitmentTerm       json.Number           `json:"commitmentTerm,omitempty"`
	RecurringCharge      json.Number           `json:"recurringCharge,omitempty"`
	ParkPPIndicator      *bool                 `json:"parkPpIndicator,omitempty"`
	GroupPlanDetails     *GroupPlanDetails     `json:"groupPlanDetails,omitempty"`
	OfferingsBundled     []BundledOffering     `json:"OfferingsBundled,omitempty"`
	CBBundeledDiscount   *bool                 `json:"cbBundeledDiscount,omitempty"` // sic
	PricePlanAttributes  []Attribute           `json:"PricePlanAttributes,omitempty"`
	OriginalRatePlanMRC  json.Number           `json:"originalRatePlanMRC,omitempty"`
	OfferingNetworkType  string                `json:"offeringNetworkType,omitempty"`
	RestrictedSubMarkets []RestrictedSubMarket `json:"RestrictedSubMarkets,omitempty"`
	OriginalRatePlanCode string                `json:"originalRatePlanCode,omitempty"`
}

// EffectiveDates is a validity period by effective and expiration date
// (PricePlan, AdditionalOffering, and MobileSessionData.SessionDates).
type EffectiveDates struct {
	EffectiveDate  string `json:"effectiveDate,omitempty"`
	ExpirationDate string `json:"expirationDate,omitempty"`
}

// StartEndDates is a validity period by start and end date: the
// EffectiveDates of a BundledOffering, which the document spells this way.
type StartEndDates struct {
	EndDate   string `json:"endDate,omitempty"`
	StartDate string `json:"startDate,omitempty"`
}

// GroupPlanDetails places a subscriber in a group (shared) plan.
type GroupPlanDetails struct {
	GroupID              string      `json:"groupId,omitempty"`
	GroupPlanCode        string      `json:"groupPlanCode,omitempty"`
	LineLimitation       json.Number `json:"lineLimitation,omitempty"`
	PrimarySubscriber    *bool       `json:"primarySubscriber,omitempty"`
	ReferenceSubscriber  string      `json:"referenceSubscriber,omitempty"`
	AdditionalLineCharge json.Number `json:"additionalLineCharge,omitempty"`
}

// BundledOffering is one element of PricePlan.OfferingsBundled.
type BundledOffering struct {
	Action                         string                `json:"action,omitempty"`
	Category                       string                `json:"category,omitempty"`
	NetworkType                    string                `json:"networkType,omitempty"`
	OfferingCode                   string                `json:"offeringCode,omitempty"`
	OfferingName                   string                `json:"offeringName,omitempty"`
	GenAttribute                   string                `json:"genAttribute,omitempty"`
	BLSIndicator                   *bool                 `json:"blsIndicator,omitempty"`
	OfferingLevel                  string                `json:"offeringLevel,omitempty"`
	SplitLiability                 *SplitLiability       `json:"splitLiability,omitempty"`
	EffectiveDates                 *StartEndDates        `json:"EffectiveDates,omitempty"`
	FanMACDiscount                 string                `json:"fanMACDiscount,omitempty"`
	FanMSCDiscount                 string                `json:"fanMSCDiscount,omitempty"`
	SOCDescription                 string                `json:"socDescription,omitempty"`
	OfferingFeatures               []OfferingFeature     `json:"OfferingFeatures,omitempty"`
	ParkSOCIndicator               *bool                 `json:"parkSocIndicator,omitempty"`
	DataOnlyIndicator              *bool                 `json:"dataOnlyIndicator,omitempty"`
	PayPerUseIndicator             *bool                 `json:"payPerUseIndicator,omitempty"`
	OfferingDescription            string                `json:"offeringDescription,omitempty"`
	ProductIMSIndicator            *bool                 `json:"productIMSIndicator,omitempty"`
	ValueAddedParameters           *ValueAddedParameters `json:"ValueAddedParameters,omitempty"`
	ProductCategoryIndicator       *bool                 `json:"productCategoryIndicator,omitempty"`
	DiscountedFeaturePlanIndicator *bool                 `json:"discountedFeaturePlanIndicator,omitempty"`
}

// SplitLiability moves an offering's charges to another account.
type SplitLiability struct {
	TargetAccountNumber string `json:"targetAccountNumber,omitempty"`
}

// OfferingFeature is one feature of an offering.
type OfferingFeature struct {
	FeatureCode        string `json:"featureCode,omitempty"`
	DataUsageCategory  string `json:"dataUsageCategory,omitempty"`
	FeatureDescription string `json:"featureDescription,omitempty"`
}

// Attribute is a name/value pair (PricePlanAttributes, ProductAttributes).
type Attribute struct {
	AttributeName  string `json:"attributeName,omitempty"`
	AttributeValue string `json:"attributeValue,omitempty"`
}

// RestrictedSubMarket is a sub-market where a price plan is not sold.
type RestrictedSubMarket struct {
	Code        string `json:"code,omitempty"`
	Description string `json:"description,omitempty"`
}

// ValueAddedParameters configures the network services of an offering (in
// BundledOffering and AdditionalOffering alike).
type ValueAddedParameters struct {
	PdpParameters                   *PDPParameters                   `json:"PdpParameters,omitempty"`
	M2XParameters                   *TelephoneNumberParameters       `json:"M2XParameters,omitempty"`
	SwitchDetails                   *SwitchDetails                   `json:"SwitchDetails,omitempty"`
	VVPNParameters                  *VVPNParameters                  `json:"vvpnParameters,omitempty"`
	WWIFParameters                  *WWIFParameters                  `json:"WWIFParameters,omitempty"`
	EmailParameters                 *EmailParameters                 `json:"emailParameters,omitempty"`
	ProductAttributes               []Attribute                      `json:"ProductAttributes,omitempty"`
	DispatchParameters              *TelephoneNumberParameters       `json:"DispatchParameters,omitempty"`
	VoiceMailParameters             *VoiceMailParameters             `json:"voiceMailParameters,omitempty"`
	MacAddressParameters            *MACAddressParameters            `json:"MacAddressParameters,omitempty"`
	MappingCTNParameters            *MappingCTNParameters            `json:"MappingCTNParameters,omitempty"`
	ManifestURLParameters           *ManifestURLParameters           `json:"ManifestURLParameters,omitempty"`
	VQoSSpecialParameters           *VQoSSpecialParameters           `json:"VQoSSpecialParameters,omitempty"`
	AuxiliaryServiceParameters      *AuxiliaryServiceParameters      `json:"auxiliaryServiceParameters,omitempty"`
	UnifiedMessagingParameters      *UnifiedMessagingParameters      `json:"UnifiedMessagingParameters,omitempty"`
	VoiceActivatedDialingParameters *VoiceActivatedDialingParameters `json:"voiceActivatedDialingParameters,omitempty"`
	PriorityAccessServiceParameters *PriorityAccessServiceParameters `json:"PriorityAccessServiceParameters,omitempty"`
}

// PDPParameters configures a packet data context (APN, addresses).
type PDPParameters struct {
	PDPName             string `json:"pdpName,omitempty"`
	Context             string `json:"context,omitempty"`
	IPAddress           string `json:"ipAddress,omitempty"`
	IPv6Address         string `json:"ipV6Address,omitempty"`
	LTEIndicator        *bool  `json:"lteIndicator,omitempty"`
	OCSIndicator        *bool  `json:"ocsIndicator,omitempty"`
	CompanyOwnedIP      *bool  `json:"companyOwnedIp,omitempty"`
	AccessPointName     string `json:"accessPointName,omitempty"`
	DefaultAPNIndicator *bool  `json:"defaultAPNIndicator,omitempty"`
}

// TelephoneNumberParameters holds one telephone number (M2XParameters,
// DispatchParameters).
type TelephoneNumberParameters struct {
	TelephoneNumber string `json:"telephoneNumber,omitempty"`
}

// SwitchDetails sets switch parameters for a feature.
type SwitchDetails struct {
	FeatureCode     string            `json:"featureCode,omitempty"`
	SwitchParameter []SwitchParameter `json:"SwitchParameter,omitempty"`
}

// SwitchParameter is one element of SwitchDetails.SwitchParameter.
type SwitchParameter struct {
	SwitchSetting       string `json:"switchSetting,omitempty"`
	SwitchParameterName string `json:"switchParameterName,omitempty"`
}

// VVPNParameters configures a virtual VPN user group.
type VVPNParameters struct {
	UserGroup   string `json:"userGroup,omitempty"`
	CompanyName string `json:"companyName,omitempty"`
	DialingCode string `json:"dialingCode,omitempty"`
}

// WWIFParameters configures the WWIF mailbox service.
type WWIFParameters struct {
	PIN           json.Number `json:"pin,omitempty"`
	MailBox       string      `json:"mailBox,omitempty"`
	SalesCode     string      `json:"salesCode,omitempty"`
	ForwardNumber string      `json:"forwardNumber,omitempty"`
}

// EmailParameters configures an email box.
type EmailParameters struct {
	Domain  json.Number `json:"domain,omitempty"`
	BoxName string      `json:"boxName,omitempty"`
}

// VoiceMailParameters configures voicemail.
type VoiceMailParameters struct {
	PIN           json.Number `json:"pin,omitempty"`
	MailBox       string      `json:"mailBox,omitempty"`
	Language      string      `json:"language,omitempty"`
	ForwardNumber string      `json:"forwardNumber,omitempty"`
}

// MACAddressParameters holds a MAC address.
type MACAddressParameters struct {
	MACAddress string `json:"macAddress,omitempty"`
}

// MappingCTNParameters holds a mapped cellular telephone number.
type MappingCTNParameters struct {
	MappingCTN string `json:"mappingCTN,omitempty"`
}

// ManifestURLParameters holds a manifest URL.
type ManifestURLParameters struct {
	ManifestURL string `json:"manifestURL,omitempty"`
}

// VQoSSpecialParameters configures a special quality-of-service profile.
type VQoSSpecialParameters struct {
	URL          string `json:"url,omitempty"`
	Label        string `json:"label,omitempty"`
	EnterpriseID string `json:"enterpriseId,omitempty"`
}

// AuxiliaryServiceParameters links an auxiliary service to a subscriber.
type AuxiliaryServiceParameters struct {
	LDC                        string `json:"ldc,omitempty"`
	Service                    string `json:"service,omitempty"`
	ServiceArea                string `json:"serviceArea,omitempty"`
	AssociatedSubscriberNumber string `json:"associatedSubscriberNumber,omitempty"`
}

// UnifiedMessagingParameters configures unified messaging.
type UnifiedMessagingParameters struct {
	MailBoxNumber         string `json:"mailBoxNumber,omitempty"`
	CallForwardNumber     string `json:"callForwardNumber,omitempty"`
	VoiceMailAccessNumber string `json:"voiceMailAccessNumber,omitempty"`
}

// VoiceActivatedDialingParameters configures voice-activated dialing.
type VoiceActivatedDialingParameters struct {
	Share           *bool  `json:"share,omitempty"`
	Language        string `json:"language,omitempty"`
	NumberExists    *bool  `json:"numberExists,omitempty"`
	TelephoneNumber string `json:"telephoneNumber,omitempty"`
}

// PriorityAccessServiceParameters configures priority access.
type PriorityAccessServiceParameters struct {
	PriorityLevel   string `json:"priorityLevel,omitempty"`
	SpecialHandling string `json:"specialHandling,omitempty"`
}

// PortingLocator identifies a number port request.
type PortingLocator struct {
	PortRequestNumber    string `json:"portRequestNumber,omitempty"`
	PortRequestVersion   string `json:"portRequestVersion,omitempty"`
	TeleportPortRecordID string `json:"teleportPortRecordId,omitempty"`
}

// AdditionalOffering is one element of SubscriberReseller.AdditionalOfferings.
type AdditionalOffering struct {
	Action                         string                `json:"action,omitempty"`
	SOCMode                        string                `json:"socMode,omitempty"`
	Category                       string                `json:"category,omitempty"`
	OfferType                      string                `json:"offerType,omitempty"`
	Commission                     *Commission           `json:"Commission,omitempty"`
	SOCOrderID                     string                `json:"socOrderId,omitempty"`
	SwitchCode                     string                `json:"switchCode,omitempty"`
	MACAddress                     string                `json:"macAddress,omitempty"`
	ServiceType                    string                `json:"serviceType,omitempty"`
	OfferingCode                   string                `json:"offeringCode,omitempty"`
	OfferingType                   string                `json:"offeringType,omitempty"`
	UsagePooling                   *UsagePooling         `json:"UsagePooling,omitempty"`
	ReferenceSOC                   string                `json:"referenceSoc,omitempty"`
	OneTimeCharge                  json.Number           `json:"oneTimeCharge,omitempty"`
	OfferingLevel                  string                `json:"offeringLevel,omitempty"`
	ParkIndicator                  *bool                 `json:"parkIndicator,omitempty"`
	EffectiveDates                 *EffectiveDates       `json:"EffectiveDates,omitempty"`
	SplitLiability                 *SplitLiability       `json:"splitLiability,omitempty"`
	SequenceNumber                 json.Number           `json:"sequenceNumber,omitempty"`
	SharedDataGroup                *SharedDataGroup      `json:"SharedDataGroup,omitempty"`
	SOCSalesExpDate                string                `json:"socSalesExpDate,omitempty"`
	OfferingFeatures               []OfferingFeature     `json:"OfferingFeatures,omitempty"`
	SwitchParameters               *SwitchParameters     `json:"SwitchParameters,omitempty"`
	PromotionEndDate               string                `json:"promotionEndDate,omitempty"`
	ParkSOCIndicator               *bool                 `json:"parkSocIndicator,omitempty"`
	MobileSessionData              *MobileSessionData    `json:"MobileSessionData,omitempty"`
	AutoRenewIndicator             *bool                 `json:"autoRenewIndicator,omitempty"`
	OfferingDescription            string                `json:"offeringDescription,omitempty"`
	ValueAddedParameters           *ValueAddedParameters `json:"ValueAddedParameters,omitempty"`
	CrossMarketIndicator           *bool                 `json:"crossMarketIndicator,omitempty"`
	HasIntegratedMessaging         *bool                 `json:"hasIntegratedMessaging,omitempty"`
	TransferFeatureIndicator       string                `json:"transferFeatureIndicator,omitempty"`
	TurboSessionPaymentMethod      string                `json:"turboSessionPaymentMethod,omitempty"`
	IntegrationFeatureIndicator    string                `json:"integrationFeatureIndicator,omitempty"`
	PrimarySharedDataPlanIndicator *bool                 `json:"primarySharedDataPlanIndicator,omitempty"`
}

// UsagePooling puts an offering's usage in a pool.
type UsagePooling struct {
	Type    string `json:"type,omitempty"`
	Profile string `json:"profile,omitempty"`
}

// SharedDataGroup attaches a subscriber to a shared data group.
type SharedDataGroup struct {
	GroupDetails *GroupDetails `json:"GroupDetails,omitempty"`
}

// GroupDetails references, or asks to create, a shared data group.
type GroupDetails struct {
	GroupReference           *GroupReference `json:"GroupReference,omitempty"`
	CreateDataGroupIndicator *bool           `json:"createDataGroupIndicator,omitempty"`
}

// GroupReference identifies a shared data group.
type GroupReference struct {
	DataGroupID      string `json:"dataGroupId,omitempty"`
	SubscriberNumber string `json:"subscriberNumber,omitempty"`
}

// SwitchParameters are the switch settings of an AdditionalOffering (not
// to be confused with SwitchDetails.SwitchParameter).
type SwitchParameters struct {
	SalesCode             string `json:"salesCode,omitempty"`
	MailboxNumber         string `json:"mailboxNumber,omitempty"`
	CallForwardNumber     string `json:"callForwardNumber,omitempty"`
	VoicemailAccessNumber string `json:"voicemailAccessNumber,omitempty"`
}

// MobileSessionData describes a mobile data session (turbo session).
type MobileSessionData struct {
	SessionID                      string          `json:"sessionId,omitempty"`
	SessionDates                   *EffectiveDates `json:"SessionDates,omitempty"`
	SessionStatus                  string          `json:"sessionStatus,omitempty"`
	SessionStatusReasonCode        string          `json:"sessionStatusReasonCode,omitempty"`
	SessionStatusReasonDescription string          `json:"sessionStatusReasonDescription,omitempty"`
}

// LongDistanceCarrier chooses a subscriber's long-distance carrier.
type LongDistanceCarrier struct {
	Commission              *Commission `json:"Commission,omitempty"`
	EffectiveDate           string      `json:"effectiveDate,omitempty"`
	LongDistanceCarrierCode string      `json:"longDistanceCarrierCode,omitempty"`
}
