package callback

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks (https://www.standardwebhooks.com) headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is the clock skew Verify accepts when given none; it is
// the specification's recommendation and bounds replays of a captured call.
const DefaultTolerance = 5 * time.Minute

// Verification failures, for errors.Is.
var (
	ErrMissingHeaders = errors.New("callback: webhook-id, webhook-timestamp or webhook-signature missing")
	ErrTimestamp      = errors.New("callback: webhook-timestamp outside tolerance")
	ErrSignature      = errors.New("callback: no matching webhook-signature")
	ErrSecret         = errors.New("callback: whsec_ secret is not valid base64")
)

const secretPrefix = "whsec_"

// signingKey answers the HMAC key: the base64 part of a whsec_ secret, or
// the raw bytes of a secret without the prefix.
func signingKey(secret string) ([]byte, error) {
	enc, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return []byte(secret), nil
	}
	if k, err := base64.StdEncoding.DecodeString(enc); err == nil {
		return k, nil
	}
	// Some generators drop the padding; accepting it costs nothing.
	if k, err := base64.RawStdEncoding.DecodeString(enc); err == nil {
		return k, nil
	}
	return nil, ErrSecret
}

// The canonical forms of the headers Send sets (http.CanonicalHeaderKey).
const (
	canonContentType = "Content-Type"
	canonUserAgent   = "User-Agent"
	canonID          = "Webhook-Id"
	canonTimestamp   = "Webhook-Timestamp"
	canonSignature   = "Webhook-Signature"
)

// macTo appends to dst the HMAC-SHA256 of id.ts.body, ts in unix seconds.
func macTo(dst, key []byte, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	var sep = [1]byte{'.'}
	_, _ = io.WriteString(h, id)
	h.Write(sep[:])
	_, _ = io.WriteString(h, ts)
	h.Write(sep[:])
	h.Write(body)
	return h.Sum(dst)
}

func mac(key []byte, id string, ts int64, body []byte) []byte {
	return macTo(nil, key, id, strconv.FormatInt(ts, 10), body)
}

// signature answers "v1,<base64 HMAC-SHA256 of id.ts.body>" in one
// allocation.
func signature(key []byte, id, ts string, body []byte) string {
	var sum [sha256.Size]byte
	m := macTo(sum[:0], key, id, ts, body)
	var b strings.Builder
	b.Grow(len("v1,") + base64.StdEncoding.EncodedLen(len(m)))
	b.WriteString("v1,")
	var enc [44]byte // base64 of 32 bytes
	base64.StdEncoding.Encode(enc[:], m)
	b.Write(enc[:base64.StdEncoding.EncodedLen(len(m))])
	return b.String()
}

// Sign answers the webhook-signature value "v1,<base64 HMAC-SHA256>" over
// id.ts.body. A whsec_ secret whose remainder is not base64 is used as raw
// bytes (Sign cannot fail); Send and Verify refuse such a secret instead.
func Sign(secret, id string, ts int64, body []byte) string {
	key, err := signingKey(secret)
	if err != nil {
		key = []byte(secret)
	}
	return signature(key, id, strconv.FormatInt(ts, 10), body)
}

// Verify checks a request signed by Send (or any Standard Webhooks sender)
// at time now. tolerance <= 0 means DefaultTolerance. The signature header
// may list several space-separated signatures (key rotation); one matching
// v1 signature is enough. Comparison is constant-time.
func Verify(secret string, h http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	id, tsRaw, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsRaw == "" || sigs == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsRaw, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds", ErrTimestamp, tsRaw)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if skew := now.Sub(time.Unix(ts, 0)); skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: off by %s", ErrTimestamp, skew.Round(time.Second))
	}
	key, err := signingKey(secret)
	if err != nil {
		return err
	}
	want := mac(key, id, ts, body)
	for _, s := range strings.Fields(sigs) {
		v, enc, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err == nil && subtle.ConstantTimeCompare(got, want) == 1 {
			return nil
		}
	}
	return ErrSignature
}
