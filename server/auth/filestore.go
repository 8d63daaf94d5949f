package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// UsersFileName is the FileStore file inside the data dir.
const UsersFileName = "users.json"

// fileFormat is the on-disk layout of FileStore, versioned so a later
// migration into systemdb can recognise it.
type fileFormat struct {
	Version int    `json:"version"`
	Users   []User `json:"users"`
}

const fileFormatVersion = 1

// FileStore keeps users in one JSON file, rewritten atomically (temp file,
// fsync, rename, dir fsync) on every SaveUser. Users change rarely, so
// rewriting the whole file is fine. It is the interim store until systemdb
// exists (doc.go).
type FileStore struct {
	mu   sync.Mutex
	path string
}

// NewFileStore returns a store for <dir>/users.json. The file is created on
// the first SaveUser.
func NewFileStore(dir string) *FileStore {
	return &FileStore{path: filepath.Join(dir, UsersFileName)}
}

// Path returns the file path.
func (s *FileStore) Path() string { return s.path }

// LoadUsers implements UserStore. A missing file means no users.
func (s *FileStore) LoadUsers() ([]User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load()
}

func (s *FileStore) load() ([]User, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading users: %w", err)
	}
	return decodeUsersFile(b)
}

func decodeUsersFile(b []byte) ([]User, error) {
	var f fileFormat
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: users file: %v", ErrCorruptedUser, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: users file: trailing data", ErrCorruptedUser)
	}
	if f.Version != fileFormatVersion {
		return nil, fmt.Errorf("%w: users file: unknown version %d", ErrCorruptedUser, f.Version)
	}
	seen := map[string]bool{}
	for i := range f.Users {
		if err := f.Users[i].validate(); err != nil {
			return nil, err
		}
		if seen[f.Users[i].Username] {
			return nil, fmt.Errorf("%w: users file: duplicate user %s", ErrCorruptedUser, f.Users[i].Username)
		}
		seen[f.Users[i].Username] = true
	}
	return f.Users, nil
}

// SaveUser implements UserStore.
func (s *FileStore) SaveUser(u User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	users, err := s.load()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(users, func(x User) bool { return x.Username == u.Username })
	if i >= 0 {
		users[i] = u.clone()
	} else {
		users = append(users, u.clone())
	}
	slices.SortFunc(users, func(a, b User) int { return strings.Compare(a.Username, b.Username) })
	b, err := json.MarshalIndent(fileFormat{Version: fileFormatVersion, Users: users}, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding users: %w", err)
	}
	return writeFileAtomic(s.path, append(b, '\n'))
}

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("saving users: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving users: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("saving users: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving users: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving users: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving users: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort
		d.Close()
	}
	return nil
}
