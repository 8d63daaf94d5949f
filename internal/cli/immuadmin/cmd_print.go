package immuadmin

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
)

// ErrServerFlagsOnly reports a setting that only the server's own flags
// change.
var ErrServerFlagsOnly = errors.New("not changeable at run time")

func (a *app) printCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "print [database]",
		Aliases: []string{"tree"},
		Short:   "Print the binary-linking tree summary of a database: current tx and hash, tree root and size",
		Long: `Print the binary-linking tree summary of the database in use (or of the one
named): the current state (last tx id and its accumulated hash), and the
root and size of the binary-linking Merkle tree committed by that tx, which
covers the hashes of every earlier tx.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var (
				st  *schema.ImmutableState
				hdr *schema.TxHeader
			)
			err := a.run(cmd.Context(), func(ctx context.Context, cl *client.Client) error {
				if err := useIfNamed(ctx, cl, args); err != nil {
					return err
				}
				var err error
				if st, err = cl.CurrentState(ctx); err != nil {
					return err
				}
				if st.GetTxId() == 0 {
					return nil
				}
				tx, err := cl.TxByID(ctx, st.GetTxId())
				if err != nil {
					return err
				}
				hdr = tx.GetHeader()
				return nil
			})
			if err != nil {
				return err
			}
			return a.emitTree(st, hdr)
		},
	}
}

type treeJSON struct {
	Database string `json:"database"`
	TxID     uint64 `json:"txID"`
	TxHash   string `json:"txHash,omitempty"`
	TreeSize uint64 `json:"treeSize"`
	TreeRoot string `json:"treeRoot,omitempty"`
}

func (a *app) emitTree(st *schema.ImmutableState, hdr *schema.TxHeader) error {
	j := treeJSON{Database: st.GetDb(), TxID: st.GetTxId()}
	if hdr == nil {
		return a.emit(fmt.Sprintf("database '%s' is empty\n", j.Database), j)
	}
	j.TxHash = hex.EncodeToString(st.GetTxHash())
	j.TreeSize = hdr.GetBlTxId()
	j.TreeRoot = hex.EncodeToString(hdr.GetBlRoot())
	var b strings.Builder
	fmt.Fprintf(&b, "database:   %s\n", j.Database)
	fmt.Fprintf(&b, "tx id:      %d\n", j.TxID)
	fmt.Fprintf(&b, "tx hash:    %s\n", j.TxHash)
	if j.TreeSize == 0 {
		b.WriteString("binary-linking tree: empty (the first tx links to no earlier tx)\n")
	} else {
		fmt.Fprintf(&b, "binary-linking tree (hashes of txs 1..%d, committed by tx %d):\n", j.TreeSize, j.TxID)
		fmt.Fprintf(&b, "  size:     %d\n", j.TreeSize)
		fmt.Fprintf(&b, "  root:     %s\n", j.TreeRoot)
	}
	return a.emit(b.String(), j)
}

func (a *app) setCommand() *cobra.Command {
	set := &cobra.Command{
		Use:   "set auth|mtls",
		Short: "Explain how to change authentication or mTLS (server flags; not changeable at run time)",
	}
	auth := &cobra.Command{
		Use:   "auth [true|false]",
		Short: "Authentication is set by the server's flags",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(*cobra.Command, []string) error {
			return fmt.Errorf("%w: authentication is configured by the server's flags "+
				"(immudb --auth=true|false, --admin-password, --force-admin-password, or the same keys in immudb.toml); "+
				"restart the server with the new setting", ErrServerFlagsOnly)
		},
	}
	mtls := &cobra.Command{
		Use:   "mtls [true|false]",
		Short: "mTLS is set by the server's flags",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(*cobra.Command, []string) error {
			return fmt.Errorf("%w: TLS and mutual TLS are configured by the server's flags "+
				"(immudb --certificate, --pkey, --mtls, --clientcas, or the same keys in immudb.toml); "+
				"restart the server with the new setting", ErrServerFlagsOnly)
		},
	}
	set.AddCommand(auth, mtls)
	return set
}
