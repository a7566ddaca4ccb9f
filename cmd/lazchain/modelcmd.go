package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/ml"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/flow"
)

func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Train models on a pool's data and follow them: train, list, show",
		Long: `A model-trainer iDAO asks a pool's enclave workers to train a model on the
pool's anchored data (logistic regression, a small MLP or KNN). The workers
train inside their enclaves; when enough of them (the pool's t of k) report
the same weights, the chain makes the model's DAT class, whose revenue goes
partly (--data-split-bps) up to the pool's data class and its contributors,
and gives the requester a token holding the rest. The fee pays the agreeing
workers; a job that fails is refunded.

Serve a trained model with lazchain service register --model-class CLASS.`,
		Example: `  lazchain model train --pool 1 --kind logistic --hyper "epochs=30,lr=0.05" --idao 3 --from alice --wait
  lazchain model list --pool 1
  lazchain model show 1`,
	}
	cmd.AddCommand(newModelTrainCmd(), newModelListCmd(), newModelShowCmd())
	return cmd
}

// trainFlags are model train's flags.
type trainFlags struct {
	tx                           txFlags
	pool, idao                   uint64
	kind, hyper, fee, name, from string
	split                        uint32
	wait                         bool
	waitMax                      time.Duration
}

// trainResult is what model train prints with --output json.
type trainResult struct {
	Model uint64           `json:"model"`
	Tx    *client.TxResult `json:"tx"`
	// Result is the model once trained or failed (with --wait).
	Result json.RawMessage `json:"result,omitempty"`
}

func newModelTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Ask a pool's workers to train a model on its anchored data",
		Long: `Send a training job to the workers of --pool for --idao, a model-trainer iDAO
(the signer needs its model_trainer or admin role). --kind is logistic, mlp
or knn; --hyper sets hyper-parameters as key=value pairs, checked here
before anything is sent:

  logistic  epochs=100 lr=0.1 l2=0.0001 batch=32 seed=1
  mlp       the same with lr=0.05, plus hidden=32
  knn       k=5

--fee (default: the pool's verifier fee, the least it takes) is escrowed
and paid to the workers whose results agree. --data-split-bps of the model
class's revenue goes to the pool's data class. --name defaults to
"KIND on POOL NAME".

With --wait the command follows the job until the model is trained or
failed, showing on stderr how many assigned workers reported, then shows
the model; a failed model ends the command with an error.`,
		Example: `  lazchain model train --pool 1 --kind logistic --idao 3 --from alice
  lazchain model train --pool 1 --kind mlp --hyper "epochs=30,lr=0.05,hidden=16" --idao 3 --fee 0.5laz --data-split-bps 6000 --from alice --wait
  lazchain model train --pool 1 --kind knn --hyper k=3 --idao 3 --name "iris knn" --from alice -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd) },
	}
	fs := cmd.Flags()
	fs.Uint64Var(&f.pool, "pool", 0, "the pool whose anchored data trains the model (required)")
	fs.StringVar(&f.kind, "kind", "", "logistic, mlp or knn (required)")
	fs.StringVar(&f.hyper, "hyper", "", `hyper-parameters, like "epochs=30,lr=0.05" (default: the kind's defaults)`)
	fs.Uint64Var(&f.idao, "idao", 0, "the model-trainer iDAO that asks and owns the model's class (required)")
	fs.StringVar(&f.fee, "fee", "", "what the job pays the agreeing workers, like 0.5laz (default: the pool's verifier fee)")
	fs.Uint32Var(&f.split, "data-split-bps", 5000, "basis points of the model class's revenue that go to the pool's data class")
	fs.StringVar(&f.name, "name", "", `the model's name (default "KIND on POOL NAME")`)
	fs.StringVar(&f.from, "from", "", "key name or address of the home's keyring that signs and pays (required)")
	fs.BoolVar(&f.wait, "wait", false, "follow the job until the model is trained or failed")
	fs.DurationVar(&f.waitMax, "wait-max", 30*time.Minute, "with --wait: give up after this long")
	f.tx.register(cmd)
	return cmd
}

