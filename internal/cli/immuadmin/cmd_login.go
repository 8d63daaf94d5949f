package immuadmin

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// defaultPasswordHint is the part of the Login warning that says the
// built-in password is still in use (API.md §2.1).
const defaultPasswordHint = "has the default password"

func (a *app) loginCommands() []*cobra.Command {
	login := &cobra.Command{
		Use:     "login <username>",
		Short:   "Login using the specified username and password (asked for; IMMUADMIN_PASSWORD when stdin is not a terminal)",
		Aliases: []string{"l"},
		Example: "  immuadmin login immudb",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), callTimeout)
			defer cancel()
			return a.login(ctx, args[0])
		},
	}
	logout := &cobra.Command{
		Use:     "logout",
		Short:   "Logout and forget the saved token",
		Aliases: []string{"x"},
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), callTimeout)
			defer cancel()
			cl, err := a.authed(ctx)
			if err == ErrNotLoggedIn {
				return a.message("User not logged in.")
			}
			if err != nil {
				return err
			}
			lerr := cl.Logout(ctx)
			if _, err := deleteToken(tokenPath(a.cfg.TokenFile)); err != nil {
				return err
			}
			// A token the server no longer knows is as good as logged out.
			if lerr != nil && !deadLogin(lerr) {
				return lerr
			}
			return a.message("logged out")
		},
	}
	status := &cobra.Command{
		Use:     "status",
		Aliases: []string{"p"},
		Short:   "Show the server status: version, uptime, databases, transactions (no login needed)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), callTimeout)
			defer cancel()
			cl, err := a.conn(ctx)
			if err != nil {
				return err
			}
			info, err := cl.ServerInfo(ctx)
			if err != nil {
				return err
			}
			started := time.Unix(info.GetStartedAt(), 0).UTC()
			up := time.Since(started).Truncate(time.Second)
			if info.GetStartedAt() == 0 || up < 0 {
				up = 0
			}
			var b strings.Builder
			b.WriteString("Status:        OK - server is reachable and responding to queries\n")
			fmt.Fprintf(&b, "Version:       %s\n", info.GetVersion())
			fmt.Fprintf(&b, "Up time:       %s (up %s)\n", started.Format(time.RFC822), up)
			fmt.Fprintf(&b, "Databases:     %d (%s)\n", info.GetNumDatabases(), byteCount(uint64(max(info.GetDatabasesDiskSize(), 0))))
			fmt.Fprintf(&b, "Transactions:  %d\n", info.GetNumTransactions())
			return a.emit(b.String(), map[string]any{
				"status":            "OK",
				"version":           info.GetVersion(),
				"startedAt":         started.Format(time.RFC3339),
				"uptimeSeconds":     int64(up / time.Second),
				"databases":         info.GetNumDatabases(),
				"databasesDiskSize": info.GetDatabasesDiskSize(),
				"transactions":      info.GetNumTransactions(),
			})
		},
	}
	version := &cobra.Command{
		Use:   "version",
		Short: "Show the immuadmin version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return a.emit("immuadmin "+Version+"\n", map[string]string{"version": Version})
		},
	}
	return []*cobra.Command{login, logout, status, version}
}

// login logs user in and saves the token. While the built-in password is
// in use, the login is completed only once the password has been changed.
func (a *app) login(ctx context.Context, user string) error {
	cl, err := a.conn(ctx)
	if err != nil {
		return err
	}
	pass, err := a.loginPassword()
	if err != nil {
		return err
	}
	resp, err := cl.Login(ctx, []byte(user), pass)
	if err != nil {
		if strings.Contains(statusMessage(err), "authentication is disabled") {
			return a.message("authentication is disabled on server")
		}
		return err
	}
	changed := false
	if w := string(resp.GetWarning()); strings.Contains(w, defaultPasswordHint) {
		a.note("SECURITY WARNING: %s", w)
		a.note("The password of %s must be changed now (%s).", user, PasswordPolicy)
		np, err := a.newPassword(user)
		if err != nil {
			_ = cl.Logout(ctx)
			return fmt.Errorf("password change required before login: %w", err)
		}
		if bytes.Equal(np, pass) {
			_ = cl.Logout(ctx)
			return fmt.Errorf("password change required before login: %w", ErrSamePassword)
		}
		if err := cl.ChangePassword(ctx, []byte(user), pass, np); err != nil {
			_ = cl.Logout(ctx)
			return fmt.Errorf("password change required before login: %w", err)
		}
		changed = true
	}
	if err := writeToken(tokenPath(a.cfg.TokenFile), cl.CurrentDatabase(), cl.Token()); err != nil {
		return err
	}
	text := "logged in"
	if changed {
		text = fmt.Sprintf("%s's password has been changed\nlogged in", user)
	}
	return a.emit(text, map[string]any{"result": "logged in", "user": user, "passwordChanged": changed})
}
