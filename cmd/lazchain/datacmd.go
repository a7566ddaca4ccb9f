package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/flow"
)

// flagAPI is the data command's node API URL, for the blob store.
const flagAPI = "api"

func newDataCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Contribute data to a pool and follow it: contribute, status, list, revoke, refund",
		Long: `Contribute data to a pool: the file is encrypted on this machine with a fresh
key, uploaded (ciphertext only) to the node's blob store at --api, and its
key wrapped to the pool's enclave workers after their attestations were
verified here. Only those enclaves can read it. They score it (validity,
uniqueness, value) and, when enough of them agree, the chain anchors it and
mints you a DAT token of the pool's class whose share is the score.

Follow a contribution with lazchain data status ID; withdraw it (the key
grants go and the ciphertext is deleted) with lazchain data revoke ID.`,
		Example: `  lazchain data contribute --pool 1 --file mydata.jsonl --from bob
  lazchain data status 1
  lazchain data list --contributor bob
  lazchain data revoke 1 --from bob`,
	}
	cmd.PersistentFlags().String(flagAPI, defaultAPI, "node API URL serving the blob store")
	refund := newMsgCmd(msgSpec{
		use:   "refund CONTRIBUTION",
		short: "Return the fee of a stalled contribution to its contributor",
		long: `A contribution stalls when its job cannot finish: not enough workers reported
or agreed within the pool's rounds. Its fee stays in escrow until someone
(anyone) sends this refund; it goes back to the contributor.`,
		example: "  lazchain data refund 7 --from bob",
		args:    cobra.ExactArgs(1),
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			id, err := parseID("CONTRIBUTION", args[0])
			if err != nil {
				return nil, err
			}
			return one(&flow.MsgRefund{From: from.String(), Contribution: id}), nil
		},
	})
	cmd.AddCommand(newContributeCmd(), newDataStatusCmd(), newContributionsCmd(contributionsDataCmd), newRevokeCmd(), refund)
	return cmd
}

func apiFlag(cmd *cobra.Command) string {
	v, _ := cmd.Flags().GetString(flagAPI)
	return v
}

