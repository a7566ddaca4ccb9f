package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
)

// devEnclaveText is what every text output says of a simulated enclave.
const devEnclaveText = "DEV ENCLAVE (simulated, not a real TEE)"

func newTxComputeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compute",
		Short: "Enclave workers: retire a worker",
		Long: `Enclave workers verify and score contributions inside a TEE. They register
themselves (lazchain worker); an operator retires one here.`,
		Example: "  lazchain tx compute retire-worker 3 --from carol",
	}
	retire := newMsgCmd(msgSpec{
		use:   "retire-worker WORKER",
		short: "Retire an enclave worker and get what is left of its bond back",
		long: `Retire WORKER (its id): it gets no more assignments and what is left of its
bond returns to the operator. Only the worker's operator may retire it, and
only once it has no open job (see "open jobs" in lazchain query compute
worker WORKER).`,
		example: "  lazchain tx compute retire-worker 3 --from carol",
		args:    cobra.ExactArgs(1),
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			id, err := parseID("WORKER", args[0])
			if err != nil {
				return nil, err
			}
			return one(&compute.MsgRetireWorker{From: from.String(), Worker: id}), nil
		},
	})
	cmd.AddCommand(retire)
	return cmd
}

func newQueryComputeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compute",
		Short: "Enclave workers and the chain's attestation rules",
		Long: `Read the registry of enclave workers: each was admitted by an attestation
(AMD SEV-SNP or Intel TDX) the chain verified, binding its keys to this chain.
A worker admitted through the test-only roots of a dev chain is marked
` + devEnclaveText + `.`,
		Example: "  lazchain query compute workers\n  lazchain query compute worker 1\n  lazchain query compute params",
	}

	var idaoID uint64
	workers := &cobra.Command{
		Use:   "workers",
		Short: "The registered workers (--idao for one compute iDAO's)",
		Long: `List the registered enclave workers with their iDAO, status, bond and kind of
attestation. Simulated enclaves are marked ` + devEnclaveText + `, and so is
the chain when its parameters accept them.`,
		Example: "  lazchain query compute workers\n  lazchain query compute workers --idao 2 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.Workers(cmd.Context(), idaoID, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if r.DevAttestation {
					fmt.Fprintf(w, "WARNING: this chain admits %s workers (dev_attestation is on)\n", devEnclaveText)
				}
				if len(r.Workers) == 0 {
					fmt.Fprintln(w, "no workers")
				}
				for _, k := range r.Workers {
					fmt.Fprintf(w, "%4d  iDAO %-4d %-8s %-8s bond %-26s open jobs %d%s\n", k.Id, k.Idao, k.Status, k.Kind, ulazText(k.Bond), k.OpenJobs, devMark(k))
				}
			})
		},
	}
	workers.Flags().Uint64Var(&idaoID, "idao", 0, "only the workers of this compute iDAO")

	worker := newShowCmd("worker WORKER", "A worker: operator, keys, attestation, bond, registration", "WORKER", (*client.Client).Worker, printWorker)
	worker.Long = `Show one worker: its operator and iDAO, its enclave keys (data keys are
wrapped to the HPKE key; results are signed by the signing key), what the
chain verified of its attestation, its bond, misses and slashes, and when its
registration lapses unless renewed.`
	worker.Example = "  lazchain query compute worker 1\n  lazchain query compute worker 1 -o json"

	params := &cobra.Command{
		Use:   "params",
		Short: "The chain's rules for admitting enclaves",
		Long: `Show the compute module's parameters: which roots and launch measurements the
chain trusts, the TCB minimums, how long a registration lasts, the least
bond, and the slash for a missed deadline.`,
		Example: "  lazchain query compute params\n  lazchain query compute params -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			var r compute.QueryParamsResponse
			if r.Params, err = c.ComputeParams(cmd.Context(), heightFlag(cmd)); err != nil {
				return err
			}
			return emitProto(cmd, &r, func(w io.Writer) { printComputeParams(w, r.Params) })
		},
	}
	cmd.AddCommand(workers, worker, params)
	return cmd
}

// devMark is the warning a dev worker's line ends with.
func devMark(w *compute.Worker) string {
	if w.Dev {
		return "  " + devEnclaveText
	}
	return ""
}

func printWorker(w io.Writer, k *compute.Worker) {
	fmt.Fprintf(w, "worker %d of iDAO %d — %s\n", k.Id, k.Idao, k.Status)
	if k.Dev {
		fmt.Fprintf(w, "  %s: admitted through the test-only roots; never trust it with real data\n", devEnclaveText)
	}
	fmt.Fprintf(w, "  operator      %s\n", k.Operator)
	if k.Endpoint != "" {
		fmt.Fprintf(w, "  endpoint      %s\n", k.Endpoint)
	}
	fmt.Fprintf(w, "  attestation   %s, measurement %s, TCB %#x\n", k.Kind, k.Measurement, k.Tcb)
	fmt.Fprintf(w, "  evidence      sha256 %s (%d bytes), binds block %s\n", k.AttestationDigest, len(k.Evidence), k.BlockHash)
	fmt.Fprintf(w, "  hpke key      %s\n  signing key   %s\n", k.HpkePublicKey, k.SigningKey)
	fmt.Fprintf(w, "  bond          %s, slashed %s, missed deadlines %d\n", ulazText(k.Bond), ulazText(k.Slashed), k.Missed)
	fmt.Fprintf(w, "  open jobs     %d\n", k.OpenJobs)
	fmt.Fprintf(w, "  registered    height %d, renewed %d, lapses at %d unless renewed\n", k.RegisteredHeight, k.RenewedHeight, k.ExpiresHeight)
}

func printComputeParams(w io.Writer, p *compute.Params) {
	if p.DevAttestation {
		fmt.Fprintf(w, "dev_attestation      ON: %s workers are admitted (go-sev-guest's test-only roots); never on a real network\n", devEnclaveText)
	} else {
		fmt.Fprintln(w, "dev_attestation      off")
	}
	roots := func(pem string) string {
		n := strings.Count(pem, "-----BEGIN CERTIFICATE-----")
		if n == 0 {
			return "none"
		}
		return fmt.Sprintf("%d certificates", n)
	}
	fmt.Fprintf(w, "sev_roots            %s\ntdx_roots            %s\n", roots(p.SevRootsPem), roots(p.TdxRootsPem))
	if len(p.Measurements) == 0 {
		fmt.Fprintln(w, "measurements         none allowed")
	}
	for i, m := range p.Measurements {
		label := ""
		if i == 0 {
			label = "measurements"
		}
		fmt.Fprintf(w, "%-20s %s\n", label, m)
	}
	fmt.Fprintf(w, "allow_debug          %v\nmin_sev_tcb          %#x\nmin_tdx_tee_tcb_svn  %s\n", p.AllowDebug, p.MinSevTcb, orNone(p.MinTdxTeeTcbSvn))
	fmt.Fprintf(w, "registration_blocks  %d\nmin_bond             %s\nblock_hash_window    %d blocks\n", p.RegistrationBlocks, ulazText(p.MinBond), p.BlockHashWindow)
	fmt.Fprintf(w, "miss_slash_bps       %d\nattestation_gas      %d\n", p.MissSlashBps, p.AttestationGas)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
