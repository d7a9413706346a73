package sps

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"simgate/core"
)

// Renderer writes the completion notification of a request. Without a
// callback URL it writes none: the outcome is read with the query.
type Renderer struct{}

// Event types of the notifications.
var eventOf = map[core.Action]string{
	core.ActionSuspend:    "SubscriptionSuspended",
	core.ActionResume:     "SubscriptionResumed",
	core.ActionCease:      "SubscriptionCeased",
	core.ActionReactivate: "SubscriptionReactivated",
}

// Render implements core.Renderer.
func (Renderer) Render(t core.Transaction, item int, now time.Time) ([]core.Notification, error) {
	if t.CallbackURL == "" {
		return nil, nil
	}
	var cx txContext
	if err := json.Unmarshal(t.Context, &cx); err != nil {
		return nil, fmt.Errorf("transaction %s: context: %w", t.ID, err)
	}
	res := t.Results[item]
	n := Notification{
		EventTime: now.UTC().Format(time.RFC3339), PartnerTransactionID: t.PartnerTxID, TransactionID: t.ID,
		CorrelationID: t.CorrelationID, WholesaleCustomerID: cx.WholesaleCustomerID, Status: "Success",
	}
	info := &SubscriptionInfo{}
	switch {
	case len(t.Job.Activations) > 0:
		a := t.Job.Activations[0]
		n.EventType = "SubscriptionActivated"
		info = &SubscriptionInfo{SubscriberID: a.SubscriberID, Iccid: a.SIM.ICCID, Eid: a.SIM.EID, Gpsi: a.Number.MSISDN, Pei: cx.PEI, WholesalePlanID: a.Plan}
	case len(t.Job.Changes) > 0:
		ch := t.Job.Changes[0]
		n.EventType = eventOf[ch.Action]
		if ch.Subscription.Kind == core.ByICCID {
			info.Iccid = ch.Subscription.Value
		} else {
			info.Gpsi = ch.Subscription.Value
		}
	}
	if s := res.Subscription; res.OK && s != nil {
		info = &SubscriptionInfo{SubscriberID: s.SubscriberID, Iccid: s.ICCID, Eid: s.EID, Gpsi: s.MSISDN, Pei: s.IMEI, WholesalePlanID: s.Plan, Status: string(s.Status)}
		if s.ActivationCode != "" && len(t.Job.Activations) > 0 {
			n.ESIM = &ESIM{ActivationCode: s.ActivationCode}
			if cx.Delivery == "QR" {
				png, err := qrcode.Encode(s.ActivationCode, qrcode.Medium, 256)
				if err != nil {
					return nil, fmt.Errorf("QR code: %w", err)
				}
				n.ESIM.QRCode = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
			}
		}
	} else {
		n.Status = "Failed"
		if res.Error != nil {
			n.Errors = []ErrorItem{itemOf(res.Error)}
		}
	}
	n.Subscription = info
	body, err := json.Marshal(n)
	if err != nil {
		return nil, err
	}
	return []core.Notification{{Event: n.EventType, URL: t.CallbackURL, ContentType: "application/json", Body: body, Accept: core.Accept2xx}}, nil
}