func newContributeCmd() *cobra.Command {
	var pool uint64
	var file, from, maxFee string
	cmd := &cobra.Command{
		Use:   "contribute",
		Short: "Encrypt a file, upload it and contribute it to a pool",
		Long: `Contribute --file (JSON lines matching the pool's schema; - reads stdin) to
--pool. The attestation of every worker of the pool is verified on this
machine first; the file is then encrypted with a fresh key (AES-256-GCM, in
constant memory), the ciphertext uploaded to the blob store at --api, and the
key wrapped (HPKE) to those workers. One tx then escrows the pool's verifier
fee (refused if above --max-fee) and assigns the job.

Progress goes to stderr; the contribution's id, job, workers, ciphertext hash
and commitment to stdout. With --output json only the result is printed.`,
		Example: `  lazchain data contribute --pool 1 --file mydata.jsonl --from bob
  lazchain data contribute --pool 1 --file mydata.jsonl --max-fee 0.5laz --from bob --api http://10.0.0.5:8080 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pool == 0 || file == "" || from == "" {
				return errors.New("--pool, --file and --from are required: the pool's id, the data file and the key that signs")
			}
			var limit *uint64
			if maxFee != "" {
				v, err := parseLAZ("--max-fee", maxFee)
				if err != nil {
					return err
				}
				limit = &v
			}
			in, size, err := openInput(cmd, "--file", file)
			if err != nil {
				return err
			}
			defer in.Close()
			if size == 0 {
				return fmt.Errorf("--file %s is empty: nothing to contribute", file)
			}
			s, _, err := signer(cmd, from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			if limit != nil {
				// Refuse before encrypting and uploading anything; the
				// chain checks again when the tx runs.
				p, err := c.Pool(cmd.Context(), pool, 0)
				if err != nil {
					return err
				}
				if fee, err := tx.ParseBaseUnits(p.VerifierFee); err == nil && fee > *limit {
					return fmt.Errorf("--max-fee %s: pool %d charges %s per contribution; raise --max-fee to accept it",
						ulazText(tx.FormatBaseUnits(*limit)), pool, ulazText(p.VerifierFee))
				}
			}
			var progress client.Progress
			var bar *progressBar
			if !jsonOutput(cmd) {
				bar = newProgressBar(cmd.ErrOrStderr())
				progress = bar.update
			}
			res, err := c.Contribute(cmd.Context(), s, pool, in, size, blob.NewClient(apiFlag(cmd), nil), limit, "", progress)
			bar.finish()
			if err != nil {
				return fmt.Errorf("contributing to pool %d: %w", pool, err)
			}
			if res.DevWorkers {
				warnDev(cmd.ErrOrStderr(), "your data was sealed to")
			}
			return emit(cmd, res, func(w io.Writer) { printContributeResult(w, res) })
		},
	}
	cmd.Flags().Uint64Var(&pool, "pool", 0, "id of the pool to contribute to (required)")
	cmd.Flags().StringVar(&file, "file", "", "the data: JSON lines matching the pool's schema; - for stdin (required)")
	cmd.Flags().StringVar(&from, "from", "", "key name or address of the home's keyring that signs and pays (required)")
	cmd.Flags().StringVar(&maxFee, "max-fee", "", "refuse if the pool's fee is above this, like 0.5laz (default: the pool's current fee)")
	addPassphraseFlag(cmd)
	return cmd
}

func printContributeResult(w io.Writer, r *client.ContributeResult) {
	fmt.Fprintf(w, "contribution %d sent to pool %d in block %d (tx %s)\n", r.Contribution, r.Pool, r.Height, r.TxHash)
	fmt.Fprintf(w, "  job         %d\n", r.Job)
	dev := ""
	if r.DevWorkers {
		dev = "  " + devEnclaveText
	}
	fmt.Fprintf(w, "  workers     %s%s\n", joinIDs(r.Workers), dev)
	fmt.Fprintf(w, "  ciphertext  sha256 %s (%d bytes, from %d bytes of data)\n", r.CiphertextSHA256, r.CiphertextSize, r.PlaintextSize)
	fmt.Fprintf(w, "  commitment  %s\n", r.Commitment)
	fmt.Fprintf(w, "  fee         %s, escrowed for the workers\n", ulazText(r.Fee))
	fmt.Fprintf(w, "follow it with: lazchain data status %d\n", r.Contribution)
}

func newDataStatusCmd() *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "status CONTRIBUTION",
		Short: "Every step of a contribution: job, assignments, results, token",
		Long: `Show every step of a contribution: its pool and contributor, the ciphertext
and commitment, the fee, its status (verifying, anchored, rejected, stalled,
refunded, revoked) and why, its job with the round and deadline, each worker
assigned and each result reported (verdict, score and its three parts,
reason, digest), and the DAT token it minted once anchored.

--wait polls until the contribution is no longer verifying, or the time is
up (then it prints where it is and fails).`,
		Example: "  lazchain data status 3\n  lazchain data status 3 --wait 2m\n  lazchain data status 3 -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("CONTRIBUTION", args[0])
			if err != nil {
				return err
			}
			if wait < 0 {
				return fmt.Errorf("--wait %v: want a duration of zero or more, like 90s", wait)
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			deadline := time.Now().Add(wait)
			for {
				k, err := c.Contribution(cmd.Context(), id, 0)
				if err != nil {
					return err
				}
				done := k.Status != flow.StatusVerifying
				if done || wait == 0 || time.Now().After(deadline) {
					if err := emitProto(cmd, k, func(w io.Writer) { printContribution(w, k) }); err != nil {
						return err
					}
					if !done && wait > 0 {
						return fmt.Errorf("contribution %d is still verifying after --wait %v", id, wait)
					}
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return cmd.Context().Err()
				case <-time.After(c.PollInterval):
				}
			}
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for the contribution to leave verifying")
	return cmd
}

// revokeResult is what revoke prints with --output json.
type revokeResult struct {
	Tx               *client.TxResult `json:"tx"`
	Contribution     uint64           `json:"contribution"`
	CiphertextSHA256 string           `json:"ciphertext_sha256"`
	// Blob is "deleted", "kept" (--keep-blob), "absent" (not in the
	// store) or "failed" (see BlobError).
	Blob      string `json:"blob"`
	BlobError string `json:"blob_error,omitempty"`
}

func newRevokeCmd() *cobra.Command {
	var f txFlags
	var from string
	var keep bool
	cmd := &cobra.Command{
		Use:   "revoke CONTRIBUTION",
		Short: "Withdraw a contribution: remove its key grants, then delete its ciphertext",
		Long: `Revoke your contribution: a MsgRevoke removes every key grant, so no worker
can open the data any more (a contribution still verifying is closed and its
fee refunded). Once the revocation is committed the ciphertext is deleted
from the node's blob store at --api, unless --keep-blob. The hashes stay on
the chain, and a token already minted stays with its owner.`,
		Example: "  lazchain data revoke 3 --from bob\n  lazchain data revoke 3 --from bob --keep-blob",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("CONTRIBUTION", args[0])
			if err != nil {
				return err
			}
			if from == "" {
				return errors.New("--from is required: the contributor's key name (or address)")
			}
			if f.async {
				return errors.New("--async: revoke waits for its block, since the ciphertext may be deleted only once the revocation is committed")
			}
			opts, err := f.options()
			if err != nil {
				return err
			}
			s, _, err := signer(cmd, from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.wait+30*time.Second)
			defer cancel()
			k, err := c.Contribution(ctx, id, 0)
			if err != nil {
				return err
			}
			res, err := c.SignAndBroadcast(ctx, s, one(&flow.MsgRevoke{From: s.Address().String(), Contribution: id}), opts)
			if err != nil {
				return err
			}
			out := revokeResult{Tx: res, Contribution: id, CiphertextSHA256: k.Data.GetCiphertextSha256(), Blob: "kept"}
			var blobErr error
			if !keep {
				out.Blob, blobErr = deleteCiphertext(cmd, out.CiphertextSHA256)
				if blobErr != nil {
					out.BlobError = blobErr.Error()
				}
			}
			if err := emit(cmd, out, func(w io.Writer) { printRevoke(w, &out, apiFlag(cmd)) }); err != nil {
				return err
			}
			if blobErr != nil {
				return fmt.Errorf("contribution %d is revoked, but deleting its ciphertext failed: %w; retry with curl -X DELETE %s/v1/blobs/%s",
					id, blobErr, strings.TrimRight(apiFlag(cmd), "/"), out.CiphertextSHA256)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the contributor's key name or address (required)")
	cmd.Flags().BoolVar(&keep, "keep-blob", false, "keep the ciphertext in the blob store")
	f.register(cmd)
	return cmd
}

// deleteCiphertext deletes a revoked contribution's ciphertext through the
// API and says what became of it.
func deleteCiphertext(cmd *cobra.Command, sha string) (string, error) {
	sum, err := blob.ParseSum(sha)
	if err != nil {
		return "failed", err
	}
	err = blob.NewClient(apiFlag(cmd), nil).Delete(cmd.Context(), sum)
	switch {
	case err == nil:
		return "deleted", nil
	case errors.Is(err, blob.ErrNotFound):
		return "absent", nil
	default:
		return "failed", err
	}
}

func printRevoke(w io.Writer, r *revokeResult, api string) {
	printTxResult(w, r.Tx)
	fmt.Fprintf(w, "contribution %d revoked: no worker holds its key any more\n", r.Contribution)
	switch r.Blob {
	case "deleted":
		fmt.Fprintf(w, "ciphertext %s deleted from the blob store at %s\n", r.CiphertextSHA256, api)
	case "absent":
		fmt.Fprintf(w, "ciphertext %s was not in the blob store at %s (already deleted)\n", r.CiphertextSHA256, api)
	case "kept":
		fmt.Fprintf(w, "ciphertext %s kept (--keep-blob)\n", r.CiphertextSHA256)
	default:
		fmt.Fprintf(w, "ciphertext %s NOT deleted: %s\n", r.CiphertextSHA256, r.BlobError)
	}
}

// progressBar draws the progress of a long step on one terminal line,
// redrawn with a carriage return, one line per stage.
type progressBar struct {
	w     io.Writer
	now   func() time.Time
	stage string
	start time.Time
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar { return &progressBar{w: w, now: time.Now} }

// update is a client.Progress: it redraws the line of stage, starting a
// new line when the stage changes.
func (b *progressBar) update(stage string, done, total int64) {
	now := b.now()
	if stage != b.stage {
		if b.drawn {
			fmt.Fprintln(b.w)
		}
		b.stage, b.start = stage, now
	}
	b.drawn = true
	fmt.Fprint(b.w, "\r"+progressLine(stage, done, total, now.Sub(b.start)))
}

// finish ends the last line; a nil bar does nothing.
func (b *progressBar) finish() {
	if b != nil && b.drawn {
		fmt.Fprintln(b.w)
		b.drawn = false
	}
}

// progressWidth is the width of the bar itself.
const progressWidth = 24

// progressLine renders one state of a stage: a bar and percent when the
// total is known, the bytes, and the rate once it means something.
func progressLine(stage string, done, total int64, elapsed time.Duration) string {
	rate := "      - MB/s"
	if elapsed >= 10*time.Millisecond {
		rate = fmt.Sprintf("%7.1f MB/s", float64(done)/1e6/elapsed.Seconds())
	}
	if total < 0 {
		return fmt.Sprintf("%-8s %10s  %s", stage, byteSize(done), rate)
	}
	pct := int64(100)
	if total > 0 {
		pct = min(done*100/total, 100)
	}
	fill := int(pct) * progressWidth / 100
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", progressWidth-fill)
	return fmt.Sprintf("%-8s [%s] %3d%%  %10s / %-10s %s", stage, bar, pct, byteSize(done), byteSize(total), rate)
}

// byteSize renders a byte count in decimal units, like the rate.
func byteSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1e6:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1e9:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	default:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	}
}