// check validates the flags that need no network and returns the
// canonical hyper-parameters.
func (f *trainFlags) check() (string, error) {
	var missing []string
	for _, r := range []struct {
		flag string
		set  bool
	}{{"--pool", f.pool != 0}, {"--kind", f.kind != ""}, {"--idao", f.idao != 0}, {"--from", f.from != ""}} {
		if !r.set {
			missing = append(missing, r.flag)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("missing %s: required (see lazchain model train --help)", strings.Join(missing, ", "))
	}
	switch ml.Kind(f.kind) {
	case ml.Logistic, ml.MLP, ml.KNN:
	default:
		return "", fmt.Errorf("--kind %q: want %s, %s or %s", f.kind, ml.Logistic, ml.MLP, ml.KNN)
	}
	h, err := ml.ParseHyper(ml.Kind(f.kind), f.hyper)
	if err != nil {
		return "", fmt.Errorf("--hyper %q: %w", f.hyper, err)
	}
	if f.split > 10000 {
		return "", fmt.Errorf("--data-split-bps %d: basis points, at most 10000", f.split)
	}
	if len(f.name) > flow.MaxNameLen {
		return "", fmt.Errorf("--name is %d bytes; at most %d", len(f.name), flow.MaxNameLen)
	}
	if f.tx.async {
		return "", errors.New("--async: model train waits for its block to read the new model's id")
	}
	if f.waitMax <= 0 {
		return "", fmt.Errorf("--wait-max %v: want a duration above zero, like 10m", f.waitMax)
	}
	return h.Canonical(), nil
}

func (f *trainFlags) run(cmd *cobra.Command) error {
	hyper, err := f.check()
	if err != nil {
		return err
	}
	var fee uint64
	if f.fee != "" {
		if fee, err = parseLAZ("--fee", f.fee); err != nil {
			return err
		}
		if fee == 0 {
			return errors.New("--fee: must be greater than zero")
		}
	}
	opts, err := f.tx.options()
	if err != nil {
		return err
	}
	s, _, err := signer(cmd, f.from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	c, err := dial(cmd)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.tx.wait+30*time.Second)
	defer cancel()
	p, err := c.Pool(ctx, f.pool, 0)
	if err != nil {
		return err
	}
	if f.fee == "" {
		if fee, err = tx.ParseBaseUnits(p.VerifierFee); err != nil {
			return fmt.Errorf("pool %d's verifier fee %q: %w", p.Id, p.VerifierFee, err)
		}
	}
	name := f.name
	if name == "" {
		name = f.kind + " on " + p.Name
		if len(name) > flow.MaxNameLen {
			name = name[:flow.MaxNameLen]
		}
	}
	msg := &flow.MsgTrain{Idao: f.idao, Pool: p.Id, Name: name, Kind: f.kind, Hyper: hyper, Fee: tx.FormatBaseUnits(fee), DataSplitBps: f.split}
	id, res, err := c.Train(ctx, s, msg, opts)
	if err != nil {
		return err
	}
	out := trainResult{Model: id, Tx: res}
	if !f.wait {
		return emit(cmd, out, func(w io.Writer) {
			fmt.Fprintf(w, "model %d %q: training on pool %d (tx %s, block %d)\n", id, name, p.Id, res.Hash, res.Height)
			fmt.Fprintf(w, "  kind          %s, %s\n", f.kind, hyper)
			fmt.Fprintf(w, "  fee           %s, escrowed for the workers\n", ulazText(msg.Fee))
			fmt.Fprintf(w, "follow it with: lazchain model show %d\n", id)
		})
	}
	m, err := waitModel(cmd, c, id, f.waitMax)
	if err != nil {
		return err
	}
	if out.Result, err = chain.EncodeJSON(m); err != nil {
		return err
	}
	if err := emit(cmd, out, func(w io.Writer) { printModel(w, m) }); err != nil {
		return err
	}
	if m.Status == flow.ModelFailed {
		return fmt.Errorf("model %d failed: %s", m.Id, m.Reason)
	}
	return nil
}

// waitModel polls a model until it leaves training, telling on stderr (in
// text mode) how many of its assigned workers reported.
func waitModel(cmd *cobra.Command, c *client.Client, id uint64, max time.Duration) (*flow.Model, error) {
	ctx, cancel := context.WithTimeout(cmd.Context(), max)
	defer cancel()
	last := -1
	for {
		m, err := c.Model(ctx, id, 0)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("model %d is still training after --wait-max %v; follow it with lazchain model show %d", id, max, id)
			}
			return nil, err
		}
		reported := 0
		for _, a := range m.Assignments {
			if a.Status == flow.AssignReported {
				reported++
			}
		}
		if reported != last && !jsonOutput(cmd) {
			fmt.Fprintf(cmd.ErrOrStderr(), "model %d: %s, assignments reported %d of %d\n", id, m.Status, reported, len(m.Assignments))
			last = reported
		}
		if m.Status != flow.ModelTraining {
			return m, nil
		}
		select {
		case <-ctx.Done():
			if cmd.Context().Err() != nil {
				return nil, cmd.Context().Err()
			}
			return nil, fmt.Errorf("model %d is still training after --wait-max %v; follow it with lazchain model show %d", id, max, id)
		case <-time.After(c.PollInterval):
		}
	}
}

