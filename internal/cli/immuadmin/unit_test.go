package immuadmin

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spf13/pflag"
)

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		pass string
		ok   bool
	}{
		{"Admin1!pass", true},
		{"Aa1!aaaa", true}, // 8 characters
		{"Aa1!aaa", false}, // 7
		{"Aa1!" + string(bytes.Repeat([]byte("a"), 28)), true},  // 32
		{"Aa1!" + string(bytes.Repeat([]byte("a"), 29)), false}, // 33
		{"admin1!pass", false},                                  // no upper case
		{"Adminx!pass", false},                                  // no digit
		{"Admin12pass", false},                                  // no symbol
		{"Admin1+pass", true},                                   // a symbol counts
		{"Ädmin1€pass", true},                                   // non-ASCII upper case and symbol
		{"immudb", false},                                       // the built-in password
		{"", false},
	} {
		err := CheckPassword([]byte(tc.pass))
		if (err == nil) != tc.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%t", tc.pass, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrWeakPassword) {
			t.Errorf("CheckPassword(%q) error %v does not wrap ErrWeakPassword", tc.pass, err)
		}
	}
}

func TestParsePermission(t *testing.T) {
	for in, want := range map[string]uint32{"read": 1, "readwrite": 2, "admin": 254, "READ": 1} {
		if got, err := ParsePermission(in); err != nil || got != want {
			t.Errorf("ParsePermission(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "sysadmin", "write", "255"} {
		if _, err := ParsePermission(in); !errors.Is(err, ErrBadArgument) {
			t.Errorf("ParsePermission(%q) err %v, want ErrBadArgument", in, err)
		}
	}
	for p, want := range map[uint32]string{1: "Read", 2: "Read/Write", 254: "Admin", 255: "System Admin", 7: "Unknown(7)"} {
		if got := PermissionName(p); got != want {
			t.Errorf("PermissionName(%d) = %q, want %q", p, got, want)
		}
	}
}

func TestTokenRoundTrip(t *testing.T) {
	for _, tc := range []struct{ db, token string }{
		{"", "v2.public.abc"},
		{"defaultdb", "v2.public.xyz.footer"},
	} {
		db, token, err := DecodeToken(EncodeToken(tc.db, tc.token))
		if err != nil || db != tc.db || token != tc.token {
			t.Errorf("round trip of %+v: %q %q %v", tc, db, token, err)
		}
	}
	bad := [][]byte{
		nil,
		[]byte("short"),
		append([]byte{0, 0, 0, 0, 0, 0, 0, 9}, "abc"...),     // name longer than the rest
		append([]byte{0xff, 0, 0, 0, 0, 0, 0, 0}, "abc"...),  // huge length
		append([]byte{0, 0, 0, 0, 0, 0, 0, 0}, "tok\nen"...), // control byte
		append([]byte{0, 0, 0, 0, 0, 0, 0, 2}, "db"...),      // no token
	}
	for _, b := range bad {
		if _, _, err := DecodeToken(b); !errors.Is(err, ErrBadTokenFile) {
			t.Errorf("DecodeToken(%q) err %v, want ErrBadTokenFile", b, err)
		}
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(EncodeToken("defaultdb", "v2.public.abc"))
	f.Add(EncodeToken("", "t"))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		db, token, err := DecodeToken(b)
		if err != nil {
			if !errors.Is(err, ErrBadTokenFile) {
				t.Fatalf("error %v does not wrap ErrBadTokenFile", err)
			}
			return
		}
		if !bytes.Equal(EncodeToken(db, token), b) {
			t.Fatalf("re-encoding %q differs", b)
		}
	})
}

func TestSettingsFromFlags(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	addSettingsFlags(fs)
	if err := fs.Parse([]string{"--max-key-len", "256", "--exclude-commit-time", "--replication-is-replica",
		"--replication-primary-host", "h", "--sync-frequency", "25ms", "--cleanup-percentage", "12.5", "--flush-threshold", "9"}); err != nil {
		t.Fatal(err)
	}
	s, err := settingsFromFlags(fs)
	if err != nil {
		t.Fatal(err)
	}
	if s.GetMaxKeyLen().GetValue() != 256 || !s.GetExcludeCommitTime().GetValue() ||
		!s.GetReplicationSettings().GetReplica().GetValue() || s.GetReplicationSettings().GetPrimaryHost().GetValue() != "h" ||
		s.GetSyncFrequency().GetValue() != 25 || s.GetIndexSettings().GetCleanupPercentage().GetValue() != 12.5 ||
		s.GetIndexSettings().GetFlushThreshold().GetValue() != 9 {
		t.Errorf("settings %v", s)
	}
	// Flags not given stay unset, so the server keeps its values.
	if s.MaxValueLen != nil || s.Autoload != nil || s.FileSize != nil || s.GetReplicationSettings().SyncReplication != nil {
		t.Errorf("unset flags were sent: %v", s)
	}

	empty := pflag.NewFlagSet("y", pflag.ContinueOnError)
	addSettingsFlags(empty)
	_ = empty.Parse(nil)
	if s, err := settingsFromFlags(empty); err != nil || s.ReplicationSettings != nil || s.IndexSettings != nil || s.MaxKeyLen != nil {
		t.Errorf("no flags: %v, %v", s, err)
	}

	neg := pflag.NewFlagSet("z", pflag.ContinueOnError)
	addSettingsFlags(neg)
	_ = neg.Parse([]string{"--sync-frequency", "-1s"})
	if _, err := settingsFromFlags(neg); !errors.Is(err, ErrBadArgument) {
		t.Errorf("negative sync frequency: %v", err)
	}
}

func TestByteCount(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 1 << 30: "1.0 GiB"} {
		if got := byteCount(n); got != want {
			t.Errorf("byteCount(%d) = %q, want %q", n, got, want)
		}
	}
}
