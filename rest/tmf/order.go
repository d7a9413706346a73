package tmf

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"simgate/core"
	"simgate/rest/jsonx"
)

// How an order's items become core commands.
//
//	add      activates a mobile line: characteristics ICCID (the SIM),
//	         MSISDN (a number of the partner that is available, or that it
//	         reserved; absent: the first available number of the pool named
//	         by the market characteristic), IMEI, plan.
//	modify   suspends (product.status or a status characteristic
//	         "suspended") or resumes ("active") a subscription.
//	delete   ceases a subscription.
//	noChange runs nothing.
//
// modify and delete name the subscription by product.id (the id simgate
// answers in the product of a completed add item, the same subscription id
// every front end sees), or else by an ICCID or MSISDN characteristic. The
// job runs the add items first, then modify and delete, each item on its
// own: one item's failure does not stop the others.

// Characteristic names (compared without regard to case).
const (
	charICCID  = "iccid"
	charMSISDN = "msisdn"
	charIMEI   = "imei"
	charPlan   = "plan"
	charMarket = "market"
	charStatus = "status"
)

var (
	iccidPattern  = regexp.MustCompile(`^[0-9]{19,20}$`)
	msisdnPattern = regexp.MustCompile(`^[0-9]{8,15}$`)
	imeiPattern   = regexp.MustCompile(`^[0-9]{15}$`)
	codePattern   = regexp.MustCompile(`^[-A-Za-z0-9_.]{1,36}$`)
)

// checkStart applies core's rule on the order's requested start (a date
// checkOrder found well formed) at now.
func checkStart(r *ProductOrderCreate, now time.Time) error {
	at, err := time.Parse(time.RFC3339, r.RequestedStartDate)
	if r.RequestedStartDate == "" || err != nil {
		return nil
	}
	return core.CheckStart(at, now)
}

// checkOrder applies the constraints of the order's own attributes.
func checkOrder(k *checker, r *ProductOrderCreate) {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"category", r.Category, 256}, {"description", r.Description, 4096}, {"externalId", r.ExternalID, 128}, {"notificationContact", r.NotificationContact, 256}} {
		k.maxLen(f.name, f.v, f.max)
	}
	if r.Priority != "" && !slices.Contains([]string{"0", "1", "2", "3", "4"}, r.Priority) {
		k.add("priority must be 0 to 4")
	}
	k.date("requestedCompletionDate", r.RequestedCompletionDate)
	k.date("requestedStartDate", r.RequestedStartDate)
	checkExt(k, "", r.Ext)
	checkNotes(k, r.Note)
	checkParties(k, r.RelatedParty)
	switch n := len(r.ProductOrderItem); {
	case n == 0:
		k.add("productOrderItem must hold at least one item")
	case n > MaxItems:
		k.add("productOrderItem holds at most %d items", MaxItems)
	}
}

func checkNotes(k *checker, notes []Note) {
	if len(notes) > 20 {
		k.add("note holds at most 20 items")
	}
	for i, n := range notes {
		at := fmt.Sprintf("note[%d]", i)
		if n.Text == "" {
			k.add("%s.text is required", at)
		}
		k.maxLen(at+".text", n.Text, 4096)
		k.maxLen(at+".id", n.ID, 128)
		k.maxLen(at+".author", n.Author, 256)
		k.date(at+".date", n.Date)
		checkExt(k, at+".", n.Ext)
	}
}

func checkParties(k *checker, parties []RelatedParty) {
	if len(parties) > 20 {
		k.add("relatedParty holds at most 20 items")
	}
	for i, p := range parties {
		at := fmt.Sprintf("relatedParty[%d]", i)
		if p.ID == "" || len(p.ID) > 128 {
			k.add("%s.id must be 1 to 128 characters", at)
		}
		if p.ReferredType == "" {
			k.add("%s.@referredType is required", at)
		}
		k.maxLen(at+".@referredType", p.ReferredType, 128)
		k.maxLen(at+".href", p.Href, 1024)
		k.maxLen(at+".name", p.Name, 256)
		k.maxLen(at+".role", p.Role, 128)
		checkExt(k, at+".", p.Ext)
	}
}

func checkExt(k *checker, at string, e Ext) {
	k.maxLen(at+"@type", e.Type, 128)
	k.maxLen(at+"@baseType", e.BaseType, 128)
	k.maxLen(at+"@schemaLocation", e.SchemaLocation, 1024)
}

