package flow

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/ml"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/idao"
)

// Model statuses.
const (
	ModelTraining = "training"
	ModelTrained  = "trained"
	ModelFailed   = "failed"
)

// ModelMinter is the module that mints a model class's tokens: usage of a
// model is bought and spent through the service module.
const ModelMinter = "service"

// AccuracyMetric names the performance a model's class records.
const AccuracyMetric = "accuracy"

// TrainDomain separates training-result signatures from every other
// signature.
const TrainDomain = "lazchain/flow/train-result/v1"

// TrainSignBytes are the bytes a worker's enclave key signs for a training
// result: the domain, chain id, pool, model, worker, the commitments, the
// record count, the accuracy and the sealed weights (hashes and key
// grants, so the operator cannot swap the wrapped keys).
func TrainSignBytes(chainID string, m *MsgTrainResult) []byte {
	var b []byte
	str := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	str(TrainDomain)
	str(chainID)
	b = binary.BigEndian.AppendUint64(b, m.Pool)
	b = binary.BigEndian.AppendUint64(b, m.Model)
	b = binary.BigEndian.AppendUint64(b, m.Worker)
	str(m.ModelCommitment)
	str(m.DataCommitment)
	b = binary.BigEndian.AppendUint64(b, m.Records)
	b = binary.BigEndian.AppendUint32(b, m.AccuracyPpm)
	if w := m.Weights; w != nil {
		str(w.CiphertextSha256)
		b = binary.BigEndian.AppendUint64(b, w.Size)
		str(w.Commitment)
		b = binary.BigEndian.AppendUint32(b, uint32(len(w.Grants)))
		for _, g := range w.Grants {
			b = binary.BigEndian.AppendUint64(b, g.Worker)
			str(g.Wrapped)
		}
	}
	return b
}

// SignTrainResult signs a training result with an enclave's ed25519 key.
func SignTrainResult(chainID string, m *MsgTrainResult, key ed25519.PrivateKey) {
	m.Signature = hex.EncodeToString(ed25519.Sign(key, TrainSignBytes(chainID, m)))
}

var (
	seqModelKey  = []byte("s/model")
	modelPrefix  = []byte("m/")
	poolMPrefix  = []byte("pm/")
	classMPrefix = []byte("mc/")
	trainAssign  = []byte("wt/")
	trainDue     = []byte("dm/")
)

// Model reads a model (a training job); ErrNotFound if there is none.
func (k *Keeper) Model(ctx *chain.Context, id uint64) (*Model, error) {
	m := &Model{}
	if !chain.LoadRecord(k.kv(ctx), key(modelPrefix, be(id)), m) {
		return nil, ErrNotFound.Wrapf("model %d does not exist", id)
	}
	return m, nil
}

// ModelByClass reads the trained model whose DAT class is class.
func (k *Keeper) ModelByClass(ctx *chain.Context, class uint64) (*Model, error) {
	b := k.kv(ctx).Get(key(classMPrefix, be(class)))
	if b == nil {
		return nil, ErrNotFound.Wrapf("class %d is not the class of a trained model", class)
	}
	return k.Model(ctx, store.DecodeUint64(b))
}

func (k *Keeper) setModel(ctx *chain.Context, m *Model) {
	chain.SaveRecord(k.kv(ctx), key(modelPrefix, be(m.Id)), m)
}

