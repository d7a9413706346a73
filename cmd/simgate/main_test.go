package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labstack/echo/v4"

	"simgate/core"
	"simgate/rest/resttest"
)

// syncBuffer collects the server's log lines across goroutines.
type syncBuffer = resttest.LogBuffer

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server did not become healthy")
}

const docExample1 = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:emersion:userapi">
<soapenv:Body>
<urn:ActivateService>
<urn:loginToken>e4d723bfafeaeecc4cc91da481ad2dca896134df44a73ed225a23a5401aeefe1</urn:loginToken>
  <urn:SQ_ID>581407</urn:SQ_ID>
  <urn:sim_number>498172577</urn:sim_number>
</urn:ActivateService>
</soapenv:Body>
</soapenv:Envelope>`

// serve --demo, activate the document's example, stop with a signal-like
// cancel, start again on the same file: the data is there, the sandbox is
// not loaded twice, and every request's log lines carry its request id.
func TestServeDemoLifecycle(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "data", "simgate.db")
	require.NoError(t, os.MkdirAll(filepath.Dir(dbPath), 0o755))
	addr := freeAddr(t)
	url := "http://" + addr

	start := func() (context.CancelFunc, chan int, *syncBuffer) {
		ctx, cancel := context.WithCancel(context.Background())
		logs := &syncBuffer{}
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", addr, "--db", dbPath, "--demo", "--bcrypt-cost", "4"}, io.Discard, logs)
		}()
		waitHealthy(t, url)
		return cancel, done, logs
	}

	cancel, done, logs := start()
	req, err := http.NewRequest(http.MethodPost, url+"/userapi/Services", strings.NewReader(docExample1))
	require.NoError(t, err)
	req.Header.Set("X-Request-Id", "req-example-1")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	assert.Contains(t, string(body), "<ns1:ActiveServiceResponse>true</ns1:ActiveServiceResponse>")
	assert.Equal(t, "req-example-1", res.Header.Get("X-Request-Id"))
	cancel()
	require.Equal(t, 0, <-done, logs.String())
	out := logs.String()
	assert.Contains(t, out, "sandbox inventory loaded")
	assert.Contains(t, out, "database closed")
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "service activated") || strings.Contains(line, "path=/userapi/Services") {
			assert.Contains(t, line, "request_id=req-example-1", line)
		}
	}

	cancel, done, logs = start()
	defer func() { cancel(); <-done }()
	assert.Contains(t, logs.String(), "already holds an inventory")
	res, err = http.Post(url+"/userapi/Services", "text/xml", strings.NewReader(docExample1))
	require.NoError(t, err)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, res.StatusCode)
	assert.Contains(t, string(body), "SQ not in appropriate status for Activation")
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "inv.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(strings.Join([]string{
		`# a small inventory`,
		`{"kind":"partner","id":"p1","name":"P1","username":"p1","password":"p1-password"}`,
		`{"kind":"product","id":1,"owner":"p1","type":"SIM Card","category":"X"}`,
		`{"kind":"sim","sim_number":"100000000","count":5,"product":1,"owner":"p1","status":"Held"}`,
	}, "\n")), 0o644))
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"import", "--db", filepath.Join(dir, "x.db"), "--bcrypt-cost", "4", file}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stdout.String(), "imported 7 records from 4 lines")

	bad := filepath.Join(dir, "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte(`{"kind":"sim","sim_number":"1","owner":"p1","status":"Lost"}`+"\n"), 0o644))
	stderr.Reset()
	code = run(context.Background(), []string{"import", "--db", filepath.Join(dir, "x.db"), bad}, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "line 1: sim: status must be Held, Available or Pending")
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), nil, &out, &errOut))
	assert.Equal(t, 2, run(context.Background(), []string{"frobnicate"}, &out, &errOut))
	assert.Contains(t, errOut.String(), `unknown command "frobnicate"`)
	assert.Equal(t, 0, run(context.Background(), []string{"help"}, &out, &errOut))
	errOut.Reset()
	assert.Equal(t, 2, run(context.Background(), []string{"serve", "--log-format", "xml", "--db", filepath.Join(t.TempDir(), "x.db")}, &out, &errOut))
	assert.Contains(t, errOut.String(), `log format "xml"`)
}

// Every REST route the server mounts is in the OpenAPI document, and the
// document has no route the server lacks.
func TestOpenAPICoversEveryRESTRoute(t *testing.T) {
	_, err := apiDoc().JSON()
	require.NoError(t, err)
	eng := core.NewEngine(nil, nil, nil, core.EngineConfig{})
	e := newServer(nil, eng, nil, serveConfig{}, nil)
	documented := map[string]bool{}
	for _, r := range apiDoc().Routes() {
		documented[r.Method+" "+r.Path] = true
	}
	served := map[string]bool{}
	for _, r := range e.Routes() {
		key := r.Method + " " + r.Path
		if strings.HasPrefix(r.Path, "/userapi/") || r.Path == "/healthz" || r.Path == "/openapi.json" || r.Path == "/metrics" || r.Method == echo.RouteNotFound {
			continue // SOAP (described by its WSDLs) and operations
		}
		served[key] = true
	}
	assert.Equal(t, documented, served)
}
