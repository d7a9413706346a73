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
const SchemaVersion = 1

// ErrNewerSchema is returned by Open for a database written by a newer
// simgate: this build would misread it, and could corrupt it by writing.
var ErrNewerSchema = errors.New("store: database schema is newer than this build supports")

// The bucket registry. Every bucket the store uses is named here and listed
// in buckets, so Open creates it; a new bucket is one more line in each.
// Values are JSON. Numeric ids in keys are 8-byte big-endian, so they sort
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
	bktPlans              = []byte("plans")                   // code -> Plan
	bktTransactions       = []byte("transactions")            // id -> Transaction
	bktTxByKey            = []byte("tx_by_key")               // partner 0x00 channel 0x00 operation 0x00 partner tx id -> id
	bktTxUnfinished       = []byte("tx_unfinished")           // CreatedAt, id -> "", Received transactions only
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
	bktSessions,
	bktPlans,
	bktTransactions, bktTxByKey, bktTxUnfinished,
	bktDeliveries, bktDeliveriesDue, bktDeliveriesByTx, bktDeliveriesByStatus,
	bktSequences,
	bktMeta,
}

var keySchemaVersion = []byte("schema_version")

// initSchema checks the schema version before touching anything, so a newer
// database is refused unmodified, then creates the missing buckets and
// stamps a new database with the current version. In a read-only
// transaction (a DB opened ReadOnly) it only checks the version.
func initSchema(btx *bbolt.Tx) error {
	stored, err := checkSchemaVersion(btx)
	if err != nil || !btx.Writable() {
		return err
	}
	for _, name := range buckets {
		if _, err := btx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("store: create bucket %s: %w", name, err)
		}
	}
	if stored {
		return nil
	}
	return btx.Bucket(bktMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, SchemaVersion))
}

// checkSchemaVersion refuses a version other than SchemaVersion; stored is
// false when the database has none yet (it is new).
func checkSchemaVersion(btx *bbolt.Tx) (stored bool, err error) {
	var v []byte
	if meta := btx.Bucket(bktMeta); meta != nil {
		v = meta.Get(keySchemaVersion)
	}
	if v == nil {
		return false, nil
	}
	if len(v) != 8 {
		return true, fmt.Errorf("store: malformed schema version %x", v)
	}
	switch n := binary.BigEndian.Uint64(v); {
	case n > SchemaVersion:
		return true, fmt.Errorf("%w (database %d, supported %d): upgrade simgate", ErrNewerSchema, n, SchemaVersion)
	case n < SchemaVersion:
		return true, fmt.Errorf("store: no migration from schema version %d to %d", n, SchemaVersion)
	}
	return true, nil
}