func (k *Keeper) execTrain(ctx *chain.Context, msg *MsgTrain) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	if _, err := k.IDAO.Get(ctx, msg.Idao); err != nil {
		return err
	}
	if !k.IDAO.HasRole(ctx, msg.Idao, from, idao.RoleModelTrainer) && !k.IDAO.HasRole(ctx, msg.Idao, from, roleAdmin) {
		return ErrUnauthorized.Wrapf("%s needs the %s or %s role in iDAO %d to train a model for it", from, idao.RoleModelTrainer, roleAdmin, msg.Idao)
	}
	p, err := k.Pool(ctx, msg.Pool)
	if err != nil {
		return err
	}
	if n := len(msg.Name); n == 0 || n > MaxNameLen {
		return ErrInvalidModel.Wrapf("name is %d bytes, want 1 to %d", n, MaxNameLen)
	}
	h, err := ml.ParseHyper(ml.Kind(msg.Kind), msg.Hyper)
	if err != nil {
		return ErrInvalidModel.Wrapf("%v", err)
	}
	if msg.DataSplitBps > dat.MaxBps {
		return ErrInvalidModel.Wrapf("data_split_bps %d: at most %d", msg.DataSplitBps, dat.MaxBps)
	}
	if p.AnchoredLive == 0 {
		return ErrInvalidModel.Wrapf("pool %d holds no anchored data yet: there is nothing to train on", p.Id)
	}
	fee, err := tx.ParseBaseUnits(msg.Fee)
	if err != nil {
		return ErrInvalidModel.Wrapf("fee %q: %v", msg.Fee, err)
	}
	if min := mustAmount(p.VerifierFee); fee < min || fee == 0 {
		return ErrInvalidModel.Wrapf("fee %d ulaz: a training job pays at least the pool's verifier fee (%d ulaz) and more than 0", fee, min)
	}
	if err := k.Bank.Send(ctx, from, FeeEscrow, fee); err != nil {
		return err
	}
	kv := k.kv(ctx)
	m := &Model{
		Id: chain.NextID(kv, seqModelKey), Pool: p.Id, Idao: msg.Idao, Requester: from.String(), Name: msg.Name,
		Kind: msg.Kind, Hyper: h.Canonical(), Fee: tx.FormatBaseUnits(fee), DataSplitBps: msg.DataSplitBps,
		Status: ModelTraining, BaseSeq: p.Anchored, CreatedHeight: ctx.Height,
		Deadline: ctx.Height + int64(p.DeadlineBlocks),
	}
	picked := draw(ctx, trainDomain, m.Id, 1, int(p.QuorumK), k.poolWorkers(ctx, p))
	if len(picked) < int(p.QuorumK) {
		return ErrNotEnoughWorkers.Wrapf("pool %d trains with %d workers and only %d are eligible (active, of the pool's compute iDAO, holding grants for the validation set and every live anchored contribution)",
			p.Id, p.QuorumK, len(picked))
	}
	for _, w := range picked {
		m.Assignments = append(m.Assignments, &Assignment{Worker: w.Id, Round: 1, Deadline: m.Deadline, Status: AssignPending})
		k.Compute.AddOpenJobs(ctx, w.Id, 1)
		kv.Set(key(trainAssign, be(w.Id), be(m.Id)), present)
		ctx.Emit(chain.Event("flow_train_assign",
			chain.Indexed("model", strconv.FormatUint(m.Id, 10)),
			chain.Indexed("worker", strconv.FormatUint(w.Id, 10)),
			chain.Attr("deadline", strconv.FormatInt(m.Deadline, 10))))
	}
	kv.Set(key(trainDue, be(uint64(m.Deadline)), be(m.Id)), present)
	kv.Set(key(poolMPrefix, be(p.Id), be(m.Id)), present)
	k.setModel(ctx, m)
	ctx.Emit(chain.Event("flow_train",
		chain.Indexed("model", strconv.FormatUint(m.Id, 10)),
		chain.Indexed("pool", strconv.FormatUint(p.Id, 10)),
		chain.Indexed("idao", strconv.FormatUint(m.Idao, 10)),
		chain.Attr("kind", m.Kind),
		chain.Attr("hyper", m.Hyper),
		chain.Attr("fee", m.Fee)))
	return nil
}

