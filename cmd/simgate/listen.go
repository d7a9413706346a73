package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"simgate/rest/callback"
)

// listenCmd is a partner's notification endpoint for trying simgate out:
// it prints each notification, checks its Standard Webhooks signature, and
// answers with the MVNX acknowledgement (which every API accepts as 2xx).
func listenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9999", "listen address")
	secret := fs.String("secret", "", "the partner's signing secret (whsec_...); empty: signatures are shown, not checked")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		verdict := "signature not checked (no --secret)"
		if *secret != "" {
			if err := callback.Verify(*secret, r.Header, body, callback.DefaultTolerance, time.Now()); err != nil {
				verdict = "SIGNATURE INVALID: " + err.Error()
			} else {
				verdict = "signature valid"
			}
		}
		fmt.Fprintf(stdout, "%s %s %s\n  webhook-id: %s\n  %s\n  %s\n\n", time.Now().Format(time.RFC3339), r.Method, r.URL.Path,
			r.Header.Get(callback.HeaderID), verdict, body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`)
	})}
	fmt.Fprintf(stdout, "listening on http://%s for notifications (Ctrl-C to stop)\n", ln.Addr())
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
