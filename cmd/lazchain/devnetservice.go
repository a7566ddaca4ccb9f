package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/internal/datasets"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/service"
)

// The devnet's AI demo: bob's seed contribution of iris records, a
// logistic model trained on it by the devnet's worker for iDAO 3, and a
// paid service on the model for iDAO 4, with some escrow for dave to call
// it.
const (
	demoServiceName  = "iris classifier (demo)"
	demoModelName    = "iris logistic (demo)"
	demoCallPrice    = tx.UnitsPerLAZ / 1000
	demoDaveEscrow   = tx.UnitsPerLAZ
	demoInput        = `{"features":[6.1,2.8,4.7,1.2]}`
	demoSetupTimeout = 90 * time.Second
)

// devnetService is the devnet's AI demo as the banner shows it.
type devnetService struct {
	Model       uint64 `json:"model"`
	ModelClass  uint64 `json:"model_class"`
	AccuracyPPM uint32 `json:"accuracy_ppm"`
	Service     uint64 `json:"service"`
	Price       string `json:"price_per_call"`
	Input       string `json:"example_input"`
}

// startDevnetService makes the AI demo the first time (a seed
// contribution, a trained model, a service, dave's escrow) and returns
// it; later starts find it on chain.
func startDevnetService(ctx context.Context, n *node.Node, fl *devnetFlow) (*devnetService, error) {
	c := n.Client
	alice, bob, dave := tx.DeterministicKey("devnet/alice"), tx.DeterministicKey("devnet/bob"), tx.DeterministicKey("devnet/dave")
	apps, err := c.IDAOByName(ctx, demoAppsName, 0)
	if err != nil {
		return nil, fmt.Errorf("no %q iDAO (a home made before the AI demo): %w", demoAppsName, err)
	}
	models, err := c.IDAOByName(ctx, demoModelsName, 0)
	if err != nil {
		return nil, fmt.Errorf("no %q iDAO (a home made before the AI demo): %w", demoModelsName, err)
	}
	out := &devnetService{Input: demoInput}
	var svcs service.QueryServicesResponse
	if _, err := c.Query(ctx, "/service/services", service.ServicesQuery{IDAO: apps.Idao.Id, Limit: 1}, &svcs, 0); err != nil {
		return nil, err
	}
	if len(svcs.Services) > 0 {
		return out.fill(ctx, c, svcs.Services[0])
	}
	ctx, cancel := context.WithTimeout(ctx, demoSetupTimeout)
	defer cancel()
	pool, err := c.Pool(ctx, fl.Pool, 0)
	if err != nil {
		return nil, err
	}
	if pool.AnchoredLive == 0 {
		var seed [][]byte
		for i, l := range datasets.Lines(datasets.Iris) {
			if i%5 == 2 {
				seed = append(seed, l)
			}
		}
		data := datasets.Join(seed)
		res, err := c.Contribute(ctx, bob, pool.Id, bytes.NewReader(data), int64(len(data)), n.Blobs, nil, "", nil)
		if err != nil {
			return nil, fmt.Errorf("bob's seed contribution: %w", err)
		}
		if err := waitFor(ctx, func() (bool, error) {
			ct, err := c.Contribution(ctx, res.Contribution, 0)
			if err == nil && ct.Status != flow.StatusVerifying && ct.Status != flow.StatusAnchored {
				err = fmt.Errorf("the seed contribution %d is %s: %s", ct.Id, ct.Status, ct.Reason)
			}
			return err == nil && ct.Status == flow.StatusAnchored, err
		}); err != nil {
			return nil, err
		}
	}
	res, err := c.SignAndBroadcast(ctx, alice, []proto.Message{&flow.MsgTrain{
		From: alice.Address().String(), Idao: models.Idao.Id, Pool: pool.Id, Name: demoModelName, Kind: "logistic",
		Fee: pool.VerifierFee, DataSplitBps: 5000,
	}}, client.TxOptions{})
	if err != nil {
		return nil, fmt.Errorf("training the demo model: %w", err)
	}
	modelID, err := res.NewID("flow_train", "model")
	if err != nil {
		return nil, err
	}
	var m flow.Model
	if err := waitFor(ctx, func() (bool, error) {
		_, err := c.Query(ctx, "/flow/model", flow.ModelQuery{ID: modelID}, &m, 0)
		if err == nil && m.Status == flow.ModelFailed {
			err = fmt.Errorf("the demo model failed: %s", m.Reason)
		}
		return err == nil && m.Status == flow.ModelTrained, err
	}); err != nil {
		return nil, err
	}
	res, err = c.SignAndBroadcast(ctx, alice, []proto.Message{&service.MsgRegisterService{
		From: alice.Address().String(), Idao: apps.Idao.Id, Name: demoServiceName, ModelClass: m.Class,
		PricePerCall: tx.FormatBaseUnits(demoCallPrice), Split: &service.Split{OwnerBps: 3000, ProviderBps: 2000, ModelBps: 5000},
		Workers: []uint64{fl.Worker}, Policy: service.PolicyTEE,
	}}, client.TxOptions{})
	if err != nil {
		return nil, fmt.Errorf("registering the demo service: %w", err)
	}
	svcID, err := res.NewID("service_register", "service")
	if err != nil {
		return nil, err
	}
	if _, err := c.SignAndBroadcast(ctx, dave, []proto.Message{&service.MsgDeposit{
		From: dave.Address().String(), Service: svcID, Amount: tx.FormatBaseUnits(demoDaveEscrow),
	}}, client.TxOptions{}); err != nil {
		return nil, fmt.Errorf("dave's escrow for the demo service: %w", err)
	}
	s := &service.Service{}
	if _, err := c.Query(ctx, "/service/service", service.ServiceQuery{ID: svcID}, s, 0); err != nil {
		return nil, err
	}
	return out.fill(ctx, c, s)
}

func (out *devnetService) fill(ctx context.Context, c *client.Client, s *service.Service) (*devnetService, error) {
	var m flow.Model
	if _, err := c.Query(ctx, "/flow/model", flow.ModelQuery{ID: s.Model}, &m, 0); err != nil {
		return nil, err
	}
	out.Model, out.ModelClass, out.AccuracyPPM, out.Service, out.Price = m.Id, m.Class, m.AccuracyPpm, s.Id, s.PricePerCall
	return out, nil
}

// waitFor polls done until it says so, fails, or ctx ends.
func waitFor(ctx context.Context, done func() (bool, error)) error {
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
