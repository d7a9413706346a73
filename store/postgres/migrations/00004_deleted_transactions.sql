-- Version 4: a deleted transaction (a TMF622 order the partner deleted)
-- leaves the partner's list, as it leaves the bbolt store's tx_by_partner,
-- so that the list's index alone counts and pages the partner's orders.
-- deleted mirrors the record's deleted_at, written by PutTransaction;
-- existing rows take it from their JSON (deleted_at is there only when set).
-- The rows that name deleted_at at all are found by their bytes first;
-- PostgreSQL refuses to read JSON holding a \u0000 escape (a NUL in a
-- string), so each becomes \ufffd first: the same length, valid wherever
-- it stands (after an escaping backslash too), and deleted_at, a time,
-- never holds one. The column keeps no default: an instance of an older
-- simgate still running on this database, whose writes do not name it,
-- fails on its next transaction write instead of listing an order it
-- deleted.
-- ALTER TABLE holds the table's lock while it runs: on a large table,
-- upgrade while the partners' traffic is low.

-- +goose Up
ALTER TABLE transactions ADD COLUMN deleted boolean NOT NULL DEFAULT false;
UPDATE transactions SET deleted = true
    WHERE position(convert_to('"deleted_at"', 'UTF8') IN data) > 0
    AND replace(convert_from(data, 'UTF8'), E'\\u0000', E'\\ufffd')::jsonb->>'deleted_at' IS NOT NULL;
ALTER TABLE transactions ALTER COLUMN deleted DROP DEFAULT;
DROP INDEX transactions_by_partner;
CREATE INDEX transactions_by_partner ON transactions (partner, channel, (seq < 0), seq, id) WHERE NOT deleted;

-- +goose Down
DROP INDEX transactions_by_partner;
CREATE INDEX transactions_by_partner ON transactions (partner, channel, (seq < 0), seq, id);
ALTER TABLE transactions DROP COLUMN deleted;
