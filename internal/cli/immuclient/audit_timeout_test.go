package immuclient

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// gRPC's own timer can fail a call with DeadlineExceeded a moment before
// the context reports it; the auditor must still say which timeout ran out.
func TestTimeoutCause(t *testing.T) {
	ctx, cancel := withTimeout(context.Background())
	defer cancel()
	soon, cancelSoon := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelSoon()
	other := errors.New("connection refused")
	grpcDeadline := status.Error(codes.DeadlineExceeded, "context deadline exceeded")
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want string
	}{
		{"no error", ctx, nil, ""},
		{"other error", soon, other, "connection refused"},
		{"gRPC timer first, deadline near", soon, grpcDeadline, "the server did not answer within"},
		{"context error first, deadline near", soon, context.DeadlineExceeded, "the server did not answer within"},
		{"DeadlineExceeded long before our deadline", ctx, grpcDeadline, "context deadline exceeded"},
	} {
		got := timeoutCause(tc.ctx, tc.err)
		if tc.want == "" {
			if got != nil {
				t.Errorf("%s: %v, want nil", tc.name, got)
			}
			continue
		}
		if got == nil || !strings.Contains(got.Error(), tc.want) {
			t.Errorf("%s: %v, want it to say %q", tc.name, got, tc.want)
		}
	}
	expired, cancelExpired := context.WithTimeoutCause(context.Background(), time.Nanosecond, errors.New("the server did not answer within 1ns"))
	defer cancelExpired()
	<-expired.Done()
	if got := timeoutCause(expired, grpcDeadline); status.Code(got) != codes.DeadlineExceeded || !strings.Contains(got.Error(), "within 1ns") {
		t.Errorf("expired context: %v", got)
	}
}
