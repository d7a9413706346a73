package store

import (
	"encoding/binary"
	"strings"

	"simgate/core"
)

// partnerTxKey is x's entry in tx_by_partner: the partner's transactions of
// a channel in submission order, deleted ones ("" for those: no entry), so
// that the index counts and pages them without reading a record. Since
// schema 4 the partner and the channel are escaped (partPrefix): a key's
// prefix then names one partner and channel only, and a prefix walk meets
// no other partner's entries.
func partnerTxKey(x core.Transaction) string {
	if !x.DeletedAt.IsZero() {
		return ""
	}
	return partnerTxPrefix(x.Partner, x.Channel) + seqID(x)
}

// legacyPartnerTxKey is x's entry in tx_by_partner before schema 4: parts
// as they are, deleted transactions included.
func legacyPartnerTxKey(x core.Transaction) string {
	return composite(string(x.Partner), string(x.Channel), seqID(x))
}

func seqID(x core.Transaction) string {
	return string(binary.BigEndian.AppendUint64(nil, x.Seq)) + x.ID
}

// partnerTxPrefix is where a partner's entries of channel start in
// tx_by_partner.
func partnerTxPrefix(partner core.PartnerID, channel core.Channel) string {
	return escapePart(string(partner)) + "\x00" + escapePart(string(channel)) + "\x00"
}

// escapePart writes a key part without 0x00, so that the 0x00 after it
// ends it: 0x00 becomes 0x01 0x01 and 0x01 becomes 0x01 0x02. A part
// holding neither (every partner id and channel in practice) is unchanged,
// so its entries are the same as before schema 4.
func escapePart(s string) string {
	if !strings.ContainsAny(s, "\x00\x01") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0:
			b.WriteString("\x01\x01")
		case 1:
			b.WriteString("\x01\x02")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// TransactionsOf walks tx_by_partner from the front of the partner's
// channel, loading each transaction as fn asks for it.
func (t *tx) TransactionsOf(partner core.PartnerID, channel core.Channel, fn func(core.Transaction) (bool, error)) error {
	return t.TransactionsOfFrom(partner, channel, 0, fn)
}

// TransactionsOfFrom steps over the first skip entries of the partner's
// channel in tx_by_partner without loading them, then loads each
// transaction as fn asks for it.
func (t *tx) TransactionsOfFrom(partner core.PartnerID, channel core.Channel, skip int, fn func(core.Transaction) (bool, error)) error {
	prefix := partnerTxPrefix(partner, channel)
	return t.scan(bktTxByPartner, prefix, func(k, _ []byte) (bool, error) {
		rest := k[len(prefix):]
		if len(rest) <= 8 {
			return true, nil // not an entry: damage, which simgate check reports
		}
		if skip > 0 {
			skip--
			return true, nil
		}
		x, ok, err := t.Transaction(string(rest[8:]))
		if err != nil {
			return false, err
		}
		if !ok || x.Partner != partner || x.Channel != channel || !x.DeletedAt.IsZero() {
			return true, nil
		}
		return fn(x)
	})
}

// CountTransactionsOf counts the partner's entries of channel in
// tx_by_partner, reading no record: up to max+1 of them (max <= 0: all).
func (t *tx) CountTransactionsOf(partner core.PartnerID, channel core.Channel, max int) (int, error) {
	prefix := partnerTxPrefix(partner, channel)
	n := 0
	err := t.scan(bktTxByPartner, prefix, func(k, _ []byte) (bool, error) {
		if len(k)-len(prefix) <= 8 {
			return true, nil
		}
		n++
		return max <= 0 || n <= max, nil
	})
	return n, err
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
