package auth

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
)

// Built-in names and texts.
const (
	// SysAdminUsername is the built-in superuser.
	SysAdminUsername = "immudb"
	// DefaultAdminPassword is its password until changed.
	DefaultAdminPassword = "immudb"
	// DefaultPasswordWarning is LoginResponse.warning while the superuser
	// still has the default password; immuadmin matches it exactly.
	DefaultPasswordWarning = "immudb user has the default password: please change it to ensure proper security"
	// SystemDatabase holds users and settings; DefaultDatabase always
	// exists.
	SystemDatabase  = "systemdb"
	DefaultDatabase = "defaultdb"
)

const (
	maxUsernameLen    = 63
	minStrongPassword = 8
	maxStrongPassword = 32
	// bcrypt ignores nothing silently in x/crypto: it refuses input
	// longer than 72 bytes, so we reject it up front with a clear error.
	maxBcryptPassword = 72
	adminPasswordEnc  = "enc:"
)

// ValidateUsername checks the user-name rule: 1-63 characters from
// [a-zA-Z0-9_].
func ValidateUsername(name string) error {
	if name == "" || len(name) > maxUsernameLen {
		return fmt.Errorf("%w: %q", ErrInvalidUsername, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%w: %q", ErrInvalidUsername, name)
		}
	}
	return nil
}

// ValidateStrongPassword checks the policy the CLIs enforce for new
// passwords: 8-32 characters with at least one upper-case letter, one digit
// and one punctuation mark or symbol.
func ValidateStrongPassword(pw string) error {
	n := len([]rune(pw))
	if n < minStrongPassword || n > maxStrongPassword {
		return ErrWeakPassword
	}
	var upper, digit, special bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			special = true
		}
	}
	if !upper || !digit || !special {
		return ErrWeakPassword
	}
	return nil
}

// DecodeAdminPassword interprets the --admin-password value: plain text, or
// "enc:" followed by standard base64 of the password.
func DecodeAdminPassword(v string) (string, error) {
	if strings.HasPrefix(v, adminPasswordEnc) {
		b, err := base64.StdEncoding.DecodeString(v[len(adminPasswordEnc):])
		if err != nil {
			return "", fmt.Errorf("%w: enc: value is not base64: %v", ErrBadAdminPassword, err)
		}
		v = string(b)
	}
	if v == "" {
		return "", fmt.Errorf("%w: %w", ErrBadAdminPassword, ErrEmptyPassword)
	}
	if len(v) > maxBcryptPassword {
		return "", fmt.Errorf("%w: %w", ErrBadAdminPassword, ErrPasswordTooLong)
	}
	return v, nil
}

// ValidateDatabaseName checks a (lower-cased) database name as used in a
// permission: 1-128 characters from [a-z0-9_]. Existence is the database
// layer's business.
func ValidateDatabaseName(name string) error {
	if name == "" || len(name) > 128 {
		return fmt.Errorf("%w: %q", ErrInvalidDatabaseName, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%w: %q", ErrInvalidDatabaseName, name)
		}
	}
	return nil
}
