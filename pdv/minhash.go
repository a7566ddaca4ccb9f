package pdv

import (
	"math/bits"
	"slices"
)

// PPM is one million: scores, shares and thresholds are in parts per million.
const PPM = 1_000_000

// MinHash parameters.
const (
	// SigLen is the number of MinHash permutations in a Signature.
	SigLen = 128
	// ShingleLen is the length in bytes of the shingles a Signature summarises.
	ShingleLen = 5
	// Bands and Rows are the LSH banding of a Signature: Bands·Rows = SigLen.
	// A pair with Jaccard similarity J shares at least one band with
	// probability 1-(1-J^Rows)^Bands: 0.99999995 at J = 0.8.
	Bands = 32
	Rows  = SigLen / Bands
)

// minHashSeed is the fixed seed of the MinHash hash family ("LazChain").
const minHashSeed = 0x4c617a436861696e

// mersenne61 is the prime 2^61-1, the modulus of the hash family.
const mersenne61 = 1<<61 - 1

// Signature is the MinHash signature of a record's content: for each of the
// SigLen hash functions h_i(x) = (a_i·x + b_i) mod (2^61-1), where x is the
// 64-bit FNV-1a hash of a ShingleLen-byte shingle reduced mod 2^61-1, the
// minimum of h_i over the content's distinct shingles, keeping its top 32
// of 61 bits. The constants a_i (non-zero) and b_i are drawn in turn from a
// splitmix64 generator seeded with 0x4c617a436861696e. Content shorter than
// ShingleLen bytes is one shingle; empty content has the signature with every
// entry 0xFFFFFFFF.
type Signature [SigLen]uint32

// hashFamily holds the constants a_i, b_i; it is a function of the fixed
// seed only, computed once per call where needed (it is tiny).
type hashFamily struct {
	a, b [SigLen]uint64
}

// splitmix64 advances state and returns the next output of the splitmix64
// generator (Steele, Lea, Flood 2014).
func splitmix64(state *uint64) uint64 {
	*state += 0x9e3779b97f4a7c15
	z := *state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

var family = newHashFamily() // read-only after package initialisation

func newHashFamily() hashFamily {
	var f hashFamily
	st := uint64(minHashSeed)
	for i := range SigLen {
		f.a[i] = 1 + splitmix64(&st)%(mersenne61-1)
		f.b[i] = splitmix64(&st) % mersenne61
	}
	return f
}

// mod61 reduces x modulo 2^61-1.
func mod61(x uint64) uint64 {
	x = (x & mersenne61) + (x >> 61)
	if x >= mersenne61 {
		x -= mersenne61
	}
	return x
}

// mulAddMod61 returns (a·x + b) mod 2^61-1 for a, x, b < 2^61-1.
func mulAddMod61(a, x, b uint64) uint64 {
	hi, lo := bits.Mul64(a, x)
	// a·x = hi·2^64 + lo = (hi·8 + lo>>61)·2^61 + (lo & p); 2^61 ≡ 1.
	r := (lo & mersenne61) + (hi<<3 | lo>>61) + b
	return mod61(r)
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv1a(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// shingleHashes returns the sorted distinct hashes (mod 2^61-1) of the
// ShingleLen-byte shingles of content, reusing buf.
func shingleHashes(content []byte, buf []uint64) []uint64 {
	buf = buf[:0]
	if len(content) == 0 {
		return buf
	}
	if len(content) < ShingleLen {
		return append(buf, mod61(fnv1a(content)))
	}
	for i := 0; i+ShingleLen <= len(content); i++ {
		buf = append(buf, mod61(fnv1a(content[i:i+ShingleLen])))
	}
	slices.Sort(buf)
	return slices.Compact(buf)
}

// MinHash returns the MinHash signature of content (see Signature).
func MinHash(content []byte) Signature {
	var buf []uint64
	return minHashBuf(content, &buf)
}

// minHashBuf is MinHash with a reusable shingle buffer.
func minHashBuf(content []byte, buf *[]uint64) Signature {
	var sig Signature
	sh := shingleHashes(content, *buf)
	*buf = sh
	if len(sh) == 0 {
		for i := range sig {
			sig[i] = 0xFFFFFFFF
		}
		return sig
	}
	for i := range SigLen {
		a, b := family.a[i], family.b[i]
		m := uint64(mersenne61)
		for _, x := range sh {
			if h := mulAddMod61(a, x, b); h < m {
				m = h
			}
		}
		sig[i] = uint32(m >> 29)
	}
	return sig
}

// JaccardPPM returns the Jaccard similarity estimated from two signatures,
// in parts per million: floor(matching entries · PPM / SigLen).
func JaccardPPM(a, b *Signature) uint32 {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return uint32(n * PPM / SigLen)
}

// Index is an LSH index of signatures for near-duplicate lookup: each
// signature is split into Bands bands of Rows entries and filed under each
// band's hash; a query's candidates are the signatures sharing at least one
// band, and a candidate is a near-duplicate when the Jaccard similarity
// estimated from the full signatures reaches the threshold. The zero Index
// is empty and ready to use. An Index is not safe for concurrent Add.
type Index struct {
	ids  []uint64
	sigs []Signature
	// heads[b] maps a band hash to 1 + the position of the last signature
	// filed under it; next[b][pos] is 1 + the previous position (0 ends).
	heads [Bands]map[uint64]uint32
	next  [Bands][]uint32
}

// bandKey hashes band b of s.
func bandKey(s *Signature, b int) uint64 {
	h := uint64(fnvOffset)
	for _, v := range s[b*Rows : (b+1)*Rows] {
		h ^= uint64(v)
		h *= fnvPrime
		h ^= h >> 29
	}
	return h
}

// Add files signature s under id. Ids need not be unique or ordered.
func (ix *Index) Add(id uint64, s Signature) {
	pos := uint32(len(ix.sigs))
	ix.ids = append(ix.ids, id)
	ix.sigs = append(ix.sigs, s)
	for b := range Bands {
		if ix.heads[b] == nil {
			ix.heads[b] = make(map[uint64]uint32)
		}
		k := bandKey(&s, b)
		ix.next[b] = append(ix.next[b], ix.heads[b][k])
		ix.heads[b][k] = pos + 1
	}
}

// Len returns the number of signatures in the index.
func (ix *Index) Len() int { return len(ix.sigs) }

// NearDuplicate reports whether the index holds a signature whose estimated
// Jaccard similarity with s (JaccardPPM) is at least thresholdPPM.
func (ix *Index) NearDuplicate(s Signature, thresholdPPM uint32) bool {
	for b := range Bands {
		if ix.heads[b] == nil {
			continue
		}
		for p := ix.heads[b][bandKey(&s, b)]; p != 0; p = ix.next[b][p-1] {
			if JaccardPPM(&s, &ix.sigs[p-1]) >= thresholdPPM {
				return true
			}
		}
	}
	return false
}

// Find returns the id of the earliest-added signature, among those sharing
// an LSH band with s, whose estimated Jaccard similarity with s is at least
// thresholdPPM, and whether there is one.
func (ix *Index) Find(s Signature, thresholdPPM uint32) (uint64, bool) {
	best := -1
	for b := range Bands {
		if ix.heads[b] == nil {
			continue
		}
		for p := ix.heads[b][bandKey(&s, b)]; p != 0; p = ix.next[b][p-1] {
			pos := int(p - 1)
			if best >= 0 && pos >= best {
				continue
			}
			if JaccardPPM(&s, &ix.sigs[pos]) >= thresholdPPM {
				best = pos
			}
		}
	}
	if best < 0 {
		return 0, false
	}
	return ix.ids[best], true
}
