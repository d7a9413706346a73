package core_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"simgate/core"
	"simgate/core/coretest"
	"simgate/store"
)

// recordingObserver keeps what the engine told it.
type recordingObserver struct {
	mu       sync.Mutex
	executed []string
	attempts []string
}

func (o *recordingObserver) Executed(ch core.Channel, status core.TxStatus) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.executed = append(o.executed, fmt.Sprintf("%s/%s", ch, status))
}

func (o *recordingObserver) Attempted(p core.PartnerID, code int, outcome core.DeliveryStatus) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.attempts = append(o.attempts, fmt.Sprintf("%s/%d/%s", p, code, outcome))
}

func (o *recordingObserver) seen() (executed, attempts []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.executed...), append([]string(nil), o.attempts...)
}

// answersInTurn answers each attempt with the next result of its list.
type answersInTurn struct {
	mu   sync.Mutex
	next []core.SendResult
}

func (s *answersInTurn) Send(context.Context, core.Delivery, string) core.SendResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.next[0]
	if len(s.next) > 1 {
		s.next = s.next[1:]
	}
	return r
}

type oneNotification struct{}

func (oneNotification) Render(t core.Transaction, item int, _ time.Time) ([]core.Notification, error) {
	return []core.Notification{{Event: "test", URL: t.CallbackURL, ContentType: "application/json", Body: []byte(`{}`), Accept: core.Accept2xx}}, nil
}

// The observer hears of each execution once, when it finishes, and of
// every recorded attempt with its status code and the delivery's state.
func TestEngineObserver(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.Options{})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(context.Background(), func(tx core.Tx) error {
		return tx.PutPartner(core.Partner{ID: "p", WebhookSecret: "whsec_p"})
	}))
	svc, err := core.NewService(db, core.SystemClock{}, &coretest.IDs{}, store.Bcrypt{Cost: bcrypt.MinCost}, core.Config{})
	require.NoError(t, err)
	obs := &recordingObserver{}
	sender := &answersInTurn{next: []core.SendResult{
		{StatusCode: 0, Err: fmt.Errorf("connection refused")},
		{StatusCode: 503, Err: fmt.Errorf("503")},
		{StatusCode: 410, Permanent: true},
	}}
	eng := core.NewEngine(svc, sender, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{
		PollInterval: 5 * time.Millisecond, Observer: obs,
		Retry: func(int, time.Duration) (time.Duration, bool) { return time.Millisecond, true },
	})
	eng.Register("test", oneNotification{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	defer func() { cancel(); <-done }()

	_, _, err = eng.Submit(context.Background(), core.Submission{
		Ref: core.TxRef{Partner: "p", Channel: "test", PartnerTxID: "k"}, Operation: "op", BodyHash: "h",
		CallbackURL: "http://partner.invalid/", Job: core.Job{Activations: []core.Activate{
			{Ref: core.TxRef{Partner: "p"}, SIM: core.SIMRef{ICCID: "1000000000000000001"}},
		}},
		Ack: func(t core.Transaction) (int, []byte, error) { return 200, nil, nil },
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, attempts := obs.seen()
		return len(attempts) == 3
	}, 5*time.Second, 5*time.Millisecond)
	time.Sleep(30 * time.Millisecond) // several polls more: nothing is told twice
	executed, attempts := obs.seen()
	assert.Equal(t, []string{"test/Failed"}, executed, "no inventory: the item is refused")
	assert.Equal(t, []string{"p/0/Pending", "p/503/Pending", "p/410/Dead"}, attempts)
}

// Without an observer the engine runs as before.
func TestEngineWithoutObserver(t *testing.T) {
	eng := core.NewEngine(nil, nil, nil, core.EngineConfig{})
	assert.NotNil(t, eng)
}
