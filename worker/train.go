package worker

import (
	"bytes"
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
)

// trainAssigned trains every model whose job the chain assigned to this
// worker and posts the results.
func (w *Worker) trainAssigned(ctx context.Context) error {
	var page flow.QueryModelsResponse
	if _, err := w.cfg.Client.Query(ctx, "/flow/models", flow.ModelsQuery{Worker: w.id, Limit: 100}, &page, 0); err != nil {
		return err
	}
	for _, m := range page.Models {
		if m.Status != flow.ModelTraining || w.trained[m.Id] {
			continue
		}
		if err := w.train(ctx, m); err != nil {
			return fmt.Errorf("model %d: %w", m.Id, err)
		}
	}
	return nil
}

func (w *Worker) train(ctx context.Context, m *flow.Model) error {
	if !w.cfg.Enclave.HasPool(m.Pool) {
		return fmt.Errorf("pool %d is not loaded", m.Pool)
	}
	p, err := w.cfg.Client.Pool(ctx, m.Pool, 0)
	if err != nil {
		return err
	}
	recipients, err := w.poolWorkers(ctx, p)
	if err != nil {
		return err
	}
	msg, ciphertext, err := w.cfg.Enclave.Train(w.chainID, m, w.id, recipients)
	if err != nil {
		return err
	}
	sum, err := blob.ParseSum(msg.Weights.CiphertextSha256)
	if err != nil {
		return err
	}
	if err := w.cfg.Blobs.Put(ctx, sum, bytes.NewReader(ciphertext), int64(len(ciphertext))); err != nil {
		return fmt.Errorf("uploading the sealed weights: %w", err)
	}
	msg.From = w.cfg.Operator.Address().String()
	w.trained[m.Id] = true
	res, err := w.send(ctx, []proto.Message{msg})
	if err != nil {
		delete(w.trained, m.Id)
		return fmt.Errorf("posting the training result: %w", err)
	}
	w.log.Info("model trained", "worker", w.id, "model", m.Id, "pool", m.Pool, "kind", m.Kind, "records", msg.Records,
		"accuracy_ppm", msg.AccuracyPpm, "model_commitment", msg.ModelCommitment, "height", res.Height)
	return nil
}

// poolWorkers are the workers a pool's model weights are sealed to: the
// active workers of the pool's compute iDAO holding a grant for its
// validation set (those that can serve models trained on the pool).
func (w *Worker) poolWorkers(ctx context.Context, p *flow.Pool) ([]*compute.Worker, error) {
	all, err := w.cfg.Client.Workers(ctx, p.ComputeIdao, 0)
	if err != nil {
		return nil, err
	}
	var out []*compute.Worker
	for _, x := range all.Workers {
		if x.Status == compute.StatusActive && granted(p.Validation.Grants, x.Id) {
			out = append(out, x)
		}
	}
	if len(out) > flow.MaxGrants {
		out = out[:flow.MaxGrants]
	}
	return out, nil
}
