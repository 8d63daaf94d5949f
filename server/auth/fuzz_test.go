package auth

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParsePermission(f *testing.F) {
	for _, s := range []string{"read", "readwrite", "admin", "1", "2", "254", "255", "0", "3", "sysadmin", " RW "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePermission(s)
		if err != nil {
			if p != PermissionNone {
				t.Fatalf("%q: error with permission %v", s, p)
			}
			return
		}
		if ValidateGrant(p) != nil {
			t.Fatalf("%q parsed to non-grantable %v", s, p)
		}
	})
}

func FuzzDecodeAdminPassword(f *testing.F) {
	for _, s := range []string{"immudb", "enc:aW1tdWRi", "enc:", "", "enc:!!", strings.Repeat("x", 80)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pw, err := DecodeAdminPassword(s)
		if err != nil {
			if !errors.Is(err, ErrBadAdminPassword) {
				t.Fatalf("%q: error %v does not wrap ErrBadAdminPassword", s, err)
			}
			return
		}
		if pw == "" || len(pw) > 72 {
			t.Fatalf("%q: accepted password of %d bytes", s, len(pw))
		}
		if !strings.HasPrefix(s, "enc:") && pw != s {
			t.Fatalf("%q: plain password changed to %q", s, pw)
		}
	})
}

func FuzzValidateUsername(f *testing.F) {
	for _, s := range []string{"immudb", "a_b", "", "a-b", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateUsername(s) != nil {
			return
		}
		if len(s) == 0 || len(s) > 63 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
			t.Fatalf("accepted %q", s)
		}
	})
}
