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
	// submission order (Seq), until fn answers false or an error.
	TransactionsOf(partner PartnerID, channel Channel, fn func(Transaction) (bool, error)) error

	Hub(id string) (Hub, bool, error)
	// HubsOf answers partner's hubs of channel, oldest first.
	HubsOf(partner PartnerID, channel Channel) ([]Hub, error)
	PutHub(h Hub) error
	// DeleteHub removes a hub; deleting an absent one is not an error.
	DeleteHub(id string) error
}
