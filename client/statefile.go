package client

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
)

// FileStateStore keeps states in immudb's layout, so that a directory can be
// shared with immudb's own tools:
//
//	<dir>/.state-<serverUUID>   one line per database: <db>:<base64(proto ImmutableState)>
//	<dir>/.identity-<base64url(SHA-256("host:port")[:16])>  {"serverUUID":…,"serverIdentity":"host:port"}
//
// The state file is rewritten whole through a temporary file and a rename,
// so a crash leaves either the old or the new content. Locking uses a
// sidecar file <state file>.lock with an OS advisory lock (other processes)
// plus a mutex per path (goroutines of this process).
type FileStateStore struct {
	dir   string
	locks sync.Map // lock file path → *sync.Mutex
}

// NewFileStateStore returns a store in dir, creating dir if needed.
func NewFileStateStore(dir string) (*FileStateStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	return &FileStateStore{dir: dir}, nil
}

// StatePath is the state file of a server.
func (f *FileStateStore) StatePath(serverUUID string) string {
	return filepath.Join(f.dir, ".state-"+serverUUID)
}

// IdentityPath is the identity file of an address ("host:port").
func (f *FileStateStore) IdentityPath(address string) string {
	sum := sha256.Sum256([]byte(address))
	return filepath.Join(f.dir, ".identity-"+base64.URLEncoding.EncodeToString(sum[:16]))
}

func validUUID(u string) error {
	if strings.ContainsAny(u, "/\\\x00") || u == "." || u == ".." {
		return fmt.Errorf("%w: server UUID %q cannot name a file", ErrIllegalArgument, u)
	}
	return nil
}

// Lock implements StateStore.
func (f *FileStateStore) Lock(serverUUID string) (func() error, error) {
	if err := validUUID(serverUUID); err != nil {
		return nil, err
	}
	path := f.StatePath(serverUUID) + ".lock"
	l, _ := f.locks.LoadOrStore(path, &sync.Mutex{})
	mu := l.(*sync.Mutex)
	mu.Lock()
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		mu.Unlock()
		return nil, fmt.Errorf("open state lock: %w", err)
	}
	if err := lockFile(fh); err != nil {
		fh.Close()
		mu.Unlock()
		return nil, fmt.Errorf("lock state file: %w", err)
	}
	var once sync.Once
	return func() error {
		var err error
		once.Do(func() {
			err = errors.Join(unlockFile(fh), fh.Close())
			mu.Unlock()
		})
		return err
	}, nil
}

// Get implements StateStore.
func (f *FileStateStore) Get(serverUUID, db string) (*schema.ImmutableState, error) {
	if err := validUUID(serverUUID); err != nil {
		return nil, err
	}
	states, err := readStateFile(f.StatePath(serverUUID))
	if err != nil {
		return nil, err
	}
	return states[db], nil
}

// Set implements StateStore.
func (f *FileStateStore) Set(serverUUID string, st *schema.ImmutableState) error {
	if err := validUUID(serverUUID); err != nil {
		return err
	}
	path := f.StatePath(serverUUID)
	states, err := readStateFile(path)
	if err != nil {
		return err
	}
	states[st.GetDb()] = st
	b, err := EncodeStateFile(states)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// CheckIdentity implements StateStore.
func (f *FileStateStore) CheckIdentity(serverUUID, address string) error {
	path := f.IdentityPath(address)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		out, err := json.Marshal(identityFile{ServerUUID: serverUUID, ServerIdentity: address})
		if err != nil {
			return err
		}
		return writeFileAtomic(path, out)
	}
	if err != nil {
		return fmt.Errorf("read identity file: %w", err)
	}
	var id identityFile
	if err := json.Unmarshal(b, &id); err != nil || id.ServerUUID == "" {
		return fmt.Errorf("%w: identity file %s does not parse", ErrStateCorrupt, path)
	}
	if id.ServerUUID != serverUUID {
		return identityError(address, id.ServerUUID, serverUUID, path)
	}
	return nil
}

type identityFile struct {
	ServerUUID     string `json:"serverUUID"`
	ServerIdentity string `json:"serverIdentity"`
}

func identityError(address, pinned, got, path string) error {
	hint := ""
	if path != "" {
		hint = " (remove " + path + " if the server was really replaced)"
	}
	return fmt.Errorf("%w: server %s now answers with UUID %q, pinned UUID is %q%s",
		ErrServerIdentityChanged, address, got, pinned, hint)
}

func readStateFile(path string) (map[string]*schema.ImmutableState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]*schema.ImmutableState{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state file: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		// The file is only ever replaced whole (temp file + rename), so an
		// empty one was damaged or emptied behind our back: trusting afresh
		// would let a server rewrite the history this client has seen.
		return nil, fmt.Errorf("%w: %s is empty (delete it to trust the server's current state again)", ErrStateCorrupt, path)
	}
	states, err := DecodeStateFile(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return states, nil
}

// DecodeStateFile parses the content of a .state-<uuid> file. Every line
// must be <db>:<base64 proto ImmutableState> whose db field equals <db>, with
// a 32-byte hash; anything else is ErrStateCorrupt, so a tampered file is
// never half-trusted.
func DecodeStateFile(b []byte) (map[string]*schema.ImmutableState, error) {
	states := map[string]*schema.ImmutableState{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ':')
		if i < 0 {
			return nil, fmt.Errorf("%w: line %d has no ':'", ErrStateCorrupt, n)
		}
		db := line[:i]
		raw, err := base64.StdEncoding.DecodeString(line[i+1:])
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrStateCorrupt, n, err)
		}
		st := &schema.ImmutableState{}
		if err := proto.Unmarshal(raw, st); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrStateCorrupt, n, err)
		}
		if st.GetDb() != db {
			return nil, fmt.Errorf("%w: line %d: state of %q filed under %q", ErrStateCorrupt, n, st.GetDb(), db)
		}
		if len(st.GetTxHash()) != 32 {
			return nil, fmt.Errorf("%w: line %d: tx hash of %d bytes", ErrStateCorrupt, n, len(st.GetTxHash()))
		}
		if _, dup := states[db]; dup {
			return nil, fmt.Errorf("%w: line %d: database %q twice", ErrStateCorrupt, n, db)
		}
		states[db] = st
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStateCorrupt, err)
	}
	return states, nil
}

// EncodeStateFile is the inverse of DecodeStateFile (lines sorted by db).
func EncodeStateFile(states map[string]*schema.ImmutableState) ([]byte, error) {
	dbs := make([]string, 0, len(states))
	for db := range states {
		dbs = append(dbs, db)
	}
	sort.Strings(dbs)
	var buf bytes.Buffer
	for _, db := range dbs {
		st := states[db]
		if st.GetDb() != db || strings.ContainsAny(db, "\n") {
			return nil, fmt.Errorf("%w: bad database name %q", ErrIllegalArgument, db)
		}
		raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(st)
		if err != nil {
			return nil, err
		}
		buf.WriteString(db)
		buf.WriteByte(':')
		buf.WriteString(base64.StdEncoding.EncodeToString(raw))
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, 0o600)
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
