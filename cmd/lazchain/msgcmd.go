package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
)

// msgSpec describes a tx command that sends messages signed by --from.
type msgSpec struct {
	use, short, long, example string
	args                      cobra.PositionalArgs
	// flags registers the command's own flags.
	flags func(cmd *cobra.Command)
	// build makes the messages from the arguments; from is the signer.
	build func(cmd *cobra.Command, from tx.Address, args []string) ([]proto.Message, error)
}

// newMsgCmd makes a tx command from spec: --from and the common tx flags,
// then sign, send and report.
func newMsgCmd(spec msgSpec) *cobra.Command {
	var f txFlags
	var from string
	cmd := &cobra.Command{
		Use: spec.use, Short: spec.short, Long: spec.long, Example: spec.example, Args: spec.args,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" {
				return fmt.Errorf("--from is required: the key name (or address) that signs")
			}
			s, _, err := signer(cmd, from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			msgs, err := spec.build(cmd, s.Address(), args)
			if err != nil {
				return err
			}
			return f.broadcast(cmd, s, msgs...)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "key name or address of the home's keyring that signs (required)")
	f.register(cmd)
	if spec.flags != nil {
		spec.flags(cmd)
	}
	return cmd
}

// one wraps a single message.
func one(m proto.Message) []proto.Message { return []proto.Message{m} }

// parseID reads a positive id argument, naming it on error.
func parseID(what, s string) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%s %q: want a positive integer id", what, s)
	}
	return v, nil
}

// parsePositive reads a quantity greater than zero, naming it on error.
func parsePositive(what, s string) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%s %q: want a whole number greater than zero", what, s)
	}
	return v, nil
}

// parseUint reads a non-negative integer argument, naming it on error.
func parseUint(what, s string) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q: want a non-negative integer", what, s)
	}
	return v, nil
}

// parseLAZ reads an amount like 12.5laz or 500ulaz as ulaz.
func parseLAZ(what, s string) (uint64, error) {
	v, err := tx.ParseAmount(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// emitProto prints a query result: protojson with --output json, else text.
func emitProto(cmd *cobra.Command, m proto.Message, text func(w io.Writer)) error {
	if !jsonOutput(cmd) {
		text(cmd.OutOrStdout())
		return nil
	}
	bz, err := chain.EncodeJSON(m)
	if err != nil {
		return err
	}
	return emit(cmd, json.RawMessage(bz), nil)
}

// newShowCmd is a query command that reads one record by the id given as
// its argument (named arg in errors) at --height and prints it with text,
// or as protojson with --output json.
func newShowCmd[M proto.Message](use, short, arg string, fetch func(*client.Client, context.Context, uint64, int64) (M, error), text func(io.Writer, M)) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(arg, args[0])
			if err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := fetch(c, cmd.Context(), id, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) { text(w, r) })
		},
	}
}
