// Package service is LazChain's service path: app-developer iDAOs register
// services that serve a trained model's DAT class through attested
// workers, consumers pay for calls, and workers settle the enclave-signed
// receipts of calls in batches.
//
// A consumer pays in one of two ways: from an escrow it deposits for a
// service (MsgDeposit; MsgWithdraw pays it back after a delay during which
// receipts of calls already served may still spend it), or with usage
// value bought on a token of the model class (MsgBuyUsage: one unit of
// value is one ulaz held by the module, usable at any service of the
// class, transferable like any DAT value).
//
// For every call the consumer signs a Voucher: chain id, service, the
// worker, request hash, the most it will pay, a nonce, an expiry and how
// it pays. The worker answers with a Receipt signed by its enclave key:
// the voucher, the output hash, the model commitment and the price.
// MsgSettle carries up to max_receipts receipts of one worker, with one
// enclave signature over the batch (or each receipt's own); the chain
// checks every consumer signature (in parallel, before touching state),
// the price against the voucher, the expiry against the block time, and
// the nonce against the consumer's NonceSet at that worker: a window of
// nonce_window bits above a base below which every nonce is closed, so
// that a receipt settles at most once and the chain keeps a few hundred
// bytes per consumer and worker rather than a key per receipt. A nonce
// beyond the window moves it up; keeping a window per worker means a
// voucher settled by one worker never closes a nonce another worker holds
// a receipt for, and a worker keeps its own unsettled nonces of a consumer
// within one window. A bad receipt is reported by index and reason in a
// service_receipt_rejected event and changes nothing; the good ones
// settle.
//
// Each payment is split exactly: protocol_fee_bps to the fee collector
// (the validators), then owner_bps of the rest to the service iDAO's
// treasury, provider_bps to the worker's compute iDAO treasury, and what
// remains to the model class through dat's SettleRevenue, which sends the
// class's data split up its lineage to the pool's data class, whose holders
// share it in proportion to their Proof of Data Value scores.
package service
