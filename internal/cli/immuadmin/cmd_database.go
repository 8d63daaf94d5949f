package immuadmin

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
)

func (a *app) databaseCommand() *cobra.Command {
	database := &cobra.Command{
		Use:     "database",
		Aliases: []string{"d"},
		Short:   "Manage databases: list, create, use, load, unload, delete, update, flush, compact",
	}
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"l"},
		Short:   "List the databases you can see",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp *schema.DatabaseListResponseV2
			var cur string
			err := a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) (err error) {
				cur = cl.CurrentDatabase()
				resp, err = cl.DatabaseListV2(ctx)
				return err
			})
			if err != nil {
				return err
			}
			return a.emitDatabases(resp.GetDatabases(), cur)
		},
	}
	create := &cobra.Command{
		Use:     "create <database>",
		Short:   "Create a database (settings not given keep the server's defaults)",
		Example: "  immuadmin database create mydb --max-value-len 1048576 --exclude-commit-time",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			settings, err := settingsFromFlags(cmd.Flags())
			if err != nil {
				return err
			}
			var resp *schema.CreateDatabaseResponse
			err = a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) (err error) {
				resp, err = cl.CreateDatabaseV2(ctx, args[0], settings)
				return err
			})
			if err != nil {
				return err
			}
			name := resp.GetName()
			if name == "" {
				name = strings.ToLower(args[0])
			}
			replica := resp.GetSettings().GetReplicationSettings().GetReplica().GetValue()
			return a.emit(fmt.Sprintf("database '%s' {%s} successfully created", name, settingsSummary(cmd.Flags(), replica)),
				map[string]any{"database": name, "replica": replica, "created": true})
		},
	}
	addSettingsFlags(create.Flags())
	update := &cobra.Command{
		Use:     "update <database>",
		Short:   "Change settings of a database (only the flags given)",
		Example: "  immuadmin database update mydb --max-tx-entries 2048",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			settings, err := settingsFromFlags(cmd.Flags())
			if err != nil {
				return err
			}
			var resp *schema.UpdateDatabaseResponse
			err = a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) (err error) {
				resp, err = cl.UpdateDatabaseV2(ctx, args[0], settings)
				return err
			})
			if err != nil {
				return err
			}
			name := resp.GetDatabase()
			if name == "" {
				name = strings.ToLower(args[0])
			}
			replica := resp.GetSettings().GetReplicationSettings().GetReplica().GetValue()
			return a.emit(fmt.Sprintf("database '%s' {%s} successfully updated", name, settingsSummary(cmd.Flags(), replica)),
				map[string]any{"database": name, "replica": replica, "updated": true})
		},
	}
	addSettingsFlags(update.Flags())
	use := &cobra.Command{
		Use:   "use <database>",
		Short: "Select the database the next commands work on (flush, compact, print)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var db, token string
			err := a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) error {
				if _, err := cl.UseDatabase(ctx, args[0]); err != nil {
					return err
				}
				db, token = cl.CurrentDatabase(), cl.Token()
				return nil
			})
			if err != nil {
				return err
			}
			if err := writeToken(tokenPath(a.cfg.TokenFile), db, token); err != nil {
				return err
			}
			return a.message(fmt.Sprintf("now using database '%s'", db))
		},
	}
	simple := func(name, short, done string, call func(context.Context, *client.Client, string) error) *cobra.Command {
		return &cobra.Command{
			Use:   name + " <database>",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				db := strings.ToLower(args[0])
				err := a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) error {
					return call(ctx, cl, args[0])
				})
				if err != nil {
					return err
				}
				return a.message(fmt.Sprintf("database '%s' successfully %s", db, done))
			},
		}
	}
	load := simple("load", "Load (open) a database", "loaded", func(ctx context.Context, cl *client.Client, db string) error {
		_, err := cl.LoadDatabase(ctx, db)
		return err
	})
	unload := simple("unload", "Unload (close) a database", "unloaded", func(ctx context.Context, cl *client.Client, db string) error {
		_, err := cl.UnloadDatabase(ctx, db)
		return err
	})
	del := simple("delete", "Delete an unloaded database and its files (unrecoverable; needs --yes-i-know-what-i-am-doing)", "deleted",
		func(ctx context.Context, cl *client.Client, db string) error {
			_, err := cl.DeleteDatabase(ctx, db)
			return err
		})
	del.Flags().Bool("yes-i-know-what-i-am-doing", false, "safety flag to confirm the deletion")
	del.PreRunE = func(cmd *cobra.Command, args []string) error {
		if sure, _ := cmd.Flags().GetBool("yes-i-know-what-i-am-doing"); !sure {
			return fmt.Errorf("database '%s' was not deleted: safety flag --yes-i-know-what-i-am-doing not set", args[0])
		}
		return nil
	}
	flush := &cobra.Command{
		Use:   "flush [database]",
		Short: "Flush the index of the database in use (or of the one named)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pct, _ := cmd.Flags().GetFloat32("cleanup-percentage")
			synced, _ := cmd.Flags().GetBool("synced")
			if pct < 0 || pct > 100 {
				return fmt.Errorf("%w: --cleanup-percentage must be between 0 and 100", ErrBadArgument)
			}
			err := a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) error {
				if err := useIfNamed(ctx, cl, args); err != nil {
					return err
				}
				_, err := cl.FlushIndex(ctx, pct, synced)
				return err
			})
			if err != nil {
				return err
			}
			return a.message("database index successfully flushed")
		},
	}
	flush.Flags().Float32("cleanup-percentage", 0, "percentage of index files to clean up")
	flush.Flags().Bool("synced", true, "fsync after the flush")
	compact := &cobra.Command{
		Use:   "compact [database]",
		Short: "Compact the index of the database in use (or of the one named)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) error {
				if err := useIfNamed(ctx, cl, args); err != nil {
					return err
				}
				return cl.CompactIndex(ctx)
			})
			if err != nil {
				return err
			}
			return a.message("database index successfully compacted")
		},
	}
	database.AddCommand(list, create, update, use, load, unload, del, flush, compact)
	return database
}

