package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"simgate/core"
	"simgate/store"
)

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", envOr("SIMGATE_DB", "data/simgate.db"), "bbolt database file, created if missing (SIMGATE_DB)")
	cost := fs.Int("bcrypt-cost", 0, "bcrypt cost for plain-text passwords in the file (0: library default)")
	var pg pgOptions
	pg.register(fs, false)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{fmt.Errorf("expected one inventory FILE, got %d arguments", len(pos))}
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	var db core.Store
	into := *dbPath
	if pg.enabled() {
		pdb, err := pg.open(ctx, nil, true, nil)
		if err != nil {
			return err
		}
		defer pdb.Close()
		db, into = pdb, "the PostgreSQL store"
	} else {
		bdb, err := openDB(*dbPath)
		if err != nil {
			return err
		}
		defer bdb.Close()
		db = bdb
	}
	start := time.Now()
	stats, err := store.Import(ctx, db, store.Bcrypt{Cost: *cost}, f)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	kinds := make([]string, 0, len(stats.Records))
	total := 0
	for k, n := range stats.Records {
		kinds = append(kinds, k)
		total += n
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(stdout, "%-14s %d\n", k, stats.Records[k])
	}
	fmt.Fprintf(stdout, "imported %d records from %d lines into %s in %s\n", total, stats.Lines, into, time.Since(start).Round(time.Millisecond))
	return nil
}