// translate checks the items and builds the job; jobs maps each item to
// its command (-1: none).
func translate(k *checker, ref core.TxRef, items []Item) (core.Job, []int) {
	var job core.Job
	kinds := make([]int, len(items)) // 0 none, 1 activation, 2 change
	index := make([]int, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		at := fmt.Sprintf("productOrderItem[%d]", i)
		if it.ID == "" || len(it.ID) > 64 {
			k.add("%s.id must be 1 to 64 characters", at)
		} else if seen[it.ID] {
			k.add("%s.id %q is used by another item", at, it.ID)
		}
		seen[it.ID] = true
		if it.Quantity != nil && *it.Quantity != 1 {
			k.add("%s.quantity must be 1: one item is one line", at)
		}
		if it.State != "" {
			k.add("%s.state is set by simgate", at)
		}
		checkExt(k, at+".", it.Ext)
		if o := it.ProductOffering; o != nil {
			if o.ID == "" || len(o.ID) > 128 {
				k.add("%s.productOffering.id must be 1 to 128 characters", at)
			}
			checkExt(k, at+".productOffering.", o.Ext)
		}
		var p Product
		if it.Product != nil {
			p = *it.Product
			checkExt(k, at+".product.", p.Ext)
		}
		chars := characteristics(k, at+".product.productCharacteristic", p.ProductCharacteristic)
		status := p.Status
		if s, ok := chars[charStatus]; ok {
			if status != "" && status != s {
				k.add("%s: product.status and the status characteristic differ", at)
			}
			status = s
		}
		switch it.Action {
		case "add":
			if p.ID != "" {
				k.add("%s.product.id names an existing product: add creates one", at)
			}
			if status != "" {
				k.add("%s: add takes no status", at)
			}
			a := core.Activate{Ref: ref, SIM: core.SIMRef{ICCID: chars[charICCID]}, Device: core.Device{IMEI: chars[charIMEI]}, Plan: chars[charPlan]}
			if m := chars[charMSISDN]; m != "" {
				a.Number = core.NumberChoice{Mode: core.NumberProvided, MSISDN: m, AcceptReserved: true}
			} else {
				a.Number = core.NumberChoice{Mode: core.NumberFromPool, Pool: chars[charMarket]}
			}
			kinds[i], index[i] = 1, len(job.Activations)
			job.Activations = append(job.Activations, a)
		case "modify", "delete":
			target, ok := subscriberOf(p.ID, chars)
			if !ok {
				k.add("%s: %s names the subscription by product.id, or an ICCID or MSISDN characteristic", at, it.Action)
			}
			for name := range chars {
				if name != charICCID && name != charMSISDN && name != charStatus {
					k.add("%s: %s takes no %s characteristic", at, it.Action, name)
				}
			}
			var action core.Action
			switch {
			case it.Action == "delete" && (status == "" || status == "terminated"):
				action = core.ActionCease
			case it.Action == "delete":
				k.add("%s: delete takes no status other than terminated", at)
			case status == "suspended":
				action = core.ActionSuspend
			case status == "active":
				action = core.ActionResume
			default:
				k.add("%s: modify needs a status: suspended or active", at)
			}
			kinds[i], index[i] = 2, len(job.Changes)
			job.Changes = append(job.Changes, core.ChangeStatus{Ref: ref, Subscription: target, Action: action})
		case "noChange":
		default:
			k.add("%s.action must be add, modify, delete or noChange", at)
		}
	}
	if len(items) > 0 && len(job.Activations)+len(job.Changes) == 0 {
		k.add("productOrderItem: the order changes nothing (every item is noChange)")
	}
	jobs := make([]int, len(items))
	for i := range items {
		switch kinds[i] {
		case 1:
			jobs[i] = index[i]
		case 2:
			jobs[i] = len(job.Activations) + index[i]
		default:
			jobs[i] = -1
		}
	}
	return job, jobs
}