func newModelListCmd() *cobra.Command {
	var page pageFlags
	var pool, worker uint64
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List models in id order: all, a pool's (--pool) or a worker's (--worker)",
		Long: `List models (training jobs and the models they made) in id order with their
status, kind and accuracy: every model, those of a pool (--pool), or those
a worker still has to train (--worker). Give at most one of --pool and
--worker.`,
		Example: "  lazchain model list\n  lazchain model list --pool 1\n  lazchain model list --worker 2 -o json\n  lazchain model list --after 20 --limit 20",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pool != 0 && worker != 0 {
				return errors.New("give at most one of --pool ID and --worker ID")
			}
			after, err := page.afterID()
			if err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.Models(cmd.Context(), flow.ModelsQuery{Pool: pool, Worker: worker, After: after, Limit: page.limit}, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if len(r.Models) == 0 {
					fmt.Fprintln(w, "no models")
				}
				for _, m := range r.Models {
					fmt.Fprintf(w, "%4d  %-24s pool %-4d %-8s %-8s %s\n", m.Id, m.Name, m.Pool, m.Kind, m.Status, modelOutcome(m))
				}
				if len(r.Models) == page.limit {
					fmt.Fprintf(w, "more: --after %d\n", r.Models[len(r.Models)-1].Id)
				}
			})
		},
	}
	page.register(cmd, "last model id of the previous page")
	cmd.Flags().Uint64Var(&pool, "pool", 0, "the models of this pool")
	cmd.Flags().Uint64Var(&worker, "worker", 0, "the models this worker has still to train")
	return cmd
}

func newModelShowCmd() *cobra.Command {
	cmd := newShowCmd("show MODEL", "A model: status, kind, hyper-parameters, accuracy, commitments, class, results", "MODEL", (*client.Client).Model, printModel)
	cmd.Long = `Show a model: its pool and iDAO, kind and canonical hyper-parameters, fee,
status (training, trained, failed) and why, the accuracy on the pool's
validation set, the records it trained on, the commitments to its weights
and data, its DAT class and the requester's token of it, and each worker
assigned and each result reported.`
	cmd.Example = "  lazchain model show 1\n  lazchain model show 1 -o json"
	return cmd
}

// accuracyText renders parts per million as a percentage.
func accuracyText(ppm uint32) string {
	return fmt.Sprintf("%.2f%%", float64(ppm)/1e4)
}

