package staking_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/x/staking"
)

func TestGenesis(t *testing.T) {
	gen := `{"params":{"epoch_blocks":3,"commission_bps":2500},"validators":[
	 {"idao":2,"consensus_pubkey":"` + consB64(2) + `","delegator":"` + op(2).String() + `","self_bond":"7000000"},
	 {"idao":1,"consensus_pubkey":"` + consB64(1) + `","delegator":"` + op(1).String() + `","self_bond":"2000000"}]}`
	e := newGenesisEnv(t, gen)
	e.checkInvariants()
	p := e.k.Params(e.ctx)
	if p.EpochBlocks != 3 || p.CommissionBps != 2500 || p.MaxValidators != 100 || p.MinSelfBond != laz {
		t.Fatalf("params %v: given ones set, the others default", p)
	}
	if e.tokens(2) != 7*laz || e.balance(op(2)) != funds-7*laz || e.balance(staking.BondedEscrow) != 9*laz {
		t.Fatalf("tokens %d, balance %d", e.tokens(2), e.balance(op(2)))
	}
	out, err := e.m.ExportGenesis(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var g staking.Genesis
	if err := json.Unmarshal(out, &g); err != nil || len(g.Validators) != 2 || g.Validators[0].IDAO != 1 || g.Validators[1].SelfBond != "7000000" ||
		g.Params.CommissionBps != 2500 {
		t.Fatalf("export %s: %v", out, err)
	}
	// A fresh chain takes the export and exports it back the same.
	e2 := newGenesisEnv(t, string(out))
	out2, err := e2.m.ExportGenesis(e2.ctx)
	if err != nil || string(out2) != string(out) {
		t.Fatalf("re-export differs (%v):\n%s\n%s", err, out, out2)
	}
	// Slashed self-bonds are exported at their worth; a creator below the
	// minimum is left out.
	e.ctx = e.fresh(1)
	e.must(&staking.MsgUnbond{From: op(1).String(), Idao: 1, Amount: "1500000"})
	out, _ = e.m.ExportGenesis(e.ctx)
	if err := json.Unmarshal(out, &g); err != nil || len(g.Validators) != 1 || g.Validators[0].IDAO != 2 {
		t.Fatalf("export %s: %v", out, err)
	}
	// A second genesis over the same state is refused.
	if _, err := newEnvGenesis(t, newEnv(t, "").ctx.KV(), ""); !errors.Is(err, staking.ErrInvalidGenesis) {
		t.Fatalf("a second genesis: %v", err)
	}
	// The default genesis loads.
	def := newGenesisEnv(t, string(staking.Module{}.DefaultGenesis()))
	if got := def.k.Params(def.ctx); got.MaxValidators != 100 || got.PowerReduction != 1_000_000 {
		t.Fatalf("default params %v", got)
	}
}

func TestGenesisRefusals(t *testing.T) {
	val := func(idao, key, from, bond string) string {
		return `{"params":{},"validators":[{"idao":` + idao + `,"consensus_pubkey":"` + key + `","delegator":"` + from + `","self_bond":"` + bond + `"}]}`
	}
	for _, c := range []struct{ name, gen, says string }{
		{"unknown field", `{"params":{"max_validator":3}}`, "unknown field"},
		{"trailing data", `{"params":{}} {}`, "unexpected data"},
		{"zero epoch", `{"params":{"epoch_blocks":0}}`, "epoch_blocks is 0"},
		{"window below max missed", `{"params":{"downtime_window":10,"max_missed":10}}`, "less than downtime_window"},
		{"too many validators", `{"params":{"max_validators":1001}}`, "max_validators is 1001"},
		{"slash above 100%", `{"params":{"double_sign_slash_bps":10001}}`, "double_sign_slash_bps"},
		{"commission above 100%", `{"params":{"commission_bps":10001}}`, "commission_bps"},
		{"zero power reduction", `{"params":{"power_reduction":0}}`, "power_reduction"},
		{"zero window", `{"params":{"downtime_window":0,"max_missed":0}}`, "downtime_window is 0"},
		{"huge window", `{"params":{"downtime_window":10001}}`, "downtime_window is 10001"},
		{"zero unbonding", `{"params":{"unbonding_blocks":0}}`, "unbonding_blocks is 0"},
		{"zero min self bond", `{"params":{"min_self_bond":0}}`, "min_self_bond"},
		{"bad delegator", val("1", consB64(1), "0x1", "2000000"), "delegator"},
		{"bad key", val("1", "abc", op(1).String(), "2000000"), "consensus_pubkey"},
		{"bad bond", val("1", consB64(1), op(1).String(), "2 LAZ"), "self_bond"},
		{"no role", val("2", consB64(1), op(1).String(), "2000000"), `"validator" role`},
		{"no iDAO", val("77", consB64(1), op(1).String(), "2000000"), "does not exist"},
		{"bond too low", val("1", consB64(1), op(1).String(), "20"), "below the minimum"},
		{"bond unfunded", val("1", consB64(1), op(1).String(), "9000000000000000000"), "fund the account"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := newEnvGenesis(t, newStateKV(), c.gen)
			if !errors.Is(err, staking.ErrInvalidGenesis) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v, want invalid genesis saying %q", err, c.says)
			}
		})
	}
}
