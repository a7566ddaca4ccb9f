package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/tx"
)

// resolveAddress reads an address, or the address of a key in the home's
// keyring, so people can write `bob` where a 0x address is wanted.
func resolveAddress(cmd *cobra.Command, s string) (tx.Address, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return tx.ParseAddress(s)
	}
	key, err := keyring.Open(homeFlag(cmd)).Get(s)
	if err != nil {
		return tx.Address{}, fmt.Errorf("%q is neither an address (0x followed by 40 hex digits) nor a key name: %w", s, err)
	}
	return key.Address, nil
}

// txFlags are the flags of every command that sends a tx.
type txFlags struct {
	async         bool
	gas           string
	gasAdjustment float64
	fees          string
	nonce         int64
	memo          string
	timeoutHeight int64
	wait          time.Duration
}

func (f *txFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.async, "async", false, "return once the node has the tx, without waiting for its block")
	cmd.Flags().StringVar(&f.gas, "gas", "auto", "gas limit: a number, or auto to estimate by simulation")
	cmd.Flags().Float64Var(&f.gasAdjustment, "gas-adjustment", 1.3, "multiplier on the simulated gas when --gas auto")
	cmd.Flags().StringVar(&f.fees, "fees", "", "fee to pay, like 0.01laz (default: the chain's minimum for the gas limit)")
	cmd.Flags().Int64Var(&f.nonce, "nonce", -1, "nonce to sign with (default: the account's next, counting txs in the mempool)")
	cmd.Flags().StringVar(&f.memo, "memo", "", "free text carried with the tx")
	cmd.Flags().Int64Var(&f.timeoutHeight, "timeout-height", 0, "last block height at which the tx may be included (0: none)")
	cmd.Flags().DurationVar(&f.wait, "wait-timeout", 60*time.Second, "how long to wait for the tx's block")
	addPassphraseFlag(cmd)
}

func (f *txFlags) options() (client.TxOptions, error) {
	var o client.TxOptions
	if f.gas != "auto" {
		g, err := strconv.ParseUint(f.gas, 10, 64)
		if err != nil || g == 0 {
			return o, fmt.Errorf("--gas %q: want a positive number or auto", f.gas)
		}
		o.GasLimit = g
	}
	if f.gasAdjustment < 1 || f.gasAdjustment > 10 {
		return o, fmt.Errorf("--gas-adjustment %v: want a number from 1 to 10", f.gasAdjustment)
	}
	o.GasAdjustment = uint64(f.gasAdjustment*100 + 0.5)
	if f.fees != "" {
		fee, err := tx.ParseAmount(f.fees)
		if err != nil {
			return o, fmt.Errorf("--fees: %w", err)
		}
		o.Fee = &fee
	}
	if f.nonce >= 0 {
		n := uint64(f.nonce)
		o.Nonce = &n
	}
	o.Memo, o.TimeoutHeight = f.memo, f.timeoutHeight
	return o, nil
}

// broadcast signs msgs as from and sends them, waiting for the block unless
// --async; it prints the outcome and fails if the tx failed.
func (f *txFlags) broadcast(cmd *cobra.Command, from tx.Signer, msgs ...proto.Message) error {
	opts, err := f.options()
	if err != nil {
		return err
	}
	c, err := dial(cmd)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.wait+30*time.Second)
	defer cancel()
	raw, err := c.BuildTx(ctx, from, msgs, opts)
	if err != nil {
		return err
	}
	if f.async {
		hash, err := c.BroadcastAsync(ctx, raw)
		if err != nil {
			return err
		}
		return emit(cmd, map[string]string{"hash": hash}, func(w io.Writer) {
			fmt.Fprintf(w, "tx %s sent (not waiting; see it with `lazchain query tx %s`)\n", hash, hash)
		})
	}
	hash, err := c.Broadcast(ctx, raw)
	if err != nil {
		return err
	}
	wctx, wcancel := context.WithTimeout(ctx, f.wait)
	defer wcancel()
	res, err := c.WaitTx(wctx, hash)
	if err != nil {
		return fmt.Errorf("tx %s was accepted by the node but %w", hash, err)
	}
	if err := emit(cmd, res, func(w io.Writer) { printTxResult(w, res) }); err != nil {
		return err
	}
	if res.Code != 0 {
		return &exitError{code: 1}
	}
	return nil
}

func printTxResult(w io.Writer, r *client.TxResult) {
	status := "committed"
	if r.Code != 0 {
		status = "FAILED"
	}
	fmt.Fprintf(w, "tx %s %s in block %d\n", r.Hash, status, r.Height)
	if r.Code == 0 {
		fmt.Fprintf(w, "  code    0 (ok)\n")
	} else {
		fmt.Fprintf(w, "  code    %d (%s)\n  error   %s\n", r.Code, r.Codespace, r.Log)
	}
	if r.Signer != "" {
		fmt.Fprintf(w, "  signer  %s (nonce %d)\n", r.Signer, r.Nonce)
	}
	fee, _ := tx.ParseBaseUnits(r.Fee)
	fmt.Fprintf(w, "  gas     %d used of %d\n  fee     %s (%d ulaz)\n", r.GasUsed, r.GasWanted, tx.FormatAmount(fee), fee)
	if r.Memo != "" {
		fmt.Fprintf(w, "  memo    %q\n", r.Memo)
	}
	if len(r.Events) > 0 {
		fmt.Fprintf(w, "  events\n")
		for _, e := range r.Events {
			parts := make([]string, len(e.Attributes))
			for i, a := range e.Attributes {
				parts[i] = a.Key + "=" + a.Value
			}
			fmt.Fprintf(w, "    %-9s %s\n", e.Type, strings.Join(parts, " "))
		}
	}
}

func newTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Sign and send transactions",
		Long: `Sign a transaction with a key of the home's keyring (--home) and send it to
--node. By default the command waits for the tx's block and prints its hash,
height, result code, gas, fee and events; --async returns at once.`,
	}
	bankCmd := &cobra.Command{Use: "bank", Short: "LAZ transfers"}
	var f txFlags
	send := &cobra.Command{
		Use:   "send FROM TO AMOUNT",
		Short: "Send LAZ from a key to an address",
		Long: `Send AMOUNT from FROM (a key name or its address) to TO (an address, or a
key name of this keyring). AMOUNT is like 12.5laz or 12500000ulaz
(1 LAZ = 1,000,000 ulaz).`,
		Example: "  lazchain tx bank send alice 0x3f5CE5FBFe3E9af3971dD833D26bA9b5C936f0bE 12.5laz\n  lazchain tx bank send alice bob 500ulaz --async",
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			to, err := resolveAddress(cmd, args[1])
			if err != nil {
				return fmt.Errorf("TO: %w", err)
			}
			amount, err := tx.ParseAmount(args[2])
			if err != nil {
				return fmt.Errorf("AMOUNT: %w", err)
			}
			if amount == 0 {
				return fmt.Errorf("AMOUNT: must be greater than zero")
			}
			from, _, err := signer(cmd, args[0])
			if err != nil {
				return fmt.Errorf("FROM: %w", err)
			}
			return f.broadcast(cmd, from, client.SendMsg(from.Address(), to, amount))
		},
	}
	f.register(send)
	bankCmd.AddCommand(send)
	txFlow := newTxFlowCmd()
	txFlow.AddCommand(newModelTrainCmd())
	cmd.AddCommand(bankCmd, newTxIDAOCmd(), newTxDATCmd(), txFlow, newTxComputeCmd(), newTxStakingCmd(), newTxServiceCmd())
	return cmd
}
