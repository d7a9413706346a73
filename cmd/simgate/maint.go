package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/labstack/echo/v4"
	berrors "go.etcd.io/bbolt/errors"

	"simgate/store"
)

// `simgate check` and `simgate backup`: like the other operator commands,
// through the admin API of the running server, or on a stopped server's
// file with --db (opened read-only, so a copy or a second reader is fine).

// registerMaintenance mounts GET /admin/backup.
func registerMaintenance(e *echo.Echo, db *store.DB) {
	// The copy streams from one read transaction: a consistent snapshot,
	// while the server goes on writing. An error after the first byte cuts
	// the body short of its Content-Length, which the client detects.
	e.GET("/admin/backup", func(c echo.Context) error {
		res := c.Response()
		res.Header().Set(echo.HeaderContentType, echo.MIMEOctetStream)
		res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="simgate.db"`)
		_, err := db.Backup(res, func(size int64) {
			res.Header().Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
			res.WriteHeader(http.StatusOK)
		})
		if err != nil && !res.Committed {
			return adminError(c, err)
		}
		return err
	})
}

// openReadOnly opens a stopped server's database for check and backup.
func openReadOnly(path string) (*store.DB, error) {
	if path == "" {
		return nil, usageError{errors.New("--db is required")}
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("opening %s read-only: %w (a running server holds it: drop --db to use its admin API)", path, err)
	case err != nil && !errors.Is(err, store.ErrDamaged):
		return nil, fmt.Errorf("opening %s read-only: %w", path, err)
	}
	return db, err
}

func checkCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, t := opsFlags("check", stderr)
	t.timeout = 0 // a full check of a big database takes a while
	tmpDir := fs.String("tmp", "", "folder for the copy of a running server's database (default: the system's temporary folder)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", pos[0])}
	}
	if t.pg.enabled() {
		return fmt.Errorf("simgate check verifies bbolt database files only: %s", pgAdvice)
	}
	what, path := t.db, t.db
	if t.db == "" {
		// bbolt's page check cannot run beside the server's writers: check
		// a consistent copy of the running server's database instead.
		f, err := os.CreateTemp(*tmpDir, "simgate-check-*.db")
		if err != nil {
			return err
		}
		path = f.Name()
		f.Close()
		defer os.Remove(path)
		n, err := t.download(ctx, "/admin/backup", path, nil)
		if err != nil {
			return fmt.Errorf("copying the database through %s: %w", t.admin, err)
		}
		what = fmt.Sprintf("of the server at %s (a consistent copy, %d bytes)", t.admin, n)
	}
	db, err := openReadOnly(path)
	if errors.Is(err, store.ErrDamaged) {
		fmt.Fprintf(stdout, "%v\n", err)
		return errors.New("the database is damaged: restore a backup")
	}
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.Verify(ctx)
	if err != nil {
		return err
	}
	printReport(stdout, what, rep)
	if !rep.OK() {
		return fmt.Errorf("%d problems found", rep.Problems)
	}
	return nil
}

func printReport(w io.Writer, what string, rep store.Report) {
	fmt.Fprintf(w, "database %s, schema version %d\n", what, rep.SchemaVersion)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BUCKET\tKEYS")
	for _, name := range slices.Sorted(maps.Keys(rep.Buckets)) {
		fmt.Fprintf(tw, "%s\t%d\n", name, rep.Buckets[name])
	}
	tw.Flush()
	for _, p := range rep.Details {
		fmt.Fprintf(w, "PROBLEM: %s\n", p)
	}
	if more := rep.Problems - len(rep.Details); more > 0 {
		fmt.Fprintf(w, "... and %d more problems\n", more)
	}
	pages := "bbolt's page check, "
	if !rep.PagesChecked {
		pages = ""
	}
	if rep.OK() {
		fmt.Fprintf(w, "no problem found: %sthe schema version and simgate's indexes and invariants are fine\n", pages)
	} else {
		fmt.Fprintf(w, "%d problems found\n", rep.Problems)
	}
}

func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, t := opsFlags("backup", stderr)
	t.timeout = 0
	verify := fs.Bool("verify", false, "run the full check (as simgate check) on the copy before keeping it")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{errors.New("use: simgate backup FILE [--admin URL|--db PATH]")}
	}
	file := pos[0]
	if t.pg.enabled() {
		return fmt.Errorf("simgate backup copies bbolt database files only: %s", pgAdvice)
	}
	if t.db != "" && samePath(file, t.db) {
		return usageError{errors.New("FILE is the database itself")}
	}
	check := func(tmp string) error {
		if err := store.QuickCheck(tmp); err != nil {
			return err
		}
		if !*verify {
			return nil
		}
		db, err := store.Open(tmp, store.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		defer db.Close()
		rep, err := db.Verify(ctx)
		if err == nil && !rep.OK() {
			printReport(stdout, file, rep)
			err = fmt.Errorf("the copy has %d problems: the database itself has them (run simgate check)", rep.Problems)
		}
		return err
	}
	var n int64
	if t.db != "" {
		db, err := openReadOnly(t.db)
		if err != nil {
			return err
		}
		defer db.Close()
		n, err = store.WriteFileAtomic(file, -1, check, func(w io.Writer) (int64, error) { return db.Backup(w, nil) })
		if err != nil {
			return fmt.Errorf("backing up %s to %s: %w", t.db, file, err)
		}
	} else {
		n, err = t.download(ctx, "/admin/backup", file, check)
		if err != nil {
			return fmt.Errorf("backing up through %s to %s: %w", t.admin, file, err)
		}
	}
	fmt.Fprintf(stdout, "backup written to %s (%d bytes); restore it by stopping the server and putting it in place of the database file\n", file, n)
	return nil
}

// download streams an admin API answer into file, atomically.
func (t *opsTarget) download(ctx context.Context, path, file string, check func(string) error) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(t.admin, "/")+path, nil)
	if err != nil {
		return 0, err
	}
	res, err := (&http.Client{Timeout: t.timeout}).Do(req)
	if err != nil {
		return 0, fmt.Errorf("reaching the admin API (is the server running? for a stopped server use --db): %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return 0, fmt.Errorf("admin API: %s: %s", res.Status, strings.TrimSpace(string(body)))
	}
	if res.ContentLength < 0 {
		return 0, errors.New("admin API: the backup has no Content-Length")
	}
	return store.WriteFileAtomic(file, res.ContentLength, check, func(w io.Writer) (int64, error) { return io.Copy(w, res.Body) })
}

func samePath(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	absA, _ := filepath.Abs(a)
	absB, _ := filepath.Abs(b)
	return absA == absB
}