// characteristics checks an item's characteristics and answers them by
// lower-case name.
func characteristics(k *checker, at string, cs []Characteristic) map[string]string {
	out := map[string]string{}
	if len(cs) > 20 {
		k.add("%s holds at most 20 items", at)
	}
	for i, c := range cs {
		name := strings.ToLower(c.Name)
		v := c.Value.String()
		where := fmt.Sprintf("%s[%d]", at, i)
		if _, dup := out[name]; dup {
			k.add("%s: characteristic %q is given twice", where, c.Name)
		}
		out[name] = v
		checkExt(k, where+".", c.Ext)
		k.maxLen(where+".valueType", c.ValueType, 64)
		var ok bool
		switch name {
		case charICCID:
			ok = iccidPattern.MatchString(v)
		case charMSISDN:
			ok = msisdnPattern.MatchString(v)
		case charIMEI:
			ok = imeiPattern.MatchString(v)
		case charPlan, charMarket:
			ok = codePattern.MatchString(v)
		case charStatus:
			ok = slices.Contains([]string{"active", "suspended", "terminated"}, v)
		default:
			k.add("%s: unknown characteristic %q (known: ICCID, MSISDN, IMEI, plan, market, status)", where, truncate(c.Name, 64))
			continue
		}
		if !ok {
			k.add("%s: %s value %q is not valid", where, c.Name, truncate(v, 64))
		}
	}
	return out
}

func subscriberOf(productID string, chars map[string]string) (core.SubscriberRef, bool) {
	switch {
	case productID != "":
		return core.SubscriberRef{Kind: core.ByID, Value: productID}, len(productID) <= 128
	case chars[charICCID] != "":
		return core.SubscriberRef{Kind: core.ByICCID, Value: chars[charICCID]}, true
	case chars[charMSISDN] != "":
		return core.SubscriberRef{Kind: core.ByMSISDN, Value: chars[charMSISDN]}, true
	}
	return core.SubscriberRef{}, false
}

// ---- representation ----

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// views renders the API's resources; base is the public base URL of
// their hrefs, or "" for paths.
type views struct{ base string }

func (v views) orderHref(id string) string { return v.base + PathOrders + "/" + id }

// orderView builds the order's representation from the transaction.
func (v views) orderView(t core.Transaction) (ProductOrder, error) {
	var cx orderContext
	if err := json.Unmarshal(t.Context, &cx); err != nil {
		return ProductOrder{}, fmt.Errorf("order %s: context: %w", t.ID, err)
	}
	r := cx.Order
	state := core.StateOf(t)
	o := ProductOrder{
		ID: t.ID, Href: v.orderHref(t.ID), Category: r.Category, Description: r.Description, ExternalID: r.ExternalID,
		NotificationContact: r.NotificationContact, OrderDate: stamp(t.CreatedAt), Priority: r.Priority,
		RequestedCompletionDate: r.RequestedCompletionDate, RequestedStartDate: r.RequestedStartDate,
		Note: slices.Clone(r.Note), RelatedParty: slices.Clone(r.RelatedParty), State: wireState[state], Ext: r.Ext,
	}
	if o.RelatedParty == nil {
		o.RelatedParty = []RelatedParty{}
	}
	if at, ok := core.FinishedAt(t); ok {
		o.CompletionDate = stamp(at)
	}
	if cx.Cancel != nil {
		o.CancellationDate, o.CancellationReason = stamp(cx.Cancel.At), cx.Cancel.Reason
	}
	o.ProductOrderItem = make([]Item, len(r.ProductOrderItem))
	for i, in := range r.ProductOrderItem {
		it := in
		if in.Product != nil {
			p := *in.Product
			p.ProductCharacteristic = slices.Clone(p.ProductCharacteristic)
			it.Product = &p
		}
		j := -1
		if i < len(cx.Jobs) {
			j = cx.Jobs[i]
		}
		if j < 0 {
			it.State = wireState[core.IdleItemState(state)]
		} else {
			it.State = wireState[core.ItemState(t, j)]
		}
		if j >= 0 && j < len(t.Results) {
			res := t.Results[j]
			switch {
			case res.OK && res.Subscription != nil:
				it.Product = productOf(it.Product, res.Subscription)
			case res.Error != nil:
				o.Note = append(o.Note, Note{ID: "item-" + in.ID, Author: "simgate", Date: o.CompletionDate, Text: "item " + in.ID + ": " + noteOf(res.Error), Ext: Ext{Type: "Note"}})
			}
		}
		o.ProductOrderItem[i] = it
	}
	return o, nil
}

