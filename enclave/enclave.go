package enclave

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/lazchain/lazchain/enclave/attest"
	"github.com/lazchain/lazchain/enclave/seal"
	"github.com/lazchain/lazchain/ml"
	"github.com/lazchain/lazchain/pdv"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
)

// ErrNoGrant: the sealed data carries no grant for this enclave's worker.
var ErrNoGrant = errors.New("no key grant for this worker")

// ErrCiphertext: the bytes fetched are not the ciphertext the chain names;
// the caller should fetch them again (from another source) rather than
// report a verdict.
var ErrCiphertext = errors.New("ciphertext does not match its SHA-256 on chain")

// Enclave is one worker's enclave. It is safe for concurrent use.
type Enclave struct {
	hpke *seal.PrivateKey
	sign ed25519.PrivateKey
	dev  *attest.DevSigner

	mu     sync.Mutex
	pools  map[uint64]*pool
	models map[uint64]*ml.Model
	// issued are the digests of receipts signed and not yet settled.
	issued map[[32]byte]bool
}

// pool is what the enclave keeps of a pool: its scoring configuration, its
// validation records, and the records each anchored contribution added, in
// anchor order.
type pool struct {
	cfg        pdv.Config
	validation []pdv.Record
	anchored   []anchored
	// revoked counts the anchored contributions known to be revoked.
	revoked int
	// latest is the state as of the last anchored contribution, kept
	// up to date as contributions are absorbed (nil: rebuilt on next use,
	// after a revocation). stateMu guards it: scoring reads it while
	// absorbing adds to it.
	latest  *pdv.PoolState
	stateMu sync.RWMutex
}

type anchored struct {
	seq, contribution uint64
	records           []pdv.Record
	revoked           bool
}

// DevMeasurement is the launch measurement dev enclaves report: a
// constant that genesis files of dev chains put on the allowlist.
var DevMeasurement = func() (m [48]byte) {
	h := sha256.Sum256([]byte("lazchain dev enclave v1 (simulated, not a real TEE)"))
	copy(m[:], h[:])
	copy(m[32:], h[:16])
	return m
}()

// NewDev makes a simulated enclave with fresh keys whose attestations are
// real-format SEV-SNP reports signed by go-sev-guest's test-only chain.
func NewDev() (*Enclave, error) {
	signer, err := attest.NewDevSigner(DevMeasurement)
	if err != nil {
		return nil, fmt.Errorf("dev enclave: %w", err)
	}
	hk, err := seal.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("dev enclave: %w", err)
	}
	_, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dev enclave: %w", err)
	}
	return &Enclave{hpke: hk, sign: sk, dev: signer, pools: map[uint64]*pool{}}, nil
}

// Dev says whether this is a simulated enclave.
func (e *Enclave) Dev() bool { return e.dev != nil }

// HPKEPublicKey is the key data keys are wrapped to.
func (e *Enclave) HPKEPublicKey() []byte { return e.hpke.PublicKey() }

// SigningKey is the key results are signed with.
func (e *Enclave) SigningKey() ed25519.PublicKey { return e.sign.Public().(ed25519.PublicKey) }

// Attest makes evidence binding the enclave's keys to chainID and a recent
// block hash: the kind of evidence and its bytes.
func (e *Enclave) Attest(chainID string, operator tx.Address, blockHash []byte) (string, []byte, error) {
	rd := attest.ReportData(chainID, operator.Bytes(), e.HPKEPublicKey(), e.SigningKey(), blockHash)
	ev, err := e.dev.Attest(rd)
	if err != nil {
		return "", nil, err
	}
	return attest.KindSEVSNP, ev, nil
}

// Config is the scoring configuration a pool's record describes.
func Config(p *flow.Pool) (pdv.Config, error) {
	schema, err := pdv.ParseSchema(p.Kind, []byte(p.Schema))
	if err != nil {
		return pdv.Config{}, err
	}
	cfg := pdv.Config{
		Kind: p.Kind, Schema: schema, K: int(p.KnnK),
		DupThresholdPPM: p.DupThresholdPpm, MinScorePPM: p.MinScorePpm,
	}
	if w := p.Weights; w != nil {
		cfg.Weights = pdv.Weights{Validity: w.ValidityBps, Uniqueness: w.UniquenessBps, Value: w.ValueBps}
	}
	return cfg, cfg.Validate()
}

// open unwraps the data key that owner granted to worker, then streams ciphertext
// through decryption into the parser, checking the ciphertext hash and the
// plaintext commitment on the way. A ciphertext that is not the one named
// is ErrCiphertext; data that does not decrypt or does not match its
// commitment is reported in the returned reason (a verdict, not an error).
func (e *Enclave) open(chainID string, poolID uint64, owner string, worker uint64, s *flow.Sealed, cfg pdv.Config, ciphertext io.Reader) (recs []pdv.Record, rep pdv.ParseReport, reason string, err error) {
	var wrapped []byte
	for _, g := range s.Grants {
		if g.Worker == worker {
			wrapped, err = hex.DecodeString(g.Wrapped)
			if err != nil {
				return nil, rep, "", fmt.Errorf("grant for worker %d is not hex", worker)
			}
		}
	}
	if wrapped == nil {
		return nil, rep, "", ErrNoGrant
	}
	sum, err := hex.DecodeString(s.CiphertextSha256)
	if err != nil {
		return nil, rep, "", fmt.Errorf("ciphertext hash is not hex")
	}
	ownerAddr, err := tx.ParseAddress(owner)
	if err != nil {
		return nil, rep, "", fmt.Errorf("owner %q: %w", owner, err)
	}
	key, err := e.hpke.UnwrapKey(wrapped, seal.WrapInfo(chainID, poolID, sum, ownerAddr.Bytes()))
	if err != nil {
		return nil, rep, "the data key granted to this worker does not open", nil
	}
	// The ciphertext is hashed as it is read; the rest of it is drained
	// after parsing so the hash covers every byte.
	ch := sha256.New()
	tee := io.TeeReader(ciphertext, ch)
	commit := seal.Commitment(key)
	plain, perr := seal.NewReader(tee, key)
	if perr == nil {
		recs, rep, perr = pdv.Parse(cfg, io.TeeReader(plain, commit))
		if perr == nil {
			_, perr = io.Copy(commit, plain)
		}
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return nil, rep, "", fmt.Errorf("reading ciphertext: %w", err)
	}
	if !bytes.Equal(ch.Sum(nil), sum) {
		return nil, rep, "", ErrCiphertext
	}
	if perr != nil {
		return nil, rep, "the contribution does not decrypt with its data key: the sealed stream is damaged or cut short", nil
	}
	want, _ := hex.DecodeString(s.Commitment)
	if !bytes.Equal(commit.Sum(nil), want) {
		return nil, rep, "the plaintext does not match its commitment on chain", nil
	}
	return recs, rep, "", nil
}

// DevComputeParams are the compute parameters of a dev chain: dev
// attestation on (go-sev-guest's test-only roots are trusted besides the
// real ones) and DevMeasurement on the allowlist. Never for a real network.
func DevComputeParams() *compute.Params {
	p := compute.DefaultParams()
	p.DevAttestation = true
	p.Measurements = []string{hex.EncodeToString(DevMeasurement[:])}
	return p
}

// OpenDev opens the dev enclave whose keys are kept in the file at path,
// creating it (mode 0600) with fresh keys the first time, so a devnet's
// worker keeps its registration across restarts. A simulated enclave has
// no sealed storage, so its keys sit on disk like the devnet's test keys:
// never use this for anything but a dev chain.
func OpenDev(path string) (*Enclave, error) {
	e, err := NewDev()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		out := append(append([]byte(devKeysMagic), e.hpke.DevBytes()...), e.sign.Seed()...)
		if err := os.WriteFile(path, out, 0o600); err != nil {
			return nil, fmt.Errorf("dev enclave keys: %w", err)
		}
		return e, nil
	case err != nil:
		return nil, fmt.Errorf("dev enclave keys: %w", err)
	}
	if len(b) != len(devKeysMagic)+32+ed25519.SeedSize || string(b[:len(devKeysMagic)]) != devKeysMagic {
		return nil, fmt.Errorf("dev enclave keys in %s: not a dev key file; delete it to make new keys", path)
	}
	b = b[len(devKeysMagic):]
	if e.hpke, err = seal.DevPrivateKey(b[:32]); err != nil {
		return nil, err
	}
	e.sign = ed25519.NewKeyFromSeed(b[32:])
	return e, nil
}

const devKeysMagic = "lazchain dev enclave keys v1\n"
