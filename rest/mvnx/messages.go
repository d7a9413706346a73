package mvnx

// The answers simgate sends: the immediate acknowledgement and, per
// subscriber, the response message POSTed to returnURL.

// AckTrackingHeader is the TrackingMessageHeader of simgate's answers.
type AckTrackingHeader struct {
	Version             string `json:"version,omitempty"`
	MessageID           string `json:"messageId"`
	ResponseTo          string `json:"responseTo,omitempty"`
	TimeToLive          int64  `json:"timeToLive,omitempty"`
	DateTimeStamp       string `json:"dateTimeStamp"`
	ConversationID      string `json:"conversationId"`
	OriginalVersion     string `json:"originalVersion,omitempty"`
	UniqueTransactionID string `json:"uniqueTransactionId"`
}

// MaskedSecurityHeader stands where the request's credentials were: they
// are never echoed.
type MaskedSecurityHeader struct {
	UserName     string `json:"userName"`
	UserPassword string `json:"userPassword"`
}

// AckSequenceHeader is the SequenceMessageHeader of simgate's answers.
type AckSequenceHeader struct {
	SequenceNumber  string `json:"sequenceNumber"`
	TotalInSequence string `json:"totalInSequence"`
}

// AckMessageHeader is the MessageHeader of the acknowledgement.
type AckMessageHeader struct {
	TrackingMessageHeader AckTrackingHeader     `json:"TrackingMessageHeader"`
	SecurityMessageHeader *MaskedSecurityHeader `json:"SecurityMessageHeader,omitempty"`
	SequenceMessageHeader AckSequenceHeader     `json:"SequenceMessageHeader"`
}

// Result is the code and description of an answer: "0" / "Success", or a
// reason code and what went wrong.
type Result struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// RequestAcknowledgement wraps the Result of an acknowledgement.
type RequestAcknowledgement struct {
	Response Result `json:"Response"`
}

// Ack is the immediate answer to ActivateSubscriberReseller.
type Ack struct {
	MessageHeader          AckMessageHeader       `json:"MessageHeader"`
	RequestAcknowledgement RequestAcknowledgement `json:"RequestAcknowledgement"`
}

// ResponseSubscriber is one activated (A) or failed (C) subscriber.
type ResponseSubscriber struct {
	SubscriberNumber string `json:"subscriberNumber,omitempty"`
	SubscriberStatus string `json:"subscriberStatus" enum:"A,C"`
	SIM              string `json:"SIM"`
	IMEI             string `json:"IMEI,omitempty"`
	Code             string `json:"code,omitempty"`
	Description      string `json:"description,omitempty"`
}

// ActivateResponseBody is the result of one subscriber of the request.
type ActivateResponseBody struct {
	BillingAccountNumber string             `json:"billingAccountNumber"`
	Subscriber           ResponseSubscriber `json:"Subscriber"`
}

// ResponseMessageHeader is the MessageHeader of a response message.
type ResponseMessageHeader struct {
	TrackingMessageHeader AckTrackingHeader `json:"TrackingMessageHeader"`
	SequenceMessageHeader AckSequenceHeader `json:"SequenceMessageHeader"`
}

// ResponseMessage is POSTed to the request's returnURL, one per subscriber
// (SequenceMessageHeader i of n). The partner answers it with an Ack whose
// code is "0".
type ResponseMessage struct {
	MessageHeader                      ResponseMessageHeader `json:"MessageHeader"`
	ActivateSubscriberResellerResponse ActivateResponseBody  `json:"ActivateSubscriberResellerResponse"`
}
