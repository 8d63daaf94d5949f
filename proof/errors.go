package proof

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of them.
var (
	// ErrMalformed reports bytes that do not decode (truncated, trailing
	// data, unknown codes, out-of-order attributes, bad lengths).
	ErrMalformed = errors.New("proof: malformed encoding")
	// ErrVerificationFailed reports a proof or signature that does not hold.
	ErrVerificationFailed = errors.New("proof: verification failed")
	// ErrInvalidArgument reports a request that cannot be answered as asked
	// (bad tx ids or tree sizes, unsupported header version, oversize data).
	ErrInvalidArgument = errors.New("proof: invalid argument")
	// ErrEmptyTree reports a root asked of an AHT with no leaves.
	ErrEmptyTree = errors.New("proof: empty tree")
	// ErrCorruptStore reports a NodeStore whose contents cannot belong to an AHT.
	ErrCorruptStore = errors.New("proof: corrupt node store")
)

// VerificationError tells which check of a verifier failed and, when the
// check compared two values, what was expected and what was computed.
type VerificationError struct {
	Check    string
	Expected []byte
	Computed []byte
}

func (e *VerificationError) Error() string {
	if e.Expected == nil && e.Computed == nil {
		return fmt.Sprintf("proof: verification failed: %s", e.Check)
	}
	return fmt.Sprintf("proof: verification failed: %s: expected %s, computed %s",
		e.Check, hex.EncodeToString(e.Expected), hex.EncodeToString(e.Computed))
}

// Unwrap makes errors.Is(err, ErrVerificationFailed) hold.
func (e *VerificationError) Unwrap() error { return ErrVerificationFailed }

// failCheck reports a failed precondition (no values to compare).
func failCheck(check string) error { return &VerificationError{Check: check} }

// mismatch reports two hashes that should be equal.
func mismatch(check string, expected, computed Hash) error {
	e, c := expected, computed
	return &VerificationError{Check: check, Expected: e[:], Computed: c[:]}
}

// within adds context to an error from a sub-verifier while keeping it
// matchable with errors.Is / errors.As.
func within(step string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", step, err)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
}
