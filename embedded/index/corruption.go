package index

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// Damaged index files.
//
// Pebble verifies a checksum on every block it reads. By default it reports
// a mismatch, and any of its internal invariant failures, through
// Logger.Fatalf, which exits the process: one flipped bit in a derived file
// would take the whole server down. The index instead
//   - handles EventListener.DataCorruption itself (Pebble then returns the
//     corruption error to the read that met it),
//   - gives Pebble a logger whose Fatalf panics with *pebbleFatal instead of
//     exiting; every exported operation recovers that panic (guard) and
//     returns it as an error,
//   - turns both into ErrCorrupt and remembers the first one (Damaged).
//
// The owner (embedded/store) reacts to ErrCorrupt or Damaged by destroying
// the index and rebuilding it from the log. A Fatalf raised on one of
// Pebble's background goroutines cannot be recovered here and still ends
// the process; the data-corruption path, which is what a damaged file
// triggers, is handled on the reading goroutine.

// pebbleFatal is the panic value of the index's Pebble logger's Fatalf.
type pebbleFatal struct{ msg string }

// damage records the first corruption an index met.
type damage struct {
	mu  sync.Mutex
	err error
}

func (d *damage) mark(err error) {
	d.mu.Lock()
	if d.err == nil {
		d.err = err
	}
	d.mu.Unlock()
}

func (d *damage) get() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// Damaged returns nil while the index has met no damaged data, else an
// error wrapping ErrCorrupt that describes the first damage. A damaged
// index may still answer some reads correctly, but it should be destroyed
// and rebuilt from the log.
func (ix *Index) Damaged() error { return ix.dmg.get() }

// guard is deferred first by exported operations: it recovers a Pebble
// Fatalf panic into an error and marks Pebble corruption errors (and the
// index's own undecodable-data errors) as ErrCorrupt, recording the damage.
func (ix *Index) guard(err *error) {
	if r := recover(); r != nil {
		f, ok := r.(*pebbleFatal)
		if !ok {
			panic(r)
		}
		*err = fmt.Errorf("%w: pebble: %s", ErrCorrupt, f.msg)
	}
	*err = ix.dmg.classify(*err)
}

// classify wraps Pebble corruption errors in ErrCorrupt and records any
// ErrCorrupt.
func (d *damage) classify(err error) error {
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrCorrupt) && pebble.IsCorruptionError(err) {
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if errors.Is(err, ErrCorrupt) {
		d.mark(err)
	}
	return err
}

// fatalLogger forwards Pebble's messages to the configured logger, except
// that Fatalf logs as an error, records the damage and panics (see above).
type fatalLogger struct {
	out pebble.Logger
	dmg *damage
}

func (l fatalLogger) Infof(f string, args ...any)  { l.out.Infof(f, args...) }
func (l fatalLogger) Errorf(f string, args ...any) { l.out.Errorf(f, args...) }
func (l fatalLogger) Fatalf(f string, args ...any) {
	msg := fmt.Sprintf(f, args...)
	l.out.Errorf("index: pebble fatal error (index marked damaged): %s", msg)
	l.dmg.mark(fmt.Errorf("%w: pebble: %s", ErrCorrupt, msg))
	panic(&pebbleFatal{msg: msg})
}

// eventListener reports data corruption and corrupt inputs of background
// work (compactions) as damage instead of exiting, and failing background
// work to bg (bgerrors.go).
func (d *damage) eventListener(log pebble.Logger, bg *bgErrors) *pebble.EventListener {
	return &pebble.EventListener{
		DataCorruption: func(info pebble.DataCorruptionInfo) {
			log.Errorf("index: on-disk corruption in %s: %v", info.Path, info.Details)
			d.mark(fmt.Errorf("%w: %s: %v", ErrCorrupt, info.Path, info.Details))
		},
		BackgroundError: func(err error) {
			d.classify(err)
			bg.failed(err)
		},
		FlushEnd: func(info pebble.FlushInfo) {
			if info.Err == nil {
				bg.succeeded()
			}
		},
		CompactionEnd: func(info pebble.CompactionInfo) {
			if info.Err == nil {
				bg.succeeded()
			}
		},
	}
}