// useIfNamed selects args[0] for this command only (the saved token keeps
// the database chosen with `database use`).
func useIfNamed(ctx context.Context, cl *client.Client, args []string) error {
	if len(args) == 0 {
		return nil
	}
	_, err := cl.UseDatabase(ctx, args[0])
	return err
}

type databaseJSON struct {
	Name         string `json:"name"`
	Current      bool   `json:"current,omitempty"`
	Loaded       bool   `json:"loaded"`
	Replica      bool   `json:"replica"`
	CreatedAt    string `json:"createdAt,omitempty"`
	CreatedBy    string `json:"createdBy,omitempty"`
	DiskSize     uint64 `json:"diskSize"`
	Transactions uint64 `json:"transactions"`
}

func (a *app) emitDatabases(dbs []*schema.DatabaseInfo, current string) error {
	js := make([]databaseJSON, 0, len(dbs))
	var b strings.Builder
	fmt.Fprintf(&b, "%d database(s)\n", len(dbs))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  Database Name\tCreated At\tCreated By\tStatus\tIs Replica\tDisk Size\tTransactions")
	for _, d := range dbs {
		j := databaseJSON{
			Name: d.GetName(), Current: d.GetName() == current, Loaded: d.GetLoaded(),
			Replica:   d.GetSettings().GetReplicationSettings().GetReplica().GetValue(),
			CreatedBy: d.GetCreatedBy(), DiskSize: d.GetDiskSize(), Transactions: d.GetNumTransactions(),
		}
		if d.GetCreatedAt() > 0 {
			j.CreatedAt = time.Unix(int64(d.GetCreatedAt()), 0).UTC().Format(time.RFC3339)
		}
		js = append(js, j)
		mark, status := " ", "LOADED"
		if j.Current {
			mark = "*"
		}
		if !j.Loaded {
			status = "UNLOADED"
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%t\t%s\t%d\n", mark, j.Name, j.CreatedAt, j.CreatedBy, status, j.Replica,
			byteCount(j.DiskSize), j.Transactions)
	}
	_ = tw.Flush()
	return a.emit(b.String(), js)
}
