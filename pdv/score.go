package pdv

import (
	"fmt"
	"runtime"
	"strings"
)

// valuePerPPM is the number of 1/ValueScale units in one part per million.
const valuePerPPM = ValueScale / PPM

// Result is the outcome of scoring a contribution.
type Result struct {
	// Accepted tells whether the contribution may be anchored; when it is
	// false, Reason says why.
	Accepted bool
	Reason   string
	// The three parts of the score and the score itself, in parts per
	// million (see Score).
	ValidityPPM, UniquenessPPM, ValuePPM, ScorePPM uint32
	// Records is the number of (non-blank) lines of the contribution, Valid
	// the number of valid ones and Unique the number of valid ones that are
	// not near-duplicates.
	Records, Valid, Unique int
	// Added holds copies of the unique records, in file order, to add to the
	// pool state (PoolState.Add) when the contribution is anchored. It is
	// nil when the contribution is not accepted.
	Added []Record
}

// Score scores a contribution — its valid records recs and the ParseReport
// that Parse returned with them — against the pool's state (nil is an empty
// pool) and validation set. It does not modify the state. With cfg's
// defaults applied:
//
//   - ValidityPPM = floor(valid·PPM / lines). A contribution with no valid
//     line is rejected and the reason names the first errors.
//   - UniquenessPPM = floor(unique·PPM / valid), where a valid record is
//     unique when it is not a near-duplicate (Index.NearDuplicate at
//     cfg.DupThresholdPPM) of a pool record nor of an earlier valid record
//     of the same file. Near-duplicates get no value and are not added.
//   - ValuePPM is the sum S of the KNNShapley values (k = cfg.K) of the
//     unique records in the game whose players are the pool's records
//     followed by the unique records, so redundant records share value with
//     the pool's; S is in units of 1/ValueScale, and
//     ValuePPM = clamp(floor(S / 10^6), 0, PPM), i.e. the share of the
//     validation accuracy attributed to the contribution, floored to a part
//     per million (negative value counts as zero). With an empty
//     validation set the value is zero.
//   - ScorePPM = floor((W.Validity·ValidityPPM +
//     W.Uniqueness·UniquenessPPM + W.Value·ValuePPM) / 10000).
//
// The contribution is accepted when it has at least one unique record and
// ScorePPM ≥ cfg.MinScorePPM.
func Score(cfg Config, state *PoolState, validation []Record, recs []Record, rep ParseReport) Result {
	res := Result{Records: rep.Lines, Valid: len(recs)}
	if err := cfg.Validate(); err != nil {
		res.Reason = err.Error()
		return res
	}
	c := cfg.withDefaults()
	if state == nil {
		state = &PoolState{}
	}
	if len(recs) > rep.Lines {
		res.Reason = fmt.Sprintf("inconsistent input: %d records but the report counts %d lines; pass the ParseReport that Parse returned with the records", len(recs), rep.Lines)
		return res
	}
	if rep.Lines == 0 {
		res.Reason = "empty contribution: no records"
		return res
	}
	res.ValidityPPM = uint32(uint64(len(recs)) * PPM / uint64(rep.Lines))
	if len(recs) == 0 {
		res.Reason = fmt.Sprintf("no valid records (0 of %d lines)", rep.Lines)
		if len(rep.Errors) > 0 {
			res.Reason += "; first errors: " + strings.Join(rep.Errors, "; ")
		}
		return res
	}

	// Uniqueness, in file order.
	var local Index
	var unique []Record
	for i := range recs {
		sig := recs[i].Sig
		dup := state.ix.NearDuplicate(sig, c.DupThresholdPPM) || local.NearDuplicate(sig, c.DupThresholdPPM)
		local.Add(uint64(i), sig)
		if !dup {
			unique = append(unique, recs[i])
		}
	}
	res.Unique = len(unique)
	res.UniquenessPPM = uint32(uint64(len(unique)) * PPM / uint64(len(recs)))

	// Value: Shapley values in the game of pool ∪ unique records.
	if len(unique) > 0 && len(validation) > 0 {
		players := recordPoints(state.recs)
		players.append(unique)
		phi := knnShapley(players, recordPoints(validation), c.K, runtime.GOMAXPROCS(0))
		var sum i128
		for _, v := range phi[len(state.recs):] {
			sum.addInt64(v)
		}
		res.ValuePPM = uint32(sum.floorDivClamp(valuePerPPM, 0, PPM))
	}

	w := c.Weights
	res.ScorePPM = uint32((uint64(w.Validity)*uint64(res.ValidityPPM) +
		uint64(w.Uniqueness)*uint64(res.UniquenessPPM) +
		uint64(w.Value)*uint64(res.ValuePPM)) / 10000)

	switch {
	case len(unique) == 0:
		res.Reason = fmt.Sprintf("no unique records: all %d valid records are near-duplicates of pool records or of earlier records in the file", len(recs))
	case res.ScorePPM < c.MinScorePPM:
		res.Reason = fmt.Sprintf("score %d ppm is below the pool's minimum %d ppm (validity %d, uniqueness %d, value %d)",
			res.ScorePPM, c.MinScorePPM, res.ValidityPPM, res.UniquenessPPM, res.ValuePPM)
	default:
		res.Accepted = true
		res.Added = make([]Record, len(unique))
		for i, r := range unique {
			r.Features = append([]int64(nil), r.Features...)
			res.Added[i] = r
		}
	}
	return res
}
