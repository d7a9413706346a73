// Command simgate is the SIM provisioning gateway: `simgate serve` runs the
// partner APIs, `simgate import` loads an inventory file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `simgate: SIM provisioning gateway

Usage:
  simgate serve  [--addr HOST:PORT] [--db PATH] [--demo] [flags]   run the partner APIs
  simgate serve  --store postgres://... [--demo] [flags]            the same on PostgreSQL (several instances may share it)
  simgate import [--db PATH|--store postgres://...] FILE            load an inventory file
  simgate outbox list [--dead|--delivered] [--admin URL|--db PATH]  list notifications (pending by default)
  simgate outbox replay ID [--admin URL|--db PATH]                  queue a notification again (same webhook-id)
  simgate tx show ID [--admin URL|--db PATH]                        what happened to a transaction
  simgate check [--admin URL|--db PATH]                             verify the database (exit 1 on any problem)
  simgate backup FILE [--admin URL|--db PATH] [--verify]            write a consistent copy of the database
  simgate listen [--addr HOST:PORT] [--secret whsec_...]             print signed notifications (a test partner)
  simgate bench [--sims N] [--concurrency C] [--duration D] [flags] benchmark every API against a fresh server
  simgate help                                                      this text

Run "simgate COMMAND -h" for the flags of a command.
outbox, tx and import also take --store postgres://... instead of --db; check and backup are for bbolt files.
Environment: SIMGATE_ADDR, SIMGATE_ADMIN_ADDR, SIMGATE_ADMIN, SIMGATE_DB, SIMGATE_STORE, SIMGATE_BASE_URL,
SIMGATE_LOG_FORMAT, SIMGATE_LOG_LEVEL.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it answers the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "import":
		err = importCmd(ctx, args[1:], stdout, stderr)
	case "outbox":
		err = outboxCmd(ctx, args[1:], stdout, stderr)
	case "tx":
		err = txCmd(ctx, args[1:], stdout, stderr)
	case "listen":
		err = listenCmd(ctx, args[1:], stdout, stderr)
	case "check":
		err = checkCmd(ctx, args[1:], stdout, stderr)
	case "backup":
		err = backupCmd(ctx, args[1:], stdout, stderr)
	case "bench":
		err = benchCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "simgate: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "simgate %s: %v\n", args[0], err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "simgate %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

type usageError struct{ error }

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// parseArgs parses flags wherever they stand among the positional
// arguments ("tx show ID --db x" as well as "tx show --db x ID").
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