// productOf is the item's product once its command ran: the subscription's
// id, its status, and its ICCID and MSISDN.
func productOf(in *Product, s *core.Subscription) *Product {
	var p Product
	if in != nil {
		p = *in
	}
	p.ID = s.ID
	switch s.Status {
	case core.SubActive:
		p.Status = "active"
	case core.SubSuspended:
		p.Status = "suspended"
	case core.SubCeased:
		p.Status = "terminated"
	case core.SubPending:
		p.Status = "pendingActive"
	}
	has := func(name string) bool {
		return slices.ContainsFunc(p.ProductCharacteristic, func(c Characteristic) bool { return strings.EqualFold(c.Name, name) })
	}
	for _, c := range []struct{ name, v string }{{"ICCID", s.ICCID}, {"MSISDN", s.MSISDN}} {
		if c.v != "" && !has(c.name) {
			p.ProductCharacteristic = append(p.ProductCharacteristic, Characteristic{Name: c.name, ValueType: "string", Value: StringValue(c.v)})
		}
	}
	return &p
}

// cancelView builds the cancellation of a cancelled order.
func (v views) cancelView(t core.Transaction) (CancelProductOrder, error) {
	var cx orderContext
	if err := json.Unmarshal(t.Context, &cx); err != nil {
		return CancelProductOrder{}, fmt.Errorf("order %s: context: %w", t.ID, err)
	}
	if cx.Cancel == nil {
		return CancelProductOrder{}, fmt.Errorf("order %s was not cancelled", t.ID)
	}
	id := cancelPrefix + t.ID
	return CancelProductOrder{
		ID: id, Href: v.base + PathCancels + "/" + id, CancellationReason: cx.Cancel.Reason, EffectiveCancellationDate: stamp(cx.Cancel.At),
		RequestedCancellationDate: cx.Cancel.Requested, State: "done",
		ProductOrder: Ref{ID: t.ID, Href: v.orderHref(t.ID), ReferredType: "ProductOrder"}, Ext: cx.Cancel.Ext,
	}, nil
}

// ---- merge patch ----

// notPatchable says why each other attribute of the specification's
// ProductOrder_Update is refused in a patch.
var notPatchable = map[string]string{
	"state":                        "it follows the items; cancel an acknowledged order with POST cancelProductOrder",
	"productOrderItem":             "an order's items do not change once ordered; send another order",
	"cancellationDate":             "set by cancelProductOrder",
	"cancellationReason":           "set by cancelProductOrder",
	"completionDate":               "set by simgate",
	"expectedCompletionDate":       "set by simgate",
	"id":                           "set by simgate",
	"href":                         "set by simgate",
	"orderDate":                    "set by simgate",
	"agreement":                    "not supported",
	"billingAccount":               "not supported",
	"channel":                      "not supported",
	"orderTotalPrice":              "not supported",
	"payment":                      "not supported",
	"productOfferingQualification": "not supported",
	"quote":                        "not supported",
}

var patchable = []string{"category", "description", "externalId", "notificationContact", "priority", "requestedCompletionDate",
	"requestedStartDate", "note", "relatedParty", "@type", "@baseType", "@schemaLocation"}

func (p *ProductOrderPatch) fields() []*json.RawMessage {
	return []*json.RawMessage{&p.Category, &p.Description, &p.ExternalID, &p.NotificationContact, &p.Priority, &p.RequestedCompletionDate,
		&p.RequestedStartDate, &p.Note, &p.RelatedParty, &p.Type, &p.BaseType, &p.SchemaLocation}
}

// present answers the attributes the patch names, in patchable's order.
func (p *ProductOrderPatch) present() []string {
	var out []string
	for i, f := range p.fields() {
		if *f != nil {
			out = append(out, patchable[i])
		}
	}
	return out
}

// apply merges the patch into the order and checks the result.
func (p *ProductOrderPatch) apply(o *ProductOrderCreate, lim jsonx.Limits, now time.Time) error {
	targets := []any{&o.Category, &o.Description, &o.ExternalID, &o.NotificationContact, &o.Priority, &o.RequestedCompletionDate,
		&o.RequestedStartDate, &o.Note, &o.RelatedParty, &o.Type, &o.BaseType, &o.SchemaLocation}
	for i, f := range p.fields() {
		raw := *f
		if raw == nil {
			continue
		}
		if strings.TrimSpace(string(raw)) == "null" {
			switch v := targets[i].(type) {
			case *string:
				*v = ""
			case *[]Note:
				*v = nil
			case *[]RelatedParty:
				*v = nil
			}
			continue
		}
		if err := jsonx.Decode(raw, targets[i], lim); err != nil {
			return invalid("%s: %s", patchable[i], err.Error())
		}
	}
	var k checker
	checkOrder(&k, o)
	if err := k.err(); err != nil {
		return err
	}
	if p.RequestedStartDate == nil {
		return nil
	}
	return checkStart(o, now)
}
