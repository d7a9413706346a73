package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// SchemaVersion is the layout of buckets, keys and values this build reads
// and writes. Bump it, and teach Open to migrate, whenever an existing
// bucket changes meaning.
//
// Schema 3 writes transactions, deliveries, SIMs, numbers and
// subscriptions in the binary format of codec.go. It reads the JSON ones of
// schema 2 as they are, so the migration from 2 rewrites nothing; the bump is there so that an older
// build, which would fail on every binary record it met, refuses the
// database at Open instead.
//
// Schema 4 leaves deleted transactions out of tx_by_partner and escapes the
// partner and channel of its keys (partnerTxKey), so that the index alone
// counts and pages a partner's orders.
const SchemaVersion = 4

// ErrNewerSchema is returned by Open for a database written by a newer
// simgate: this build would misread it, and could corrupt it by writing.
var ErrNewerSchema = errors.New("store: database schema is newer than this build supports")

// The bucket registry. Every bucket the store uses is named here and listed
// in buckets, so Open creates it; a new bucket is one more line in each.
// Values are JSON, except in transactions, deliveries, sims, numbers and
// subscriptions: there a value is either the binary format of codec.go (its
// first byte, 0x01, can never begin JSON) or JSON, as written before
// schema 3. Both are read, with no
// migration; a record is written in binary whenever it is next written.
// Numeric ids in keys are 8-byte big-endian, so they sort
// numerically. Unique indexes map an identifier to the primary key; 1:N
// indexes hold parent 0x00 child keys with empty values, so a prefix seek
// lists a parent's children in order. Times in keys are 8-byte big-endian
// Unix nanoseconds (see timeKey), so time-ordered indexes are queues a
// cursor reads from the front.
var (
	bktPartners           = []byte("partners")                // PartnerID -> Partner
	bktPartnersByUsername = []byte("partners_by_username")    // username -> PartnerID
	bktPartnersByAPIKey   = []byte("partners_by_apikey")      // SHA-256 hex of an API key -> PartnerID
	bktAccounts           = []byte("accounts")                // AccountID -> Account
	bktAccountChildren    = []byte("account_children")        // parent 0x00 child -> ""
	bktServiceTypes       = []byte("service_types")           // id -> ServiceType
	bktProducts           = []byte("products")                // id -> Product
	bktProductsByOwner    = []byte("products_by_owner")       // owner 0x00 id -> ""
	bktSIMs               = []byte("sims")                    // SIM.ID -> SIM
	bktSIMsByICCID        = []byte("sims_by_iccid")           // ICCID -> SIM.ID
	bktSIMsBySimNumber    = []byte("sims_by_simnumber")       // 9-digit sim number -> SIM.ID
	bktSIMsByIMSI         = []byte("sims_by_imsi")            // IMSI -> SIM.ID
	bktSIMsByEID          = []byte("sims_by_eid")             // EID -> SIM.ID
	bktNumbers            = []byte("numbers")                 // MSISDN -> Number
	bktNumbersByResv      = []byte("numbers_by_reservation")  // reservation id -> MSISDN
	bktNumbersAvailable   = []byte("numbers_available")       // owner 0x00 pool 0x00 MSISDN -> "", Available numbers only
	bktNumbersAging       = []byte("numbers_aging")           // AgingUntil UnixNano 0x00-free BE + MSISDN -> "", Aging numbers only
	bktSQs                = []byte("sqs")                     // id -> SQ
	bktSQsByIdentifier    = []byte("sqs_by_identifier")       // service type, identifier 0x00 SQ id -> ""
	bktSubscriptions      = []byte("subscriptions")           // id -> Subscription
	bktSubsByICCID        = []byte("subscriptions_by_iccid")  // ICCID -> subscription id
	bktSubsByIMSI         = []byte("subscriptions_by_imsi")   // IMSI -> subscription id
	bktSubsByMSISDN       = []byte("subscriptions_by_msisdn") // MSISDN -> subscription id
	bktSubsByIMEI         = []byte("subscriptions_by_imei")   // IMEI -> subscription id
	bktSessions           = []byte("sessions")                // token SHA-256 hex -> Session
	bktSessionsByExpiry   = []byte("sessions_by_expiry")      // ExpiresAt, token hash -> "" (since schema 2)
	bktPlans              = []byte("plans")                   // code -> Plan
	bktTransactions       = []byte("transactions")            // id -> Transaction
	bktTxByKey            = []byte("tx_by_key")               // partner 0x00 channel 0x00 operation 0x00 partner tx id -> id
	bktTxUnfinished       = []byte("tx_unfinished")           // CreatedAt, id -> "", Received transactions only
	bktTxByPartner        = []byte("tx_by_partner")           // partner 0x00 channel 0x00 Seq, id -> "", escaped parts, not deleted ones (since schema 2; see partnerTxKey)
	bktHubs               = []byte("hubs")                    // id -> Hub (since schema 2)
	bktHubsByPartner      = []byte("hubs_by_partner")         // partner 0x00 channel 0x00 CreatedAt, id -> "" (since schema 2)
	bktDeliveries         = []byte("deliveries")              // id -> Delivery
	bktDeliveriesDue      = []byte("deliveries_due")          // NextAt, id -> partner, Pending deliveries only
	bktDeliveriesByTx     = []byte("deliveries_by_tx")        // tx id 0x00 CreatedAt, id -> ""
	bktDeliveriesByStatus = []byte("deliveries_by_status")    // status 0x00 CreatedAt, id -> ""
	bktSequences          = []byte("sequences")               // name -> uint64
	bktMeta               = []byte("meta")                    // schema_version -> uint64
)

