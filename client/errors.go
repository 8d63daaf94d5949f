package client

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/attestdb/attestdb/api/schema"
)

// Client-side sentinel errors. Errors that come from the server are
// *ServerError values which also match (errors.Is) the sentinel describing
// their meaning, when one is known.
var (
	// ErrCorruptedData reports a proof, digest or signature that does not
	// hold: the server's answer cannot be trusted. Same text as immudb's.
	ErrCorruptedData = errors.New("data is corrupted")
	// ErrServerStateIsOlder reports a server whose current state is behind
	// the state this client already trusts (a rollback or another server).
	ErrServerStateIsOlder = errors.New("server state is older than the client one")
	// ErrServerIdentityChanged reports a server whose UUID differs from the
	// one pinned for its address (CVE-2022-39199). Delete the identity file to
	// trust the new server.
	ErrServerIdentityChanged = errors.New("could not check the identity of the server")
	// ErrNoSignature reports a state without signature while a server
	// signing key is configured.
	ErrNoSignature = errors.New("no signature provided")
	// ErrStateCorrupt reports a local state or identity file that does not parse.
	ErrStateCorrupt = errors.New("local state file is corrupted")
	// ErrClosed reports a call on a closed client.
	ErrClosed = errors.New("client is closed")
	// ErrNoServerUUID reports a server that did not say who it is, so no
	// local state can be keyed for it.
	ErrNoServerUUID = errors.New("unable to create state service: server UUID unknown")
	// ErrSessionAlreadyOpen reports OpenSession or Login on a client that
	// already holds a session.
	ErrSessionAlreadyOpen = errors.New("session already opened")
	// ErrNoSession reports a call that needs a session or a login.
	ErrNoSession = errors.New("no open session")
	// ErrIllegalArgument reports a request the client refuses to send.
	ErrIllegalArgument = errors.New("illegal arguments")

	// Meanings of server errors (matched from the status message).
	ErrKeyNotFound        = errors.New("key not found")
	ErrTxNotFound         = errors.New("tx not found")
	ErrNotLoggedIn        = errors.New("not logged in")
	ErrSessionNotFound    = errors.New("session not found")
	ErrTokenExpired       = errors.New("token has expired")
	ErrNoDatabaseSelected = errors.New("please select a database first")
	ErrDatabaseNotFound   = errors.New("database does not exist")
	ErrPermissionDenied   = errors.New("permission denied")
	ErrInvalidCredentials = errors.New("invalid user name or password")
	ErrIllegalState       = errors.New("illegal state")
	ErrPreconditionFailed = errors.New("precondition failed")
	ErrMaxSessionsReached = errors.New("max sessions number reached")
	ErrServerIllegalArgs  = errors.New("server: illegal arguments")
	ErrTxReadConflict     = errors.New("tx read conflict")
)

// ServerError is an error status returned by the server. It keeps the gRPC
// status (status.FromError and GRPCStatus work on it), the immudb error
// details when present, and the sentinel its message maps to.
type ServerError struct {
	Status *status.Status
	// Code and Cause come from the schema.ErrorInfo detail, when sent.
	Code  string
	Cause string
	// RetryDelay comes from schema.RetryInfo (milliseconds), when sent.
	RetryDelay int32
	sentinel   error
}

// Error has the layout of a gRPC status error, which immuclient users and
// scripts match on ("rpc error: code = Unknown desc = tbtree: key not found").
func (e *ServerError) Error() string {
	return fmt.Sprintf("rpc error: code = %s desc = %s", e.Status.Code(), e.Status.Message())
}

// GRPCStatus lets status.FromError and status.Code see the server status.
func (e *ServerError) GRPCStatus() *status.Status { return e.Status }

// Unwrap exposes the sentinel so errors.Is(err, ErrKeyNotFound) works.
func (e *ServerError) Unwrap() error { return e.sentinel }

// messageSentinels maps substrings of server messages to sentinels. Order
// matters: the first match wins.
var messageSentinels = []struct {
	substr string
	err    error
}{
	{"key not found", ErrKeyNotFound},
	{"tx not found", ErrTxNotFound},
	{"session not found", ErrSessionNotFound},
	{"not logged in", ErrNotLoggedIn},
	{"token has expired", ErrTokenExpired},
	{"please select a database first", ErrNoDatabaseSelected},
	{"invalid user name or password", ErrInvalidCredentials},
	{"max sessions number reached", ErrMaxSessionsReached},
	{"tx read conflict", ErrTxReadConflict},
	{"precondition failed", ErrPreconditionFailed},
	{"database does not exist", ErrDatabaseNotFound},
	{"does not exist", ErrDatabaseNotFound},
	{"permission denied", ErrPermissionDenied},
	{"does not have permission", ErrPermissionDenied},
	{"illegal arguments", ErrServerIllegalArgs},
}

// wrapRPC converts a gRPC error into a *ServerError; other errors (context
// cancellation seen locally, nil) pass through.
func wrapRPC(err error) error {
	if err == nil {
		return nil
	}
	var se *ServerError
	if errors.As(err, &se) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	e := &ServerError{Status: st}
	for _, d := range st.Details() {
		switch v := d.(type) {
		case *schema.ErrorInfo:
			e.Code, e.Cause = v.GetCode(), v.GetCause()
		case *schema.RetryInfo:
			e.RetryDelay = v.GetRetryDelay()
		}
	}
	msg := st.Message()
	switch {
	case st.Code() == codes.InvalidArgument && msg == "illegal state":
		e.sentinel = ErrIllegalState
	case st.Code() == codes.FailedPrecondition:
		e.sentinel = ErrPreconditionFailed
	default:
		for _, m := range messageSentinels {
			if strings.Contains(msg, m.substr) {
				e.sentinel = m.err
				break
			}
		}
		if e.sentinel == nil && st.Code() == codes.PermissionDenied {
			e.sentinel = ErrPermissionDenied
		}
		if e.sentinel == nil && st.Code() == codes.NotFound {
			e.sentinel = ErrDatabaseNotFound
		}
	}
	return e
}

// corrupted wraps a verification failure so that it matches ErrCorruptedData
// and still says which check failed.
func corrupted(what string, cause error) error {
	if cause == nil {
		return fmt.Errorf("%w: %s", ErrCorruptedData, what)
	}
	return fmt.Errorf("%w: %s: %w", ErrCorruptedData, what, cause)
}

// IsKeyNotFound reports whether err says the key does not exist (missing,
// deleted or expired).
func IsKeyNotFound(err error) bool { return errors.Is(err, ErrKeyNotFound) }

// IsTxNotFound reports whether err says the transaction does not exist.
func IsTxNotFound(err error) bool { return errors.Is(err, ErrTxNotFound) }

// IsNotLoggedIn reports whether the call lacked valid credentials (no token,
// expired token, unknown session): the caller should log in again.
func IsNotLoggedIn(err error) bool {
	return errors.Is(err, ErrNotLoggedIn) || errors.Is(err, ErrTokenExpired) || errors.Is(err, ErrSessionNotFound)
}

// IsPermissionDenied reports whether the server refused the call for lack
// of permission.
func IsPermissionDenied(err error) bool { return errors.Is(err, ErrPermissionDenied) }

// IsCorruptedData reports whether a verification failed.
func IsCorruptedData(err error) bool { return errors.Is(err, ErrCorruptedData) }

// StatusCode returns the gRPC code of a server error, codes.Unknown for
// other non-nil errors and codes.OK for nil.
func StatusCode(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	if st, ok := status.FromError(err); ok {
		return st.Code()
	}
	return codes.Unknown
}
