package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"simgate/core"
)

// The inventory file format (documented in README.md, "Inventory files").
//
// One JSON object per line; blank lines and lines starting with '#' are
// ignored. "kind" says what the line creates. A record with "count" N > 1
// stands for N records whose numeric identifiers (id, iccid, sim_number,
// imsi, eid, msisdn, imei, service_identifier) count up from the given values,
// keeping their width. A record whose key exists replaces it.
type record struct {
	Kind string `json:"kind"`
	// Count expands the record into a run of consecutive identifiers.
	Count int `json:"count"`

	ID       flexID   `json:"id"`
	Name     string   `json:"name"`
	Username string   `json:"username"`
	Password string   `json:"password"` // plain, hashed at import
	PassHash string   `json:"password_hash"`
	APIKeys  []string `json:"api_keys"`
	Root     string   `json:"root_account"`
	Webhook  string   `json:"webhook_secret"` // generated when absent
	Callback string   `json:"callback_url"`
	// RateLimit overrides the server's --rate-limit / --rate-burst.
	RateLimit *core.RateLimit `json:"rate_limit"`

	Partner  string   `json:"partner"`
	Parent   string   `json:"parent"`
	Partners []string `json:"partners"`
	Needs    bool     `json:"needs_product"`

	Owner    string `json:"owner"`
	Account  string `json:"account"`
	Type     string `json:"type"`
	Category string `json:"category"`

	ICCID     string `json:"iccid"`
	SimNumber string `json:"sim_number"`
	IMSI      string `json:"imsi"`
	EID       string `json:"eid"`
	Product   int64  `json:"product"`
	Status    string `json:"status"`
	Locked    bool   `json:"locked"`

	MSISDN        string `json:"msisdn"`
	Pool          string `json:"pool"`
	ReservationID string `json:"reservation_id"`

	ServiceIdentifier string     `json:"service_identifier"`
	ServiceType       int64      `json:"service_type"`
	Order             *orderSpec `json:"order"`

	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`

	Code      string   `json:"code"`
	Offerings []string `json:"offerings"`

	IMEI string `json:"imei"`
	Plan string `json:"plan"`
}

type orderSpec struct {
	ID        string `json:"id"`
	Owner     string `json:"owner"`
	Finalised bool   `json:"finalised"`
}

// ImportLimits bound what one file may ask for.
const (
	maxLineBytes   = 64 << 10
	maxRecordCount = 10_000_000
	importBatch    = 2000
)

// ImportStats says what an import wrote.
type ImportStats struct {
	Lines   int
	Records map[string]int
}

// Import loads an inventory file into st. Passwords given in plain text are
// hashed with pw. Records are written in batches; an error names the line.
func Import(ctx context.Context, st core.Store, pw core.Passwords, r io.Reader) (ImportStats, error) {
	stats := ImportStats{Records: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	var pending []func(core.Tx) error
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		batch := pending
		pending = nil
		return st.Update(ctx, func(tx core.Tx) error {
			for _, put := range batch {
				if err := put(tx); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for sc.Scan() {
		stats.Lines++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		var rec record
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return stats, fmt.Errorf("line %d: %w", stats.Lines, err)
		}
		if dec.More() {
			return stats, fmt.Errorf("line %d: one JSON object per line", stats.Lines)
		}
		puts, err := expand(rec, pw)
		if err != nil {
			return stats, fmt.Errorf("line %d: %s: %w", stats.Lines, rec.Kind, err)
		}
		stats.Records[rec.Kind] += len(puts)
		for _, put := range puts {
			pending = append(pending, put)
			if len(pending) >= importBatch {
				if err := flush(); err != nil {
					return stats, fmt.Errorf("line %d: %w", stats.Lines, err)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return stats, fmt.Errorf("line %d: longer than %d bytes", stats.Lines+1, maxLineBytes)
		}
		return stats, err
	}
	if err := flush(); err != nil {
		return stats, err
	}
	return stats, nil
}

// expand validates one record and answers the writes it stands for.
func expand(rec record, pw core.Passwords) ([]func(core.Tx) error, error) {
	n := rec.Count
	if n == 0 {
		n = 1
	}
	if n < 1 || n > maxRecordCount {
		return nil, fmt.Errorf("count must be 1 to %d", maxRecordCount)
	}
	if n > 1 && (rec.Kind == "partner" || rec.Kind == "account" || rec.Kind == "service_type" || rec.Kind == "session" || rec.Kind == "plan") {
		return nil, errors.New("count is not allowed here")
	}
	if n > 1 {
		for _, f := range []string{rec.ICCID, rec.SimNumber, rec.IMSI, rec.EID, rec.MSISDN, rec.IMEI, rec.ServiceIdentifier} {
			if f != "" && !digits(f) {
				return nil, fmt.Errorf("with count, identifiers must be decimal digits (%q is not)", f)
			}
		}
	}
	puts := make([]func(core.Tx) error, 0, n)
	switch rec.Kind {
	case "partner":
		p, err := partnerOf(rec, pw)
		if err != nil {
			return nil, err
		}
		puts = append(puts, func(tx core.Tx) error {
			q := p
			// Without a secret in the file the stored one stays: a re-import
			// must not break the partner's signature checks.
			if rec.Webhook == "" {
				old, ok, err := tx.Partner(q.ID)
				if err != nil {
					return err
				}
				if ok && old.WebhookSecret != "" {
					q.WebhookSecret = old.WebhookSecret
				}
			}
			return tx.PutPartner(q)
		})
	case "account":
		if rec.ID == "" || rec.Partner == "" {
			return nil, errors.New("id and partner are required")
		}
		a := core.Account{ID: core.AccountID(rec.ID), Partner: core.PartnerID(rec.Partner), Parent: core.AccountID(rec.Parent), Name: rec.Name}
		puts = append(puts, func(tx core.Tx) error { return tx.PutAccount(a) })
	case "service_type":
		id, err := positive(rec.ID)
		if err != nil || rec.Name == "" {
			return nil, errors.New("a numeric id and a name are required")
		}
		t := core.ServiceType{ID: id, Name: rec.Name, NeedsProduct: rec.Needs}
		for _, p := range rec.Partners {
			t.Partners = append(t.Partners, core.PartnerID(p))
		}
		puts = append(puts, func(tx core.Tx) error { return tx.PutServiceType(t) })
	case "product":
		id, err := positive(rec.ID)
		if err != nil || rec.Owner == "" || rec.Type == "" {
			return nil, errors.New("a numeric id, an owner and a type are required")
		}
		for i := int64(0); i < int64(n); i++ {
			p := core.Product{ID: id + i, Owner: core.PartnerID(rec.Owner), Type: rec.Type, Category: rec.Category}
			puts = append(puts, func(tx core.Tx) error { return tx.PutProduct(p) })
		}
	case "sim":
		if rec.Owner == "" || (rec.ICCID == "" && rec.SimNumber == "" && rec.EID == "") {
			return nil, errors.New("an owner and one of iccid, sim_number, eid are required")
		}
		status := core.SIMStatus(rec.Status)
		switch status {
		case core.SIMHeld, core.SIMAvailable, core.SIMPending:
		default:
			return nil, fmt.Errorf("status must be Held, Available or Pending, not %q", rec.Status)
		}
		for i := 0; i < n; i++ {
			s := core.SIM{
				ICCID: step(rec.ICCID, i), SimNumber: step(rec.SimNumber, i), IMSI: step(rec.IMSI, i), EID: step(rec.EID, i),
				Product: rec.Product, Owner: core.PartnerID(rec.Owner), Account: core.AccountID(rec.Account),
				Status: status, Locked: rec.Locked,
			}
			s.ID = core.SIMID(s.ICCID, s.SimNumber, s.EID)
			puts = append(puts, func(tx core.Tx) error { return tx.PutSIM(s) })
		}
	case "number":
		if rec.Owner == "" || !digits(rec.MSISDN) {
			return nil, errors.New("an owner and a numeric msisdn are required")
		}
		status := core.NumberStatus(rec.Status)
		switch status {
		case core.NumberIsAvailable:
		case core.NumberIsReserved: // by reservation id, or by MSISDN alone
		default:
			return nil, fmt.Errorf("status must be Available or Reserved, not %q", rec.Status)
		}
		if n > 1 && rec.ReservationID != "" {
			return nil, errors.New("a reservation id names one number: count must be 1")
		}
		for i := 0; i < n; i++ {
			num := core.Number{
				MSISDN: step(rec.MSISDN, i), Owner: core.PartnerID(rec.Owner), Account: core.AccountID(rec.Account),
				Pool: rec.Pool, Status: status, ReservationID: rec.ReservationID,
			}
			puts = append(puts, func(tx core.Tx) error { return tx.PutNumber(num) })
		}
	case "sq":
		id, err := positive(rec.ID)
		if err != nil || rec.Owner == "" || rec.ServiceType == 0 || rec.Status == "" {
			return nil, errors.New("a numeric id, an owner, a service_type and a status are required")
		}
		for i := 0; i < n; i++ {
			q := core.SQ{
				ID: id + int64(i), Owner: core.PartnerID(rec.Owner), ServiceIdentifier: step(rec.ServiceIdentifier, i),
				ServiceType: rec.ServiceType, Status: rec.Status,
			}
			if q.ServiceIdentifier == "" {
				q.ServiceIdentifier = strconv.FormatInt(q.ID, 10)
			}
			if o := rec.Order; o != nil {
				q.Order = &core.Order{ID: o.ID, Owner: core.PartnerID(o.Owner), Finalised: o.Finalised}
				if q.Order.ID == "" || n > 1 {
					q.Order.ID = "ORD-" + strconv.FormatInt(q.ID, 10)
				}
				if q.Order.Owner == "" {
					q.Order.Owner = q.Owner
				}
			}
			puts = append(puts, func(tx core.Tx) error { return tx.PutSQ(q) })
		}
	case "plan":
		if rec.Code == "" {
			return nil, errors.New("code is required")
		}
		pl := core.Plan{Code: rec.Code, Offerings: rec.Offerings}
		for _, p := range rec.Partners {
			pl.Partners = append(pl.Partners, core.PartnerID(p))
		}
		puts = append(puts, func(tx core.Tx) error { return tx.PutPlan(pl) })
	case "subscriber":
		// A line already live on the network: its SIM, number and
		// subscription, as another system activated them.
		if rec.Owner == "" || rec.Account == "" || !digits(rec.ICCID) {
			return nil, errors.New("an owner, an account and a numeric iccid are required")
		}
		for i := 0; i < n; i++ {
			iccid, msisdn := step(rec.ICCID, i), step(rec.MSISDN, i)
			sub := core.Subscription{
				ID: "imp-" + iccid, Partner: core.PartnerID(rec.Owner), Account: core.AccountID(rec.Account),
				Channel: "import", Status: core.SubActive, SIM: iccid, ICCID: iccid, IMSI: step(rec.IMSI, i),
				MSISDN: msisdn, IMEI: step(rec.IMEI, i), Plan: rec.Plan,
			}
			sim := core.SIM{ID: iccid, ICCID: iccid, IMSI: sub.IMSI, Owner: sub.Partner, Account: sub.Account, Status: core.SIMActive, Subscription: sub.ID}
			puts = append(puts, func(tx core.Tx) error {
				if err := tx.PutSIM(sim); err != nil {
					return err
				}
				if sub.MSISDN != "" {
					num := core.Number{MSISDN: sub.MSISDN, Owner: sub.Partner, Account: sub.Account, Status: core.NumberIsAssigned, Subscription: sub.ID}
					if err := tx.PutNumber(num); err != nil {
						return err
					}
				}
				return tx.PutSubscription(sub)
			})
		}
	case "session":
		if !core.ValidTokenFormat(rec.Token) || rec.Partner == "" || rec.ExpiresAt.IsZero() {
			return nil, errors.New("a 64 lower-case hex token, a partner and expires_at are required")
		}
		s := core.Session{TokenHash: core.HashSecret(rec.Token), Partner: core.PartnerID(rec.Partner), ExpiresAt: rec.ExpiresAt.UTC()}
		s.CreatedAt = s.ExpiresAt.AddDate(-1, 0, 0)
		puts = append(puts, func(tx core.Tx) error { return tx.PutSession(s) })
	default:
		return nil, fmt.Errorf("unknown kind %q", rec.Kind)
	}
	return puts, nil
}

func partnerOf(rec record, pw core.Passwords) (core.Partner, error) {
	if rec.ID == "" {
		return core.Partner{}, errors.New("id is required")
	}
	p := core.Partner{ID: core.PartnerID(rec.ID), Name: rec.Name, Username: rec.Username, RootAccount: core.AccountID(rec.Root)}
	switch {
	case rec.Password != "" && rec.PassHash != "":
		return p, errors.New("give password or password_hash, not both")
	case rec.Password != "":
		h, err := pw.Hash(rec.Password)
		if err != nil {
			return p, err
		}
		p.PasswordHash = h
	case rec.PassHash != "":
		// Only bcrypt is ever verified: anything else (a password pasted in
		// the wrong field, another hash) would be a password no one can use.
		if _, err := bcrypt.Cost([]byte(rec.PassHash)); err != nil {
			return p, errors.New("password_hash must be a bcrypt hash ($2a$, $2b$ or $2y$)")
		}
		p.PasswordHash = rec.PassHash
	}
	if p.PasswordHash != "" && p.Username == "" {
		p.Username = string(p.ID)
	}
	for _, k := range rec.APIKeys {
		if len(k) < 8 {
			return p, errors.New("api keys must have at least 8 characters")
		}
		p.APIKeyHashes = append(p.APIKeyHashes, core.HashSecret(k))
	}
	if rec.Callback != "" {
		u, err := url.Parse(rec.Callback)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			return p, errors.New("callback_url must be an absolute http or https URL")
		}
		p.CallbackURL = rec.Callback
	}
	if rl := rec.RateLimit; rl != nil {
		if !(rl.RPS >= 0) || math.IsInf(rl.RPS, 0) || rl.Burst < 0 {
			return p, errors.New(`rate_limit must be {"rps": N, "burst": M} with N >= 0 (0: no limit) and M >= 0 (0: one second's worth)`)
		}
		limit := *rl
		p.RateLimit = &limit
	}
	var err error
	if p.WebhookSecret, err = webhookSecret(rec.Webhook); err != nil {
		return p, err
	}
	return p, nil
}

