package apptest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/lazchain/lazchain/enclave/attest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
)

// GenesisWith is an app_state funding the given accounts, with further
// genesis sections (module name to its JSON section) beside the bank's.
func GenesisWith(t testing.TB, balances map[tx.Address]uint64, sections map[string]any) []byte {
	t.Helper()
	state := map[string]any{}
	for name, s := range sections {
		state[name] = s
	}
	var g bank.Genesis
	for a, v := range balances {
		g.Balances = append(g.Balances, bank.Balance{Address: a, Amount: tx.FormatBaseUnits(v)})
	}
	state["bank"] = g
	bz, err := json.Marshal(state)
	if err != nil {
		t.Fatalf("genesis: %v", err)
	}
	return bz
}

// Enclave stands in for a worker's enclave in module tests: an HPKE public
// key (random-looking bytes: the chain never opens what is wrapped to it),
// an ed25519 signing key, and a dev signer that attests both. The keys
// derive from a seed, so the same seed gives the same enclave.
type Enclave struct {
	// HPKE is the 32-byte HPKE public key the enclave registers.
	HPKE []byte
	// Key is the enclave's result-signing key.
	Key ed25519.PrivateKey
	// Signer makes its dev SEV-SNP attestations.
	Signer *attest.DevSigner
}

// NewEnclave makes the enclave of seed whose reports are signed by signer.
func NewEnclave(seed string, signer *attest.DevSigner) *Enclave {
	hk := sha256.Sum256([]byte("apptest/enclave/hpke/" + seed))
	sk := sha256.Sum256([]byte("apptest/enclave/sign/" + seed))
	return &Enclave{HPKE: hk[:], Key: ed25519.NewKeyFromSeed(sk[:]), Signer: signer}
}

// SigningKey is the enclave's ed25519 public key.
func (e *Enclave) SigningKey() ed25519.PublicKey { return e.Key.Public().(ed25519.PublicKey) }

// ReportData is what the enclave's report must carry on chain chainID
// for operator against blockHash.
func (e *Enclave) ReportData(chainID string, operator tx.Address, blockHash []byte) [64]byte {
	return attest.ReportData(chainID, operator.Bytes(), e.HPKE, e.SigningKey(), blockHash)
}

// Evidence attests the enclave's keys to chainID, operator and blockHash
// with opts.
func (e *Enclave) Evidence(t testing.TB, chainID string, operator tx.Address, blockHash []byte, opts attest.DevOptions) []byte {
	t.Helper()
	ev, err := e.Signer.AttestWithOptions(e.ReportData(chainID, operator, blockHash), opts)
	if err != nil {
		t.Fatalf("dev attestation: %v", err)
	}
	return ev
}

// Register is a MsgRegisterWorker for the enclave, operated by from in
// iDAO idao with bond ulaz, attested to the harness's chain and blockHash.
func (e *Enclave) Register(t testing.TB, from tx.Address, idao, bond uint64, blockHash []byte) *compute.MsgRegisterWorker {
	t.Helper()
	return &compute.MsgRegisterWorker{
		From: from.String(), Idao: idao,
		HpkePublicKey: hex.EncodeToString(e.HPKE), SigningKey: hex.EncodeToString(e.SigningKey()),
		Bond: tx.FormatBaseUnits(bond), Kind: attest.KindSEVSNP,
		Evidence:  e.Evidence(t, ChainID, from, blockHash, attest.DevOptions{}),
		BlockHash: hex.EncodeToString(blockHash),
	}
}

// Result is a MsgAttest from operator for worker's job on contribution c,
// signed by the enclave for the harness's chain.
func (e *Enclave) Result(operator tx.Address, c *flow.Contribution, worker uint64, verdict string, score uint32, reason string) *flow.MsgAttest {
	m := &flow.MsgAttest{
		From: operator.String(), Pool: c.Pool, Contribution: c.Id, Job: c.Job, Worker: worker,
		Verdict: verdict, ScorePpm: score, ValidityPpm: score, UniquenessPpm: score, ValuePpm: score, Reason: reason,
	}
	flow.SignResult(ChainID, m, e.Key)
	return m
}
