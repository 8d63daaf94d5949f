package immuclient

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
)

// Permission numbers of the immudb protocol.
const (
	permRead     = 1
	permRW       = 2
	permAdmin    = 254
	permSysAdmin = 255
)

// ErrPasswordMismatch reports a password confirmation that differs.
var ErrPasswordMismatch = errors.New("passwords don't match")

func parsePermission(s string) (uint32, error) {
	switch s {
	case "read":
		return permRead, nil
	case "readwrite":
		return permRW, nil
	case "admin":
		return permAdmin, nil
	}
	return 0, fmt.Errorf("%w: permission value not recognized; allowed permissions are read, readwrite, admin", ErrBadArgument)
}

func permissionName(p uint32) string {
	switch p {
	case permRead:
		return "Read"
	case permRW:
		return "Read/Write"
	case permAdmin:
		return "Admin"
	case permSysAdmin:
		return "System Admin"
	}
	return fmt.Sprintf("Unknown(%d)", p)
}

// newPassword asks for a password twice: on a terminal without echo, else
// as two lines of stdin (scripts).
func (a *app) newPassword(user string) ([]byte, error) {
	p1, err := a.ask(fmt.Sprintf("Choose a password for %s:", user))
	if err != nil {
		return nil, err
	}
	p2, err := a.ask("Confirm password:")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(p1, p2) {
		return nil, ErrPasswordMismatch
	}
	return p1, nil
}

func (a *app) adminCommands() []*cobra.Command {
	user := &cobra.Command{
		Use:   "user",
		Short: "Manage users: list, create, changepassword, permission grant|revoke, activate, deactivate",
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "Show all users and their permissions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var ul *schema.UserList
			err := a.do(ctx, func(cl *client.Client) error {
				var err error
				ul, err = cl.ListUsers(ctx)
				return err
			})
			if err != nil {
				return err
			}
			type permJSON struct {
				Database   string `json:"database"`
				Permission string `json:"permission"`
			}
			type userJSON struct {
				User        string     `json:"user"`
				Active      bool       `json:"active"`
				CreatedBy   string     `json:"createdBy"`
				CreatedAt   string     `json:"createdAt"`
				Permissions []permJSON `json:"permissions"`
			}
			var js []userJSON
			var b strings.Builder
			b.WriteString("User\tActive\tCreated By\tCreated At\tDatabase\tPermission\n")
			for _, u := range ul.GetUsers() {
				j := userJSON{User: string(u.GetUser()), Active: u.GetActive(), CreatedBy: u.GetCreatedby(), CreatedAt: u.GetCreatedat()}
				fmt.Fprintf(&b, "%s\t%t\t%s\t%s\n", j.User, j.Active, j.CreatedBy, j.CreatedAt)
				for _, p := range u.GetPermissions() {
					j.Permissions = append(j.Permissions, permJSON{p.GetDatabase(), permissionName(p.GetPermission())})
					fmt.Fprintf(&b, "\t\t\t\t%s\t%s\n", p.GetDatabase(), permissionName(p.GetPermission()))
				}
				js = append(js, j)
			}
			return a.emit(b.String(), js)
		},
	}
	create := &cobra.Command{
		Use:   "create <username> <permission> <database>",
		Short: "Create a user with read, readwrite or admin permission on a database (the password is asked twice)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			perm, err := parsePermission(args[1])
			if err != nil {
				return err
			}
			pass, err := a.newPassword(args[0])
			if err != nil {
				return err
			}
			err = a.do(ctx, func(cl *client.Client) error {
				return cl.CreateUser(ctx, []byte(args[0]), pass, perm, args[2])
			})
			if err != nil {
				return err
			}
			return a.message("Created user " + args[0])
		},
	}
	chpass := &cobra.Command{
		Use:   "changepassword <username>",
		Short: "Change a user's password (the old password is asked for your own user)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var old []byte
			if args[0] == a.cfg.Username || args[0] == "immudb" {
				var err error
				if old, err = a.ask("Old password:"); err != nil {
					return err
				}
			}
			pass, err := a.newPassword(args[0])
			if err != nil {
				return err
			}
			err = a.do(ctx, func(cl *client.Client) error {
				return cl.ChangePassword(ctx, []byte(args[0]), old, pass)
			})
			if err != nil {
				return err
			}
			return a.message(fmt.Sprintf("Password of %s was changed successfully", args[0]))
		},
	}
	permission := &cobra.Command{
		Use:   "permission grant|revoke <username> <permission> <database>",
		Short: "Grant or revoke a permission (read, readwrite, admin) on a database",
		Args:  cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var action schema.PermissionAction
			switch args[0] {
			case "grant":
				action = schema.PermissionAction_GRANT
			case "revoke":
				action = schema.PermissionAction_REVOKE
			default:
				return fmt.Errorf("%w: wrong permission action %q; only grant or revoke are allowed", ErrBadArgument, args[0])
			}
			perm, err := parsePermission(args[2])
			if err != nil {
				return err
			}
			err = a.do(ctx, func(cl *client.Client) error {
				return cl.ChangePermission(ctx, action, args[1], args[3], perm)
			})
			if err != nil {
				return err
			}
			return a.message("Permission changed successfully")
		},
	}
	activation := func(name string, active bool) *cobra.Command {
		return &cobra.Command{
			Use:   name + " <username>",
			Short: strings.ToUpper(name[:1]) + name[1:] + " a user",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				ctx := cmd.Context()
				err := a.do(ctx, func(cl *client.Client) error {
					return cl.SetActiveUser(ctx, args[0], active)
				})
				if err != nil {
					return err
				}
				return a.message("User status changed successfully")
			},
		}
	}
	user.AddCommand(list, create, chpass, permission, activation("activate", true), activation("deactivate", false))

	database := &cobra.Command{
		Use:   "database",
		Short: "Manage databases: list, create",
	}
	dblist := &cobra.Command{
		Use:   "list",
		Short: "List the databases you can see",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var resp *schema.DatabaseListResponseV2
			err := a.do(ctx, func(cl *client.Client) error {
				var err error
				resp, err = cl.DatabaseListV2(ctx)
				return err
			})
			if err != nil {
				return err
			}
			type dbJSON struct {
				Name    string `json:"name"`
				Loaded  bool   `json:"loaded"`
				Current bool   `json:"current,omitempty"`
			}
			var js []dbJSON
			var b strings.Builder
			fmt.Fprintf(&b, "%d database(s)\n", len(resp.GetDatabases()))
			cur := a.cl.CurrentDatabase()
			for _, d := range resp.GetDatabases() {
				j := dbJSON{Name: d.GetName(), Loaded: d.GetLoaded(), Current: d.GetName() == cur}
				js = append(js, j)
				mark := " "
				if j.Current {
					mark = "*"
				}
				state := ""
				if !j.Loaded {
					state = " (unloaded)"
				}
				fmt.Fprintf(&b, "%s %s%s\n", mark, j.Name, state)
			}
			return a.emit(b.String(), js)
		},
	}
	dbcreate := &cobra.Command{
		Use:   "create <database>",
		Short: "Create a database",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			err := a.do(ctx, func(cl *client.Client) error {
				_, err := cl.CreateDatabaseV2(ctx, args[0], &schema.DatabaseNullableSettings{})
				return err
			})
			if err != nil {
				return err
			}
			return a.message("database '" + args[0] + "' created")
		},
	}
	database.AddCommand(dblist, dbcreate)
	return []*cobra.Command{user, database}
}
