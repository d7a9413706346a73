package store

// Queued answers how many Update calls wait for the committer, so that tests
// can build a batch of known content.
func (d *DB) Queued() int { return len(d.queue) }

// DecodeRecord reads a stored value in either format (codec.go).
func DecodeRecord(raw []byte, v any) error { return decodeRecord(raw, v) }
