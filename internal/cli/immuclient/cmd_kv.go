package immuclient

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
)

// ErrBadArgument reports a command argument that does not parse.
var ErrBadArgument = errors.New("invalid argument")

// parseKeyRev splits "key@revision". A suffix that is not an integer is part
// of the key, so keys containing '@' still work.
func parseKeyRev(s string) (key []byte, rev int64, hasRev bool) {
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return []byte(s), 0, false
	}
	n, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil {
		return []byte(s), 0, false
	}
	return []byte(s[:i]), n, true
}

// valueArg is args[i], or stdin when the value is not on the command line.
func (a *app) valueArg(args []string, i int) ([]byte, error) {
	if len(args) > i {
		return []byte(args[i]), nil
	}
	if a.inShell {
		return nil, fmt.Errorf("%w: missing value", ErrBadArgument)
	}
	b, err := io.ReadAll(a.in)
	if err != nil {
		return nil, fmt.Errorf("reading value from stdin: %w", err)
	}
	return b, nil
}

func parseUint(name, s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s must be a non-negative integer, got %q", ErrBadArgument, name, s)
	}
	return n, nil
}

func parseScore(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: score must be a number, got %q", ErrBadArgument, s)
	}
	return f, nil
}

func (a *app) kvCommands() []*cobra.Command {
	set := &cobra.Command{
		Use:     "set <key> [<value>]",
		Short:   "Add a new key/value (the value is read from stdin when omitted)",
		Example: "  immuclient set mykey myvalue",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			val, err := a.valueArg(args, 1)
			if err != nil {
				return err
			}
			var e *schema.Entry
			err = a.do(ctx, func(cl *client.Client) error {
				hdr, err := cl.Set(ctx, []byte(args[0]), val)
				if err != nil {
					return err
				}
				e, err = cl.GetSince(ctx, []byte(args[0]), hdr.GetId())
				return err
			})
			if err != nil {
				return err
			}
			return a.emitEntry(e, false)
		},
	}
	safeset := &cobra.Command{
		Use:     "safeset <key> [<value>]",
		Aliases: []string{"verifiedset"},
		Short:   "Add a new key/value and verify the write against the locally trusted state",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			val, err := a.valueArg(args, 1)
			if err != nil {
				return err
			}
			var e *schema.Entry
			err = a.do(ctx, func(cl *client.Client) error {
				hdr, err := cl.VerifiedSet(ctx, []byte(args[0]), val)
				if err != nil {
					return err
				}
				e, err = cl.VerifiedGetSince(ctx, []byte(args[0]), hdr.GetId())
				return err
			})
			if err != nil {
				return err
			}
			return a.emitEntry(e, true)
		},
	}
	rawsafeset := &cobra.Command{
		Use:   "rawsafeset <key> [<value>]",
		Short: "Add a new key/value, verified, and print the proven tx header only",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			val, err := a.valueArg(args, 1)
			if err != nil {
				return err
			}
			var hdr *schema.TxHeader
			err = a.do(ctx, func(cl *client.Client) error {
				var err error
				hdr, err = cl.VerifiedSet(ctx, []byte(args[0]), val)
				return err
			})
			if err != nil {
				return err
			}
			return a.emitHeader(hdr, args[0], true)
		},
	}
	get := &cobra.Command{
		Use:     "get <key>[@<revision>]",
		Short:   "Get the value of a key (optionally at a revision: key@1 first, key@-1 previous)",
		Example: "  immuclient get mykey\n  immuclient get mykey@1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runGet(cmd, args[0], false, false)
		},
	}
	safeget := &cobra.Command{
		Use:     "safeget <key>[@<revision>]",
		Aliases: []string{"verifiedget"},
		Short:   "Get the value of a key and verify it against the locally trusted state",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runGet(cmd, args[0], true, false)
		},
	}
	rawsafeget := &cobra.Command{
		Use:   "rawsafeget <key>[@<revision>]",
		Short: "Get the value of a key, verified, and print the raw value bytes only",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runGet(cmd, args[0], true, true)
		},
	}
	del := &cobra.Command{
		Use:   "delete <key>",
		Short: "Mark a key as deleted (its history stays readable)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var hdr *schema.TxHeader
			err := a.do(ctx, func(cl *client.Client) error {
				var err error
				hdr, err = cl.Delete(ctx, &schema.DeleteKeysRequest{Keys: [][]byte{[]byte(args[0])}})
				return err
			})
			if err != nil {
				return err
			}
			return a.emitHeader(hdr, args[0], false)
		},
	}
	restore := &cobra.Command{
		Use:   "restore <key>@<revision>",
		Short: "Write the value of an older revision of a key again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			key, rev, ok := parseKeyRev(args[0])
			if !ok {
				return fmt.Errorf("%w: restore needs key@revision", ErrBadArgument)
			}
			var e *schema.Entry
			err := a.do(ctx, func(cl *client.Client) error {
				old, err := cl.GetAtRevision(ctx, key, rev)
				if err != nil {
					return err
				}
				hdr, err := cl.Set(ctx, key, old.GetValue())
				if err != nil {
					return err
				}
				e, err = cl.GetSince(ctx, key, hdr.GetId())
				return err
			})
			if err != nil {
				return err
			}
			return a.emitEntry(e, false)
		},
	}
	return []*cobra.Command{set, safeset, rawsafeset, get, safeget, rawsafeget, del, restore,
		a.referenceCommand(false), a.referenceCommand(true), a.zaddCommand(false), a.zaddCommand(true)}
}

