package flow

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/pdv"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
)

// checkSealed validates a sealed blob's hashes and grants; every grant's
// worker must exist and be active, and no worker may appear twice.
func (k *Keeper) checkSealed(ctx *chain.Context, what string, s *Sealed, needGrants bool) error {
	if s == nil {
		return ErrInvalidSealed.Wrapf("%s: missing", what)
	}
	if !hexN(s.CiphertextSha256, 32) {
		return ErrInvalidSealed.Wrapf("%s: ciphertext_sha256 %q: want 64 lower-case hex digits", what, s.CiphertextSha256)
	}
	if s.Size == 0 {
		return ErrInvalidSealed.Wrapf("%s: size is 0; the sealed stream always has a header", what)
	}
	if !hexN(s.Commitment, 32) {
		return ErrInvalidSealed.Wrapf("%s: commitment %q: want 64 lower-case hex digits", what, s.Commitment)
	}
	if needGrants && len(s.Grants) == 0 {
		return ErrInvalidSealed.Wrapf("%s: no grants: wrap the data key to the pool's workers", what)
	}
	return k.checkGrants(ctx, what, s.Grants)
}

func (k *Keeper) checkGrants(ctx *chain.Context, what string, grants []*Grant) error {
	if len(grants) > MaxGrants {
		return ErrInvalidSealed.Wrapf("%s: %d grants, at most %d", what, len(grants), MaxGrants)
	}
	seen := make(map[uint64]bool, len(grants))
	for _, g := range grants {
		if seen[g.Worker] {
			return ErrInvalidSealed.Wrapf("%s: worker %d has two grants", what, g.Worker)
		}
		seen[g.Worker] = true
		b, err := hex.DecodeString(g.Wrapped)
		if err != nil || len(b) == 0 || len(b) > MaxWrappedLen {
			return ErrInvalidSealed.Wrapf("%s: grant for worker %d: want 1 to %d bytes of hex", what, g.Worker, MaxWrappedLen)
		}
		w, err := k.Compute.Worker(ctx, g.Worker)
		if err != nil {
			return ErrInvalidSealed.Wrapf("%s: grant for worker %d: %v", what, g.Worker, err)
		}
		if !k.Compute.Active(ctx, w) {
			return ErrInvalidSealed.Wrapf("%s: grant for worker %d, which is %s", what, g.Worker, w.Status)
		}
	}
	return nil
}

func (k *Keeper) execCreatePool(ctx *chain.Context, msg *MsgCreatePool) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	if _, err := k.IDAO.Get(ctx, msg.Idao); err != nil {
		return ErrNotFound.Wrapf("iDAO %d does not exist", msg.Idao)
	}
	if !k.IDAO.HasRole(ctx, msg.Idao, from, roleAdmin) {
		return ErrUnauthorized.Wrapf("%s is not an admin of iDAO %d: only its admins may create its pools", from, msg.Idao)
	}
	p, err := k.newPool(ctx, from, msg)
	if err != nil {
		return err
	}
	def, _ := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	sum := sha256.Sum256(def)
	p.Id = chain.NextID(k.kv(ctx), seqPoolKey)
	p.Class, err = k.DAT.CreateClass(ctx, from, &dat.MsgCreateClass{
		From: from.String(), Idao: msg.Idao, Name: "pool " + msg.Name,
		MetadataUri:   "lazchain:flow/pools/" + strconv.FormatUint(p.Id, 10),
		IntegrityHash: hex.EncodeToString(sum[:]),
		Policy:        classPolicy(msg.Terms),
	})
	if err != nil {
		return err
	}
	k.setPool(ctx, p)
	ctx.Emit(chain.Event("flow_pool",
		chain.Indexed("pool", strconv.FormatUint(p.Id, 10)),
		chain.Indexed("idao", strconv.FormatUint(p.Idao, 10)),
		chain.Attr("class", strconv.FormatUint(p.Class, 10)),
		chain.Attr("kind", p.Kind),
		chain.Attr("quorum", strconv.FormatUint(uint64(p.ThresholdT), 10)+"/"+strconv.FormatUint(uint64(p.QuorumK), 10))))
	return nil
}

