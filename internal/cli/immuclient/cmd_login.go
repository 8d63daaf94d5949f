package immuclient

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/attestdb/attestdb/client"
)

// ErrNoPassword reports a login without a password to read.
var ErrNoPassword = errors.New("no password given")

func (a *app) loginCommands() []*cobra.Command {
	login := &cobra.Command{
		Use:     "login <username>",
		Short:   "Login using the specified username and password (asked for, or --password / IMMUCLIENT_PASSWORD)",
		Example: "  immuclient login immudb",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cl, err := a.conn(ctx)
			if err != nil {
				return err
			}
			pass, err := a.readPassword("Password:")
			if err != nil {
				return err
			}
			cl.SetToken("", "")
			resp, err := cl.Login(ctx, []byte(args[0]), pass)
			if err != nil {
				if strings.Contains(err.Error(), "authentication is disabled on server") {
					return a.message("authentication is disabled on server")
				}
				return err
			}
			if a.cfg.Database != "" {
				if _, err := cl.UseDatabase(ctx, a.cfg.Database); err != nil {
					return err
				}
			}
			if err := writeToken(tokenPath(a.cfg.TokenFile), cl.CurrentDatabase(), cl.Token()); err != nil {
				return err
			}
			a.tokenErr = nil
			msg := "Successfully logged in"
			if w := string(resp.GetWarning()); w != "" {
				msg += "\n" + w
			}
			return a.message(msg)
		},
	}
	logout := &cobra.Command{
		Use:   "logout",
		Short: "Logout and forget the saved token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cl, err := a.conn(ctx)
			if err != nil {
				return err
			}
			path := tokenPath(a.cfg.TokenFile)
			if !cl.IsConnected() {
				_, _ = deleteToken(path)
				return a.message("User not logged in.")
			}
			lerr := cl.Logout(ctx)
			had, err := deleteToken(path)
			if err != nil {
				return err
			}
			cl.SetToken("", "")
			if lerr != nil {
				if statusMessage(lerr) == "not logged in" || !had {
					return a.message("User not logged in.")
				}
				return lerr
			}
			return a.message("Successfully logged out")
		},
	}
	use := &cobra.Command{
		Use:     "use <database>",
		Aliases: []string{"usedatabase"},
		Short:   "Select the database the next commands work on",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			err := a.do(ctx, func(cl *client.Client) error {
				_, err := cl.UseDatabase(ctx, args[0])
				return err
			})
			if err != nil {
				return err
			}
			if err := writeToken(tokenPath(a.cfg.TokenFile), a.cl.CurrentDatabase(), a.cl.Token()); err != nil {
				return err
			}
			return a.message("Now using " + a.cl.CurrentDatabase())
		},
	}
	return []*cobra.Command{login, logout, use}
}

// readPassword takes the configured password, or asks for it: without echo
// on a terminal, as one line otherwise (scripts pipe it in).
func (a *app) readPassword(prompt string) ([]byte, error) {
	if a.cfg.Password != "" {
		return []byte(a.cfg.Password), nil
	}
	return a.ask(prompt)
}

// ask reads one secret line from the user.
func (a *app) ask(prompt string) ([]byte, error) {
	fmt.Fprint(a.errOut, prompt)
	defer fmt.Fprintln(a.errOut)
	if a.in == nil {
		return nil, ErrNoPassword
	}
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return term.ReadPassword(int(f.Fd()))
	}
	line, err := a.in.ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" && err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoPassword, err)
	}
	return []byte(line), nil
}
