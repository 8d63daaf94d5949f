package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

var (
	// ErrNotRoot: the operation changes the system and needs root.
	ErrNotRoot = errors.New("must run as root")
	// ErrNoSystemd: this machine is not run by systemd.
	ErrNoSystemd = errors.New("systemd is not running on this machine")
	// ErrUnknownOp: Plan was asked for an operation it does not know.
	ErrUnknownOp = errors.New("unknown service operation")
	// ErrStep wraps the failure of one step of a plan.
	ErrStep = errors.New("service step failed")
)

// Runner runs a command and returns what it printed (stdout and stderr).
type Runner interface {
	Run(ctx context.Context, name string, args ...string) (string, error)
}

// FS is the part of the filesystem a plan touches.
type FS interface {
	WriteFile(path string, data []byte, mode fs.FileMode) error
	Remove(path string) error // nil when path does not exist
	Exists(path string) (bool, error)
}

// System answers the questions a plan asks of the machine.
type System interface {
	IsRoot() bool
	HasSystemd() bool
	UserExists(name string) bool
}

// Manager carries out operations on one service. Zero Run/FS/Sys mean the
// real machine (OS()).
type Manager struct {
	Spec   Spec
	Run    Runner
	FS     FS
	Sys    System
	Out    io.Writer // the plan and command output; nil discards
	DryRun bool      // print the plan, change nothing
}

// Do carries out op: it checks the preconditions (systemd, and root for
// anything but status), then prints each step and runs it. With DryRun it
// prints the whole plan, file contents included, and touches nothing.
func (m *Manager) Do(ctx context.Context, op string) error {
	run, fsys, sys := m.Run, m.FS, m.Sys
	if run == nil || fsys == nil || sys == nil {
		r, f, s := OS()
		run, fsys, sys = or(run, Runner(r)), or(fsys, FS(f)), or(sys, System(s))
	}
	out := m.Out
	if out == nil {
		out = io.Discard
	}
	steps, err := Plan(&m.Spec, sys, op)
	if err != nil {
		return err
	}
	if m.DryRun {
		fmt.Fprintf(out, "# %s %s: dry run, nothing is changed; the steps would be:\n", m.Spec.command(), op)
		for _, s := range steps {
			fmt.Fprintln(out, s.String())
			if s.Kind == StepWrite {
				fmt.Fprint(out, indent(s.Data))
			}
		}
		return nil
	}
	if !sys.HasSystemd() {
		return fmt.Errorf("%s service %s: %w (/run/systemd/system is missing); only systemd is supported, see docs/OPERATIONS.md for FreeBSD and Windows, or --dry-run to print the plan",
			m.Spec.Name, op, ErrNoSystemd)
	}
	if op != "status" && !sys.IsRoot() {
		return fmt.Errorf("%s service %s: %w (try sudo, or --dry-run to print the plan)", m.Spec.Name, op, ErrNotRoot)
	}
	for _, s := range steps {
		if err := m.exec(ctx, run, fsys, out, s); err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) exec(ctx context.Context, run Runner, fsys FS, out io.Writer, s Step) error {
	switch s.Kind {
	case StepNote:
		fmt.Fprintln(out, s.String())
		return nil
	case StepWrite:
		if s.KeepExisting {
			ok, err := fsys.Exists(s.Path)
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrStep, s.Path, err)
			}
			if ok {
				fmt.Fprintf(out, "# %s exists: kept as it is\n", s.Path)
				return nil
			}
		}
		fmt.Fprintln(out, "+ "+s.String())
		if err := fsys.WriteFile(s.Path, []byte(s.Data), s.Mode); err != nil {
			return fmt.Errorf("%w: write %s: %w", ErrStep, s.Path, err)
		}
		return nil
	case StepRemove:
		fmt.Fprintln(out, "+ "+s.String())
		if err := fsys.Remove(s.Path); err != nil {
			return fmt.Errorf("%w: remove %s: %w", ErrStep, s.Path, err)
		}
		return nil
	}
	if !s.Output {
		fmt.Fprintln(out, "+ "+s.String())
	}
	text, err := run.Run(ctx, s.Cmd[0], s.Cmd[1:]...)
	if s.Output || (err != nil && s.MayFail) {
		fmt.Fprint(out, text)
	}
	if err != nil && !s.MayFail {
		text = strings.TrimSpace(text)
		if text != "" && !s.Output { // already printed
			return fmt.Errorf("%w: %s: %w: %s", ErrStep, shellJoin(s.Cmd), err, text)
		}
		return fmt.Errorf("%w: %s: %w", ErrStep, shellJoin(s.Cmd), err)
	}
	return nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// indent prefixes each line of a written file so the dry run shows where
// it starts and ends.
func indent(data string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(data, "\n") {
		if line == "" {
			continue
		}
		b.WriteString("    | ")
		b.WriteString(line)
	}
	if !strings.HasSuffix(data, "\n") && data != "" {
		b.WriteString("\n")
	}
	return b.String()
}
