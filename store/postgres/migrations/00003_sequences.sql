-- Version 3: NextSeq draws from PostgreSQL sequences instead of rows of
-- the sequences table. A sequence never makes concurrent transactions
-- conflict (nextval is not transactional), so commands drawing from one
-- no longer run one after another; in exchange a rolled-back transaction
-- does not give its values back (values stay unique and increasing; see
-- core.Tx.NextSeq). The known names get their sequence here, started
-- after the value the table holds, so that no value is answered twice;
-- any other name gets one on its first draw (store/postgres, sequenceIdent
-- names it), also started after its row of the table, if any. The table
-- is kept, read-only: an instance of an older simgate still running on
-- this database fails on its next draw instead of answering a value a
-- sequence answers too.

-- +goose Up
CREATE SEQUENCE seq_transaction AS bigint;
CREATE SEQUENCE seq_ban AS bigint;
CREATE SEQUENCE seq_subscription AS bigint;
SELECT setval('seq_transaction', value) FROM sequences WHERE name = 'transaction'::bytea;
SELECT setval('seq_ban', value) FROM sequences WHERE name = 'ban'::bytea;
SELECT setval('seq_subscription', value) FROM sequences WHERE name = 'subscription'::bytea;

-- +goose StatementBegin
CREATE FUNCTION sequences_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'simgate: NextSeq draws from PostgreSQL sequences since schema version 3: this simgate instance is older than its database, upgrade it'
        USING ERRCODE = 'object_not_in_prerequisite_state';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER sequences_moved BEFORE INSERT OR UPDATE OR DELETE ON sequences
    FOR EACH ROW EXECUTE FUNCTION sequences_moved();

-- +goose Down
DROP TRIGGER sequences_moved ON sequences;
DROP FUNCTION sequences_moved();
-- The table takes the known names' values back. Other names (simgate
-- draws from none) go back to the values their rows kept.
INSERT INTO sequences (name, value)
    SELECT n::bytea, s.last_value FROM (VALUES ('transaction', 'seq_transaction'), ('ban', 'seq_ban'), ('subscription', 'seq_subscription')) AS v (n, seq)
    JOIN pg_sequences s ON s.schemaname = current_schema() AND s.sequencename = v.seq
    WHERE s.last_value IS NOT NULL
    ON CONFLICT (name) DO UPDATE SET value = GREATEST(sequences.value, EXCLUDED.value);
-- +goose StatementBegin
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT sequencename FROM pg_sequences
        WHERE schemaname = current_schema() AND (sequencename LIKE 'seq\_%' OR sequencename LIKE 'seqx\_%')
    LOOP
        EXECUTE format('DROP SEQUENCE %I', r.sequencename);
    END LOOP;
END
$$;
-- +goose StatementEnd
