package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
)

// Each name NextSeq draws from is a PostgreSQL sequence of the store's
// schema. Migration 3 creates those of the names simgate uses; any other
// name gets one on its first draw, created on a connection of its own so
// that the caller's transaction (which may roll back, and whose failed
// statement would abort it) plays no part.

// plainSeqName is a name used as it is in its sequence's identifier.
var plainSeqName = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// sequenceIdent answers the identifier of name's sequence: seq_NAME for a
// short name of lower-case letters, digits and underscores, otherwise
// seqx_ and 40 hex digits of the name's SHA-256 (no name reaches an SQL
// statement; PostgreSQL cuts identifiers at 63 bytes). The two forms never
// meet: "seq_" and "seqx" differ in their fourth character.
func sequenceIdent(name string) string {
	if plainSeqName.MatchString(name) {
		return "seq_" + name
	}
	h := sha256.Sum256([]byte(name))
	return "seqx_" + hex.EncodeToString(h[:20])
}

// sequence answers name's sequence as a quoted, schema-qualified name
// for a regclass parameter. The first time this process draws from name,
// it makes sure the sequence exists, on a connection of its own, before
// the caller's transaction looks it up: PostgreSQL finds a relation
// committed after a transaction began, but a transaction that looked for
// it in vain goes on not finding it (its catalog cache remembers).
func (d *DB) sequence(ctx context.Context, name string) (string, error) {
	if v, ok := d.seqRels.Load(name); ok {
		return v.(string), nil
	}
	// One creator per process at a time: a burst of first draws opens
	// one extra connection, not one each.
	d.seqMu.Lock()
	defer d.seqMu.Unlock()
	if v, ok := d.seqRels.Load(name); ok {
		return v.(string), nil
	}
	rel := pgx.Identifier{d.schema, sequenceIdent(name)}.Sanitize()
	if err := d.createSequence(ctx, name, rel); err != nil {
		return "", err
	}
	d.seqRels.Store(name, rel)
	return rel, nil
}

// createSequence creates name's sequence unless it exists, started after
// the value of its row of the sequences table (where schema versions 1
// and 2 counted), on a connection outside the pool (every pooled one may
// be held by a transaction waiting for this). Creators take an advisory
// lock, so that one creates and the others (other instances) find it.
func (d *DB) createSequence(ctx context.Context, name, rel string) error {
	conn, err := pgx.ConnectConfig(ctx, d.pool.Config().ConnConfig)
	if err != nil {
		return fmt.Errorf("creating the sequence: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", d.lockKey("create sequence")); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", rel).Scan(&exists); err != nil || exists {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE SEQUENCE "+rel+" AS bigint"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "SELECT setval($1::regclass, value) FROM sequences WHERE name = $2", rel, b(name))
		return err
	})
}
