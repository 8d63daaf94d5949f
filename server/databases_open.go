package server

import "errors"

// openDatabases opens the data dir's databases through the database layer.
func openDatabases(o *Options) (Databases, error) {
	return nil, errors.New("database layer not wired yet")
}
