package core

import "context"

type requestIDKey struct{}

// WithRequestID tags ctx with the id of the request being served, so that
// every log line written for it can carry the id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID answers the request id of ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type correlationIDKey struct{}

// WithCorrelationID tags ctx with the partner's correlation id (SPS
// X-Correlation-Id), so that log lines carry it next to the request id.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationIDKey{}, id)
}

// CorrelationID answers the correlation id of ctx, or "".
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationIDKey{}).(string)
	return id
}

type clientIPKey struct{}

// WithClientIP tags ctx with the address of the client that sent the
// request (the peer, or the proxy's X-Forwarded-For when the operator
// trusts it), so that login failures can be counted per address.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP answers the client address of ctx, or "".
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

type operationKey struct{}

// WithOperation names the operation a request on a shared route turned
// out to be (a SOAP body element), for metrics and logs. Name only
// operations the front end knows: label values must stay few.
func WithOperation(ctx context.Context, op string) context.Context {
	return context.WithValue(ctx, operationKey{}, op)
}

// Operation answers the name WithOperation gave, or "".
func Operation(ctx context.Context) string {
	op, _ := ctx.Value(operationKey{}).(string)
	return op
}