// modelOutcome is a one-line summary of where a model is.
func modelOutcome(m *flow.Model) string {
	switch m.Status {
	case flow.ModelTrained:
		return fmt.Sprintf("accuracy %s, class %d", accuracyText(m.AccuracyPpm), m.Class)
	case flow.ModelFailed:
		return fmt.Sprintf("%q", m.Reason)
	default:
		reported := 0
		for _, a := range m.Assignments {
			if a.Status == flow.AssignReported {
				reported++
			}
		}
		return fmt.Sprintf("%d of %d reported, deadline %d", reported, len(m.Assignments), m.Deadline)
	}
}

func printModel(w io.Writer, m *flow.Model) {
	fmt.Fprintf(w, "model %d  %s — %s\n", m.Id, m.Name, m.Status)
	fmt.Fprintf(w, "  pool          %d, trained for iDAO %d by %s\n", m.Pool, m.Idao, m.Requester)
	fmt.Fprintf(w, "  kind          %s\n", m.Kind)
	fmt.Fprintf(w, "  hyper         %s\n", orNone(m.Hyper))
	fmt.Fprintf(w, "  fee           %s\n", ulazText(m.Fee))
	fmt.Fprintf(w, "  data split    %d bps of the class's revenue to the pool's data class\n", m.DataSplitBps)
	status := m.Status
	if m.Reason != "" {
		status += ": " + m.Reason
	}
	fmt.Fprintf(w, "  status        %s\n", status)
	closed := "open"
	if m.ClosedHeight != 0 {
		closed = fmt.Sprintf("closed at height %d", m.ClosedHeight)
	}
	fmt.Fprintf(w, "  created       height %d, deadline %d, %s; trains on anchored contributions up to seq %d\n", m.CreatedHeight, m.Deadline, closed, m.BaseSeq)
	if m.Status == flow.ModelTrained {
		fmt.Fprintf(w, "  accuracy      %s (%d ppm) on the pool's validation set\n", accuracyText(m.AccuracyPpm), m.AccuracyPpm)
		fmt.Fprintf(w, "  records       %d\n", m.Records)
		fmt.Fprintf(w, "  model         %s\n", m.ModelCommitment)
		fmt.Fprintf(w, "  data          %s\n", m.DataCommitment)
		if s := m.Weights; s != nil {
			var ws []uint64
			for _, g := range s.Grants {
				ws = append(ws, g.Worker)
			}
			fmt.Fprintf(w, "  weights       sha256 %s (%d bytes), sealed to workers %s\n", s.CiphertextSha256, s.Size, joinIDs(ws))
		}
		fmt.Fprintf(w, "  DAT class     %d (serve it: lazchain service register --model-class %d)\n", m.Class, m.Class)
		fmt.Fprintf(w, "  token         %d, the requester's\n", m.Token)
	}
	if len(m.Assignments) == 0 {
		fmt.Fprintln(w, "  assignments   none")
	}
	for i, a := range m.Assignments {
		label := ""
		if i == 0 {
			label = "assignments"
		}
		fmt.Fprintf(w, "  %-13s worker %-4d deadline %d, %s\n", label, a.Worker, a.Deadline, a.Status)
	}
	if len(m.Results) == 0 {
		fmt.Fprintln(w, "  results       none yet")
	}
	for i, r := range m.Results {
		label := ""
		if i == 0 {
			label = "results"
		}
		fmt.Fprintf(w, "  %-13s worker %-4d accuracy %s, %d records, model %s at height %d\n",
			label, r.Worker, accuracyText(r.AccuracyPpm), r.Records, r.ModelCommitment, r.Height)
	}
}

// newQueryModelCmd is query flow model: model show under query.
func newQueryModelCmd() *cobra.Command {
	cmd := newModelShowCmd()
	cmd.Use = "model MODEL"
	cmd.Example = "  lazchain query flow model 1\n  lazchain query flow model 1 -o json"
	return cmd
}

// newQueryModelsCmd is query flow models: model list under query.
func newQueryModelsCmd() *cobra.Command {
	cmd := newModelListCmd()
	cmd.Use = "models"
	cmd.Example = "  lazchain query flow models --pool 1\n  lazchain query flow models --worker 2 -o json"
	return cmd
}
