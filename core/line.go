package core

import (
	"strconv"
	"time"
)

// Reasons of line activation (MVNX, SPS, TMF). Append only.
const (
	ReasonIMEIInvalid      Reason = "IMEI_INVALID"
	ReasonPlanNotFound     Reason = "PLAN_NOT_FOUND"
	ReasonOfferingNotFound Reason = "OFFERING_NOT_FOUND"
	ReasonDuplicateTxID    Reason = "DUPLICATE_TRANSACTION_ID"
	ReasonTxNotFound       Reason = "TRANSACTION_NOT_FOUND"
	ReasonDeliveryNotFound Reason = "DELIVERY_NOT_FOUND"
	ReasonDeliveryClaimed  Reason = "DELIVERY_BEING_SENT"
)

// ValidIMEI reports whether s is 15 digits whose last is the Luhn check
// digit of the first 14.
func ValidIMEI(s string) bool {
	if len(s) != 15 {
		return false
	}
	sum := 0
	for i := 0; i < 15; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 1 { // every second digit from the left, the check digit excluded
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// activateLine applies the rules of a line activation: the caller's SIM,
// waiting for activation; a valid device; a plan and offerings the caller
// may sell; a number that is free for the caller. Every check runs before
// the first write, so a refused activation writes nothing.
func activateLine(tx Tx, cmd Activate, now time.Time) (Subscription, error) {
	caller := cmd.Ref.Partner
	sim, err := lineSIM(tx, caller, cmd.SIM)
	if err != nil {
		return Subscription{}, err
	}
	if cmd.Device.IMEI != "" && !ValidIMEI(cmd.Device.IMEI) {
		return Subscription{}, Errorf(KindInvalid, ReasonIMEIInvalid, "imei", "IMEI %s is not 15 digits with a valid check digit", cmd.Device.IMEI)
	}
	if cmd.Plan != "" {
		plan, ok, err := tx.Plan(cmd.Plan)
		if err != nil {
			return Subscription{}, err
		}
		if !ok || !plan.OfferedTo(caller) {
			return Subscription{}, Errorf(KindNotFound, ReasonPlanNotFound, "plan", "price plan %s not found", cmd.Plan)
		}
		for _, p := range cmd.Products {
			if p.Action != ProductRemove && !plan.HasOffering(p.ProductID) {
				return Subscription{}, Errorf(KindNotFound, ReasonOfferingNotFound, "offering", "offering %s is not part of plan %s", p.ProductID, cmd.Plan)
			}
		}
	}
	num, err := chooseNumber(tx, caller, cmd.Number)
	if err != nil {
		return Subscription{}, err
	}

	seq, err := tx.NextSeq("subscription")
	if err != nil {
		return Subscription{}, err
	}
	sub := Subscription{
		ID:       "sub-" + strconv.FormatUint(seq, 10),
		Partner:  caller,
		Account:  cmd.Account,
		Channel:  cmd.Ref.Channel,
		Status:   SubActive,
		SIM:      sim.ID,
		ICCID:    sim.ICCID,
		IMSI:     sim.IMSI,
		EID:      sim.EID,
		IMEI:     cmd.Device.IMEI,
		Plan:     cmd.Plan,
		Products: cmd.Products,

		SubscriberID:   cmd.SubscriberID,
		ActivationCode: cmd.ActivationCode,
		BAN:            cmd.BAN,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if sub.Account == "" {
		sub.Account = sim.Account
	}
	if sub.IMEI == "" {
		sub.IMEI = cmd.Device.PEI
	}
	sim.Status, sim.Subscription = SIMActive, sub.ID
	if err := tx.PutSIM(sim); err != nil {
		return Subscription{}, err
	}
	if num != nil {
		sub.MSISDN = num.MSISDN
		num.Status, num.Subscription, num.ReservationID = NumberIsAssigned, sub.ID, ""
		if err := tx.PutNumber(*num); err != nil {
			return Subscription{}, err
		}
	}
	if err := tx.PutSubscription(sub); err != nil {
		return Subscription{}, err
	}
	return sub, nil
}

func lineSIM(tx Tx, caller PartnerID, ref SIMRef) (SIM, error) {
	var sim SIM
	var ok bool
	var err error
	switch {
	case ref.ICCID != "":
		sim, ok, err = tx.SIMByICCID(ref.ICCID)
	case ref.EID != "":
		sim, ok, err = tx.SIMByEID(ref.EID)
	default:
		return SIM{}, Errorf(KindInvalid, ReasonSIMRequired, "sim", "a SIM (ICCID or EID) is required")
	}
	if err != nil {
		return SIM{}, err
	}
	if !ok || sim.Owner != caller {
		return SIM{}, Errorf(KindNotFound, ReasonSIMNotFound, "sim", "SIM %s%s not found", ref.ICCID, ref.EID)
	}
	if sim.Status != SIMPending && sim.Status != SIMAvailable {
		return SIM{}, Errorf(KindConflict, ReasonSIMNotAvailable, "sim", "SIM %s is %s", sim.ID, sim.Status)
	}
	return sim, nil
}

// chooseNumber finds the subscriber number. Another partner's number, one
// in use and one aging after a cease all read as "not available".
func chooseNumber(tx Tx, caller PartnerID, c NumberChoice) (*Number, error) {
	notAvailable := func(what string) error {
		return Errorf(KindConflict, ReasonNumberNotAvailable, "number", "subscriber number %s is not available", what)
	}
	switch c.Mode {
	case NumberNone:
		return nil, nil
	case NumberFromPool:
		n, ok, err := tx.FirstAvailableNumber(caller, c.Pool)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, Errorf(KindConflict, ReasonPoolExhausted, "number", "no available number in pool %q", c.Pool)
		}
		return &n, nil
	case NumberReserved:
		n, ok, err := tx.NumberByReservation(c.ReservationID)
		if err != nil {
			return nil, err
		}
		if !ok || n.Owner != caller || n.Status != NumberIsReserved || (c.MSISDN != "" && c.MSISDN != n.MSISDN) {
			return nil, Errorf(KindConflict, ReasonReservationInvalid, "reservation", "reservation %s does not hold number %s", c.ReservationID, c.MSISDN)
		}
		return &n, nil
	default: // NumberProvided
		n, ok, err := tx.Number(c.MSISDN)
		if err != nil {
			return nil, err
		}
		if !ok || n.Owner != caller {
			return nil, notAvailable(c.MSISDN)
		}
		switch {
		case n.Status == NumberIsAvailable:
		case n.Status == NumberIsReserved && c.AcceptReserved && n.ReservationID == "":
		default:
			return nil, notAvailable(c.MSISDN)
		}
		return &n, nil
	}
}
