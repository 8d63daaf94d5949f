package immuclient

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// ErrUnterminatedQuote reports a shell line with an open quote.
var ErrUnterminatedQuote = errors.New("unterminated quote")

// splitLine splits a shell line into words: blanks separate words, single
// and double quotes group, a backslash escapes the next character outside
// single quotes.
func splitLine(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, ErrUnterminatedQuote
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func (a *app) shellCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "it",
		Aliases: []string{"interactive"},
		Short:   "Start an interactive shell running the same commands (help, exit)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.inShell = true
			return a.shell()
		},
	}
}

// commandNames lists the top-level commands, for help and completion.
func (a *app) commandNames() []string {
	var names []string
	for _, c := range a.newRoot().Commands() {
		if !c.Hidden && c.Name() != "help" {
			names = append(names, c.Name())
		}
	}
	sort.Strings(names)
	return names
}

// shell reads commands until exit or end of input. On a terminal it offers
// line editing, history (arrow keys) and Tab completion of command names.
func (a *app) shell() error {
	const prompt = "immuclient> "
	var readLine func() (string, error)
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		old, err := term.MakeRaw(int(f.Fd()))
		if err != nil {
			return fmt.Errorf("terminal: %w", err)
		}
		defer term.Restore(int(f.Fd()), old)
		t := term.NewTerminal(struct {
			io.Reader
			io.Writer
		}{f, a.out}, prompt)
		names := a.commandNames()
		t.AutoCompleteCallback = func(line string, pos int, key rune) (string, int, bool) {
			if key != '\t' || strings.ContainsRune(line[:pos], ' ') {
				return "", 0, false
			}
			var match []string
			for _, n := range names {
				if strings.HasPrefix(n, line[:pos]) {
					match = append(match, n)
				}
			}
			if len(match) != 1 {
				return "", 0, false
			}
			return match[0] + " " + line[pos:], len(match[0]) + 1, true
		}
		// The terminal is raw: output needs \r\n, which Terminal adds.
		a.out, a.errOut = t, t
		readLine = t.ReadLine
	} else {
		readLine = func() (string, error) {
			fmt.Fprint(a.out, prompt)
			line, err := a.in.ReadString('\n')
			if err != nil && line != "" {
				err = nil
			}
			return strings.TrimRight(line, "\r\n"), err
		}
	}
	for {
		line, err := readLine()
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(a.out)
			return nil
		}
		if err != nil {
			return err
		}
		words, err := splitLine(line)
		if err != nil {
			fmt.Fprintf(a.errOut, "Error: %v\n", err)
			continue
		}
		if len(words) == 0 {
			continue
		}
		switch words[0] {
		case "exit", "quit":
			return nil
		case "it", "interactive":
			fmt.Fprintln(a.errOut, "Error: already in the interactive shell")
			continue
		case "help", "?":
			if len(words) == 1 {
				a.shellHelp()
				continue
			}
		}
		// Output flags hold for their line only; credentials stay.
		jsonMode, valueOnly := a.jsonMode, a.cfg.ValueOnly
		a.execute(words)
		a.jsonMode, a.cfg.ValueOnly = jsonMode, valueOnly
	}
}

func (a *app) shellHelp() {
	root := a.newRoot()
	fmt.Fprintln(a.out, "Commands (type `help <command>` for details, `exit` to leave):")
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		fmt.Fprintf(a.out, "  %-18s %s\n", c.Name(), c.Short)
	}
	fmt.Fprintf(a.out, "  %-18s %s\n", "exit", "Leave the shell")
}
