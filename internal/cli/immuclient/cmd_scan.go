package immuclient

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
)

func (a *app) scanCommands() []*cobra.Command {
	history := &cobra.Command{
		Use:   "history <key>",
		Short: "Fetch the history of a key (every value it had)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var list *schema.Entries
			err := a.do(ctx, func(cl *client.Client) error {
				var err error
				list, err = cl.History(ctx, &schema.HistoryRequest{Key: []byte(args[0])})
				return err
			})
			if err != nil {
				return err
			}
			return a.emitEntries(list.GetEntries(), false, fmt.Sprintf("key not found: %s\n", args[0]))
		},
	}
	scan := &cobra.Command{
		Use:   "scan <prefix>",
		Short: "Iterate over the keys having the specified prefix",
		Args:  cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &schema.ScanRequest{}
			if len(args) == 1 {
				req.Prefix = []byte(args[0])
			}
			return a.runScan(cmd, req)
		},
	}
	iscan := &cobra.Command{
		Use:   "iscan <pagenumber> <pagesize>",
		Short: "Iterate over all keys page by page (pages are numbered from 0)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			page, err := parseUint("pagenumber", args[0])
			if err != nil {
				return err
			}
			size, err := parseUint("pagesize", args[1])
			if err != nil {
				return err
			}
			if size == 0 {
				return fmt.Errorf("%w: pagesize must be positive", ErrBadArgument)
			}
			return a.runScan(cmd, &schema.ScanRequest{Offset: page * size, Limit: size})
		},
	}
	count := &cobra.Command{
		Use:   "count [<prefix>]",
		Short: "Count the keys having the specified prefix",
		Args:  cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var n *schema.EntryCount
			err := a.do(ctx, func(cl *client.Client) error {
				var err error
				if len(args) == 0 {
					n, err = cl.CountAll(ctx)
				} else {
					n, err = cl.Count(ctx, []byte(args[0]))
				}
				return err
			})
			if err != nil {
				return err
			}
			return a.emit(fmt.Sprintf("%d\n", n.GetCount()), map[string]uint64{"count": n.GetCount()})
		},
	}
	zscan := &cobra.Command{
		Use:   "zscan <setname>",
		Short: "Iterate over a sorted set",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var list *schema.ZEntries
			err := a.do(ctx, func(cl *client.Client) error {
				var err error
				list, err = cl.ZScan(ctx, &schema.ZScanRequest{Set: []byte(args[0])})
				return err
			})
			if err != nil {
				return err
			}
			entries := make([]*schema.Entry, 0, len(list.GetEntries()))
			type zJSON struct {
				kvJSON
				Set   string  `json:"set"`
				Score float64 `json:"score"`
			}
			js := make([]zJSON, 0, len(entries))
			text := ""
			for i, z := range list.GetEntries() {
				e := z.GetEntry()
				entries = append(entries, e)
				js = append(js, zJSON{entryJSON(e, false), string(z.GetSet()), z.GetScore()})
				if i > 0 && !a.cfg.ValueOnly {
					text += "\n"
				}
				if !a.cfg.ValueOnly {
					text += fmt.Sprintf("score:    %g\n", z.GetScore())
				}
				text += a.entryText(e, false)
			}
			if len(entries) == 0 {
				text = "no entries\n"
			}
			return a.emit(text, js)
		},
	}
	return []*cobra.Command{history, scan, iscan, count, zscan}
}

func (a *app) runScan(cmd *cobra.Command, req *schema.ScanRequest) error {
	ctx := cmd.Context()
	var list *schema.Entries
	err := a.do(ctx, func(cl *client.Client) error {
		var err error
		list, err = cl.Scan(ctx, req)
		return err
	})
	if err != nil {
		return err
	}
	return a.emitEntries(list.GetEntries(), false, "no entries\n")
}
