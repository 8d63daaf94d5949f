package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestPermissionCodesAndNames(t *testing.T) {
	cases := []struct {
		p    Permission
		code uint32
		name string
	}{
		{PermissionNone, 0, "none"},
		{PermissionRead, 1, "read"},
		{PermissionReadWrite, 2, "readwrite"},
		{PermissionAdmin, 254, "admin"},
		{PermissionSysAdmin, 255, "sysadmin"},
	}
	for _, c := range cases {
		if uint32(c.p) != c.code || c.p.String() != c.name || !c.p.Known() {
			t.Errorf("%d: code %d name %q known %v", c.code, uint32(c.p), c.p.String(), c.p.Known())
		}
	}
	if Permission(3).Known() || Permission(3).String() != "permission(3)" {
		t.Error("3 must be unknown")
	}
}

func TestIncludes(t *testing.T) {
	all := []Permission{PermissionNone, PermissionRead, PermissionReadWrite, PermissionAdmin, PermissionSysAdmin}
	for i, have := range all {
		for j, need := range all {
			if got := have.Includes(need); got != (i >= j) {
				t.Errorf("%v.Includes(%v) = %v", have, need, got)
			}
		}
	}
	if Permission(100).Includes(PermissionRead) {
		t.Error("unknown code must include nothing")
	}
}

func TestParsePermissionAndGrant(t *testing.T) {
	good := map[string]Permission{"read": 1, "READ": 1, "readwrite": 2, "rw": 2, "admin": 254, "1": 1, "2": 2, "254": 254}
	for s, want := range good {
		got, err := ParsePermission(s)
		if err != nil || got != want {
			t.Errorf("ParsePermission(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "sysadmin", "0", "3", "253", "255", "256", "-1", "x"} {
		if _, err := ParsePermission(s); err == nil {
			t.Errorf("ParsePermission(%q) succeeded", s)
		}
	}
	if !errors.Is(ValidateGrant(255), ErrSysAdminGrant) {
		t.Error("granting sysadmin must give ErrSysAdminGrant")
	}
	for _, p := range []Permission{0, 3, 100, 253, 256} {
		if !errors.Is(ValidateGrant(p), ErrInvalidPermission) {
			t.Errorf("ValidateGrant(%d) accepted", p)
		}
	}
}

func TestValidateUsername(t *testing.T) {
	for _, ok := range []string{"a", "immudb", "User_1", strings.Repeat("x", 63)} {
		if err := ValidateUsername(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", strings.Repeat("x", 64), "a-b", "a b", "é", "a.b", "a/b", "a\x00"} {
		if err := ValidateUsername(bad); !errors.Is(err, ErrInvalidUsername) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestValidateStrongPassword(t *testing.T) {
	for _, ok := range []string{"Passw0rd!", "A1$aaaaa", "ÄBC1+xyz", "A1_" + strings.Repeat("b", 29)} {
		if err := ValidateStrongPassword(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", "immudb", "A1!aaaa", // too short
		"A1!" + strings.Repeat("b", 30), // 33 chars
		"password1!",                    // no upper
		"Password!!",                    // no digit
		"Password12",                    // no special
	} {
		if err := ValidateStrongPassword(bad); !errors.Is(err, ErrWeakPassword) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestDecodeAdminPassword(t *testing.T) {
	got, err := DecodeAdminPassword("enc:" + base64.StdEncoding.EncodeToString([]byte("S3cret!x")))
	if err != nil || got != "S3cret!x" {
		t.Fatalf("enc: got %q, %v", got, err)
	}
	if got, err := DecodeAdminPassword("plain"); err != nil || got != "plain" {
		t.Fatalf("plain: got %q, %v", got, err)
	}
	for _, bad := range []string{"", "enc:", "enc:!!notbase64", strings.Repeat("x", 73)} {
		if _, err := DecodeAdminPassword(bad); !errors.Is(err, ErrBadAdminPassword) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestValidateDatabaseName(t *testing.T) {
	for _, ok := range []string{"defaultdb", "db_1", strings.Repeat("a", 128)} {
		if err := ValidateDatabaseName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Db", "a/b", "..", strings.Repeat("a", 129)} {
		if err := ValidateDatabaseName(bad); !errors.Is(err, ErrInvalidDatabaseName) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestHashAndCheckPassword(t *testing.T) {
	h, err := HashPassword("Passw0rd!", 4)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := CheckPassword(h, "Passw0rd!"); !ok || err != nil {
		t.Fatalf("right password: %v, %v", ok, err)
	}
	if ok, err := CheckPassword(h, "Passw0rd?"); ok || err != nil {
		t.Fatalf("wrong password: %v, %v", ok, err)
	}
	if ok, err := CheckPassword(h, strings.Repeat("x", 100)); ok || err != nil {
		t.Fatalf("long password: %v, %v", ok, err)
	}
	if _, err := CheckPassword([]byte("garbage"), "x"); !errors.Is(err, ErrCorruptedUser) {
		t.Fatalf("garbage hash: %v", err)
	}
	if _, err := HashPassword("", 4); !errors.Is(err, ErrEmptyPassword) {
		t.Fatalf("empty: %v", err)
	}
	if _, err := HashPassword(strings.Repeat("x", 73), 4); !errors.Is(err, ErrPasswordTooLong) {
		t.Fatalf("73 bytes: %v", err)
	}
}

func TestErrorTexts(t *testing.T) {
	// Clients match these texts; a typo breaks immuclient's auto re-login.
	want := map[error]string{
		ErrPermissionDenied:       "permission denied",
		ErrNotLoggedIn:            "not logged in",
		ErrNoDatabaseSelected:     "please select a database first",
		ErrTokenExpired:           "token has expired",
		ErrInvalidCredentials:     "invalid user name or password",
		ErrNoPermissionOnDatabase: "Logged in user does not have permission on this database",
		ErrAuthDisabled:           "server is running with authentication disabled, please enable authentication to login",
		ErrLocalConnectionsOnly:   "server has authentication disabled: only local connections are accepted",
	}
	for err, text := range want {
		if err.Error() != text {
			t.Errorf("%q != %q", err.Error(), text)
		}
	}
	if DefaultPasswordWarning != "immudb user has the default password: please change it to ensure proper security" {
		t.Error("default password warning text changed")
	}
}
