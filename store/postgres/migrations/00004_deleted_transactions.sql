-- Version 4: a deleted transaction (a TMF622 order the partner deleted)
-- leaves the partner's list, as it leaves the bbolt store's tx_by_partner,
-- so that the list's index alone counts and pages the partner's orders.
-- deleted mirrors the record's deleted_at, written by PutTransaction;
-- existing rows take it from their JSON (deleted_at is there only when set).

-- +goose Up
ALTER TABLE transactions ADD COLUMN deleted boolean NOT NULL DEFAULT false;
UPDATE transactions SET deleted = true WHERE convert_from(data, 'UTF8')::jsonb->>'deleted_at' IS NOT NULL;
DROP INDEX transactions_by_partner;
CREATE INDEX transactions_by_partner ON transactions (partner, channel, (seq < 0), seq, id) WHERE NOT deleted;

-- +goose Down
DROP INDEX transactions_by_partner;
CREATE INDEX transactions_by_partner ON transactions (partner, channel, (seq < 0), seq, id);
ALTER TABLE transactions DROP COLUMN deleted;
