package immuclient

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
)

func (a *app) infoCommands() []*cobra.Command {
	version := &cobra.Command{
		Use:   "version",
		Short: "Show the immuclient version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return a.emit("immuclient "+Version+"\n", map[string]string{"version": Version})
		},
	}
	info := &cobra.Command{
		Use:   "info",
		Short: "Return server information (version)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cl, err := a.conn(ctx)
			if err != nil {
				return err
			}
			resp, err := cl.ServerInfo(ctx)
			if err != nil {
				return err
			}
			return a.emit("version:\t"+resp.GetVersion()+"\n", map[string]string{"version": resp.GetVersion()})
		},
	}
	health := &cobra.Command{
		Use:   "health",
		Short: "Return the health of the current database (pending requests, last completed request)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var h *schema.DatabaseHealthResponse
			err := a.do(ctx, func(cl *client.Client) error {
				var err error
				h, err = cl.DatabaseHealth(ctx)
				return err
			})
			if err != nil {
				return err
			}
			last := time.UnixMilli(h.GetLastRequestCompletedAt()).UTC()
			text := fmt.Sprintf("pendingRequests:        %d\nlastRequestCompletedAt: %s\n",
				h.GetPendingRequests(), last.Format(time.RFC3339Nano))
			return a.emit(text, map[string]any{
				"pendingRequests":        h.GetPendingRequests(),
				"lastRequestCompletedAt": last.Format(time.RFC3339Nano),
			})
		},
	}
	return []*cobra.Command{version, info, health}
}
