package identity

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var idPattern = regexp.MustCompile(`^[0-9a-v]{20}$`)

func TestLoadOrCreateIsStable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	id1, created, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatal("first start did not report a new identity")
	}
	if !idPattern.MatchString(id1.String()) {
		t.Fatalf("identity %q is not 20 lower-case base32 chars", id1)
	}
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != Size || string(raw) != string(id1[:]) {
		t.Fatalf("file holds %x, want the raw 12 bytes %x", raw, id1[:])
	}
	for range 3 {
		id2, created, err := LoadOrCreate(dir)
		if err != nil {
			t.Fatal(err)
		}
		if created || id2 != id1 {
			t.Fatalf("restart gave %s (created=%v), want %s", id2, created, id1)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data dir holds %d entries, want only the identifier", len(entries))
	}
}

func TestKnownIdentityRoundTrip(t *testing.T) {
	// The example identity from API.md §4.
	const s = "dc2jf9hksdu973mbc22g"
	id, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), id[:], 0o600); err != nil {
		t.Fatal(err)
	}
	got, created, err := LoadOrCreate(dir)
	if err != nil || created {
		t.Fatalf("LoadOrCreate = %v, created=%v", err, created)
	}
	if got.String() != s {
		t.Fatalf("got %s, want %s", got, s)
	}
}

func TestCorruptedFileIsAnError(t *testing.T) {
	cases := map[string][]byte{
		"empty":     {},
		"short":     []byte("abc"),
		"long":      make([]byte, 13),
		"zero":      make([]byte, 12),
		"as string": []byte("dc2jf9hksdu973mbc22g"),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadOrCreate(dir)
			if !errors.Is(err, ErrCorrupted) {
				t.Fatalf("err = %v, want ErrCorrupted", err)
			}
			after, _ := os.ReadFile(path)
			if string(after) != string(content) {
				t.Fatal("corrupted identity file was overwritten")
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(t.TempDir())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if _, err := Load(""); !errors.Is(err, ErrEmptyDir) {
		t.Fatalf("err = %v, want ErrEmptyDir", err)
	}
}

func TestUnreadableDirIsAnError(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be: reading fails with something
	// other than "not exist", which must not lead to a new identity.
	if err := os.Mkdir(filepath.Join(dir, FileName), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreate(dir); err == nil {
		t.Fatal("LoadOrCreate succeeded although the identifier is a directory")
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "short", "DC2JF9HKSDU973MBC22G!", "00000000000000000000", "dc2jf9hksdu973mbc22gx"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) succeeded", s)
		}
	}
}

func TestNewIsUnique(t *testing.T) {
	seen := map[ID]bool{}
	for range 1000 {
		id := New()
		if seen[id] || id.IsZero() {
			t.Fatalf("duplicate or zero identity %s", id)
		}
		seen[id] = true
	}
}

func FuzzDecode(f *testing.F) {
	seed, _ := Parse("dc2jf9hksdu973mbc22g")
	f.Add(seed[:])
	f.Add([]byte{})
	f.Add(make([]byte, 12))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupted) {
				t.Fatalf("error %v does not wrap ErrCorrupted", err)
			}
			return
		}
		back, err := Parse(id.String())
		if err != nil || back != id {
			t.Fatalf("%x: string round trip gave %x, %v", b, back, err)
		}
	})
}

func TestConcurrentFirstStartsAgree(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	ids := make(chan ID, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			id, _, err := LoadOrCreate(dir)
			ids <- id
			errs <- err
		}()
	}
	var first ID
	for i := range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		id := <-ids
		if i == 0 {
			first = id
		} else if id != first {
			t.Fatalf("racing first starts got different identities %s and %s", first, id)
		}
	}
	if got, err := Load(dir); err != nil || got != first {
		t.Fatalf("stored %s, %v; handed out %s", got, err, first)
	}
}
