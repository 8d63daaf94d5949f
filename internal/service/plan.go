package service

import (
	"fmt"
	"io/fs"
	"strings"
)

// StepKind says what a Step does.
type StepKind int

const (
	StepRun    StepKind = iota // run Cmd
	StepWrite                  // write Data to Path with Mode
	StepRemove                 // remove Path (absent is fine)
	StepNote                   // only print Text
)

// Step is one action of a plan.
type Step struct {
	Kind StepKind
	Cmd  []string    // StepRun
	Path string      // StepWrite, StepRemove
	Data string      // StepWrite
	Mode fs.FileMode // StepWrite
	// KeepExisting skips a StepWrite when Path exists (the config file).
	KeepExisting bool
	// MayFail lets the plan go on when the step fails (stopping a unit
	// that is not running during uninstall).
	MayFail bool
	// Output prints what the command wrote (status).
	Output bool
	Text   string // StepNote
}

// String is the step as one line, shell-like, as the dry run prints it:
// words a shell would split or expand are single-quoted, so a printed
// command can be pasted as it is.
func (s Step) String() string {
	switch s.Kind {
	case StepRun:
		line := shellJoin(s.Cmd)
		if s.MayFail {
			line += "   # a failure here is ignored"
		}
		return line
	case StepWrite:
		line := fmt.Sprintf("write %s (mode %04o)", shellQuote(s.Path), s.Mode.Perm())
		if s.KeepExisting {
			line += ", unless it already exists"
		}
		return line
	case StepRemove:
		return "rm -f " + shellQuote(s.Path)
	default:
		return "# " + s.Text
	}
}

// shellJoin joins words as a POSIX shell would read them back.
func shellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shellQuote(w)
	}
	return strings.Join(q, " ")
}

// shellQuote leaves a word of plain characters as it is and single-quotes
// any other (an inner single quote is closed, escaped and reopened).
func shellQuote(w string) string {
	plain := w != ""
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=+@%", r)) {
			plain = false
			break
		}
	}
	if plain {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// Plan returns the steps of op ("install", "uninstall", "start", "stop",
// "status") for spec on sys. It reads the system (does the user exist) but
// changes nothing.
func Plan(spec *Spec, sys System, op string) ([]Step, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	unit := spec.UnitName()
	run := func(cmd ...string) Step { return Step{Kind: StepRun, Cmd: cmd} }
	switch op {
	case "install":
		return installPlan(spec, sys), nil
	case "uninstall":
		stop := run("systemctl", "stop", unit)
		stop.MayFail = true
		disable := run("systemctl", "disable", unit)
		disable.MayFail = true
		steps := []Step{stop, disable,
			{Kind: StepRemove, Path: spec.UnitPath()},
			run("systemctl", "daemon-reload"),
		}
		kept := []string{}
		for _, d := range spec.Dirs {
			kept = append(kept, d.Path)
		}
		if spec.ConfigFile != "" {
			kept = append(kept, spec.ConfigFile)
		}
		note := "kept: user " + spec.User
		if len(kept) > 0 {
			note += ", " + strings.Join(kept, ", ")
		}
		return append(steps, Step{Kind: StepNote, Text: note + " (remove them by hand if no longer needed)"}), nil
	case "start", "stop":
		return []Step{run("systemctl", op, unit)}, nil
	case "status":
		st := run("systemctl", "status", "--no-pager", unit)
		st.Output = true
		return []Step{st}, nil
	}
	return nil, fmt.Errorf("%w: %q (want one of %s)", ErrUnknownOp, op, strings.Join(Ops, ", "))
}

// Ops are the operations Plan knows, in the order help lists them.
var Ops = []string{"install", "uninstall", "start", "stop", "status"}

func installPlan(spec *Spec, sys System) []Step {
	var steps []Step
	run := func(cmd ...string) { steps = append(steps, Step{Kind: StepRun, Cmd: cmd}) }
	user, group := spec.User, spec.group()
	home := spec.workingDir()
	switch {
	case sys.UserExists(user):
		steps = append(steps, Step{Kind: StepNote, Text: "user " + user + " exists: kept as it is"})
	case group == user:
		run("useradd", "--system", "--user-group", "--no-create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin", user)
	default:
		run("groupadd", "--system", "--force", group)
		run("useradd", "--system", "--gid", group, "--no-create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin", user)
	}
	for _, d := range spec.Dirs {
		run("install", "-d", "-m", fmt.Sprintf("%04o", d.Mode.Perm()), "-o", user, "-g", group, d.Path)
	}
	if spec.ConfigFile != "" {
		dir := spec.ConfigFile[:strings.LastIndex(spec.ConfigFile, "/")]
		if dir != "" {
			run("install", "-d", "-m", "0755", dir)
		}
		steps = append(steps, Step{Kind: StepWrite, Path: spec.ConfigFile, Data: spec.ConfigData, Mode: 0o640, KeepExisting: true})
		// root owns it, the service group may read it.
		run("chown", "root:"+group, spec.ConfigFile)
	}
	steps = append(steps, Step{Kind: StepWrite, Path: spec.UnitPath(), Data: spec.Unit(), Mode: 0o644})
	run("systemctl", "daemon-reload")
	run("systemctl", "enable", spec.UnitName())
	run("systemctl", "start", spec.UnitName())
	return steps
}
