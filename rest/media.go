package rest

import (
	"net/http"
	"strings"

	"simgate/core"
)

// MediaType answers the media type of a Content-Type value, lower case and
// without its parameters ("Application/JSON; charset=utf-8" is
// "application/json"); "" for none.
func MediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// IsJSON reports whether a media type (as MediaType answers it) is JSON:
// application/json or a structured-syntax suffix application/<name>+json
// (RFC 6839).
func IsJSON(mt string) bool {
	if mt == "application/json" {
		return true
	}
	sub, ok := strings.CutPrefix(mt, "application/")
	return ok && len(sub) > len("+json") && strings.HasSuffix(sub, "+json") && !strings.ContainsAny(sub, "/ \t,")
}

// CheckBodyType refuses a request whose body is declared in a media type
// that accepts does not take: a request with a body (a declared length
// other than 0, or chunked) and a Content-Type header. A body without one
// is read as the API's own type: legacy partners send none. More than one
// Content-Type line names no one type and is refused too. The error is
// core.ReasonMediaType, field "content_type", for the front end's table;
// want names the accepted type in its message.
func CheckBodyType(r *http.Request, want string, accepts func(mt string) bool) error {
	if r.ContentLength == 0 {
		return nil
	}
	values := r.Header.Values("Content-Type")
	switch {
	case len(values) == 0 || len(values) == 1 && strings.TrimSpace(values[0]) == "":
		return nil
	case len(values) == 1 && accepts(MediaType(values[0])):
		return nil
	}
	return core.Errorf(core.KindInvalid, core.ReasonMediaType, "content_type", "Content-Type must be %s", want)
}

// CheckJSONBody is CheckBodyType for the JSON APIs: application/json or
// any application/*+json, with any parameters.
func CheckJSONBody(r *http.Request) error {
	return CheckBodyType(r, "application/json", IsJSON)
}