// newPool validates a pool message into a pool (without id and class).
func (k *Keeper) newPool(ctx *chain.Context, from tx.Address, msg *MsgCreatePool) (*Pool, error) {
	if n := len(msg.Name); n == 0 || n > MaxNameLen {
		return nil, ErrInvalidPool.Wrapf("name is %d bytes, want 1 to %d", n, MaxNameLen)
	}
	if len(msg.Schema) > MaxSchemaLen {
		return nil, ErrInvalidPool.Wrapf("schema is %d bytes, at most %d", len(msg.Schema), MaxSchemaLen)
	}
	if _, err := pdv.ParseSchema(msg.Kind, []byte(msg.Schema)); err != nil {
		return nil, ErrInvalidPool.Wrapf("kind %q with its schema: %v", msg.Kind, err)
	}
	if err := k.checkSealed(ctx, "validation set", msg.Validation, true); err != nil {
		return nil, err
	}
	w := msg.Weights
	if w == nil || uint64(w.ValidityBps)+uint64(w.UniquenessBps)+uint64(w.ValueBps) != 10000 {
		return nil, ErrInvalidPool.Wrap("weights: validity_bps + uniqueness_bps + value_bps must be 10000")
	}
	knn := msg.KnnK
	if knn == 0 {
		knn = DefaultKNN
	}
	if knn > MaxKNN {
		return nil, ErrInvalidPool.Wrapf("knn_k %d: at most %d", knn, MaxKNN)
	}
	if msg.QuorumK == 0 || msg.QuorumK > MaxQuorum {
		return nil, ErrInvalidPool.Wrapf("quorum_k %d: want 1 to %d", msg.QuorumK, MaxQuorum)
	}
	// 2t > k: two different results can never both reach the threshold.
	if msg.ThresholdT > msg.QuorumK || 2*msg.ThresholdT <= msg.QuorumK {
		return nil, ErrInvalidPool.Wrapf("threshold_t %d of quorum_k %d: want a majority, more than k/2 and at most k", msg.ThresholdT, msg.QuorumK)
	}
	switch msg.ProofPolicy {
	case proofPolicyTEE:
	case "zk", "op":
		return nil, ErrUnsupportedPolicy.Wrapf("proof policy %q is not supported yet; use %q", msg.ProofPolicy, proofPolicyTEE)
	default:
		return nil, ErrInvalidPool.Wrapf("proof policy %q: want %q", msg.ProofPolicy, proofPolicyTEE)
	}
	if msg.DeadlineBlocks == 0 || msg.DeadlineBlocks > MaxDeadline {
		return nil, ErrInvalidPool.Wrapf("deadline_blocks %d: want 1 to %d", msg.DeadlineBlocks, MaxDeadline)
	}
	fee, err := tx.ParseBaseUnits(msg.VerifierFee)
	if err != nil {
		return nil, ErrInvalidPool.Wrapf("verifier_fee %q: %v", msg.VerifierFee, err)
	}
	t := msg.Terms
	if t == nil || t.SharePerPpm == 0 {
		return nil, ErrInvalidPool.Wrap("terms: share_per_ppm must be at least 1 (a token's share is score_ppm × share_per_ppm)")
	}
	if t.SharePerPpm > (1<<64-1)/PPM {
		return nil, ErrInvalidPool.Wrapf("terms: share_per_ppm %d overflows a share at the top score", t.SharePerPpm)
	}
	if msg.ComputeIdao != 0 {
		if _, err := k.IDAO.Get(ctx, msg.ComputeIdao); err != nil {
			return nil, ErrNotFound.Wrapf("compute iDAO %d does not exist", msg.ComputeIdao)
		}
	}
	if msg.MinScorePpm > PPM || msg.DupThresholdPpm > PPM {
		return nil, ErrInvalidPool.Wrapf("min_score_ppm %d and dup_threshold_ppm %d: at most %d", msg.MinScorePpm, msg.DupThresholdPpm, PPM)
	}
	dup := msg.DupThresholdPpm
	if dup == 0 {
		dup = DefaultDupPPM
	}
	rounds := msg.MaxRounds
	if rounds == 0 {
		rounds = DefaultRounds
	}
	if rounds > MaxRounds {
		return nil, ErrInvalidPool.Wrapf("max_rounds %d: at most %d", rounds, MaxRounds)
	}
	return &Pool{
		Idao: msg.Idao, Creator: from.String(), Name: msg.Name, Kind: msg.Kind, Schema: msg.Schema,
		Validation: msg.Validation, Weights: w, KnnK: knn, QuorumK: msg.QuorumK, ThresholdT: msg.ThresholdT,
		ProofPolicy: msg.ProofPolicy, DeadlineBlocks: msg.DeadlineBlocks, VerifierFee: tx.FormatBaseUnits(fee),
		Terms: t, ComputeIdao: msg.ComputeIdao, MinScorePpm: msg.MinScorePpm, DupThresholdPpm: dup,
		CreatedHeight: ctx.Height, MaxRounds: rounds,
	}, nil
}

// classPolicy is the policy of a pool's class from its DAT terms.
func classPolicy(t *DATTerms) *dat.ClassPolicy {
	if !t.GetRestricted() && len(t.GetAllowedServices()) == 0 {
		return nil
	}
	return &dat.ClassPolicy{Restricted: t.GetRestricted(), AllowedServices: t.GetAllowedServices()}
}
