package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/enclave"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/worker"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/service"
)

// TestServiceRoutes runs a chain whose two dev enclave workers anchor a
// contribution and train a model on it; a service is registered on the
// model's class, bob deposits into an escrow for it. Then every model and
// service route is read: values equal to the SDK's, shapes against
// /openapi.json all the way down, 404s for what does not exist and 400s
// for malformed parameters.
func TestServiceRoutes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ops := []*tx.PrivateKey{tx.DeterministicKey("api-svc/op1"), tx.DeterministicKey("api-svc/op2")}
	accounts := []bank.Balance{{Address: alice.Address(), Amount: "1000000000000"}, {Address: bob.Address(), Amount: "1000000000000"}}
	var opAddrs []tx.Address
	for _, op := range ops {
		opAddrs = append(opAddrs, op.Address())
		accounts = append(accounts, bank.Balance{Address: op.Address(), Amount: "100000000000"})
	}
	// iDAO 1: data, 2: compute, 3: model trainers, 4: apps; alice admins all.
	sections := nodetest.FlowGenesis(t, alice.Address(), "iris-pool", nodetest.ComputeIDAO{Name: "enclaves", Operators: opAddrs},
		nodetest.ComputeIDAO{Name: "trainers"}, nodetest.ComputeIDAO{Name: "apps"})
	home := t.TempDir()
	if _, err := node.Init(home, node.InitOptions{
		ChainID: chainID, Moniker: "api-svc", BlockTime: nodetest.BlockTime, Accounts: accounts, Sections: sections,
	}); err != nil {
		t.Fatal(err)
	}
	n := nodetest.Start(t, home, node.StartOptions{})
	base, c := n.APIURL(), n.Client
	doc := loadOpenAPI(t, base)
	blobs := blob.NewClient(base, nil)
	var ids []uint64
	for _, op := range ops {
		e, err := enclave.NewDev()
		if err != nil {
			t.Fatal(err)
		}
		w := worker.New(worker.Config{Client: c, Blobs: blobs, Enclave: e, Operator: op, IDAO: 2, Bond: 10_000_000, Poll: 100 * time.Millisecond})
		id, err := w.Register(ctx)
		if err != nil {
			t.Fatal(err)
		}
		go w.Run(ctx)
		ids = append(ids, id)
	}
	checked, refused, err := c.CheckWorkers(ctx, 2)
	if err != nil || len(refused) != 0 || len(checked) != 2 {
		t.Fatalf("check workers: %v, refused %v, ok %d", err, refused, len(checked))
	}
	validation := irisLines(5, 0)
	poolID, err := c.CreatePoolWithValidation(ctx, alice, &flow.MsgCreatePool{
		Idao: 1, Name: "iris", Kind: "tabular", Schema: irisSchema,
		Weights: &flow.Weights{ValidityBps: 2000, UniquenessBps: 2000, ValueBps: 6000},
		KnnK:    3, QuorumK: 2, ThresholdT: 2, ProofPolicy: "tee", DeadlineBlocks: 60,
		VerifierFee: "300000", Terms: &flow.DATTerms{UsageValue: 100, SharePerPpm: 1}, ComputeIdao: 2, MaxRounds: 2,
	}, bytes.NewReader(validation), int64(len(validation)), checked, blobs, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	data := irisLines(5, 1)
	contributed, err := c.Contribute(ctx, bob, poolID, bytes.NewReader(data), int64(len(data)), blobs, nil, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for {
		k, err := c.Contribution(ctx, contributed.Contribution, 0)
		if err != nil {
			t.Fatal(err)
		}
		if k.Status == flow.StatusAnchored {
			break
		}
		if k.Status != flow.StatusVerifying {
			t.Fatalf("contribution %d is %s (%s), want anchored", k.Id, k.Status, k.Reason)
		}
		time.Sleep(100 * time.Millisecond)
	}

	modelID, _, err := c.Train(ctx, alice, &flow.MsgTrain{Idao: 3, Pool: poolID, Name: "iris logistic", Kind: "logistic", Hyper: "epochs=20", Fee: "400000", DataSplitBps: 6000}, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var model *flow.Model
	for model == nil {
		m, err := c.Model(ctx, modelID, 0)
		if err != nil {
			t.Fatal(err)
		}
		switch m.Status {
		case flow.ModelTraining:
			time.Sleep(100 * time.Millisecond)
		case flow.ModelTrained:
			model = m
		default:
			t.Fatalf("model %d is %s (%s), want trained", m.Id, m.Status, m.Reason)
		}
	}
	svcID, _, err := c.RegisterService(ctx, alice, &service.MsgRegisterService{
		Idao: 4, Name: "iris classifier", ModelClass: model.Class, PricePerCall: "1000",
		Split: &service.Split{OwnerBps: 3000, ProviderBps: 2000, ModelBps: 5000}, Workers: []uint64{ids[1], ids[0]}, Policy: service.PolicyTEE,
	}, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Deposit(ctx, bob, svcID, 250_000, client.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	mid, _ := c.Status(ctx)

	notFound := func(t *testing.T, url, codespace string, code uint32, mentions ...string) {
		t.Helper()
		e := get(t, url).expectError(t, http.StatusNotFound, mentions...)
		if e.Codespace != codespace || e.Code != code {
			t.Fatalf("%s: %+v, want %s/%d", url, e, codespace, code)
		}
	}
	badRequest := func(t *testing.T, url string, mentions ...string) {
		t.Helper()
		get(t, url).expectError(t, http.StatusBadRequest, mentions...)
	}

	t.Run("models", func(t *testing.T) {
		var l flow.QueryModelsResponse
		for _, q := range []string{"", fmt.Sprintf("?pool=%d", poolID), "?limit=1"} {
			getProto(t, doc, base+"/v1/flow/models"+q, "QueryModelsResponse", &l)
			if len(l.Models) != 1 || !proto.Equal(l.Models[0], model) {
				t.Fatalf("models%s: %v, want %v", q, &l, model)
			}
		}
		getProto(t, doc, fmt.Sprintf("%s/v1/flow/models?after=%d", base, modelID), "QueryModelsResponse", &l)
		if len(l.Models) != 0 {
			t.Fatalf("after the last model: %v", &l)
		}
		// The workers reported: no model is still assigned to them.
		getProto(t, doc, fmt.Sprintf("%s/v1/flow/models?worker=%d", base, ids[0]), "QueryModelsResponse", &l)
		if len(l.Models) != 0 {
			t.Fatalf("worker %d still has models to train: %v", ids[0], &l)
		}
		notFound(t, base+"/v1/flow/models?pool=99", flow.Name, flow.ErrNotFound.Code, "pool 99")
		notFound(t, base+"/v1/flow/models?worker=99", compute.Name, compute.ErrNotFound.Code, "worker 99")
		badRequest(t, base+"/v1/flow/models?pool=1&worker=1", "at most one")
		badRequest(t, base+"/v1/flow/models?pool=x", `pool "x"`)
		badRequest(t, base+"/v1/flow/models?worker=0", `worker "0"`)
		badRequest(t, base+"/v1/flow/models?limit=0", "limit")
		badRequest(t, base+"/v1/flow/models?after=-1", "after")
	})

	t.Run("model", func(t *testing.T) {
		var m flow.Model
		getProto(t, doc, fmt.Sprintf("%s/v1/flow/models/%d", base, modelID), "Model", &m)
		if !proto.Equal(&m, model) {
			t.Fatalf("model from the API %v, from the SDK %v", &m, model)
		}
		if m.Kind != "logistic" || m.Pool != poolID || m.Idao != 3 || m.Class == 0 || m.Token == 0 || m.AccuracyPpm == 0 ||
			len(m.Results) != 2 || m.Weights == nil || m.Hyper == "" || m.DataSplitBps != 6000 || m.Fee != "400000" {
			t.Fatalf("model %v", &m)
		}
		notFound(t, base+"/v1/flow/models/99", flow.Name, flow.ErrNotFound.Code, "model 99 does not exist")
		badRequest(t, base+"/v1/flow/models/0", `"0"`)
		badRequest(t, base+"/v1/flow/models/first", `"first"`)
	})

	t.Run("services", func(t *testing.T) {
		want, err := c.Service(ctx, svcID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want.Idao != 4 || want.ModelClass != model.Class || want.Model != modelID || want.ModelCommitment != model.ModelCommitment ||
			want.Address != service.Address(svcID).String() || want.Status != service.StatusActive || want.Workers[0] != ids[0] {
			t.Fatalf("service %v", want)
		}
		var l service.QueryServicesResponse
		for _, q := range []string{"", "?idao=4", "?limit=1"} {
			getProto(t, doc, base+"/v1/services"+q, "QueryServicesResponse", &l)
			if len(l.Services) != 1 || !proto.Equal(l.Services[0], want) {
				t.Fatalf("services%s: %v, want %v", q, &l, want)
			}
		}
		for _, q := range []string{"?idao=3", fmt.Sprintf("?after=%d", svcID), fmt.Sprintf("?height=%d", contributedHeight(t, c, ctx, modelID))} {
			getProto(t, doc, base+"/v1/services"+q, "QueryServicesResponse", &l)
			if len(l.Services) != 0 {
				t.Fatalf("services%s: %v, want none", q, &l)
			}
		}
		badRequest(t, base+"/v1/services?idao=x", `idao "x"`)
		badRequest(t, base+"/v1/services?limit=1001", "limit")

		var s service.Service
		getProto(t, doc, fmt.Sprintf("%s/v1/services/%d", base, svcID), "Service", &s)
		if !proto.Equal(&s, want) {
			t.Fatalf("service from the API %v, from the SDK %v", &s, want)
		}
		notFound(t, base+"/v1/services/99", service.Name, service.ErrNotFound.Code, "99")
		badRequest(t, base+"/v1/services/0", `"0"`)
		badRequest(t, fmt.Sprintf("%s/v1/services/%d?height=x", base, svcID), "height")
	})

	t.Run("escrow", func(t *testing.T) {
		var e service.Escrow
		getProto(t, doc, fmt.Sprintf("%s/v1/services/%d/escrow/%s", base, svcID, bob.Address()), "Escrow", &e)
		if e.Balance != "250000" || e.Service != svcID || e.Consumer != bob.Address().String() || e.UnlockHeight != 0 {
			t.Fatalf("bob's escrow %v", &e)
		}
		getProto(t, doc, fmt.Sprintf("%s/v1/services/%d/escrow/%s?height=%d", base, svcID, bob.Address(), mid.LatestHeight), "Escrow", &e)
		if e.Balance != "250000" {
			t.Fatalf("bob's escrow at height %d: %v", mid.LatestHeight, &e)
		}
		getProto(t, doc, fmt.Sprintf("%s/v1/services/%d/escrow/%s", base, svcID, alice.Address()), "Escrow", &e)
		if b, _ := tx.ParseBaseUnits(e.Balance); b != 0 || e.Consumer != alice.Address().String() {
			t.Fatalf("alice never deposited, yet her escrow is %v", &e)
		}
		notFound(t, fmt.Sprintf("%s/v1/services/99/escrow/%s", base, bob.Address()), service.Name, service.ErrNotFound.Code)
		badRequest(t, fmt.Sprintf("%s/v1/services/%d/escrow/bob", base, svcID), "the path")
		badRequest(t, fmt.Sprintf("%s/v1/services/x/escrow/%s", base, bob.Address()), `"x"`)
	})

	t.Run("params", func(t *testing.T) {
		var p service.Params
		getProto(t, doc, base+"/v1/service/params", "ServiceParams", &p)
		want, err := c.ServiceParams(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&p, want) || !proto.Equal(&p, service.DefaultParams()) {
			t.Fatalf("params from the API %v, SDK %v, defaults %v", &p, want, service.DefaultParams())
		}
		badRequest(t, base+"/v1/service/params?height=-1", "height")
	})
}

// contributedHeight is a height before the model's service existed: the
// height the model was asked for.
func contributedHeight(t *testing.T, c *client.Client, ctx context.Context, model uint64) int64 {
	t.Helper()
	m, err := c.Model(ctx, model, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m.CreatedHeight
}
