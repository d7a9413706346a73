package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/labstack/echo/v4"

	"simgate/core"
	"simgate/store"
)

// Operator commands work on a running server through its admin listener
// (bbolt lets one process hold the database), or on a stopped server's
// database file with --db.

// txView is a transaction with its deliveries, as `simgate tx show` prints it.
type txView struct {
	Transaction core.Transaction `json:"transaction"`
	Deliveries  []core.Delivery  `json:"deliveries"`
}

// registerAdmin mounts the operator API on the admin listener.
func registerAdmin(e *echo.Echo, st core.Store, bolt *store.DB, eng *core.Engine) {
	if bolt != nil {
		registerMaintenance(e, bolt)
	} else {
		e.GET("/admin/backup", bboltOnly("backup (and check through the admin API)"))
	}
	e.GET("/admin/outbox", func(c echo.Context) error {
		status := core.DeliveryStatus(c.QueryParam("status"))
		limit, _ := strconv.Atoi(c.QueryParam("limit"))
		list, err := listDeliveries(c.Request().Context(), st, status, limit)
		if err != nil {
			return adminError(c, err)
		}
		return c.JSON(http.StatusOK, list)
	})
	e.POST("/admin/outbox/:id/replay", func(c echo.Context) error {
		d, err := eng.Replay(c.Request().Context(), c.Param("id"))
		if err != nil {
			return adminError(c, err)
		}
		return c.JSON(http.StatusOK, d)
	})
	e.GET("/admin/tx/:id", func(c echo.Context) error {
		v, err := showTx(c.Request().Context(), st, c.Param("id"))
		if err != nil {
			return adminError(c, err)
		}
		return c.JSON(http.StatusOK, v)
	})
}

func adminError(c echo.Context, err error) error {
	e := core.AsError(err)
	status := http.StatusInternalServerError
	if e.Kind == core.KindNotFound {
		status = http.StatusNotFound
	} else if e.Kind == core.KindInvalid {
		status = http.StatusBadRequest
	} else if e.Kind == core.KindConflict {
		status = http.StatusConflict
	}
	return c.JSON(status, map[string]string{"error": e.Message, "reason": string(e.Reason)})
}

func listDeliveries(ctx context.Context, st core.Store, status core.DeliveryStatus, limit int) ([]core.Delivery, error) {
	if status == "" {
		status = core.DeliveryPending
	}
	switch status {
	case core.DeliveryPending, core.DeliveryDelivered, core.DeliveryDead:
	default:
		return nil, core.Errorf(core.KindInvalid, core.ReasonMalformed, "status", "status must be Pending, Delivered or Dead")
	}
	if limit <= 0 || limit > 10_000 {
		limit = 100
	}
	var out []core.Delivery
	err := st.View(ctx, func(tx core.Tx) error {
		var err error
		out, err = tx.DeliveriesByStatus(status, limit)
		return err
	})
	return out, err
}

func showTx(ctx context.Context, st core.Store, id string) (txView, error) {
	var v txView
	err := st.View(ctx, func(tx core.Tx) error {
		t, ok, err := tx.Transaction(id)
		if err != nil {
			return err
		}
		if !ok {
			return core.Errorf(core.KindNotFound, core.ReasonTxNotFound, "tx", "transaction %s not found", id)
		}
		v.Transaction = t
		v.Deliveries, err = tx.DeliveriesOf(id)
		return err
	})
	return v, err
}

// opsTarget reaches the data either through the admin API or a database file.
type opsTarget struct {
	admin, db string
	pg        pgOptions     // --store: a PostgreSQL database instead of a file
	timeout   time.Duration // of an admin API call; 0: none (ctx bounds it)
}

func opsFlags(name string, stderr io.Writer) (*flag.FlagSet, *opsTarget) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	t := &opsTarget{timeout: 30 * time.Second}
	fs.StringVar(&t.admin, "admin", envOr("SIMGATE_ADMIN", "http://127.0.0.1:9090"), "admin URL of the running server (SIMGATE_ADMIN)")
	fs.StringVar(&t.db, "db", "", "read a stopped server's database file instead of the admin API")
	t.pg.register(fs, false)
	return fs, t
}

func (t *opsTarget) call(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(t.admin, "/")+path, nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{Timeout: t.timeout}).Do(req)
	if err != nil {
		return fmt.Errorf("reaching the admin API at %s (is the server running? for a stopped server use --db): %w", t.admin, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("admin API: %s: %s", res.Status, e.Error)
	}
	return json.NewDecoder(bytes.NewReader(body)).Decode(out)
}

// direct says whether the command reads the database itself (--db or
// --store) rather than through the admin API.
func (t *opsTarget) direct() bool { return t.db != "" || t.pg.enabled() }

// withDB runs fn on the database file of a stopped server, or on the
// PostgreSQL database (running servers or not: it is shared), unmigrated.
// A reading command opens the file read-only, so that it neither waits for
// nor migrates it (an operator may look at a file before the first serve
// of a new build upgrades it, and keep it readable by the old one).
func (t *opsTarget) withDB(readOnly bool, fn func(core.Store) error) error {
	if t.pg.enabled() {
		db, err := t.pg.open(context.Background(), nil, false, nil)
		if err != nil {
			return err
		}
		defer db.Close()
		return fn(db)
	}
	if readOnly {
		db, err := openReadOnly(t.db)
		if err != nil {
			if db != nil {
				_ = db.Close()
			}
			return err
		}
		defer db.Close()
		return fn(db)
	}
	db, err := openDB(t.db)
	if err != nil {
		return fmt.Errorf("%w (a running server holds it: drop --db to use its admin API)", err)
	}
	defer db.Close()
	return fn(db)
}

func outboxCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("use: simgate outbox list [--dead|--delivered] | simgate outbox replay ID")}
	}
	switch args[0] {
	case "list":
		fs, t := opsFlags("outbox list", stderr)
		dead := fs.Bool("dead", false, "list the dead letters")
		delivered := fs.Bool("delivered", false, "list delivered notifications")
		limit := fs.Int("limit", 100, "how many to list")
		pos, err := parseArgs(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) > 0 {
			return usageError{fmt.Errorf("unexpected argument %q", pos[0])}
		}
		status := core.DeliveryPending
		if *dead {
			status = core.DeliveryDead
		} else if *delivered {
			status = core.DeliveryDelivered
		}
		var list []core.Delivery
		if t.direct() {
			err = t.withDB(true, func(st core.Store) error {
				list, err = listDeliveries(ctx, st, status, *limit)
				return err
			})
		} else {
			err = t.call(ctx, http.MethodGet, "/admin/outbox?status="+url.QueryEscape(string(status))+"&limit="+strconv.Itoa(*limit), &list)
		}
		if err != nil {
			return err
		}
		printDeliveries(stdout, list)
		return nil
	case "replay":
		fs, t := opsFlags("outbox replay", stderr)
		pos, err := parseArgs(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usageError{errors.New("use: simgate outbox replay ID")}
		}
		id := pos[0]
		var d core.Delivery
		if t.direct() {
			err = t.withDB(false, func(st core.Store) error {
				d, err = core.ReplayDelivery(ctx, st, time.Now().UTC(), id)
				return err
			})
		} else {
			err = t.call(ctx, http.MethodPost, "/admin/outbox/"+url.PathEscape(id)+"/replay", &d)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "delivery %s queued again (status %s, due %s)\n", d.ID, d.Status, d.NextAt.Format(time.RFC3339))
		return nil
	}
	return usageError{fmt.Errorf("unknown outbox command %q", args[0])}
}

func txCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "show" {
		return usageError{errors.New("use: simgate tx show ID")}
	}
	fs, t := opsFlags("tx show", stderr)
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{errors.New("use: simgate tx show ID")}
	}
	var v txView
	if t.direct() {
		err = t.withDB(true, func(st core.Store) error {
			v, err = showTx(ctx, st, pos[0])
			return err
		})
	} else {
		err = t.call(ctx, http.MethodGet, "/admin/tx/"+url.PathEscape(pos[0]), &v)
	}
	if err != nil {
		return err
	}
	printTx(stdout, v)
	return nil
}

const stamp = "2006-01-02T15:04:05.000Z07:00"

func printDeliveries(w io.Writer, list []core.Delivery) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tPARTNER\tTX\tATTEMPTS\tLAST\tNEXT\tURL")
	for _, d := range list {
		last := "-"
		if n := len(d.Attempts); n > 0 {
			a := d.Attempts[n-1]
			last = attemptText(a)
		}
		next := "-"
		if d.Status == core.DeliveryPending {
			next = d.NextAt.Format(stamp)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.Status, d.Partner, d.TxID, len(d.Attempts), last, next, d.URL)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d deliveries\n", len(list))
}

func attemptText(a core.Attempt) string {
	s := "no answer"
	if a.StatusCode != 0 {
		s = strconv.Itoa(a.StatusCode)
	}
	if a.Error != "" {
		s += " (" + a.Error + ")"
	}
	return s
}

func printTx(w io.Writer, v txView) {
	t := v.Transaction
	fmt.Fprintf(w, "transaction %s\n", t.ID)
	fmt.Fprintf(w, "  partner %s, channel %s, operation %s\n", t.Partner, t.Channel, t.Operation)
	fmt.Fprintf(w, "  partner transaction id %q, correlation id %q\n", t.PartnerTxID, t.CorrelationID)
	fmt.Fprintf(w, "  status %s\n", t.Status)
	fmt.Fprintln(w, "history:")
	for _, h := range t.History {
		fmt.Fprintf(w, "  %s  %s %s\n", h.At.Format(stamp), h.Status, h.Note)
	}
	fmt.Fprintf(w, "items (%d):\n", t.Job.Items())
	for i := 0; i < t.Job.Items(); i++ {
		if i >= len(t.Results) {
			fmt.Fprintf(w, "  %d  not executed yet\n", i+1)
			continue
		}
		r := t.Results[i]
		switch {
		case r.OK && r.Subscription != nil:
			s := r.Subscription
			fmt.Fprintf(w, "  %d  OK      subscription %s msisdn %s iccid %s\n", i+1, s.ID, s.MSISDN, s.ICCID)
		case r.Error != nil:
			fmt.Fprintf(w, "  %d  FAILED  %s: %s\n", i+1, r.Error.Reason, r.Error.Message)
		}
	}
	fmt.Fprintf(w, "deliveries (%d):\n", len(v.Deliveries))
	for _, d := range v.Deliveries {
		fmt.Fprintf(w, "  %s  %s  %s  %s\n", d.ID, d.Status, d.Event, d.URL)
		for _, a := range d.Attempts {
			fmt.Fprintf(w, "      %s  %s  %.1fms\n", a.At.Format(stamp), attemptText(a), a.Duration)
		}
		if d.Status == core.DeliveryPending {
			fmt.Fprintf(w, "      next attempt %s\n", d.NextAt.Format(stamp))
		}
	}
}
