package callback

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrForbiddenDestination marks a callback URL simgate refuses to call: a
// scheme other than http(s), or an address inside the operator's network.
// Partners choose callback URLs, so without this a partner could make
// simgate probe internal services or the cloud metadata endpoint (SSRF).
var ErrForbiddenDestination = errors.New("callback: destination not allowed")

var (
	cgnat    = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598, the carrier's own NAT space
	thisNet  = netip.MustParsePrefix("0.0.0.0/8")     // "this network"; Linux routes 0.x to the host
	nat64    = netip.MustParsePrefix("64:ff9b::/96")  // RFC 6052: hides an IPv4 address in IPv6
	bcast    = netip.AddrFrom4([4]byte{255, 255, 255, 255})
	metadata = netip.AddrFrom4([4]byte{169, 254, 169, 254})
)

// forbidden answers why ip may not be called, or "" when it may.
func forbidden(ip netip.Addr) string {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	switch {
	case !ip.IsValid():
		return "not an IP address"
	case ip == metadata:
		return "the cloud metadata address"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsUnspecified(), thisNet.Contains(ip):
		return "unspecified"
	case ip.IsMulticast(), ip == bcast:
		return "multicast or broadcast"
	case cgnat.Contains(ip):
		return "carrier-grade NAT"
	}
	return ""
}

// dialControl runs after name resolution, on the address about to be
// connected, so a hostname resolving (or rebinding) to an internal address
// is refused too; checking the URL alone would not catch that.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %s address %q", ErrForbiddenDestination, network, address)
	}
	if why := forbidden(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrForbiddenDestination, ap.Addr(), why)
	}
	return nil
}

// ValidateURL checks a callback URL without resolving it: http or https, a
// host, and, unless allowPrivate, no forbidden IP literal. Use it to reject
// a partner's URL early; Send enforces the policy again when dialling.
func ValidateURL(raw string, allowPrivate bool) error {
	_, err := parseURL(raw, allowPrivate)
	return err
}

// MaxURL is the longest callback URL a partner may register.
const MaxURL = 2048

// ErrURLForm marks a callback URL a partner registers that is not an
// absolute http or https URL with a host and without credentials, of at
// most MaxURL bytes.
var ErrURLForm = errors.New("callback: not an absolute http or https URL without credentials")

// CheckPartnerURL checks a callback URL a partner registers: its form
// (ErrURLForm), then, like ValidateURL, its destination
// (ErrForbiddenDestination). It answers the parsed URL for the front end's
// own rules.
func CheckPartnerURL(raw string, allowPrivate bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if raw == "" || len(raw) > MaxURL || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, ErrURLForm
	}
	return parseURL(raw, allowPrivate)
}

func parseURL(raw string, allowPrivate bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForbiddenDestination, err)
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return nil, fmt.Errorf("%w: scheme %q (only http and https)", ErrForbiddenDestination, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: no host in %q", ErrForbiddenDestination, raw)
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !allowPrivate {
		if why := forbidden(ip); why != "" {
			return nil, fmt.Errorf("%w: %s is %s", ErrForbiddenDestination, ip, why)
		}
	}
	return u, nil
}
