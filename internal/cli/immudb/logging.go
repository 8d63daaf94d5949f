package immudb

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// newLogger returns the server logger: text or JSON, to cfg.Logfile
// (appended, created with its directory) or to stderr. The closer closes
// the log file, if any.
func newLogger(cfg *Config, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	var w io.Writer = stderr
	var closer io.Closer = nopCloser{}
	if cfg.Logfile != "" {
		f, err := openLogFile(cfg.Logfile)
		if err != nil {
			return nil, nil, err
		}
		w, closer = f, f
	}
	var h slog.Handler
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h), closer, nil
}

func openLogFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating log dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening log file: %w", err)
	}
	return f, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
