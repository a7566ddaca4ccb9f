package client

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/service"
)

// Model reads a model (a training job and, once trained, the model it
// made). A model that does not exist is an error that matches
// flow.ErrNotFound.
func (c *Client) Model(ctx context.Context, id uint64, height int64) (*flow.Model, error) {
	var r flow.Model
	_, err := c.Query(ctx, "/flow/model", flow.ModelQuery{ID: id}, &r, height)
	return &r, err
}

// Models pages through the models in id order: a pool's (q.Pool), those
// still assigned to a worker (q.Worker), or all; q.After is the last id of
// the previous page.
func (c *Client) Models(ctx context.Context, q flow.ModelsQuery, height int64) (*flow.QueryModelsResponse, error) {
	var r flow.QueryModelsResponse
	_, err := c.Query(ctx, "/flow/models", q, &r, height)
	return &r, err
}

// ServiceParams reads the service module's parameters.
func (c *Client) ServiceParams(ctx context.Context, height int64) (*service.Params, error) {
	var r service.Params
	_, err := c.Query(ctx, "/service/params", struct{}{}, &r, height)
	return &r, err
}

// Service reads a registered service. A service that does not exist is an
// error that matches service.ErrNotFound.
func (c *Client) Service(ctx context.Context, id uint64, height int64) (*service.Service, error) {
	var r service.Service
	_, err := c.Query(ctx, "/service/service", service.ServiceQuery{ID: id}, &r, height)
	return &r, err
}

// Services pages through the services in id order, those of iDAO idao
// when it is not 0; after is the last id of the previous page.
func (c *Client) Services(ctx context.Context, idao, after uint64, limit int, height int64) (*service.QueryServicesResponse, error) {
	var r service.QueryServicesResponse
	_, err := c.Query(ctx, "/service/services", service.ServicesQuery{IDAO: idao, After: after, Limit: limit}, &r, height)
	return &r, err
}

// Escrow reads a consumer's escrow for a service (zero balances when it
// never deposited). A service that does not exist is an error that matches
// service.ErrNotFound.
func (c *Client) Escrow(ctx context.Context, consumer tx.Address, svc uint64, height int64) (*service.Escrow, error) {
	var r service.Escrow
	_, err := c.Query(ctx, "/service/escrow", service.EscrowQuery{Consumer: consumer.String(), Service: svc}, &r, height)
	return &r, err
}

// Nonces reads a consumer's record of the voucher nonces used at a
// worker: every nonce below its base is closed.
func (c *Client) Nonces(ctx context.Context, consumer tx.Address, worker uint64, height int64) (*service.NonceSet, error) {
	var r service.NonceSet
	_, err := c.Query(ctx, "/service/nonces", service.NoncesQuery{Consumer: consumer.String(), Worker: worker}, &r, height)
	return &r, err
}

// Train sends a MsgTrain (the signer must hold the model_trainer or admin
// role in msg.Idao) and returns the new model's id. Follow it with Model
// until its status is no longer training.
func (c *Client) Train(ctx context.Context, signer tx.Signer, msg *flow.MsgTrain, opts TxOptions) (uint64, *TxResult, error) {
	msg.From = signer.Address().String()
	return c.sendForID(ctx, signer, msg, opts, "flow_train", "model")
}

// RegisterService sends a MsgRegisterService (the signer must hold the
// app_developer or admin role in msg.Idao) and returns the new service's
// id.
func (c *Client) RegisterService(ctx context.Context, signer tx.Signer, msg *service.MsgRegisterService, opts TxOptions) (uint64, *TxResult, error) {
	msg.From = signer.Address().String()
	return c.sendForID(ctx, signer, msg, opts, "service_register", "service")
}

// UpdateService sends a MsgUpdateService: a new price, workers or status
// (empty or zero fields stay as they are).
func (c *Client) UpdateService(ctx context.Context, signer tx.Signer, msg *service.MsgUpdateService, opts TxOptions) (*TxResult, error) {
	msg.From = signer.Address().String()
	return c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
}

// Deposit adds amount ulaz of the signer's to its escrow for service svc,
// from which the calls it makes are paid.
func (c *Client) Deposit(ctx context.Context, signer tx.Signer, svc, amount uint64, opts TxOptions) (*TxResult, error) {
	msg := &service.MsgDeposit{From: signer.Address().String(), Service: svc, Amount: tx.FormatBaseUnits(amount)}
	return c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
}

// Withdraw starts withdrawing amount ulaz of the signer's escrow for
// service svc; it is paid out withdraw_delay_blocks later, less what
// receipts of calls already served spend of it until then.
func (c *Client) Withdraw(ctx context.Context, signer tx.Signer, svc, amount uint64, opts TxOptions) (*TxResult, error) {
	msg := &service.MsgWithdraw{From: signer.Address().String(), Service: svc, Amount: tx.FormatBaseUnits(amount)}
	return c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
}

// BuyUsage buys amount ulaz of usage value on service svc's model class
// and returns the token that holds it: a new token, or into when it is not
// 0 (a token of the class the signer owns).
func (c *Client) BuyUsage(ctx context.Context, signer tx.Signer, svc, amount, into uint64, opts TxOptions) (uint64, *TxResult, error) {
	msg := &service.MsgBuyUsage{From: signer.Address().String(), Service: svc, Amount: tx.FormatBaseUnits(amount), Into: into}
	return c.sendForID(ctx, signer, msg, opts, "service_buy", "token")
}