const (
	webhookPrefix                = "whsec_"
	minWebhookKey, maxWebhookKey = 24, 64
)

// webhookSecret validates a Standard Webhooks secret, or makes one of 32
// random bytes when s is empty. Only the canonical base64 is accepted: the
// decoder would otherwise skip line breaks and stray bits, and the secret
// the partner verifies with would differ from the one stored.
func webhookSecret(s string) (string, error) {
	if s == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return "", err
		}
		return webhookPrefix + base64.StdEncoding.EncodeToString(key), nil
	}
	enc, ok := strings.CutPrefix(s, webhookPrefix)
	key, err := base64.StdEncoding.DecodeString(enc)
	if !ok || err != nil || len(key) < minWebhookKey || len(key) > maxWebhookKey || base64.StdEncoding.EncodeToString(key) != enc {
		return "", fmt.Errorf("webhook_secret must be %q and the base64 of %d to %d bytes", webhookPrefix, minWebhookKey, maxWebhookKey)
	}
	return s, nil
}

// flexID is an id written as a JSON string ("demo-rsp") or number (5702).
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id must be a string or a number: %w", err)
	}
	*f = flexID(n)
	return nil
}

func positive(n flexID) (int64, error) {
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v <= 0 {
		return 0, errors.New("not a positive integer")
	}
	return v, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}

// step answers the decimal string s plus i, zero-padded to len(s); "" stays "".
func step(s string, i int) string {
	if s == "" || i == 0 {
		return s
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return s
	}
	out := v.Add(v, big.NewInt(int64(i))).String()
	if len(out) < len(s) {
		out = strings.Repeat("0", len(s)-len(out)) + out
	}
	return out
}