func (a *app) runGet(cmd *cobra.Command, arg string, verified, raw bool) error {
	ctx := cmd.Context()
	key, rev, hasRev := parseKeyRev(arg)
	var e *schema.Entry
	err := a.do(ctx, func(cl *client.Client) error {
		var err error
		switch {
		case verified && hasRev:
			e, err = cl.VerifiedGetAtRevision(ctx, key, rev)
		case verified:
			e, err = cl.VerifiedGet(ctx, key)
		case hasRev:
			e, err = cl.GetAtRevision(ctx, key, rev)
		default:
			e, err = cl.Get(ctx, key)
		}
		return err
	})
	if err != nil {
		return err
	}
	if raw && !a.jsonMode {
		_, err := a.out.Write(e.GetValue())
		return err
	}
	return a.emitEntry(e, verified)
}

// emitHeader prints a written tx: id, key, the Alh of the tx.
func (a *app) emitHeader(hdr *schema.TxHeader, key string, verified bool) error {
	j := txHeaderJSON{Tx: hdr.GetId(), Entries: hdr.GetNentries(), Hash: alhHex(hdr), Verified: verified}
	text := fmt.Sprintf("tx:       %d\nkey:      %s\nhash:     %s\n", j.Tx, key, j.Hash)
	if verified {
		text += "verified: true\n"
	}
	return a.emit(text, j)
}

func (a *app) referenceCommand(verified bool) *cobra.Command {
	name, short := "reference", "Add a reference to an existing key"
	if verified {
		name, short = "safereference", "Add a reference to an existing key and verify the write"
	}
	c := &cobra.Command{
		Use:     name + " <refkey> <key> [<atTx>]",
		Short:   short,
		Example: "  immuclient " + name + " myref mykey",
		Args:    cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var atTx uint64
			if len(args) == 3 {
				var err error
				if atTx, err = parseUint("atTx", args[2]); err != nil {
					return err
				}
			}
			var hdr *schema.TxHeader
			err := a.do(ctx, func(cl *client.Client) error {
				var err error
				if verified {
					hdr, err = cl.VerifiedSetReference(ctx, []byte(args[0]), []byte(args[1]), atTx)
				} else {
					hdr, err = cl.SetReference(ctx, []byte(args[0]), []byte(args[1]), atTx)
				}
				return err
			})
			if err != nil {
				return err
			}
			j := struct {
				txHeaderJSON
				Key           string `json:"key"`
				ReferencedKey string `json:"referencedKey"`
			}{txHeaderJSON{Tx: hdr.GetId(), Entries: hdr.GetNentries(), Hash: alhHex(hdr), Verified: verified}, args[0], args[1]}
			text := fmt.Sprintf("tx:             %d\nkey:            %s\nreferenced key: %s\nhash:           %s\n",
				j.Tx, j.Key, j.ReferencedKey, j.Hash)
			if verified {
				text += "verified:       true\n"
			}
			return a.emit(text, j)
		},
	}
	return c
}

func (a *app) zaddCommand(verified bool) *cobra.Command {
	name, short := "zadd", "Add a key to a sorted set with a score"
	if verified {
		name, short = "safezadd", "Add a key to a sorted set with a score and verify the write"
	}
	return &cobra.Command{
		Use:     name + " <setname> <score> <key> [<atTx>]",
		Short:   short,
		Example: "  immuclient " + name + " myset 1.5 mykey",
		Args:    cobra.RangeArgs(3, 4),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			score, err := parseScore(args[1])
			if err != nil {
				return err
			}
			var atTx uint64
			if len(args) == 4 {
				if atTx, err = parseUint("atTx", args[3]); err != nil {
					return err
				}
			}
			var hdr *schema.TxHeader
			err = a.do(ctx, func(cl *client.Client) error {
				var err error
				if verified {
					hdr, err = cl.VerifiedZAdd(ctx, []byte(args[0]), score, []byte(args[2]), atTx)
				} else {
					hdr, err = cl.ZAdd(ctx, []byte(args[0]), score, []byte(args[2]), atTx)
				}
				return err
			})
			if err != nil {
				return err
			}
			j := struct {
				txHeaderJSON
				Set           string  `json:"set"`
				ReferencedKey string  `json:"referencedKey"`
				Score         float64 `json:"score"`
			}{txHeaderJSON{Tx: hdr.GetId(), Entries: hdr.GetNentries(), Hash: alhHex(hdr), Verified: verified}, args[0], args[2], score}
			text := fmt.Sprintf("tx:\t\t%d\nset:\t\t%s\nreferenced key:\t\t%s\nscore:\t\t%f\nhash:\t\t%s\nverified:\t%t\n",
				j.Tx, j.Set, j.ReferencedKey, score, j.Hash, verified)
			return a.emit(text, j)
		},
	}
}
