package immuclient

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
)

// ErrHashMismatch reports a check-consistency whose hash differs from the
// proven hash of the tx.
var ErrHashMismatch = errors.New("hash mismatch: the server's history differs from the given hash")

func (a *app) txCommands() []*cobra.Command {
	txCmd := func(use string, aliases []string, short string, verified bool) *cobra.Command {
		return &cobra.Command{
			Use:     use + " <txid>",
			Aliases: aliases,
			Short:   short,
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				id, err := parseUint("txid", args[0])
				if err != nil {
					return err
				}
				tx, err := a.readTx(cmd, id, verified)
				if err != nil {
					return err
				}
				return a.emitTx(tx, verified)
			},
		}
	}
	inclusion := &cobra.Command{
		Use:   "inclusion <txid>",
		Short: "Check that a tx is included in the history the client trusts",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseUint("txid", args[0])
			if err != nil {
				return err
			}
			tx, err := a.readTx(cmd, id, true)
			if err != nil {
				return err
			}
			return a.emitTx(tx, true)
		},
	}
	consistency := &cobra.Command{
		Use:   "check-consistency <txid> <hash>",
		Short: "Check that the proven hash of a tx equals the given hash",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseUint("txid", args[0])
			if err != nil {
				return err
			}
			want := strings.ToLower(args[1])
			if b, err := hex.DecodeString(want); err != nil || len(b) != 32 {
				return fmt.Errorf("%w: hash must be 64 hex digits", ErrBadArgument)
			}
			tx, err := a.readTx(cmd, id, true)
			if err != nil {
				return err
			}
			if got := alhHex(tx.GetHeader()); got != want {
				return fmt.Errorf("%w: tx %d has hash %s", ErrHashMismatch, id, got)
			}
			return a.emit(fmt.Sprintf("tx:       %d\nhash:     %s\nverified: true\n", id, want),
				txHeaderJSON{Tx: id, Entries: tx.GetHeader().GetNentries(), Hash: want, Verified: true})
		},
	}
	stateCmd := func(use, short string) *cobra.Command {
		return &cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				ctx := cmd.Context()
				var st *schema.ImmutableState
				err := a.do(ctx, func(cl *client.Client) error {
					var err error
					st, err = cl.CurrentState(ctx)
					return err
				})
				if err != nil {
					return err
				}
				return a.emitState(st)
			},
		}
	}
	return []*cobra.Command{
		txCmd("tx", []string{"getByIndex"}, "Return a tx by id", false),
		txCmd("safetx", []string{"verifiedtx", "getRawBySafeIndex"}, "Return a tx by id, verified against the trusted state", true),
		inclusion, consistency,
		stateCmd("current", "Return the last tx and hash of the current database"),
		stateCmd("status", "Show the state of the current database (tx id and hash)"),
	}
}

func (a *app) readTx(cmd *cobra.Command, id uint64, verified bool) (*schema.Tx, error) {
	ctx := cmd.Context()
	var tx *schema.Tx
	err := a.do(ctx, func(cl *client.Client) error {
		var err error
		if verified {
			tx, err = cl.VerifiedTxByID(ctx, id)
		} else {
			tx, err = cl.TxByID(ctx, id)
		}
		return err
	})
	return tx, err
}
