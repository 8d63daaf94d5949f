package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is the work factor for new hashes; see doc.go for the choice.
const BcryptCost = bcrypt.DefaultCost

// HashPassword returns the bcrypt hash of pw at cost (BcryptCost when 0).
func HashPassword(pw string, cost int) ([]byte, error) {
	if pw == "" {
		return nil, ErrEmptyPassword
	}
	if len(pw) > maxBcryptPassword {
		return nil, ErrPasswordTooLong
	}
	if cost == 0 {
		cost = BcryptCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return nil, fmt.Errorf("hashing password: %w", err)
	}
	return h, nil
}

// CheckPassword reports whether pw matches hash. A malformed hash is an
// error, not a mismatch, so corruption is not mistaken for a wrong password.
func CheckPassword(hash []byte, pw string) (bool, error) {
	if len(pw) > maxBcryptPassword {
		return false, nil // HashPassword never accepts such a password
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(pw))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, fmt.Errorf("%w: password hash: %v", ErrCorruptedUser, err)
}
