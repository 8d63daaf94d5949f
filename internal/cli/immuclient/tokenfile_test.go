package immuclient

import (
	"bytes"
	"errors"
	"testing"
)

func TestTokenFileLayout(t *testing.T) {
	// immudb's layout: big-endian u64 length of the database name, the
	// name, then the token.
	got := EncodeToken("db1", "v2.public.x")
	want := append([]byte{0, 0, 0, 0, 0, 0, 0, 3}, "db1v2.public.x"...)
	if !bytes.Equal(got, want) {
		t.Fatalf("EncodeToken = %q, want %q", got, want)
	}
	db, tok, err := DecodeToken(got)
	if err != nil || db != "db1" || tok != "v2.public.x" {
		t.Fatalf("DecodeToken = %q, %q, %v", db, tok, err)
	}
}

func TestDecodeTokenRejects(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":        nil,
		"prefix only":  make([]byte, 8),
		"old format":   []byte("v2.public.abcdefgh"),
		"length past":  append([]byte{0, 0, 0, 0, 0, 0, 0, 9}, "db1tok"...),
		"huge length":  append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "tok"...),
		"no token":     append([]byte{0, 0, 0, 0, 0, 0, 0, 3}, "db1"...),
		"control char": append([]byte{0, 0, 0, 0, 0, 0, 0, 0}, "tok\n"...),
	} {
		if _, _, err := DecodeToken(b); !errors.Is(err, ErrBadTokenFile) {
			t.Errorf("%s: err = %v, want ErrBadTokenFile", name, err)
		}
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(EncodeToken("defaultdb", "v2.public.eyJzdWIiOiJpbW11ZGIifQ"))
	f.Add(EncodeToken("", "t"))
	f.Add([]byte("v2.public.x"))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		db, tok, err := DecodeToken(b)
		if err != nil {
			return
		}
		// Whatever decodes must encode back to the same bytes.
		if again := EncodeToken(db, tok); !bytes.Equal(again, b) {
			t.Fatalf("round trip: %q -> %q", b, again)
		}
	})
}

func TestParseKeyRev(t *testing.T) {
	for _, c := range []struct {
		in     string
		key    string
		rev    int64
		hasRev bool
	}{
		{"k", "k", 0, false},
		{"k@1", "k", 1, true},
		{"k@-2", "k", -2, true},
		{"user@example.com", "user@example.com", 0, false},
		{"a@b@3", "a@b", 3, true},
		{"k@", "k@", 0, false},
	} {
		key, rev, has := parseKeyRev(c.in)
		if string(key) != c.key || rev != c.rev || has != c.hasRev {
			t.Errorf("parseKeyRev(%q) = %q, %d, %t", c.in, key, rev, has)
		}
	}
}

func TestSplitLine(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  error
	}{
		{"", nil, nil},
		{"  get   k ", []string{"get", "k"}, nil},
		{`set k "hello world"`, []string{"set", "k", "hello world"}, nil},
		{`set k 'a "b"'`, []string{"set", "k", `a "b"`}, nil},
		{`set k a\ b`, []string{"set", "k", "a b"}, nil},
		{`set k ""`, []string{"set", "k", ""}, nil},
		{`set k "open`, nil, ErrUnterminatedQuote},
		{`set k a\`, nil, ErrUnterminatedQuote},
	} {
		got, err := splitLine(c.in)
		if !errors.Is(err, c.err) || len(got) != len(c.want) {
			t.Errorf("splitLine(%q) = %q, %v", c.in, got, err)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("splitLine(%q) = %q", c.in, got)
			}
		}
	}
}

func FuzzSplitLine(f *testing.F) {
	for _, s := range []string{`set k "v w"`, `a\ b 'c'`, `"`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := splitLine(s)
		if err != nil {
			return
		}
		// Re-quoting every word must give the same words back.
		var line string
		for _, w := range words {
			q := "'"
			for _, r := range w {
				if r == '\'' {
					q = ""
				}
			}
			if q == "" {
				line += " " + escapeWord(w)
			} else {
				line += " '" + w + "'"
			}
		}
		again, err := splitLine(line)
		if err != nil || len(again) != len(words) {
			t.Fatalf("%q -> %q -> %q, %v", s, words, again, err)
		}
		for i := range words {
			if again[i] != words[i] {
				t.Fatalf("%q -> %q -> %q", s, words, again)
			}
		}
	})
}

func escapeWord(w string) string {
	var b []rune
	for _, r := range w {
		b = append(b, '\\', r)
	}
	if len(b) == 0 {
		return `""`
	}
	return string(b)
}
