package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/enclave"
	"github.com/lazchain/lazchain/internal/datasets"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/worker"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/idao"
)

// The devnet's demo: one iDAO with a funded treasury and one DAT class with
// two holders, so a new user sees iDAOs, DATs and revenue at once.
const (
	demoIDAOName  = "demo-data-pool"
	demoClassName = "iris flowers (demo)"
	// demoComputeName is the iDAO whose dev-enclave worker the devnet runs.
	demoComputeName = "demo-compute"
	// demoModelsName trains the demo model; demoAppsName serves it.
	demoModelsName = "demo-models"
	demoAppsName   = "demo-apps"
	// demoTreasury is what the demo iDAO's treasury holds at genesis.
	demoTreasury = 10_000 * tx.UnitsPerLAZ
)

// demoDataset stands in for the demo class's content; its SHA-256 is the
// class's integrity hash.
const demoDataset = "lazchain devnet demo: the iris dataset (150 flowers, 4 features, 3 species)"

// devnetDemo is the genesis of the demo: alice creates the iDAO, bob joins
// it as a data provider; both hold tokens of its class.
func devnetDemo(alice, bob, carol tx.Address) (map[string]json.RawMessage, bank.Balance, error) {
	ig := idao.Genesis{IDAOs: []idao.GenesisIDAO{{
		Name:        demoIDAOName,
		Description: "A demo data-pool iDAO seeded by lazchain devnet.",
		Creator:     alice.String(),
		// The whole member list: alice (the creator) stays admin.
		Members: []idao.GenesisMember{
			{Address: alice.String(), Roles: []string{idao.RoleAdmin}, Weight: 1},
			{Address: bob.String(), Roles: []string{idao.RoleDataProvider}, Weight: 1},
		},
		Policies: map[string]string{"voting_period": "20"},
	}, {
		Name:        demoComputeName,
		Description: "A demo compute-provider iDAO: carol runs its dev-enclave worker.",
		Creator:     alice.String(),
		Members: []idao.GenesisMember{
			{Address: alice.String(), Roles: []string{idao.RoleAdmin}, Weight: 1},
			{Address: carol.String(), Roles: []string{idao.RoleComputeProvider}, Weight: 1},
		},
	}, {
		Name:        demoModelsName,
		Description: "A demo model-trainer iDAO: it trains a model on the iris pool.",
		Creator:     alice.String(),
		Members:     []idao.GenesisMember{{Address: alice.String(), Roles: []string{idao.RoleAdmin, idao.RoleModelTrainer}, Weight: 1}},
	}, {
		Name:        demoAppsName,
		Description: "A demo app-developer iDAO: it runs a paid service on the demo model.",
		Creator:     alice.String(),
		Members:     []idao.GenesisMember{{Address: alice.String(), Roles: []string{idao.RoleAdmin, idao.RoleAppDeveloper}, Weight: 1}},
	}}}
	sum := sha256.Sum256([]byte(demoDataset))
	dg := dat.Genesis{Classes: []dat.GenesisClass{{
		IDAO: 1, Creator: alice.String(), Name: demoClassName,
		MetadataURI: "lazchain://devnet/demo/iris", IntegrityHash: hex.EncodeToString(sum[:]),
		PolicyURI: "lazchain://devnet/demo/terms",
		Tokens: []dat.GenesisToken{
			{Owner: alice.String(), Value: 1000, ShareRatio: 60},
			{Owner: bob.String(), Value: 1000, ShareRatio: 40},
		},
	}}}
	ib, err := json.Marshal(ig)
	if err != nil {
		return nil, bank.Balance{}, err
	}
	db, err := json.Marshal(dg)
	if err != nil {
		return nil, bank.Balance{}, err
	}
	params, err := chain.EncodeJSON(enclave.DevComputeParams())
	if err != nil {
		return nil, bank.Balance{}, err
	}
	cb, err := json.Marshal(compute.Genesis{Params: params})
	if err != nil {
		return nil, bank.Balance{}, err
	}
	treasury := bank.Balance{Address: idao.TreasuryAddress(1), Amount: tx.FormatBaseUnits(demoTreasury)}
	return map[string]json.RawMessage{idao.Name: ib, dat.Name: db, compute.Name: cb}, treasury, nil
}

// The devnet's data pool demo: one dev-enclave worker (operated by carol
// for iDAO 2) runs in the devnet's process, and alice's iDAO 1 has a pool
// of iris records whose validation set is sealed to it.
const (
	demoPoolName   = "iris (demo)"
	demoWorkerBond = 100 * tx.UnitsPerLAZ
	demoPoolFee    = tx.UnitsPerLAZ / 10
)

// devnetFlow is what the devnet's data pool demo is running.
type devnetFlow struct {
	Worker uint64 `json:"worker"`
	Pool   uint64 `json:"pool"`
	// Sample is a file of iris records not in the validation set, ready to
	// contribute.
	Sample string `json:"sample_file"`
	// DevEnclave is always true: the worker is simulated.
	DevEnclave bool `json:"dev_enclave"`
	// WorkerAPI is the worker's paid-call endpoint.
	WorkerAPI string `json:"worker_api"`
	// Service is the demo AI service, when it runs.
	Service *devnetService `json:"service,omitempty"`
}

