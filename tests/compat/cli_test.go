package compat

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cliTimeout bounds every CLI invocation.
const cliTimeout = 30 * time.Second

// adminPass is the superuser password of the CLI test server: a
// non-default one, so immuadmin login does not force a password change.
const adminPass = "Adm1n!pass"

// cliEnv runs the official CLIs against one server with a private HOME,
// working dir and token files.
type cliEnv struct {
	t    *testing.T
	s    *server
	home string
	work string
}

// cliStep is one CLI command and what its output must match.
type cliStep struct {
	args  []string
	stdin string   // fed to the command (passwords)
	want  []string // regular expressions the output must match
	tty   bool     // run under script(1) so password prompts read a terminal
	fails bool     // the command must exit non-zero (and still match want)
}

func newCLIEnv(t *testing.T, s *server) *cliEnv {
	if cliBuildErr != nil {
		t.Skipf("the official CLIs could not be built: %v", cliBuildErr)
	}
	e := &cliEnv{t: t, s: s, home: t.TempDir(), work: t.TempDir()}
	// immuclient v1.11.1 ignores $HOME and --tokenfile and always writes
	// <home of the OS user>/token. Keep whatever file was there and put it
	// back afterwards, so the test leaves the home directory as it was.
	if h := realHome(); h != "" {
		path := filepath.Join(h, "token")
		old, err := os.ReadFile(path)
		existed := err == nil
		t.Cleanup(func() {
			if existed {
				_ = os.WriteFile(path, old, 0o600)
			} else {
				_ = os.Remove(path)
			}
		})
	}
	return e
}

// realHome is the OS user's home directory from the user database, where
// immuclient writes its token file.
func realHome() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	return u.HomeDir
}

