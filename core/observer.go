package core

// EngineObserver is told what the asynchronous engine did, for metrics.
// Its methods are called after the store transaction that made the change
// durable, on the engine's goroutines: they must be cheap and must not block.
type EngineObserver interface {
	// Executed: a transaction of channel ch finished executing with status.
	Executed(ch Channel, status TxStatus)
	// Attempted: one delivery attempt to partner p was recorded. code is the
	// HTTP status of the answer, 0 for none (a network error or a timeout);
	// outcome is the delivery's state after the attempt: Pending (it will be
	// retried), Delivered, or Dead (retries exhausted or refused for good).
	Attempted(p PartnerID, code int, outcome DeliveryStatus)
}

type noObserver struct{}

func (noObserver) Executed(Channel, TxStatus)               {}
func (noObserver) Attempted(PartnerID, int, DeliveryStatus) {}
