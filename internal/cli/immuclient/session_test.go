package immuclient

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestNeedsLogin(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{status.Error(codes.Unknown, "not logged in"), true},
		{status.Error(codes.PermissionDenied, "token has expired"), true},
		{status.Error(codes.Unknown, "please select a database first"), true},
		{status.Error(codes.Unknown, "invalid token"), true},
		{fmt.Errorf("wrapped: %w", status.Error(codes.Unknown, "not logged in")), true},
		{status.Error(codes.Unknown, "tbtree: key not found"), false},
		{status.Error(codes.PermissionDenied, "permission denied"), false},
		{errors.New("connection refused"), false},
	} {
		if got := needsLogin(c.err); got != c.want {
			t.Errorf("needsLogin(%v) = %t, want %t", c.err, got, c.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		// The server's message without the gRPC boilerplate, as immuclient prints it.
		{status.Error(codes.Unknown, "tbtree: key not found"), "tbtree: key not found"},
		{status.Error(codes.Unknown, "illegal state: latest txID=3 is lower than specified as initial tx=9"),
			"illegal state: latest txID=3 is lower than specified as initial tx=9"},
		// Context the CLI added stays in front.
		{fmt.Errorf("automatic login as bob failed: %w", status.Error(codes.Unknown, "invalid user name or password")),
			"automatic login as bob failed: invalid user name or password"},
		{errors.New("plain failure"), "plain failure"},
	} {
		if got := errorText(c.err); got != c.want {
			t.Errorf("errorText(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
