package tokenfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRoundTripAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if db, tok, err := Read(path); err != nil || db != "" || tok != "" {
		t.Fatalf("missing file: %q %q %v", db, tok, err)
	}
	if err := Write(path, "defaultdb", "abc-DEF_123"); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	db, tok, err := Read(path)
	if err != nil || db != "defaultdb" || tok != "abc-DEF_123" {
		t.Fatalf("read back %q %q %v", db, tok, err)
	}
	if had, err := Delete(path); !had || err != nil {
		t.Fatalf("delete: %v %v", had, err)
	}
	if had, err := Delete(path); had || err != nil {
		t.Fatalf("second delete: %v %v", had, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":         nil,
		"prefix only":   Encode("", "")[:8],
		"length beyond": append(Encode("", "t")[:7], 9, 't'),
		"old paseto":    []byte("v2.public.eyJzdWIiOiJpbW11ZGIifQ"),
		"control byte":  Encode("db", "to\nken"),
	} {
		if _, _, err := Decode(b); !errors.Is(err, ErrBad) {
			t.Errorf("%s: err = %v, want ErrBad", name, err)
		}
	}
}

func TestPath(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory on this machine:", err)
	}
	for _, c := range []struct{ name, def, want string }{
		{"", "token", filepath.Join(home, "token")},
		{"tok", "token", filepath.Join(home, "tok")},
		{"/abs/tok", "token", "/abs/tok"},
		{"rel/tok", "token", "rel/tok"},
	} {
		if got := Path(c.name, c.def); got != c.want {
			t.Errorf("Path(%q, %q) = %q, want %q", c.name, c.def, got, c.want)
		}
	}
}
