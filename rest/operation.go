package rest

import "github.com/labstack/echo/v4"

const operationKey = "simgate.operation"

// SetOperation names the operation a request on a shared route turned out
// to be (a SOAP body element), for the metrics. Name only operations the
// front end knows: the label's values must stay few.
func SetOperation(c echo.Context, op string) { c.Set(operationKey, op) }

// Operation answers the name SetOperation gave, or "".
func Operation(c echo.Context) string {
	op, _ := c.Get(operationKey).(string)
	return op
}