func (k *Keeper) execTrainResult(ctx *chain.Context, msg *MsgTrainResult) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	m, err := k.Model(ctx, msg.Model)
	if err != nil {
		return err
	}
	switch {
	case msg.Pool != m.Pool:
		return ErrWrongJob.Wrapf("the result names pool %d but model %d trains on pool %d", msg.Pool, m.Id, m.Pool)
	case m.Status != ModelTraining:
		return ErrClosed.Wrapf("model %d is %s; its job takes no more results", m.Id, m.Status)
	}
	slot := -1
	for i, a := range m.Assignments {
		if a.Worker == msg.Worker && a.Status == AssignPending {
			slot = i
		}
	}
	if slot < 0 {
		return ErrNotAssigned.Wrapf("worker %d has no pending assignment to train model %d", msg.Worker, m.Id)
	}
	w, err := k.Compute.Worker(ctx, msg.Worker)
	if err != nil {
		return err
	}
	if w.Operator != from.String() {
		return ErrUnauthorized.Wrapf("%s does not operate worker %d (its operator is %s)", from, w.Id, w.Operator)
	}
	switch {
	case !hexN(msg.ModelCommitment, 32):
		return ErrInvalidResult.Wrapf("model_commitment %q: want 64 lower-case hex digits", msg.ModelCommitment)
	case !hexN(msg.DataCommitment, 32):
		return ErrInvalidResult.Wrapf("data_commitment %q: want 64 lower-case hex digits", msg.DataCommitment)
	case msg.AccuracyPpm > PPM:
		return ErrInvalidResult.Wrapf("accuracy %d ppm is above %d", msg.AccuracyPpm, PPM)
	case msg.Records == 0:
		return ErrInvalidResult.Wrap("a model trained on no records")
	}
	if err := k.checkSealed(ctx, "weights", msg.Weights, true); err != nil {
		return err
	}
	pub, _ := hex.DecodeString(w.SigningKey)
	sig, err := hex.DecodeString(msg.Signature)
	if err != nil || !ed25519.Verify(pub, TrainSignBytes(ctx.ChainID, msg), sig) {
		return ErrBadSignature.Wrapf("the training result is not signed by worker %d's enclave key for chain %s, pool %d, model %d",
			w.Id, ctx.ChainID, msg.Pool, msg.Model)
	}
	m.Assignments[slot].Status = AssignReported
	k.Compute.AddOpenJobs(ctx, w.Id, -1)
	k.kv(ctx).Delete(key(trainAssign, be(w.Id), be(m.Id)))
	digest := sha256.Sum256(append(TrainSignBytes(ctx.ChainID, msg), msg.Signature...))
	r := &TrainResult{
		Worker: w.Id, ModelCommitment: msg.ModelCommitment, DataCommitment: msg.DataCommitment, Records: msg.Records,
		AccuracyPpm: msg.AccuracyPpm, Weights: msg.Weights, Height: ctx.Height, Digest: hex.EncodeToString(digest[:]),
	}
	m.Results = append(m.Results, r)
	ctx.Emit(chain.Event("flow_train_result",
		chain.Indexed("model", strconv.FormatUint(m.Id, 10)),
		chain.Indexed("worker", strconv.FormatUint(w.Id, 10)),
		chain.Attr("model_commitment", r.ModelCommitment),
		chain.Attr("accuracy_ppm", strconv.FormatUint(uint64(r.AccuracyPpm), 10))))
	var agree []*TrainResult
	for _, x := range m.Results {
		if sameTraining(x, r) {
			agree = append(agree, x)
		}
	}
	p := k.mustPool(ctx, m.Pool)
	if len(agree) >= int(p.ThresholdT) {
		return k.finishModel(ctx, p, m, agree)
	}
	k.setModel(ctx, m)
	return nil
}