var buckets = [][]byte{
	bktPartners, bktPartnersByUsername, bktPartnersByAPIKey,
	bktAccounts, bktAccountChildren,
	bktServiceTypes,
	bktProducts, bktProductsByOwner,
	bktSIMs, bktSIMsByICCID, bktSIMsBySimNumber, bktSIMsByIMSI, bktSIMsByEID,
	bktNumbers, bktNumbersByResv, bktNumbersAvailable, bktNumbersAging,
	bktSQs, bktSQsByIdentifier,
	bktSubscriptions, bktSubsByICCID, bktSubsByIMSI, bktSubsByMSISDN, bktSubsByIMEI,
	bktSessions, bktSessionsByExpiry,
	bktPlans,
	bktTransactions, bktTxByKey, bktTxUnfinished, bktTxByPartner,
	bktHubs, bktHubsByPartner,
	bktDeliveries, bktDeliveriesDue, bktDeliveriesByTx, bktDeliveriesByStatus,
	bktSequences,
	bktMeta,
}

// fillPercent is bbolt's Bucket.FillPercent for the buckets whose new keys
// mostly sort after all the others: time-ordered queues and per-parent
// timelines. bbolt's default (0.5) splits a full page into two half-empty
// ones, leaving room for inserts that, in these buckets, never come; so
// they would keep twice the pages they need. The margin left absorbs the
// few keys that arrive slightly out of order (concurrent requests' clocks,
// a retry due a little earlier than the last one queued).
var fillPercent = map[string]float64{
	string(bktTxUnfinished):       appendFill,
	string(bktTxByPartner):        appendFill,
	string(bktDeliveriesDue):      appendFill,
	string(bktDeliveriesByStatus): appendFill,
	string(bktSessionsByExpiry):   appendFill,
	string(bktHubsByPartner):      appendFill,
	string(bktNumbersAging):       appendFill,
}

const appendFill = 0.9

var keySchemaVersion = []byte("schema_version")

// initSchema checks the schema version before touching anything, so a newer
// database is refused unmodified, then creates the missing buckets, runs
// the migrations from an older version, and stamps the database with the
// current version. In a read-only transaction (a DB opened ReadOnly) it
// only checks the version: an older database must be opened writable once.
func initSchema(btx *bbolt.Tx) error {
	version, err := checkSchemaVersion(btx)
	if err != nil {
		return err
	}
	var missing []string
	for _, name := range buckets {
		if btx.Bucket(name) == nil {
			missing = append(missing, string(name))
		}
	}
	if !btx.Writable() {
		if version != 0 && (version < oldestReadableAsIs || version < SchemaVersion && len(missing) > 0) {
			return fmt.Errorf("store: database schema %d is older than %d: open it with simgate serve or import once to migrate it", version, SchemaVersion)
		}
		return nil
	}
	for _, name := range buckets {
		if _, err := btx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("store: create bucket %s: %w", name, err)
		}
	}
	if version >= oldestReadableAsIs {
		// Builds of schema 2 before its session expiry index existed wrote
		// files without it: an index found missing is built now from its
		// records, rather than left empty.
		for _, name := range missing {
			if rebuild := rebuildIndex[name]; rebuild != nil {
				if err := rebuild(btx); err != nil {
					return fmt.Errorf("store: build the missing index %s: %w", name, err)
				}
			}
		}
	}
	if version == SchemaVersion {
		return nil
	}
	if version != 0 { // 0: a new database, nothing to migrate
		for v := version; v < SchemaVersion; v++ {
			if err := migrations[v](btx); err != nil {
				return fmt.Errorf("store: migrate schema %d to %d: %w", v, v+1, err)
			}
		}
	}
	return btx.Bucket(bktMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, SchemaVersion))
}

