package server

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/database"
	"github.com/attestdb/attestdb/server/auth"
	"github.com/attestdb/attestdb/server/session"
)

// Errors of the server itself. Texts that clients match are immudb's.
var (
	// ErrDatabaseNotExist: OpenSession on an unknown database.
	ErrDatabaseNotExist = errors.New("database does not exist")
	// ErrDatabaseReserved: create/delete of defaultdb or systemdb.
	ErrDatabaseReserved = errors.New("database is reserved")
	// ErrIllegalArguments / ErrIllegalState are the store's plain texts,
	// which clients recognise when they come as InvalidArgument.
	ErrIllegalArguments = errors.New("illegal arguments")
	ErrIllegalState     = errors.New("illegal state")
	// ErrNotImplemented: an rpc we answer but do not support.
	ErrNotImplemented = errors.New("not implemented")
	// ErrInternal: a recovered panic; the details go to the log only.
	ErrInternal = errors.New("internal error")
	// ErrShuttingDown: a call that arrives while Stop runs.
	ErrShuttingDown = errors.New("server is shutting down")
)

// SQLSTATE-style codes immudb puts in schema.ErrorInfo.code.
const (
	codeConnectionFailure   = "08001" // session not found
	codeInvalidPassword     = "08004" // wrong credentials
	codeInvalidAuthSpec     = "28000" // not logged in, no session id
	codeInvalidDatabaseName = "3F000" // UseDatabase of an unknown db
	codeTxReadConflict      = "25P02"
)

// bcryptMismatchCause is the cause immudb reports with a wrong password
// (the text of bcrypt's mismatch error, observed in live_session.json).
const bcryptMismatchCause = "crypto/bcrypt: hashedPassword is not the hash of the given password"

// errDoesNotExist builds UseDatabase's "'<name>' does not exist".
type errDoesNotExist struct{ name string }

func (e errDoesNotExist) Error() string { return "'" + e.name + "' does not exist" }

// withDetails makes a status carrying ErrorInfo{code, cause} and an empty
// RetryInfo, the shape immudb's error package sends.
func withDetails(c codes.Code, msg, code, cause string) *status.Status {
	st := status.New(c, msg)
	d, err := st.WithDetails(
		protoadapt.MessageV1Of(&schema.ErrorInfo{Code: code, Cause: cause}),
		protoadapt.MessageV1Of(&schema.RetryInfo{}),
	)
	if err != nil {
		return st
	}
	return d
}

// ToStatus maps any error a handler returns to the gRPC error clients
// expect (API.md §3). It is the only place where errors become statuses;
// nil stays nil.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		// Already a status (from us or the database layer): keep it.
		return err
	}
	return mapError(err).Err()
}

func mapError(err error) *status.Status {
	var dne errDoesNotExist
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, msg)
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, msg)
	case errors.Is(err, session.ErrSessionNotFound):
		return withDetails(codes.PermissionDenied, session.ErrSessionNotFound.Error(), codeConnectionFailure, session.ErrSessionNotFound.Error())
	case errors.Is(err, session.ErrNoSessionID):
		return withDetails(codes.Unknown, msg, codeInvalidAuthSpec, msg)
	case errors.Is(err, auth.ErrNotLoggedIn):
		return withDetails(codes.Unknown, auth.ErrNotLoggedIn.Error(), codeInvalidAuthSpec, auth.ErrNotLoggedIn.Error())
	case errors.Is(err, auth.ErrInvalidCredentials):
		return withDetails(codes.Unknown, auth.ErrInvalidCredentials.Error(), codeInvalidPassword, bcryptMismatchCause)
	case errors.As(err, &dne):
		return withDetails(codes.NotFound, dne.Error(), codeInvalidDatabaseName, dne.Error())
	case errors.Is(err, auth.ErrTokenExpired):
		return status.New(codes.PermissionDenied, auth.ErrTokenExpired.Error())
	case errors.Is(err, auth.ErrNoPermissionOnDatabase):
		return status.New(codes.PermissionDenied, msg)
	case errors.Is(err, auth.ErrPermissionDenied):
		// The wrapped detail (which method) stays in our log, not on the wire.
		return status.New(codes.PermissionDenied, auth.ErrPermissionDenied.Error())
	case errors.Is(err, auth.ErrInvalidToken):
		return status.New(codes.Unauthenticated, msg)
	case errors.Is(err, ErrNotImplemented):
		return status.New(codes.Unimplemented, msg)
	case errors.Is(err, ErrInternal):
		return status.New(codes.Internal, msg)
	case errors.Is(err, ErrShuttingDown):
		return status.New(codes.Unavailable, msg)
	case errors.Is(err, database.ErrDuplicatedKey):
		return status.New(codes.InvalidArgument, database.ErrDuplicatedKey.Error())
	case errors.Is(err, database.ErrPreconditionFailed):
		return status.New(codes.FailedPrecondition, msg)
	case errors.Is(err, database.ErrUnexpectedTxID), errors.Is(err, database.ErrReplicaMismatch):
		return status.New(codes.FailedPrecondition, msg)
	case errors.Is(err, database.ErrMalformedExport):
		return status.New(codes.InvalidArgument, msg)
	}
	return mapByText(msg)
}

// mapByText handles the errors that immudb clients recognise by their exact
// text, whichever package produced them. Only an unwrapped "illegal
// arguments"/"illegal state" is InvalidArgument: wrapped variants
// ("illegal arguments: …") stay Unknown, as with immudb.
func mapByText(msg string) *status.Status {
	switch {
	case msg == ErrIllegalArguments.Error(), msg == ErrIllegalState.Error():
		return status.New(codes.InvalidArgument, msg)
	case msg == "duplicated keys are not supported in single batch transaction":
		return status.New(codes.InvalidArgument, msg)
	case msg == "tx read conflict":
		return withDetails(codes.Unknown, msg, codeTxReadConflict, msg)
	case strings.HasPrefix(msg, "precondition failed"):
		return status.New(codes.FailedPrecondition, msg)
	}
	return status.New(codes.Unknown, msg)
}
