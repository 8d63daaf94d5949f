package service

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// DefaultUnitDir is where systemd looks for units installed by the
// administrator.
const DefaultUnitDir = "/etc/systemd/system"

// ErrInvalidSpec wraps every Spec validation error.
var ErrInvalidSpec = errors.New("service: invalid spec")

// Dir is a directory the service owns (data, logs), created with Mode and
// owned by the service user.
type Dir struct {
	Path string
	Mode fs.FileMode
}

// Spec describes one service.
type Spec struct {
	Name        string   // unit name without ".service", e.g. "immudb"
	Description string   // [Unit] Description=
	Exec        string   // absolute path of the program
	Args        []string // its arguments, e.g. --config /etc/immudb/immudb.toml
	User        string   // system user the service runs as (created by install)
	Group       string   // its group; "" means a group named as User
	WorkingDir  string   // "" means the first of Dirs
	Dirs        []Dir    // created and chowned to User by install, kept by uninstall
	LimitNOFILE int      // 0 leaves systemd's default
	// ConfigFile, if set, is written with ConfigData by install unless it
	// already exists (operators' edits are kept), readable by the service
	// group only since it may hold the admin password.
	ConfigFile string
	ConfigData string
	UnitDir    string // "" means DefaultUnitDir
	// Command is the command line that manages the service, named in the
	// unit and the dry-run header; "" means Name + " service".
	Command string
}

// command is the command line that manages the service.
func (s *Spec) command() string {
	if s.Command != "" {
		return s.Command
	}
	return s.Name + " service"
}

// UnitName is Name + ".service".
func (s *Spec) UnitName() string { return s.Name + ".service" }

// UnitPath is where the unit file goes.
func (s *Spec) UnitPath() string {
	dir := s.UnitDir
	if dir == "" {
		dir = DefaultUnitDir
	}
	return path.Join(dir, s.UnitName())
}

func (s *Spec) group() string {
	if s.Group != "" {
		return s.Group
	}
	return s.User
}

func (s *Spec) workingDir() string {
	if s.WorkingDir != "" {
		return s.WorkingDir
	}
	if len(s.Dirs) > 0 {
		return s.Dirs[0].Path
	}
	return "/"
}

// Validate reports the first problem of s. Names are restricted to what
// useradd and systemd accept without escaping, so nothing is ever
// interpreted by a shell or by systemd's specifier syntax.
func (s *Spec) Validate() error {
	if !validName(s.Name) {
		return fmt.Errorf("%w: name %q (want letters, digits, '-', '_')", ErrInvalidSpec, s.Name)
	}
	if !validName(s.User) {
		return fmt.Errorf("%w: user %q (want letters, digits, '-', '_')", ErrInvalidSpec, s.User)
	}
	if s.Group != "" && !validName(s.Group) {
		return fmt.Errorf("%w: group %q", ErrInvalidSpec, s.Group)
	}
	if !path.IsAbs(s.Exec) {
		return fmt.Errorf("%w: program path %q is not absolute", ErrInvalidSpec, s.Exec)
	}
	if strings.ContainsAny(s.Description, "\n\r") {
		return fmt.Errorf("%w: description spans lines", ErrInvalidSpec)
	}
	paths := []string{s.Exec, s.WorkingDir, s.ConfigFile, s.UnitDir}
	for _, d := range s.Dirs {
		if !path.IsAbs(d.Path) {
			return fmt.Errorf("%w: directory %q is not absolute", ErrInvalidSpec, d.Path)
		}
		paths = append(paths, d.Path)
	}
	if s.ConfigFile != "" && !path.IsAbs(s.ConfigFile) {
		return fmt.Errorf("%w: config file %q is not absolute", ErrInvalidSpec, s.ConfigFile)
	}
	// A file name, not a directory: install would chown it to the service
	// group ("/" or "/etc/" would hand the system's directories over).
	if s.ConfigFile != "" && (s.ConfigFile == "/" || strings.HasSuffix(s.ConfigFile, "/") || path.Clean(s.ConfigFile) != s.ConfigFile) {
		return fmt.Errorf("%w: config file %q is not a clean file path", ErrInvalidSpec, s.ConfigFile)
	}
	for _, p := range append(paths, s.Args...) {
		if strings.ContainsAny(p, "\n\r\x00") {
			return fmt.Errorf("%w: %q contains a line break or NUL", ErrInvalidSpec, p)
		}
	}
	if s.LimitNOFILE < 0 {
		return fmt.Errorf("%w: LimitNOFILE %d", ErrInvalidSpec, s.LimitNOFILE)
	}
	return nil
}

func validName(n string) bool {
	if n == "" || len(n) > 32 || n[0] == '-' {
		return false
	}
	for _, r := range n {
		ok := r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
