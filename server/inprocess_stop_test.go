package server

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

// TestInProcessCallsDuringStop: REST-gateway style callers keep dialing
// and calling in process while the server stops (run with -race). Every
// call returns, answered or refused as unavailable; none hangs or panics,
// and once stopped a new dial is refused.
func TestInProcessCallsDuringStop(t *testing.T) {
	ts := startTestServer(t, nil)
	const callers = 4
	var wg sync.WaitGroup
	started := make(chan struct{}, callers)
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			for {
				conn, err := ts.DialInProcess()
				if err != nil {
					if !errors.Is(err, ErrServerClosed) {
						errs <- err
					}
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				_, err = schema.NewImmuServiceClient(conn).Health(ctx, &emptypb.Empty{})
				cancel()
				_ = conn.Close()
				if first {
					first = false
					started <- struct{}{}
				}
				if err != nil {
					if c := status.Code(err); c != codes.Unavailable && c != codes.Canceled {
						errs <- err
					}
					return
				}
			}
		}()
	}
	for range callers {
		<-started
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ts.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("in-process call during stop: %v", err)
	}
	if _, err := ts.DialInProcess(); !errors.Is(err, ErrServerClosed) {
		t.Errorf("dial after stop: %v, want ErrServerClosed", err)
	}
}
