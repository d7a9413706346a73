package tmf

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"simgate/core"
)

// Event types, and the listener path each is POSTed to below a hub's
// callback (the specification's /listener/<event name>).
const (
	EventOrderCreate          = "ProductOrderCreateEvent"
	EventOrderStateChange     = "ProductOrderStateChangeEvent"
	EventOrderAttributeChange = "ProductOrderAttributeValueChangeEvent"
	EventOrderDelete          = "ProductOrderDeleteEvent"
	EventCancelCreate         = "CancelProductOrderCreateEvent"
)

// EventTypes are the events simgate sends.
var EventTypes = []string{EventOrderCreate, EventOrderStateChange, EventOrderAttributeChange, EventOrderDelete, EventCancelCreate}

// ListenerPath is where an event goes below a hub's callback:
// /listener/productOrderCreateEvent for ProductOrderCreateEvent.
func ListenerPath(eventType string) string {
	return "/listener/" + strings.ToLower(eventType[:1]) + eventType[1:]
}

// eventFilter parses a hub's query: empty (every event) or eventType=A,B
// (also eventType=A&eventType=B). Anything else is refused at
// registration, so that a hub never silently receives what it did not ask
// for.
func eventFilter(query string) ([]string, error) {
	if query == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, invalid("query must be eventType=<event type>[,<event type>...]")
	}
	var out []string
	for k, vs := range q {
		if k != "eventType" {
			return nil, invalid("query: only eventType is supported, not %q", truncate(k, 64))
		}
		for _, v := range vs {
			for _, e := range strings.Split(v, ",") {
				e = strings.TrimSpace(e)
				if !slices.Contains(EventTypes, e) {
					return nil, invalid("query: eventType %q is not one of %s", truncate(e, 64), strings.Join(EventTypes, ", "))
				}
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// hubNotes renders ev for each of partner's hubs that wants it.
func hubNotes(tx core.Tx, partner core.PartnerID, ev Event) ([]core.Notification, error) {
	hubs, err := tx.HubsOf(partner, core.ChannelTMF)
	if err != nil || len(hubs) == 0 {
		return nil, err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	var out []core.Notification
	for _, h := range hubs {
		want, err := eventFilter(h.Query)
		if err != nil || (want != nil && !slices.Contains(want, ev.EventType)) {
			continue // a stored query is valid; one that is not gets nothing
		}
		out = append(out, core.Notification{
			Event: ev.EventType, URL: strings.TrimRight(h.Callback, "/") + ListenerPath(ev.EventType),
			ContentType: MediaType, Body: body, Accept: core.Accept2xx,
		})
	}
	return out, nil
}

// Renderer writes the state-change events of an order as its items run:
// inProgress when a commit leaves the order in progress (core's
// ProgressReported), and the final state (completed, failed or partial)
// after the last item.
type Renderer struct{ views }

// Render implements core.Renderer; the engine calls RenderTx, which reads
// the partner's hubs.
func (Renderer) Render(core.Transaction, int, time.Time) ([]core.Notification, error) {
	return nil, errors.New("tmf: the renderer needs the store transaction (RenderTx)")
}

// RenderTx implements core.TxRenderer.
func (r Renderer) RenderTx(tx core.Tx, t core.Transaction, item int, now time.Time) ([]core.Notification, error) {
	n := t.Job.Items()
	var out []core.Notification
	emit := func(state core.OrderState) error {
		view := t
		view.Results = t.Results[:item+1]
		if state.Final() {
			view.History = append(slices.Clone(t.History), core.TxEvent{At: now, Status: core.TxSucceeded})
		}
		o, err := r.orderView(view)
		if err != nil {
			return err
		}
		o.State = wireState[state]
		notes, err := hubNotes(tx, t.Partner, Event{EventID: t.ID + "-" + wireState[state], EventTime: stamp(now), EventType: EventOrderStateChange, Event: EventPayload{ProductOrder: &o}})
		out = append(out, notes...)
		return err
	}
	if core.ProgressReported(t, item) {
		if err := emit(core.OrderInProgress); err != nil {
			return nil, err
		}
	}
	if item == n-1 {
		if err := emit(core.StateAfter(t, item)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
