package core

import (
	"context"
	"time"
)

// sessionSweepEvery spaces the sweeps of expired sessions.
const sessionSweepEvery = time.Minute

// sweepSessions deletes, at most once a minute and a bounded batch at a
// time, the sessions that expired more than SessionRetention ago: every
// login writes one, and they would otherwise stay for ever.
func (e *Engine) sweepSessions(ctx context.Context) {
	if e.cfg.SessionRetention <= 0 {
		return
	}
	now := e.svc.clock.Now().UTC()
	e.mu.Lock()
	due := !now.Before(e.nextSessionSweep)
	if due {
		e.nextSessionSweep = now.Add(sessionSweepEvery)
	}
	e.mu.Unlock()
	if !due {
		return
	}
	deleted := 0
	err := e.svc.store.Update(ctx, func(tx Tx) error {
		deleted = 0
		old, err := tx.ExpiredSessions(now.Add(-e.cfg.SessionRetention), 1000)
		if err != nil {
			return err
		}
		for _, s := range old {
			if err := tx.DeleteSession(s.TokenHash); err != nil {
				return err
			}
		}
		deleted = len(old)
		return nil
	})
	switch {
	case err != nil && ctx.Err() == nil:
		e.log.ErrorContext(ctx, "deleting expired sessions", "error", err)
	case deleted > 0:
		e.log.InfoContext(ctx, "expired sessions deleted", "count", deleted)
		if deleted == 1000 { // more are waiting: do not wait a minute for them
			e.mu.Lock()
			e.nextSessionSweep = now
			e.mu.Unlock()
		}
	}
}