// oldestReadableAsIs is the oldest schema a read-only open (simgate check,
// backup, outbox list and tx show with --db) reads as it is, without
// migrating it, provided it has every bucket (see rebuildIndex):
// the migrations from it on add no bucket and rewrite nothing a reader
// needs (from 2 to 3 only the way records are written changed; from 3 to
// 4 tx_by_partner loses deleted transactions, which its one reader, the
// order list of serve, skips anyway, and gets partner ids holding 0x00 or
// 0x01 escaped; simgate check accepts either layout). So an
// operator can check and back up a file with a new build before the first
// serve upgrades it. An older file must be opened writable once.
const oldestReadableAsIs = 2

// rebuildIndex builds an index bucket of schema 2 from its records, for a
// file written before that index existed (see initSchema).
var rebuildIndex = map[string]func(btx *bbolt.Tx) error{
	string(bktSessionsByExpiry): func(btx *bbolt.Tx) error {
		return reindex(btx, bktSessions, bktSessionsByExpiry, expiryKey)
	},
	string(bktTxByPartner): func(btx *bbolt.Tx) error {
		return reindex(btx, bktTransactions, bktTxByPartner, partnerTxKey)
	},
	string(bktHubsByPartner): func(btx *bbolt.Tx) error {
		return reindex(btx, bktHubs, bktHubsByPartner, hubKey)
	},
}

// migrations[v] brings a database at schema version v to v+1 inside the
// opening transaction, after the buckets of this build exist.
var migrations = map[uint64]func(btx *bbolt.Tx) error{
	1: func(btx *bbolt.Tx) error {
		if err := reindex(btx, bktTransactions, bktTxByPartner, partnerTxKey); err != nil {
			return err
		}
		return reindex(btx, bktSessions, bktSessionsByExpiry, expiryKey)
	},
	// 3 reads the JSON transactions, deliveries, SIMs, numbers and
	// subscriptions of 2 as they are.
	2: func(*bbolt.Tx) error { return nil },
	// 4's tx_by_partner: deleted transactions leave it, escaped parts.
	3: func(btx *bbolt.Tx) error {
		return rekey(btx, bktTransactions, bktTxByPartner, legacyPartnerTxKey, partnerTxKey)
	},
}

// reindex fills a new 1:N index from the records of its primary bucket; a
// record whose key is "" has no entry.
func reindex[T any](btx *bbolt.Tx, primary, index []byte, key func(T) string) error {
	idx := btx.Bucket(index)
	return btx.Bucket(primary).ForEach(func(k, raw []byte) error {
		var r T
		if err := decodeRecord(raw, &r); err != nil {
			return fmt.Errorf("store: migrate %s %q: %w", primary, k, err)
		}
		if key(r) == "" {
			return nil
		}
		return idx.Put([]byte(key(r)), []byte{})
	})
}

// rekey moves the entries of a 1:N index whose key changed meaning from
// old to cur ("" for no entry), touching only the records whose entry
// differs: all the stale entries go first, so that no new entry is ever
// taken for a stale one.
func rekey[T any](btx *bbolt.Tx, primary, index []byte, old, cur func(T) string) error {
	var stale, fresh []string
	err := btx.Bucket(primary).ForEach(func(k, raw []byte) error {
		var r T
		if err := decodeRecord(raw, &r); err != nil {
			return fmt.Errorf("store: migrate %s %q: %w", primary, k, err)
		}
		if o, c := old(r), cur(r); o != c {
			stale = append(stale, o)
			if c != "" {
				fresh = append(fresh, c)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	idx := btx.Bucket(index)
	for _, k := range stale {
		if err := idx.Delete([]byte(k)); err != nil {
			return err
		}
	}
	for _, k := range fresh {
		if err := idx.Put([]byte(k), []byte{}); err != nil {
			return err
		}
	}
	return nil
}

// checkSchemaVersion answers the stored schema version, 0 when the
// database has none yet (it is new), and refuses one this build cannot
// read: newer than SchemaVersion, or older without a migration.
func checkSchemaVersion(btx *bbolt.Tx) (version uint64, err error) {
	var v []byte
	if meta := btx.Bucket(bktMeta); meta != nil {
		v = meta.Get(keySchemaVersion)
	}
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("store: malformed schema version %x", v)
	}
	n := binary.BigEndian.Uint64(v)
	if n > SchemaVersion {
		return n, fmt.Errorf("%w (database %d, supported %d): upgrade simgate", ErrNewerSchema, n, SchemaVersion)
	}
	for m := n; m < SchemaVersion; m++ {
		if migrations[m] == nil {
			return n, fmt.Errorf("store: no migration from schema version %d to %d", m, SchemaVersion)
		}
	}
	return n, nil
}
