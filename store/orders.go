package store

import (
	"encoding/binary"

	"simgate/core"
)

// partnerTxKey is x's entry in tx_by_partner: the partner's transactions of
// a channel in submission order.
func partnerTxKey(x core.Transaction) string {
	return composite(string(x.Partner), string(x.Channel), string(binary.BigEndian.AppendUint64(nil, x.Seq))+x.ID)
}

// TransactionsOf walks tx_by_partner from the front of the partner's
// channel, loading each transaction as fn asks for it.
func (t *tx) TransactionsOf(partner core.PartnerID, channel core.Channel, fn func(core.Transaction) (bool, error)) error {
	prefix := composite(string(partner), string(channel), "")
	return t.scan(bktTxByPartner, prefix, func(k, _ []byte) (bool, error) {
		rest := k[len(prefix):]
		if len(rest) <= 8 {
			return true, nil // an accidental prefix match too short to be ours
		}
		x, ok, err := t.Transaction(string(rest[8:]))
		if err != nil {
			return false, err
		}
		if !ok || x.Partner != partner || x.Channel != channel {
			return true, nil
		}
		return fn(x)
	})
}

func hubKey(h core.Hub) string {
	return composite(string(h.Partner), string(h.Channel), timeKey(h.CreatedAt)+h.ID)
}

func (t *tx) Hub(id string) (h core.Hub, ok bool, err error) {
	ok, err = t.load(bktHubs, id, &h)
	return h, ok, err
}

func (t *tx) HubsOf(partner core.PartnerID, channel core.Channel) ([]core.Hub, error) {
	return timeline(t, bktHubsByPartner, bktHubs, composite(string(partner), string(channel), ""), 0,
		func(h core.Hub) bool { return h.Partner == partner && h.Channel == channel })
}

func (t *tx) PutHub(h core.Hub) error {
	return putIndexed(t, bktHubs, h.ID, h, bktHubsByPartner, hubKey)
}

func (t *tx) DeleteHub(id string) error {
	old, found, err := t.Hub(id)
	if err != nil || !found {
		return err
	}
	if err := t.del(bktHubs, id); err != nil {
		return err
	}
	return t.link(bktHubsByPartner, hubKey(old), "")
}
