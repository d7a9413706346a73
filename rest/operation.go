package rest

import (
	"github.com/labstack/echo/v4"

	"simgate/core"
)

// SetOperation names the operation a request on a shared route turned out
// to be; front ends without access to this package use core.WithOperation.
func SetOperation(c echo.Context, op string) {
	c.SetRequest(c.Request().WithContext(core.WithOperation(c.Request().Context(), op)))
}

// Operation answers the name SetOperation (or core.WithOperation) gave, or "".
func Operation(c echo.Context) string { return core.Operation(c.Request().Context()) }
