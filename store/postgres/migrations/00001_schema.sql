-- simgate's PostgreSQL schema, version 1: one table per entity keyed by its
-- natural primary key. data holds the JSON the bbolt store writes; the other
-- columns are the store's indexes. An index column holds a value only while
-- the row holds that index entry (a unique column gives a value to one row
-- at a time, as bbolt's unique index bucket does), so it may be NULL where
-- the JSON has the value. Keys are bytea: any byte string a caller uses as a
-- key works, and ordering is byte order, the order bbolt lists keys in.
-- Times in index columns are Unix nanoseconds (bigint), clamped as the
-- bbolt store's timeKey clamps them.

-- +goose Up
CREATE TABLE partners (
    id       bytea PRIMARY KEY,
    username bytea UNIQUE,
    data     bytea NOT NULL
);

CREATE TABLE partner_api_keys (
    hash    bytea PRIMARY KEY,
    partner bytea NOT NULL
);
CREATE INDEX partner_api_keys_partner ON partner_api_keys (partner);

CREATE TABLE accounts (
    id     bytea PRIMARY KEY,
    parent bytea,
    data   bytea NOT NULL
);
CREATE INDEX accounts_parent ON accounts (parent, id) WHERE parent IS NOT NULL;

CREATE TABLE service_types (
    id   bigint PRIMARY KEY,
    data bytea NOT NULL
);

CREATE TABLE products (
    id    bigint PRIMARY KEY,
    owner bytea,
    data  bytea NOT NULL
);
CREATE INDEX products_owner ON products (owner, id) WHERE owner IS NOT NULL;

CREATE TABLE sims (
    id         bytea PRIMARY KEY,
    iccid      bytea UNIQUE,
    sim_number bytea UNIQUE,
    imsi       bytea UNIQUE,
    eid        bytea UNIQUE,
    data       bytea NOT NULL
);

CREATE TABLE numbers (
    msisdn         bytea PRIMARY KEY,
    reservation_id bytea UNIQUE,
    -- set only while the number is Available: the pool's free list
    avail_owner    bytea,
    avail_pool     bytea,
    -- set only while the number is Aging: the end of its grace period
    aging_until_ns bigint,
    data           bytea NOT NULL,
    CHECK ((avail_owner IS NULL) = (avail_pool IS NULL))
);
CREATE INDEX numbers_available ON numbers (avail_owner, avail_pool, msisdn) WHERE avail_owner IS NOT NULL;
CREATE INDEX numbers_aging ON numbers (aging_until_ns, msisdn) WHERE aging_until_ns IS NOT NULL;

CREATE TABLE sqs (
    id           bigint PRIMARY KEY,
    service_type bigint NOT NULL,
    identifier   bytea NOT NULL,
    data         bytea NOT NULL
);
CREATE INDEX sqs_identifier ON sqs (service_type, identifier, id);

CREATE TABLE subscriptions (
    id     bytea PRIMARY KEY,
    iccid  bytea UNIQUE,
    imsi   bytea UNIQUE,
    msisdn bytea UNIQUE,
    imei   bytea UNIQUE,
    data   bytea NOT NULL
);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    data       bytea NOT NULL
);

CREATE TABLE plans (
    code bytea PRIMARY KEY,
    data bytea NOT NULL
);

CREATE TABLE transactions (
    id                bytea PRIMARY KEY,
    partner           bytea NOT NULL,
    channel           bytea NOT NULL,
    seq               bigint NOT NULL, -- the uint64 Seq's bits: order by (seq < 0), seq
    -- the idempotency key, set when the transaction has a partner id
    key_operation     bytea,
    key_partner_tx_id bytea,
    -- set only while the transaction is Received: CreatedAt
    unfinished_ns     bigint,
    data              bytea NOT NULL,
    CHECK ((key_operation IS NULL) = (key_partner_tx_id IS NULL))
);
CREATE UNIQUE INDEX transactions_key ON transactions (partner, channel, key_operation, key_partner_tx_id) WHERE key_partner_tx_id IS NOT NULL;
CREATE INDEX transactions_unfinished ON transactions (unfinished_ns, id) WHERE unfinished_ns IS NOT NULL;
CREATE INDEX transactions_by_partner ON transactions (partner, channel, (seq < 0), seq, id);

CREATE TABLE hubs (
    id         bytea PRIMARY KEY,
    partner    bytea NOT NULL,
    channel    bytea NOT NULL,
    created_ns bigint NOT NULL,
    data       bytea NOT NULL
);
CREATE INDEX hubs_by_partner ON hubs (partner, channel, created_ns, id);

CREATE TABLE deliveries (
    id         bytea PRIMARY KEY,
    partner    bytea NOT NULL,
    tx_id      bytea NOT NULL,
    status     bytea NOT NULL,
    created_ns bigint NOT NULL,
    -- set only while the delivery is Pending: NextAt
    due_ns     bigint,
    data       bytea NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (due_ns, id) WHERE due_ns IS NOT NULL;
CREATE INDEX deliveries_by_tx ON deliveries (tx_id, created_ns, id);
CREATE INDEX deliveries_by_status ON deliveries (status, created_ns, id);

-- NextSeq's counters: transactional, so a rolled-back transaction gives
-- its values back and a sequence has no gaps.
CREATE TABLE sequences (
    name  bytea PRIMARY KEY,
    value bigint NOT NULL
);

-- +goose Down
DROP TABLE sequences, deliveries, hubs, transactions, plans, sessions, subscriptions, sqs, numbers, sims, products, service_types, accounts, partner_api_keys, partners;
