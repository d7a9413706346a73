package store

// Queued answers how many Update calls wait for the committer, so that tests
// can build a batch of known content.
func (d *DB) Queued() int { return len(d.queue) }
