package server

import (
	"errors"

	"github.com/attestdb/attestdb/database"
)

// The database layer's DB is what the handlers call.
var _ Database = (*database.DB)(nil)

// openDatabases opens the data dir's databases through the database layer.
func openDatabases(o *Options) (Databases, error) {
	return nil, errors.New("database layer not wired yet")
}
