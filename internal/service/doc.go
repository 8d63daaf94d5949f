// Package service renders a systemd unit for one of our programs and
// manages it: install, uninstall, start, stop, status. `immudb service …`
// and `immuclient audit-mode install` both use it; everything that differs
// between them (program, arguments, user, directories, default config file)
// is a Spec.
//
// An operation is first turned into a plan (a list of Steps: run a command,
// write a file, remove a file, or a note), then either printed (dry run:
// nothing is touched, not even the preconditions are required) or printed
// and carried out step by step. The command runner, the filesystem and the
// few facts read from the system (are we root, is systemd running, does the
// user exist) are interfaces, so tests check the plan and its execution
// without root and without systemd.
//
// Only systemd is implemented. FreeBSD rc.d and Windows services are
// described in docs/OPERATIONS.md; on those systems Manager refuses with
// ErrNoSystemd rather than guess.
//
// Invariants: uninstall never removes data, logs, the config file or the
// user (an operator's data is never one command away from deletion); an
// existing config file is never overwritten by install.
//
// Locking: none; a Manager is used by one goroutine.
package service
