package soap

import (
	"strings"
	"testing"
	"runtime"
)

func measure(t *testing.T, name, doc string) {
	raw := []byte(doc)
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	_, err := scan(raw, DefaultLimits)
	runtime.ReadMemStats(&b)
	t.Logf("%-20s len=%8d alloc=%9d err=%v", name, len(raw), b.TotalAlloc-a.TotalAlloc, err)
}

const pre = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>`
const post = `</s:Header><s:Body><u:x xmlns:u="urn:emersion:userapi"/></s:Body></s:Envelope>`

func TestScratch(t *testing.T) {
	measure(t, "elements9999", pre+strings.Repeat("<a/>", 9990)+post)
	measure(t, "elemAttrs", pre+strings.Repeat("<a"+strings.Repeat(` b=""`, 31)+"/>", 6000)+post)
	measure(t, "comments", pre+strings.Repeat("<!---->", 140000)+post)
	measure(t, "cdata", pre+strings.Repeat("<![CDATA[]]>", 80000)+post)
	measure(t, "text", pre+strings.Repeat("x", 1000000)+post)
	measure(t, "attrs100k", pre+"<a"+strings.Repeat(` b=""`, 100000)+"/>"+post)
	measure(t, "attrval", pre+`<a b="`+strings.Repeat("x", 1000000)+`"/>`+post)
	measure(t, "ents", pre+strings.Repeat("&amp;", 200000)+post)
	measure(t, "ws", pre+strings.Repeat("<a> </a>", 5000)+post)
	measure(t, "nsdecl", pre+strings.Repeat(`<a xmlns:p="u" xmlns:q="v" xmlns:r="w"/>`, 9000)+post)
}
