package main

import (
	"bytes"
	"flag"
	"io"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"
)

// benchHooks are serve's flags for `simgate bench`, never for production:
// with --bench-echo the main listener also serves
//
//	POST|PUT /bench/echo?size=N     reads the whole body, answers N fixed bytes (the ceiling)
//	GET  /bench/heap                runtime.GC(), then the Go heap as JSON
//	POST /bench/cpuprofile/start    starts a CPU profile of the server
//	POST /bench/cpuprofile/stop     stops it and answers the pprof file
//
// through the same middleware as the partner APIs, so the ceiling costs
// what the HTTP stack and the middleware cost, and nothing else.
type benchHooks struct {
	echo bool
}

func (b *benchHooks) register(fs *flag.FlagSet) {
	fs.BoolVar(&b.echo, "bench-echo", false, "internal, for simgate bench only: serve /bench/echo, /bench/heap and /bench/cpuprofile")
}

// maxEchoSize bounds /bench/echo's answer.
const maxEchoSize = 1 << 20

var echoBytes = bytes.Repeat([]byte{'x'}, maxEchoSize)

func (b benchHooks) mount(e *echo.Echo) {
	if !b.echo {
		return
	}
	echoHandler := func(c echo.Context) error {
		n, err := strconv.Atoi(c.QueryParam("size"))
		if err != nil || n < 0 || n > maxEchoSize {
			return c.String(http.StatusBadRequest, "size must be 0 to 1048576")
		}
		if _, err := io.Copy(io.Discard, c.Request().Body); err != nil {
			return c.String(http.StatusBadRequest, "cannot read the body")
		}
		return c.Blob(http.StatusOK, "application/octet-stream", echoBytes[:n])
	}
	e.POST("/bench/echo", echoHandler)
	e.PUT("/bench/echo", echoHandler)
	e.GET("/bench/heap", func(c echo.Context) error {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return c.JSON(http.StatusOK, benchHeap{HeapAlloc: m.HeapAlloc, HeapInuse: m.HeapInuse, HeapSys: m.HeapSys, Sys: m.Sys, NumGC: m.NumGC})
	})
	var mu sync.Mutex
	var prof *bytes.Buffer
	e.POST("/bench/cpuprofile/start", func(c echo.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if prof != nil {
			return c.String(http.StatusConflict, "a profile is running")
		}
		buf := &bytes.Buffer{}
		if err := pprof.StartCPUProfile(buf); err != nil {
			return c.String(http.StatusConflict, err.Error())
		}
		prof = buf
		return c.NoContent(http.StatusNoContent)
	})
	e.POST("/bench/cpuprofile/stop", func(c echo.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if prof == nil {
			return c.String(http.StatusConflict, "no profile is running")
		}
		pprof.StopCPUProfile()
		buf := prof
		prof = nil
		return c.Blob(http.StatusOK, "application/octet-stream", buf.Bytes())
	})
}

// benchHeap is /bench/heap's answer.
type benchHeap struct {
	HeapAlloc uint64 `json:"heap_alloc"`
	HeapInuse uint64 `json:"heap_inuse"`
	HeapSys   uint64 `json:"heap_sys"`
	Sys       uint64 `json:"sys"`
	NumGC     uint32 `json:"num_gc"`
}
