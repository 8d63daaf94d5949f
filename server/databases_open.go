package server

import (
	"encoding/json"
	"fmt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/database"
	"github.com/attestdb/attestdb/server/auth"
)

// The database layer's DB is what the handlers call.
var _ Database = (*database.DB)(nil)

// managerDatabases adapts database.Manager to Databases.
type managerDatabases struct{ *database.Manager }

// openDatabases opens the data dir's databases (creating systemdb and
// defaultdb at first start), with the server's signing key.
func openDatabases(o *Options, signer database.Signer) (*managerDatabases, error) {
	m, err := database.OpenManager(o.Dir, &database.ManagerOptions{
		MaxActiveDatabases: o.MaxActiveDatabases,
		Synced:             o.Synced,
		Signer:             signer,
	})
	if err != nil {
		return nil, fmt.Errorf("opening databases: %w", err)
	}
	return &managerDatabases{m}, nil
}

func (m *managerDatabases) Get(name string) (Database, error) {
	db, err := m.Manager.Get(name)
	if err != nil {
		return nil, err // never a typed nil inside the interface
	}
	return db, nil
}

func (m *managerDatabases) Create(name, createdBy string, s *schema.DatabaseNullableSettings) (*schema.DatabaseNullableSettings, error) {
	return m.Manager.CreateAs(name, createdBy, s)
}

// systemUsers keeps the users in systemdb (auth.UserStore), as JSON
// records of auth.User, so they are tamper-evident like any other data.
type systemUsers struct{ recs *database.UserRecords }

func newSystemUsers(m *managerDatabases) (*systemUsers, error) {
	sys, err := m.SystemDB()
	if err != nil {
		return nil, fmt.Errorf("opening systemdb: %w", err)
	}
	return &systemUsers{recs: database.NewUserRecords(sys)}, nil
}

func (s *systemUsers) LoadUsers() ([]auth.User, error) {
	recs, err := s.recs.Load()
	if err != nil {
		return nil, err
	}
	out := make([]auth.User, 0, len(recs))
	for name, b := range recs {
		var u auth.User
		if err := json.Unmarshal(b, &u); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", auth.ErrCorruptedUser, name, err)
		}
		if u.Username != name {
			return nil, fmt.Errorf("%w: record of %s names %s", auth.ErrCorruptedUser, name, u.Username)
		}
		out = append(out, u)
	}
	return out, nil
}

func (s *systemUsers) SaveUser(u auth.User) error {
	b, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return s.recs.Save(u.Username, b)
}
