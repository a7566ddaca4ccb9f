// Package pdv implements Proof of Data Value: the deterministic scoring of a
// data contribution to a pool, run by several enclave workers independently.
// The chain anchors a contribution only when every worker reports the
// identical score, so every step here is bit-for-bit deterministic: numbers
// are integers or fixed-point integers (no floating point anywhere, JSON
// numbers included), iteration is in a fixed order, ties are broken by
// index, and the parallel parts add exact integers, so their result does not
// depend on scheduling or GOMAXPROCS.
//
// A contribution goes through three steps:
//
//  1. Parse reads a JSON Lines file as a stream, checks each line against the
//     pool's Schema (a small deterministic subset of JSON Schema, see
//     ParseSchema), turns each valid line into a Record (fixed-point features
//     and an integer label) and computes its MinHash Signature.
//  2. Score compares the records with the pool (PoolState) and with each
//     other to find near-duplicates (MinHash with LSH banding, see Index),
//     values the unique records with exact KNN-Shapley (KNNShapley) against
//     the pool's validation set, and combines validity, uniqueness and value
//     into a score in parts per million (PPM).
//  3. When the chain anchors an accepted contribution, the caller adds
//     Result.Added to the pool state with PoolState.Add. PoolState has a
//     deterministic binary form (MarshalBinary).
//
// # Fixed-point features
//
// Features are int64 values in units of 1/FeatureScale (four decimals). A
// JSON number is converted from its decimal text, rounding half away from
// zero at the fifth decimal ("0.00005" becomes 0.0001, "-0.00005" becomes
// -0.0001, "0.00004999" becomes 0). A feature whose rounded magnitude exceeds
// MaxFeature (100000.0000) makes its record invalid, which bounds every
// squared difference below 2^62; KNNShapley sums them in 128 bits, so no
// distance can overflow.
//
// # Text records
//
// Text records are featurised into Config.TextDims buckets: the text's bytes
// are lower-cased (ASCII letters only, so the result does not depend on
// Unicode tables; no normalisation), every 3-byte window is hashed with
// 64-bit FNV-1a, and bucket h mod TextDims counts it. A count is stored as
// count·FeatureScale and saturates at MaxFeature.
package pdv
