package database

import (
	"context"
	"fmt"

	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/embedded/store"
	"github.com/attestdb/attestdb/proof"
)

// userKeyPrefix is the user-key prefix of user records in systemdb.
const userKeyPrefix = "user:"

// UserRecords keeps one opaque record per user name as KV entries of
// systemdb, so users are tamper-evident like any other data. The record
// format belongs to the caller: the server stores its auth.User as JSON.
// server/auth.UserStore takes auth.User values, which this package cannot
// name without importing the server; the server adapts it in a few lines:
// LoadUsers = unmarshal every Load value, SaveUser = Save(u.Username,
// marshal(u)).
//
// It is safe for concurrent use (every call is one DB call).
type UserRecords struct {
	db *DB
}

// NewUserRecords keeps user records in db (systemdb).
func NewUserRecords(db *DB) *UserRecords { return &UserRecords{db: db} }

// Load returns the latest record of every user, by user name.
func (u *UserRecords) Load() (map[string][]byte, error) {
	done, err := u.db.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	ctx := context.Background()
	if err := u.db.waitIndexed(ctx, 0); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	o := index.ScanOptions{Prefix: proof.EncodeKVKey([]byte(userKeyPrefix))}
	err = u.db.iterate(o, func(kv *store.KeyValue) (bool, error) {
		v, err := proof.DecodeKVValue(kv.Value)
		if err != nil || v.Kind != proof.ValuePlain {
			return false, fmt.Errorf("%w: user record %q", ErrCorruptedData, kv.Key[1:])
		}
		out[string(kv.Key[1+len(userKeyPrefix):])] = append([]byte(nil), v.Value...)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Save writes the record of user name; it is durable and indexed when Save
// returns nil.
func (u *UserRecords) Save(name string, record []byte) error {
	if name == "" {
		return fmt.Errorf("%w: empty user name", ErrIllegalArguments)
	}
	ctx := context.Background()
	done, err := u.db.begin()
	if err != nil {
		return err
	}
	defer done()
	// Users are written even on a replica flag: systemdb is never a
	// replica, and the flag guards client writes only.
	_, err = u.db.commit(ctx, store.TxRequest{Entries: []store.Entry{{
		Key:   proof.EncodeKVKey([]byte(userKeyPrefix + name)),
		Value: proof.EncodePlainValue(record),
	}}}, false)
	if err != nil {
		return fmt.Errorf("saving user %q: %w", name, err)
	}
	return u.db.st.Sync()
}
