package service

import (
	"fmt"
	"strings"
)

// Unit renders the systemd unit file of s (call Validate first).
//
// Choices: Type=simple because the program stays in the foreground
// (journald gets stderr unless the config sets a logfile); Restart=on-failure
// so a crash is retried but a clean stop is not; the hardening options only
// make the system read-only outside the service's own directories, which
// the server never writes to anyway.
func (s *Spec) Unit() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Written by `%s install`; `%s uninstall` removes it.", s.command(), s.command())
	w("[Unit]")
	w("Description=%s", s.Description)
	w("Wants=network-online.target")
	w("After=network-online.target")
	w("")
	w("[Service]")
	w("Type=simple")
	w("User=%s", s.User)
	w("Group=%s", s.group())
	// WorkingDirectory= takes the rest of the line as a path: no quotes, no
	// $VARIABLES, only %-specifiers.
	w("WorkingDirectory=%s", escapeSpecifiers(s.workingDir()))
	cmd := []string{quoteExecWord(s.Exec, false)}
	for _, a := range s.Args {
		cmd = append(cmd, execQuote(a))
	}
	w("ExecStart=%s", strings.Join(cmd, " "))
	w("Restart=on-failure")
	w("RestartSec=5s")
	w("TimeoutStopSec=60s")
	if s.LimitNOFILE > 0 {
		w("LimitNOFILE=%d", s.LimitNOFILE)
	}
	w("NoNewPrivileges=true")
	w("PrivateTmp=true")
	w("ProtectSystem=full")
	w("ProtectHome=true")
	w("")
	w("[Install]")
	w("WantedBy=multi-user.target")
	return b.String()
}

// execQuote writes one ExecStart= argument: systemd expands %-specifiers and
// $VARIABLES and splits on spaces, so those are escaped and a word with
// spaces, quotes or backslashes is double-quoted (systemd.service(5),
// "Command lines").
func execQuote(word string) string { return quoteExecWord(word, true) }

// quoteExecWord quotes one ExecStart= word. The program path (the first
// word) is not subject to $VARIABLE expansion, so there "$$" would stay
// two dollars: dollars are doubled only in arguments.
func quoteExecWord(word string, arg bool) string {
	word = escapeSpecifiers(word)
	if arg {
		word = strings.ReplaceAll(word, "$", "$$")
	}
	if word != "" && !strings.ContainsAny(word, " \t\"'\\;") {
		return word
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(word) + `"`
}

// escapeSpecifiers keeps systemd from reading '%' as a specifier.
func escapeSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }
