package store

// Batches reads queue until it is closed and hands run each request
// together with the ones already waiting behind it, up to max at a time.
// It never waits for more: while run works (on the disk, on the network),
// new requests queue up, so batches grow with the load and no timer is
// needed. The slice run gets is reused for the next batch.
func Batches[T any](queue <-chan T, max int, run func([]T)) {
	batch := make([]T, 0, max)
	for r := range queue {
		batch = append(batch, r)
	drain:
		for len(batch) < max {
			select {
			case r, ok := <-queue:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		run(batch)
		clear(batch)
		batch = batch[:0]
	}
}
