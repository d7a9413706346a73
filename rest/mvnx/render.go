package mvnx

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"simgate/core"
)

// txContext is what the response messages need of the request's
// MessageHeader, stored with the transaction.
type txContext struct {
	MessageID       string `json:"messageId"`
	ConversationID  string `json:"conversationId"`
	Version         string `json:"version,omitempty"`
	OriginalVersion string `json:"originalVersion,omitempty"`
	TimeToLive      int64  `json:"timeToLive,omitempty"`
}

// EventResponse names the notification of one subscriber's outcome.
const EventResponse = "ActivateSubscriberResellerResponse"

// Renderer writes the response message of one subscriber.
type Renderer struct{}

// Render implements core.Renderer.
func (Renderer) Render(t core.Transaction, item int, now time.Time) ([]core.Notification, error) {
	var cx txContext
	if err := json.Unmarshal(t.Context, &cx); err != nil {
		return nil, fmt.Errorf("transaction %s: context: %w", t.ID, err)
	}
	if item >= len(t.Job.Activations) || item >= len(t.Results) {
		return nil, fmt.Errorf("transaction %s: no result for item %d", t.ID, item)
	}
	act, res := t.Job.Activations[item], t.Results[item]
	sub := ResponseSubscriber{SIM: act.SIM.ICCID, IMEI: act.Device.IMEI, SubscriberNumber: act.Number.MSISDN}
	if res.OK && res.Subscription != nil {
		sub.SubscriberStatus, sub.SubscriberNumber = "A", res.Subscription.MSISDN
	} else {
		sub.SubscriberStatus = "C"
		if res.Error != nil {
			_, w := wireOf(&core.Error{Kind: res.Error.Kind, Reason: res.Error.Reason, Message: res.Error.Message})
			sub.Code, sub.Description = string(res.Error.Reason), w.description
		}
	}
	n := len(t.Job.Activations)
	msg := ResponseMessage{
		MessageHeader: ResponseMessageHeader{
			TrackingMessageHeader: AckTrackingHeader{
				Version: cx.Version, MessageID: t.ID + "-" + strconv.Itoa(item+1), ResponseTo: cx.MessageID,
				TimeToLive: cx.TimeToLive, DateTimeStamp: now.UTC().Format(time.RFC3339), ConversationID: cx.ConversationID,
				OriginalVersion: cx.OriginalVersion, UniqueTransactionID: t.ID,
			},
			SequenceMessageHeader: AckSequenceHeader{SequenceNumber: strconv.Itoa(item + 1), TotalInSequence: strconv.Itoa(n)},
		},
		ActivateSubscriberResellerResponse: ActivateResponseBody{BillingAccountNumber: act.BAN, Subscriber: sub},
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	return []core.Notification{{Event: EventResponse, URL: t.CallbackURL, ContentType: "application/json", Body: body, Accept: core.AcceptMVNXAck}}, nil
}
