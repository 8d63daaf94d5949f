package store

import "errors"

// Sentinel errors. Messages the server forwards to clients match immudb's
// wording (API.md §3); callers compare with errors.Is.
var (
	ErrClosed              = errors.New("already closed")
	ErrKeyNotFound         = errors.New("tbtree: key not found") // immudb's wording, forwarded verbatim
	ErrTxNotFound          = errors.New("tx not found")
	ErrMaxKeyLenExceeded   = errors.New("max key length exceeded")
	ErrMaxValueLenExceeded = errors.New("max value length exceeded")
	ErrDuplicatedKey       = errors.New("duplicated keys are not supported in single batch transaction")
	ErrNoEntries           = errors.New("no entries provided")
	ErrTooManyEntries      = errors.New("max number of entries per tx exceeded")
	ErrEmptyKey            = errors.New("key can not be empty")
	ErrPreconditionFailed  = errors.New("precondition failed")
	ErrCorruptedData       = errors.New("data is corrupted")
	ErrUnsupportedFormat   = errors.New("unsupported store format")
	ErrIllegalArguments    = errors.New("illegal arguments")
	ErrIllegalState        = errors.New("illegal state")
	// ErrIndexTimeout is returned (wrapping the context error) when the index
	// did not catch up with the requested tx in time.
	ErrIndexTimeout = errors.New("timed out waiting for the index to catch up")
	// ErrIndexDisabled is returned by key reads on a store opened without index.
	ErrIndexDisabled = errors.New("store: the key index is disabled")
)