// finishModel makes the model of the quorum's agreeing results: its DAT
// class (parent: the pool's data class with the model's data split;
// performance: its accuracy; proofs: the agreeing workers' attestations),
// the requester's token holding the whole class share, and the fee paid to
// the agreeing workers.
func (k *Keeper) finishModel(ctx *chain.Context, p *Pool, m *Model, agree []*TrainResult) error {
	r := agree[0]
	requester := mustAddr(m.Requester)
	var parents []*dat.Parent
	if m.DataSplitBps > 0 {
		parents = []*dat.Parent{{Class: p.Class, SplitBps: m.DataSplitBps}}
	}
	class, err := k.DAT.CreateClass(ctx, requester, &dat.MsgCreateClass{
		Idao: m.Idao, Name: m.Name, IntegrityHash: r.ModelCommitment, Parents: parents,
		MetadataUri: fmt.Sprintf("lazchain:flow/models/%d", m.Id),
	})
	if err != nil {
		return err
	}
	if err := k.DAT.SetMinter(ctx, class, ModelMinter); err != nil {
		return err
	}
	if err := k.DAT.SetPerformance(ctx, class, AccuracyMetric, r.AccuracyPpm); err != nil {
		return err
	}
	for _, x := range agree {
		w, err := k.Compute.Worker(ctx, x.Worker)
		if err != nil {
			return err
		}
		c, err := k.DAT.Class(ctx, class)
		if err != nil {
			return err
		}
		uri := fmt.Sprintf("lazchain:flow/models/%d/results/%d?result=%s", m.Id, w.Id, x.Digest)
		if err := k.DAT.AddProof(ctx, compute.Operator(w), c, 0, dat.ProofTEEReport, uri, w.AttestationDigest); err != nil {
			return err
		}
	}
	token, err := k.DAT.Mint(ctx, class, requester, 0, ModelShare, 0, 0)
	if err != nil {
		return err
	}
	m.Status = ModelTrained
	m.ModelCommitment, m.DataCommitment, m.Records, m.AccuracyPpm = r.ModelCommitment, r.DataCommitment, r.Records, r.AccuracyPpm
	m.Weights = r.Weights
	m.Class, m.Token = class, token
	m.ClosedHeight = ctx.Height
	if err := k.payTrainers(ctx, m, agree); err != nil {
		return err
	}
	k.closeTraining(ctx, m)
	k.kv(ctx).Set(key(classMPrefix, be(class)), be(m.Id))
	k.setModel(ctx, m)
	ctx.Emit(chain.Event("flow_model",
		chain.Indexed("model", strconv.FormatUint(m.Id, 10)),
		chain.Indexed("pool", strconv.FormatUint(m.Pool, 10)),
		chain.Indexed("class", strconv.FormatUint(class, 10)),
		chain.Attr("model_commitment", m.ModelCommitment),
		chain.Attr("accuracy_ppm", strconv.FormatUint(uint64(m.AccuracyPpm), 10)),
		chain.Attr("records", strconv.FormatUint(m.Records, 10))))
	return nil
}

// ModelShare is the share ratio of the requester's token of a model
// class: the whole of what the class keeps for its own holders.
const ModelShare = 1_000_000

// payTrainers shares a model's fee equally among the agreeing workers'
// operators.
func (k *Keeper) payTrainers(ctx *chain.Context, m *Model, agree []*TrainResult) error {
	ids := make([]uint64, len(agree))
	for i, r := range agree {
		ids[i] = r.Worker
	}
	return k.shareFee(ctx, mustAmount(m.Fee), ids)
}

// closeTraining closes a model's pending assignments and takes it off the
// deadline queue.
func (k *Keeper) closeTraining(ctx *chain.Context, m *Model) {
	kv := k.kv(ctx)
	for _, a := range m.Assignments {
		if a.Status == AssignPending {
			a.Status = AssignClosed
			k.Compute.AddOpenJobs(ctx, a.Worker, -1)
			kv.Delete(key(trainAssign, be(a.Worker), be(m.Id)))
		}
	}
	kv.Delete(key(trainDue, be(uint64(m.Deadline)), be(m.Id)))
}

