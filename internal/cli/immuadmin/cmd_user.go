package immuadmin

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
)

// Permission codes of the immudb protocol (API.md §2.1).
const (
	PermRead     uint32 = 1
	PermRW       uint32 = 2
	PermAdmin    uint32 = 254
	PermSysAdmin uint32 = 255
)

// ParsePermission maps the CLI names read, readwrite and admin to codes.
func ParsePermission(s string) (uint32, error) {
	switch strings.ToLower(s) {
	case "read":
		return PermRead, nil
	case "readwrite":
		return PermRW, nil
	case "admin":
		return PermAdmin, nil
	}
	return 0, fmt.Errorf("%w: permission %q not recognized; allowed permissions are read, readwrite, admin", ErrBadArgument, s)
}

// PermissionName is how listings show a permission code.
func PermissionName(p uint32) string {
	switch p {
	case PermRead:
		return "Read"
	case PermRW:
		return "Read/Write"
	case PermAdmin:
		return "Admin"
	case PermSysAdmin:
		return "System Admin"
	}
	return fmt.Sprintf("Unknown(%d)", p)
}

func (a *app) userCommand() *cobra.Command {
	user := &cobra.Command{
		Use:     "user",
		Aliases: []string{"u"},
		Short:   "Manage users: list, create, changepassword, permission grant|revoke, activate, deactivate",
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List users with their databases and permissions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var ul *schema.UserList
			err := a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) (err error) {
				ul, err = cl.ListUsers(ctx)
				return err
			})
			if err != nil {
				return err
			}
			return a.emitUsers(ul)
		},
	}
	create := &cobra.Command{
		Use:     "create <username> <read|readwrite|admin> [database]",
		Short:   "Create a user with a permission on a database (default: the database in use, else defaultdb); the password is asked twice",
		Example: "  immuadmin user create alice readwrite mydb",
		Args:    cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			perm, err := ParsePermission(args[1])
			if err != nil {
				return err
			}
			pass, err := a.newPassword(args[0])
			if err != nil {
				return err
			}
			var db string
			err = a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) error {
				db = "defaultdb"
				if len(args) == 3 {
					db = args[2]
				} else if cur := cl.CurrentDatabase(); cur != "" {
					db = cur
				}
				return cl.CreateUser(ctx, []byte(args[0]), pass, perm, db)
			})
			if err != nil {
				return err
			}
			return a.emit("Created user "+args[0], map[string]string{"result": "Created user " + args[0], "user": args[0],
				"database": db, "permission": PermissionName(perm)})
		},
	}
	chpass := &cobra.Command{
		Use:     "changepassword <username>",
		Aliases: []string{"change-password"},
		Short:   "Change a user's password (the old one is asked for the immudb user, and with --old)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var old []byte
			askOld, _ := cmd.Flags().GetBool("old")
			if askOld || args[0] == "immudb" {
				var err error
				if old, err = a.ask("Old password:"); err != nil {
					return err
				}
			}
			pass, err := a.newPassword(args[0])
			if err != nil {
				return err
			}
			if old != nil && string(old) == string(pass) {
				return ErrSamePassword
			}
			err = a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) error {
				return cl.ChangePassword(ctx, []byte(args[0]), old, pass)
			})
			if err != nil {
				return err
			}
			return a.message(fmt.Sprintf("%s's password has been changed", args[0]))
		},
	}
	chpass.Flags().Bool("old", false, "ask for the old password first (needed to change your own password)")
	permission := &cobra.Command{
		Use:     "permission grant|revoke <username> <read|readwrite|admin> <database>",
		Short:   "Grant or revoke a permission on a database",
		Example: "  immuadmin user permission grant alice read mydb",
		Args:    cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			var action schema.PermissionAction
			switch strings.ToLower(args[0]) {
			case "grant":
				action = schema.PermissionAction_GRANT
			case "revoke":
				action = schema.PermissionAction_REVOKE
			default:
				return fmt.Errorf("%w: permission action %q; only grant or revoke are allowed", ErrBadArgument, args[0])
			}
			perm, err := ParsePermission(args[2])
			if err != nil {
				return err
			}
			err = a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) error {
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
				err := a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) error {
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
	return user
}

type userPermJSON struct {
	Database   string `json:"database"`
	Permission string `json:"permission"`
}

type userJSON struct {
	User        string         `json:"user"`
	Active      bool           `json:"active"`
	CreatedBy   string         `json:"createdBy"`
	CreatedAt   string         `json:"createdAt"`
	Permissions []userPermJSON `json:"permissions"`
}

func (a *app) emitUsers(ul *schema.UserList) error {
	js := make([]userJSON, 0, len(ul.GetUsers()))
	var b strings.Builder
	fmt.Fprintf(&b, "%d user(s)\n", len(ul.GetUsers()))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "User\tActive\tDatabase\tPermission\tCreated By\tCreated At")
	for _, u := range ul.GetUsers() {
		j := userJSON{User: string(u.GetUser()), Active: u.GetActive(), CreatedBy: u.GetCreatedby(), CreatedAt: u.GetCreatedat(),
			Permissions: []userPermJSON{}}
		perms := u.GetPermissions()
		if len(perms) == 0 {
			fmt.Fprintf(tw, "%s\t%t\t\t\t%s\t%s\n", j.User, j.Active, j.CreatedBy, j.CreatedAt)
		}
		for i, p := range perms {
			name := PermissionName(p.GetPermission())
			j.Permissions = append(j.Permissions, userPermJSON{p.GetDatabase(), name})
			if i == 0 {
				fmt.Fprintf(tw, "%s\t%t\t%s\t%s\t%s\t%s\n", j.User, j.Active, p.GetDatabase(), name, j.CreatedBy, j.CreatedAt)
			} else {
				fmt.Fprintf(tw, "\t\t%s\t%s\t\t\n", p.GetDatabase(), name)
			}
		}
		js = append(js, j)
	}
	_ = tw.Flush()
	return a.emit(b.String(), js)
}
