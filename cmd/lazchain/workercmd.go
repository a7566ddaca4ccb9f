package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/enclave"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/worker"
	"github.com/lazchain/lazchain/x/compute"
)

func newWorkerCmd() *cobra.Command {
	var dev bool
	var from, bond, apiURL, endpoint, listen, journalDir string
	var idaoID uint64
	var poll time.Duration
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run an enclave worker: verify contributions, train models, serve paid AI calls",
		Long: `Run an enclave worker against a node: it attests its enclave, registers
under a compute-provider iDAO (posting --bond from the --from account, which
must hold the iDAO's compute_provider role), then follows the chain: it
loads the validation sets granted to it, scores the contributions the chain
assigns it (Proof of Data Value: validity, uniqueness, KNN-Shapley value)
inside the enclave, and posts each result signed by its enclave key. It
trains the models the chain assigns it on its pools' data, and seals their
weights to the pools' workers.

With --listen it serves paid calls of the services that name it:
POST /v1/services/{id}/infer, JSON in and out, paid by a voucher the
consumer signs (X-PAYMENT header; a call without one is answered 402 with
what to pay). Each answer's receipt is signed by the enclave and written to
the receipts journal (--journal) before the answer goes out; the worker
settles the journal's receipts on chain in batches. Receipts a stopped
worker left unsettled are settled when the operator's next worker starts on
the same journal.

The enclave's keys live only in memory: every start is a new worker with a
new registration. Workers this operator registered before and that have no
open job are retired first, and their bonds returned.

--dev-enclave runs a simulated enclave whose attestations are real-format
SEV-SNP reports signed by go-sev-guest's test-only certificate chain. A
chain accepts them only if its genesis enables dev attestation, and says so
everywhere. This build has no driver for real SEV-SNP or TDX hardware.`,
		Example: `  lazchain worker --dev-enclave --from carol --idao 2 --bond 100laz
  lazchain worker --dev-enclave --from carol --idao 2 --bond 100laz --listen 0.0.0.0:8090 --endpoint http://10.0.0.7:8090
  lazchain worker --dev-enclave --from carol --idao 2 --bond 100laz --node tcp://10.0.0.5:26657 --api http://10.0.0.5:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !dev {
				return errors.New("no SEV-SNP or TDX device driver in this build: run with --dev-enclave against a chain whose genesis enables dev attestation")
			}
			if from == "" || idaoID == 0 {
				return errors.New("--from (the operator key) and --idao (the compute-provider iDAO) are required")
			}
			amount, err := parseLAZ("--bond", bond)
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
			e, err := enclave.NewDev()
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)).With("dev_enclave", true)
			log.Warn("DEV ENCLAVE: simulated, not a real TEE; attestations are signed by go-sev-guest's test-only chain")
			var ln net.Listener
			if listen != "" {
				if ln, err = net.Listen("tcp", listen); err != nil {
					return fmt.Errorf("--listen: %w", err)
				}
				defer ln.Close()
				if endpoint == "" {
					endpoint = "http://" + ln.Addr().String()
				}
			}
			w := worker.New(worker.Config{
				Client: c, Blobs: blob.NewClient(apiURL, nil), Enclave: e, Operator: s, IDAO: idaoID,
				Bond: amount, Endpoint: endpoint, Poll: poll, Log: log, API: apiURL,
			})
			if journalDir == "" {
				journalDir = filepath.Join(homeFlag(cmd), "worker", s.Address().String(), "receipts")
			}
			if err := w.OpenJournal(journalDir); err != nil {
				return err
			}
			defer w.CloseJournal()
			if ln != nil {
				srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second}
				go srv.Serve(ln)
				defer srv.Close()
				log.Info("serving paid calls", "listen", ln.Addr().String(), "endpoint", endpoint, "journal", journalDir)
			}
			return runWorker(cmd.Context(), c, s, w, log)
		},
	}
	cmd.Flags().BoolVar(&dev, "dev-enclave", false, "run a simulated enclave (test-only attestation roots; dev chains only)")
	cmd.Flags().StringVar(&from, "from", "", "operator key: signs the worker's txs and pays its bond (required)")
	cmd.Flags().Uint64Var(&idaoID, "idao", 0, "compute-provider iDAO the worker registers under (required)")
	cmd.Flags().StringVar(&bond, "bond", "10laz", "bond to post, e.g. 100laz")
	cmd.Flags().StringVar(&apiURL, "api", "http://127.0.0.1:8080", "node API URL: the blob store, and where the worker posts its txs")
	cmd.Flags().StringVar(&endpoint, "endpoint", "", "public URL of this worker, recorded on chain (default http://LISTEN with --listen)")
	cmd.Flags().DurationVar(&poll, "poll", time.Second, "how often to look at the chain")
	cmd.Flags().StringVar(&listen, "listen", "", "serve paid AI calls on this address, e.g. 127.0.0.1:8090 (default: don't serve)")
	cmd.Flags().StringVar(&journalDir, "journal", "", "receipts journal directory (default HOME/worker/OPERATOR/receipts)")
	return cmd
}

// runWorker retires the operator's idle earlier workers, registers w and
// runs it until ctx ends.
func runWorker(ctx context.Context, c *client.Client, op tx.Signer, w *worker.Worker, log *slog.Logger) error {
	if err := retireIdle(ctx, c, op, log); err != nil {
		return err
	}
	id, err := w.Register(ctx)
	if err != nil {
		return err
	}
	log.Info("worker running", "worker", id, "operator", op.Address())
	return w.Run(ctx)
}

// retireIdle retires the operator's active workers that have no open job:
// their enclave keys died with their process.
func retireIdle(ctx context.Context, c *client.Client, op tx.Signer, log *slog.Logger) error {
	ws, err := c.Workers(ctx, 0, 0)
	if err != nil {
		return err
	}
	var msgs []proto.Message
	for _, w := range ws.Workers {
		if w.Operator == op.Address().String() && w.Status != compute.StatusRetired && w.OpenJobs == 0 {
			msgs = append(msgs, &compute.MsgRetireWorker{From: op.Address().String(), Worker: w.Id})
			log.Info("retiring an earlier worker of this operator", "worker", w.Id)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	_, err = c.SignAndBroadcast(ctx, op, msgs, client.TxOptions{})
	return err
}
