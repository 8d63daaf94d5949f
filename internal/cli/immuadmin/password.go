package immuadmin

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"

	"golang.org/x/term"
)

// ErrNoPassword reports a password prompt with nothing to read.
var ErrNoPassword = errors.New("no password given")

// ErrPasswordMismatch reports a confirmation that differs.
var ErrPasswordMismatch = errors.New("passwords don't match")

// ErrWeakPassword reports a password outside the policy of API.md §2.1.
var ErrWeakPassword = errors.New("password does not meet the requirements")

// ErrSamePassword reports a new password equal to the old one.
var ErrSamePassword = errors.New("new password is identical to the old one")

// PasswordPolicy is the policy text shown to users.
const PasswordPolicy = "password must have 8 to 32 characters, with at least one upper-case letter, one digit and one punctuation mark or symbol"

// CheckPassword enforces the strong-password policy client side, before a
// password goes to the server: 8–32 characters, at least one upper-case
// letter, one digit and one punctuation mark or symbol.
func CheckPassword(p []byte) error {
	s := string(p)
	n := len([]rune(s))
	if n < 8 || n > 32 {
		return fmt.Errorf("%w: %s (it has %d)", ErrWeakPassword, PasswordPolicy, n)
	}
	var upper, digit, special bool
	for _, r := range s {
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
		return fmt.Errorf("%w: %s", ErrWeakPassword, PasswordPolicy)
	}
	return nil
}

// isTerminal reports whether stdin is an interactive terminal.
func (a *app) isTerminal() (int, bool) {
	f, ok := a.stdin.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// ask reads one secret: without echo on a terminal, as one line of stdin
// otherwise (scripts pipe it in). The prompt goes to stderr so that stdout
// holds only results.
func (a *app) ask(prompt string) ([]byte, error) {
	fmt.Fprint(a.errOut, prompt)
	defer fmt.Fprintln(a.errOut)
	if fd, ok := a.isTerminal(); ok {
		return term.ReadPassword(fd)
	}
	line, err := a.in.ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" && err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoPassword, err)
	}
	return []byte(line), nil
}

// loginPassword is the password of a login: IMMUADMIN_PASSWORD when stdin
// is not a terminal and it is set, otherwise asked for.
func (a *app) loginPassword() ([]byte, error) {
	if _, tty := a.isTerminal(); !tty && a.cfg.Password != "" {
		return []byte(a.cfg.Password), nil
	}
	return a.ask("Password:")
}

// newPassword asks for a new password twice and checks the policy before
// the confirmation, so a weak one is refused at once.
func (a *app) newPassword(user string) ([]byte, error) {
	p1, err := a.ask(fmt.Sprintf("Choose a password for %s:", user))
	if err != nil {
		return nil, err
	}
	if err := CheckPassword(p1); err != nil {
		return nil, err
	}
	p2, err := a.ask("Confirm password:")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(p1, p2) {
		return nil, ErrPasswordMismatch
	}
	return p1, nil
}