// trainDeadlines fails the training jobs whose deadline is this block:
// every assigned worker that did not report is slashed, and the fee goes
// back to the requester.
func (k *Keeper) trainDeadlines(ctx *chain.Context) error {
	kv := ctx.StoreUnmetered(Name)
	end := key(trainDue, be(uint64(ctx.Height)+1))
	var due []uint64
	store.Each(kv, trainDue, end, func(kk, _ []byte) bool {
		due = append(due, store.DecodeUint64(kk[len(kk)-8:]))
		return true
	})
	bps := k.Compute.Params(ctx).MissSlashBps
	for _, id := range due {
		m, err := k.Model(ctx, id)
		if err != nil {
			return fmt.Errorf("flow: training deadline queue names %d: %w", id, err)
		}
		missed := 0
		for _, a := range m.Assignments {
			if a.Status != AssignPending {
				continue
			}
			a.Status = AssignMissed
			missed++
			k.Compute.AddOpenJobs(ctx, a.Worker, -1)
			kv.Delete(key(trainAssign, be(a.Worker), be(m.Id)))
			why := fmt.Sprintf("missed the deadline (height %d) to train model %d", a.Deadline, m.Id)
			if _, err := k.Compute.Slash(ctx, a.Worker, bps, why); err != nil {
				return err
			}
		}
		kv.Delete(key(trainDue, be(uint64(m.Deadline)), be(m.Id)))
		m.Status = ModelFailed
		m.ClosedHeight = ctx.Height
		m.Reason = fmt.Sprintf("%d of %d results agree, %d needed; %d workers missed the deadline; the fee was refunded",
			maxAgreeing(m.Results), len(m.Assignments), k.mustPool(ctx, m.Pool).ThresholdT, missed)
		if err := k.Bank.Send(ctx, FeeEscrow, mustAddr(m.Requester), mustAmount(m.Fee)); err != nil {
			return err
		}
		k.setModel(ctx, m)
		ctx.Emit(chain.Event("flow_train_failed",
			chain.Indexed("model", strconv.FormatUint(m.Id, 10)),
			chain.Attr("reason", m.Reason)))
	}
	return nil
}

// sameTraining says whether two results describe the same model: the
// sealed copies of the weights differ (each has its own data key).
func sameTraining(a, b *TrainResult) bool {
	return a.ModelCommitment == b.ModelCommitment && a.DataCommitment == b.DataCommitment &&
		a.Records == b.Records && a.AccuracyPpm == b.AccuracyPpm
}

func maxAgreeing(rs []*TrainResult) int {
	best := 0
	for _, r := range rs {
		n := 0
		for _, x := range rs {
			if sameTraining(x, r) {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// ModelsQuery asks /flow/models for a page of models in id order: a
// pool's, or those assigned (pending) to a worker, or all.
type ModelsQuery struct {
	Pool   uint64 `json:"pool,omitempty"`
	Worker uint64 `json:"worker,omitempty"`
	After  uint64 `json:"after,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// ModelQuery asks /flow/model for one model.
type ModelQuery struct {
	ID uint64 `json:"id"`
}

func (k *Keeper) queryModels(ctx *chain.Context, q ModelsQuery) (*QueryModelsResponse, error) {
	limit := chain.PageLimit(q.Limit)
	res := &QueryModelsResponse{Models: []*Model{}}
	if q.After == ^uint64(0) {
		return res, nil
	}
	kv := k.kv(ctx)
	var prefix []byte
	switch {
	case q.Pool != 0 && q.Worker != 0:
		return nil, ErrInvalidModel.Wrap("ask for a pool's models or a worker's, not both")
	case q.Pool != 0:
		prefix = key(poolMPrefix, be(q.Pool))
	case q.Worker != 0:
		prefix = key(trainAssign, be(q.Worker))
	}
	if prefix == nil {
		store.Each(kv, key(modelPrefix, be(q.After+1)), store.PrefixEnd(modelPrefix), func(_, v []byte) bool {
			m := &Model{}
			chain.DecodeRecord(v, m)
			res.Models = append(res.Models, m)
			return len(res.Models) < limit
		})
		return res, nil
	}
	store.Each(kv, key(prefix, be(q.After+1)), store.PrefixEnd(prefix), func(kk, _ []byte) bool {
		m, err := k.Model(ctx, store.DecodeUint64(kk[len(kk)-8:]))
		if err != nil {
			panic(fmt.Sprintf("flow: broken model index: %v", err))
		}
		res.Models = append(res.Models, m)
		return len(res.Models) < limit
	})
	return res, nil
}