// startDevnetFlow starts the devnet's worker (registering it the first
// time; its dev keys are kept in the home) with its paid-call API on
// workerAddr and its receipts journal in the home, and creates the demo
// pool if there is none yet.
func startDevnetFlow(ctx context.Context, n *node.Node, log *slog.Logger, workerAddr string) (*devnetFlow, *worker.Worker, error) {
	fl, w, err := startDevnetWorker(ctx, n, log, workerAddr)
	if err != nil {
		return nil, nil, err
	}
	return fl, w, createDevnetPool(ctx, n, fl, w)
}

func startDevnetWorker(ctx context.Context, n *node.Node, log *slog.Logger, workerAddr string) (*devnetFlow, *worker.Worker, error) {
	carol := tx.DeterministicKey("devnet/carol")
	e, err := enclave.OpenDev(filepath.Join(n.Home, "config", "dev_enclave_keys"))
	if err != nil {
		return nil, nil, err
	}
	c := n.Client
	ln, err := net.Listen("tcp", workerAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("the devnet's worker API (--worker-listen %s): %w", workerAddr, err)
	}
	endpoint := "http://" + ln.Addr().String()
	w := worker.New(worker.Config{
		Client: c, Blobs: n.Blobs, Enclave: e, Operator: carol, IDAO: 2, Bond: demoWorkerBond, Endpoint: endpoint, API: n.APIURL(),
		Log: log.With("module", "worker", "dev_enclave", true),
	})
	if err := w.OpenJournal(filepath.Join(n.Home, "data", "worker-receipts")); err != nil {
		ln.Close()
		return nil, nil, err
	}
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	ws, err := c.Workers(ctx, 2, 0)
	if err != nil {
		return nil, nil, err
	}
	hpke := hex.EncodeToString(e.HPKEPublicKey())
	for _, x := range ws.Workers {
		if x.HpkePublicKey == hpke {
			w.Use(x.Id)
			endpoint = x.Endpoint // what the chain tells callers
		}
	}
	if w.ID() == 0 {
		if _, err := w.Register(ctx); err != nil {
			return nil, nil, err
		}
	}
	go func() {
		w.Run(ctx)
		w.CloseJournal()
	}()
	return &devnetFlow{Worker: w.ID(), WorkerAPI: endpoint, DevEnclave: true, Sample: filepath.Join(n.Home, "demo", "iris-contribution.jsonl")}, w, nil
}

// createDevnetPool writes the sample contribution file and creates the
// demo pool, sealing its validation set to the devnet's worker, unless a
// pool exists.
func createDevnetPool(ctx context.Context, n *node.Node, out *devnetFlow, w *worker.Worker) error {
	alice, c := tx.DeterministicKey("devnet/alice"), n.Client
	var sample, validation [][]byte
	for i, l := range datasets.Lines(datasets.Iris) {
		switch i % 5 {
		case 0:
			validation = append(validation, l)
		case 1:
			sample = append(sample, l)
		}
	}
	if err := os.MkdirAll(filepath.Dir(out.Sample), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out.Sample, datasets.Join(sample), 0o644); err != nil {
		return err
	}
	pools, err := c.Pools(ctx, 0, 1, 0)
	if err != nil {
		return err
	}
	if len(pools.Pools) > 0 {
		out.Pool = pools.Pools[0].Id
		return nil
	}
	checked, refused, err := c.CheckWorkers(ctx, 2)
	if err != nil {
		return err
	}
	if len(checked) == 0 {
		return fmt.Errorf("the devnet's worker %d did not pass the attestation check: %v", w.ID(), refused)
	}
	data := datasets.Join(validation)
	out.Pool, err = c.CreatePoolWithValidation(ctx, alice, &flow.MsgCreatePool{
		Idao: 1, Name: demoPoolName, Kind: "tabular", Schema: demoIrisSchema,
		Weights: &flow.Weights{ValidityBps: 2000, UniquenessBps: 2000, ValueBps: 6000},
		KnnK:    5, QuorumK: 1, ThresholdT: 1, ProofPolicy: "tee", DeadlineBlocks: 120,
		VerifierFee: tx.FormatBaseUnits(demoPoolFee), Terms: &flow.DATTerms{UsageValue: 1000, SharePerPpm: 1},
		ComputeIdao: 2, MinScorePpm: 10_000,
	}, bytes.NewReader(data), int64(len(data)), checked, n.Blobs, "", nil)
	return err
}

// demoIrisSchema is the demo pool's record schema.
const demoIrisSchema = `{"type":"object","required":["features","label"],"additionalProperties":false,
"properties":{"features":{"type":"array","minItems":4,"maxItems":4,"items":{"type":"number","minimum":0,"maximum":10}},
"label":{"type":"integer","minimum":0,"maximum":2}}}`
