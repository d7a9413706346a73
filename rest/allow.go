package rest

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"simgate/core"
)

// Route is a path of an API, in echo syntax (":name" matches one
// non-empty segment), and the methods it serves, as an Allow header lists
// them ("GET, POST").
type Route struct{ Path, Methods string }

// Routes are the paths of one API, for its 405 answers.
type Routes []Route

// Allowed answers the methods of the route whose path matches path, or ""
// when none does.
func (rs Routes) Allowed(path string) string {
	segs := strings.Split(path, "/")
	for _, r := range rs {
		want := strings.Split(r.Path, "/")
		if len(want) != len(segs) {
			continue
		}
		match := true
		for i, w := range want {
			if param := strings.HasPrefix(w, ":"); param && segs[i] == "" || !param && w != segs[i] {
				match = false
				break
			}
		}
		if match {
			return r.Methods
		}
	}
	return ""
}

// MethodNotAllowed answers, for a request whose path one of rs serves but
// not with its method, the error a front end renders in its own shape
// (core.ReasonMethodNotAllowed, the front ends' tables give it 405), after
// setting the Allow header RFC 9110 requires on a 405. It answers nil when
// no route has the path.
func (rs Routes) MethodNotAllowed(c echo.Context) error {
	req := c.Request()
	allow := rs.Allowed(req.URL.Path)
	if allow == "" {
		return nil
	}
	c.Response().Header().Set(echo.HeaderAllow, allow)
	return core.Errorf(core.KindInvalid, core.ReasonMethodNotAllowed, "", "%s is not allowed here (allowed: %s)", req.Method, allow)
}

// RefuseOtherMethods has e answer a request for a path of rs with a method
// its route does not serve by answer(c, err), err being MethodNotAllowed's:
// in the API's own error shape rather than echo's. It registers a
// not-found route on each path, which echo prefers to its own 405 (such
// routes are no operations: the OpenAPI and the metrics ignore them).
// Front ends whose group middleware sees echo's 404 call MethodNotAllowed
// there instead.
func (rs Routes) RefuseOtherMethods(e *echo.Echo, answer func(c echo.Context, err error) error) {
	for _, r := range rs {
		e.RouteNotFound(r.Path, func(c echo.Context) error {
			if err := rs.MethodNotAllowed(c); err != nil {
				return answer(c, err)
			}
			return echo.NewHTTPError(http.StatusNotFound)
		})
	}
}