// run executes bin with args plus the connection flags and returns the
// combined output.
func (e *cliEnv) run(bin string, st cliStep) (string, error) {
	args := append([]string{}, st.args...)
	args = append(args, "-a", "127.0.0.1", "-p", strconv.Itoa(e.s.port))
	if strings.HasSuffix(bin, "immuclient") {
		args = append(args, "--tokenfile", filepath.Join(e.work, "token"),
			"--dir", e.work, "--server-signing-pub-key", signingPubFile)
	} else {
		args = append(args, "--tokenfile", filepath.Join(e.work, "token"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	var cmd *exec.Cmd
	if st.tty {
		line := bin
		for _, a := range args {
			line += " '" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		cmd = exec.CommandContext(ctx, "script", "-qec", line, "/dev/null")
	} else {
		cmd = exec.CommandContext(ctx, bin, args...)
	}
	cmd.Dir = e.work
	cmd.Env = append(os.Environ(),
		"HOME="+e.home,
		"IMMUCLIENT_USERNAME=immudb",
		"IMMUCLIENT_PASSWORD="+adminPass,
	)
	if st.tty {
		// Each line must arrive after the previous prompt.
		pr, pw, err := os.Pipe()
		if err != nil {
			return "", err
		}
		cmd.Stdin = pr
		go func() {
			defer pw.Close()
			for _, l := range strings.Split(st.stdin, "\n") {
				time.Sleep(500 * time.Millisecond)
				_, _ = pw.WriteString(l + "\n")
			}
			time.Sleep(500 * time.Millisecond)
		}()
		defer pr.Close()
	} else {
		cmd.Stdin = strings.NewReader(st.stdin)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// check runs the steps in order and matches their output.
func (e *cliEnv) check(bin string, steps []cliStep) {
	for _, st := range steps {
		name := strings.Join(st.args, " ")
		out, err := e.run(bin, st)
		if st.fails {
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				e.t.Errorf("%s %s: want a non-zero exit, got %v\n%s", bin[strings.LastIndex(bin, "/")+1:], name, err, out)
				continue
			}
		} else if err != nil {
			e.t.Errorf("%s %s: %v\n%s", bin[strings.LastIndex(bin, "/")+1:], name, err, out)
			continue
		}
		for _, w := range st.want {
			if !regexp.MustCompile(w).MatchString(out) {
				e.t.Errorf("%s %s: output does not match %q:\n%s", bin[strings.LastIndex(bin, "/")+1:], name, w, out)
			}
		}
	}
}

func TestCLIs(t *testing.T) {
	s := startServer(t, true, "--admin-password", adminPass)
	e := newCLIEnv(t, s)

	e.check(immuclientBin, []cliStep{
		// No explicit `login`: every command logs in by itself from
		// IMMUCLIENT_USERNAME/PASSWORD.
		{args: []string{"set", "k1", "v1"}, want: []string{`tx:\s+1\n`, `key:\s+k1\n`, `value:\s+v1\n`}},
		{args: []string{"get", "k1"}, want: []string{`tx:\s+1\n`, `value:\s+v1\n`}},
		{args: []string{"safeset", "k2", "v2"}, want: []string{`tx:\s+2\n`, `value:\s+v2\n`, `verified:\s+true`}},
		{args: []string{"safeget", "k2"}, want: []string{`value:\s+v2\n`, `verified:\s+true`}},
		{args: []string{"set", "k1", "v1b"}, want: []string{`tx:\s+3\n`, `rev:\s+2\n`}},
		{args: []string{"safeget", "k1"}, want: []string{`tx:\s+3\n`, `value:\s+v1b\n`, `verified:\s+true`}},
		{args: []string{"get", "k1@1"}, want: []string{`value:\s+v1\n`}},
		{args: []string{"history", "k1"}, want: []string{`(?s)value:\s+v1\n.*value:\s+v1b\n`}},
		{args: []string{"scan", "k"}, want: []string{`(?s)key:\s+k1\n.*key:\s+k2\n`}},
		{args: []string{"count", "k"}, want: []string{`(?m)^2$`}},
		{args: []string{"reference", "r1", "k1"}, want: []string{`tx:\s+4\n`, `key:\s+r1\n`}},
		{args: []string{"get", "r1"}, want: []string{`value:\s+v1b\n`}},
		{args: []string{"safereference", "r2", "k2"}, want: []string{`key:\s+r2\n`, `verified:\s+true`}},
		{args: []string{"zadd", "s1", "1.5", "k1"}, want: []string{`set:\s+s1\n`, `score:\s+1.5`}},
		{args: []string{"safezadd", "s1", "2", "k2"}, want: []string{`score:\s+2`, `verified:\s+true`}},
		{args: []string{"zscan", "s1"}, want: []string{`(?s)key:\s+k1\n.*key:\s+k2\n`}},
		{args: []string{"tx", "1"}, want: []string{`tx:\s+1\n`, `entries:\s+1\n`}},
		{args: []string{"safetx", "2"}, want: []string{`tx:\s+2\n`, `verified:\s+true`}},
		{args: []string{"current"}, want: []string{`database:\s+defaultdb\n`, `txID:\s+7\n`}},
		{args: []string{"status"}, want: []string{`database:\s+defaultdb\n`, `txID:\s+7\n`}},
		{args: []string{"info"}, want: []string{`version:\s+\S+`}},
		{args: []string{"health"}, want: []string{`pendingRequests:`}},
		{args: []string{"get", "nope"}, want: []string{`tbtree: key not found`}},
		{args: []string{"delete", "k2"}, want: []string{`key successfully deleted`}},
		{args: []string{"get", "k2"}, want: []string{`tbtree: key not found`}},
	})

	e.check(immuadminBin, []cliStep{
		{args: []string{"login", "immudb"}, stdin: adminPass, want: []string{`logged in`}},
		{args: []string{"status"}, want: []string{`OK - server is reachable`, `Databases:\s+1\b`}},
		{args: []string{"database", "list"}, want: []string{`1 database\(s\)`, `defaultdb`}},
		{args: []string{"database", "create", "db3"}, want: []string{`database 'db3' .*successfully created`}},
		{args: []string{"database", "list"}, want: []string{`2 database\(s\)`, `db3\s+\S+\s+immudb\s+LOADED`}},
		{args: []string{"user", "list"}, want: []string{`1 user\(s\)`, `immudb\s+true\s+\*\s+System Admin`}},
		{args: []string{"user", "create", "bob", "readwrite", "db3"}, stdin: "Bob12345!\nBob12345!", tty: true,
			want: []string{`Created user bob`}},
		{args: []string{"user", "list"}, want: []string{`2 user\(s\)`, `bob\s+true\s+db3\s+Read/Write\s+immudb`}},
		// Deprecated in immudb v1.11, which answers "operation not supported".
		{args: []string{"set", "auth", "password"}, fails: true, want: []string{`operation not supported`}},
		{args: []string{"set", "mtls", "false"}, fails: true, want: []string{`operation not supported`}},
		{args: []string{"logout"}, want: []string{`logged out`}},
	})

	// A second database now exists: `use` selects it (the token, bound to
	// db3, goes to the token file) and later commands run on db3.
	e.check(immuclientBin, []cliStep{
		{args: []string{"use", "db3"}, want: []string{`Now using db3`}},
		{args: []string{"set", "d", "in-db3"}, want: []string{`tx:\s+1\n`, `value:\s+in-db3\n`}},
		{args: []string{"get", "k1"}, want: []string{`tbtree: key not found`}},
		{args: []string{"status"}, want: []string{`database:\s+db3\n`, `txID:\s+1\n`}},
	})

}
