package core

import "time"

// ChannelTMF is the TM Forum Open API front end (TMF622 Product Ordering).
const ChannelTMF Channel = "tmf"

// Hub is a partner's subscription to the event notifications of one
// channel (a TMF630 hub registration): events go to Callback, filtered by
// Query as the front end understands it.
type Hub struct {
	ID        string    `json:"id"`
	Partner   PartnerID `json:"partner"`
	Channel   Channel   `json:"channel"`
	Callback  string    `json:"callback"`
	Query     string    `json:"query,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// OrderTx is the part of Tx the order front ends use to list a partner's
// transactions and keep its hub registrations.
type OrderTx interface {
	// TransactionsOf calls fn with partner's transactions of channel in
	// submission order (Seq), deleted ones (DeletedAt set) left out, until
	// fn answers false or an error.
	TransactionsOf(partner PartnerID, channel Channel, fn func(Transaction) (bool, error)) error
	// TransactionsOfFrom is TransactionsOf past the first skip of those
	// transactions, which it steps over without reading them: its cost
	// grows with skip as an index walk, not as skip records read.
	TransactionsOfFrom(partner PartnerID, channel Channel, skip int, fn func(Transaction) (bool, error)) error
	// CountTransactionsOf counts the transactions TransactionsOf would
	// list, from the index alone, up to max+1: an answer above max means
	// "more than max" (max <= 0: no bound).
	CountTransactionsOf(partner PartnerID, channel Channel, max int) (int, error)

	Hub(id string) (Hub, bool, error)
	// HubsOf answers partner's hubs of channel, oldest first.
	HubsOf(partner PartnerID, channel Channel) ([]Hub, error)
	PutHub(h Hub) error
	// DeleteHub removes a hub; deleting an absent one is not an error.
	DeleteHub(id string) error
}
