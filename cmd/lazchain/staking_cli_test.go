package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/staking"
)

// stakingTestParams are quick staking parameters for tests: a validator
// missing more than 10 of 20 blocks is slashed 0.1% and jailed for 1000
// blocks; unbonding takes 20 blocks.
func stakingTestParams() *staking.GenesisParams {
	return &staking.GenesisParams{
		MaxValidators: 100, EpochBlocks: 5, UnbondingBlocks: 20, DoubleSignSlashBps: 500, DowntimeSlashBps: 10,
		DowntimeWindow: 20, MaxMissed: 10, JailBlocks: 1000, PowerReduction: tx.UnitsPerLAZ, MinSelfBond: tx.UnitsPerLAZ,
		CommissionBps: 1000,
	}
}

// stakingNet writes a one-validator testnet (iDAO 1 bonds 1000 LAZ with the
// node's own consensus key; its operator key is "operator") with alice
// funded, starts it and returns a CLI environment on it.
func stakingNet(t *testing.T, ctx context.Context, o node.StartOptions) (*cliEnv, *node.Node, node.TestnetNode) {
	t.Helper()
	alice := tx.DeterministicKey("staking-cli/alice")
	nodes, err := node.Testnet(t.TempDir(), node.TestnetOptions{
		Validators: 1, ChainID: "staking-cli", BlockTime: nodetest.BlockTime, Staking: stakingTestParams(),
		Accounts: []bank.Balance{{Address: alice.Address(), Amount: tx.FormatBaseUnits(1000 * tx.UnitsPerLAZ)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	home := nodes[0].Home
	if _, err := keyring.Open(home).StoreTest("alice", alice); err != nil {
		t.Fatal(err)
	}
	n := nodetest.Start(t, home, o)
	return &cliEnv{t: t, ctx: ctx, home: home, node: n.RPCURL()}, n, nodes[0]
}

// stakingValidator reads a validator through the CLI.
func (e *cliEnv) stakingValidator(id uint64) *staking.ValidatorInfo {
	e.t.Helper()
	var r staking.QueryValidatorResponse
	e.query(&r, "query", "staking", "validator", strconv.FormatUint(id, 10))
	return r.Validator
}

// waitFor polls cond every block time until it holds or a minute passes.
func (e *cliEnv) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(nodetest.BlockTime)
	}
}

// rewardsPaid sums the staking rewards a tx paid out.
func rewardsPaid(t *testing.T, r *client.TxResult) uint64 {
	t.Helper()
	var sum uint64
	for _, ev := range r.Events {
		if ev.Type != "staking_rewards" {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == "amount" {
				n, err := tx.ParseBaseUnits(a.Value)
				if err != nil {
					t.Fatal(err)
				}
				sum += n
			}
		}
	}
	return sum
}

// getJSON fetches url and returns its status and body.
func getJSON(t *testing.T, url string) (int, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	bz, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, bz
}

// getProtoJSON fetches url, which must answer 200 with m in protojson
// (decoded strictly: a field unknown to the proto is an error).
func getProtoJSON(t *testing.T, url string, m proto.Message) {
	t.Helper()
	status, bz := getJSON(t, url)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, bz)
	}
	if err := protojson.Unmarshal(bz, m); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, bz)
	}
}

// TestStakingThroughTheCLI drives the staking module of a real node through
// the CLI: the node's own validator (iDAO 1) in status and queries;
// delegate, bond, undelegate, unbond, withdraw-rewards with the numbers
// checked from -o json; unjail refused; create-validator for a second iDAO
// with a fresh key, which never signs and so is slashed and jailed for
// downtime; unbonding paid out; the REST routes; and bad input.
func TestStakingThroughTheCLI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e, n, tn := stakingNet(t, ctx, node.StartOptions{})
	const laz = tx.UnitsPerLAZ
	alice := tx.DeterministicKey("staking-cli/alice").Address().String()
	operator := tn.Operator.String()

	// The node's own validator, as status shows it.
	var st struct {
		ChainID          string `json:"chain_id"`
		LatestHeight     int64  `json:"latest_height"`
		ValidatorAddress string `json:"validator_address"`
		ValidatorPower   int64  `json:"validator_power"`
		Peers            *int   `json:"peers"`
		Staking          *struct {
			IDAO   uint64 `json:"idao"`
			Status string `json:"status"`
			Power  int64  `json:"power"`
			Tokens string `json:"tokens"`
			Missed *int   `json:"missed_blocks"`
			Jailed bool   `json:"jailed"`
		} `json:"staking"`
	}
	if err := json.Unmarshal([]byte(e.ok("status", "-o", "json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.ChainID != "staking-cli" || st.LatestHeight < 1 || !strings.EqualFold(st.ValidatorAddress, tn.ValidatorAddress) || st.ValidatorPower != 1000 ||
		st.Peers == nil || *st.Peers != 0 || st.Staking == nil || st.Staking.IDAO != 1 || st.Staking.Status != "bonded" ||
		st.Staking.Power != 1000 || st.Staking.Tokens != "1000000000" || st.Staking.Missed == nil || *st.Staking.Missed != 0 || st.Staking.Jailed {
		t.Fatalf("status: %+v staking %+v", st, st.Staking)
	}
	e.text([]string{"peers        0", "staking      iDAO 1, bonded, power 1000", "bonded     1000 LAZ (1000000000 ulaz)", "missed     0 blocks"}, "status")

	var params staking.QueryParamsResponse
	e.query(&params, "query", "staking", "params")
	if p := params.Params; p.EpochBlocks != 5 || p.UnbondingBlocks != 20 || p.DowntimeWindow != 20 || p.MaxMissed != 10 || p.JailBlocks != 1000 {
		t.Fatalf("params %v", p)
	}
	e.text([]string{"unbonding            20 blocks", "downtime slash       0.1% (more than 10 missed of 20 blocks)", "commission           10%"}, "query", "staking", "params")

	var vals staking.QueryValidatorsResponse
	e.query(&vals, "query", "staking", "validators")
	if len(vals.Validators) != 1 || vals.Validators[0].Validator.Idao != 1 || vals.Validators[0].Status != "bonded" ||
		vals.Validators[0].Power != 1000 || !strings.EqualFold(vals.Validators[0].ConsensusAddress, tn.ValidatorAddress) ||
		vals.Validators[0].Validator.Creator != operator || vals.Validators[0].SelfBond != 1000*laz {
		t.Fatalf("validators %v", &vals)
	}
	e.text([]string{"validator of iDAO 1: bonded, power 1000", "self-bond          1000 LAZ"}, "query", "staking", "validator", "1")

	// alice delegates 250 LAZ: the validator's tokens and her balance
	// move by exactly that.
	before := e.balance("alice")
	res := e.tx("tx", "staking", "delegate", "1", "250laz", "--from", "alice")
	if attr(t, res, "staking_delegate", "amount") != "250000000" || attr(t, res, "staking_delegate", "self") != "false" {
		t.Fatalf("delegate events %+v", res.Events)
	}
	if got, want := e.balance("alice"), before-250*laz-fee(t, res); got != want {
		t.Fatalf("alice has %d after delegating, want %d", got, want)
	}
	if v := e.stakingValidator(1); v.Validator.Tokens != 1250*laz || v.SelfBond != 1000*laz {
		t.Fatalf("validator after the delegation %v", v)
	}
	var dels staking.QueryDelegationsResponse
	e.query(&dels, "query", "staking", "delegations", "--delegator", "alice")
	if len(dels.Delegations) != 1 || dels.Delegations[0].Delegation.Idao != 1 || dels.Delegations[0].Tokens != 250*laz ||
		dels.Delegations[0].Delegation.Self || dels.Delegations[0].Delegation.Delegator != alice {
		t.Fatalf("alice's delegations %v", &dels)
	}

	// The operator adds 100 LAZ to its self-bond; alice, without the
	// validator role, may not.
	e.tx("tx", "staking", "bond", "1", "100laz", "--from", "operator")
	if v := e.stakingValidator(1); v.Validator.Tokens != 1350*laz || v.SelfBond != 1100*laz {
		t.Fatalf("validator after the bond %v", v)
	}
	e.fails([]string{`does not hold the "validator" role in iDAO 1`}, "tx", "staking", "bond", "1", "1laz", "--from", "alice")
	dels.Reset()
	e.query(&dels, "query", "staking", "delegations", "--idao", "1")
	if len(dels.Delegations) != 2 {
		t.Fatalf("delegations to iDAO 1 %v", &dels)
	}
	for _, d := range dels.Delegations {
		switch d.Delegation.Delegator {
		case operator:
			if !d.Delegation.Self || d.Tokens != 1100*laz {
				t.Errorf("operator's delegation %v", d)
			}
		case alice:
			if d.Delegation.Self || d.Tokens != 250*laz {
				t.Errorf("alice's delegation %v", d)
			}
		default:
			t.Errorf("unexpected delegation %v", d)
		}
	}

	// Fees of the blocks since alice delegated are her rewards, less the
	// commission; withdraw-rewards pays them.
	var pending uint64
	e.waitFor("alice's rewards", func() bool {
		var r staking.QueryDelegationsResponse
		e.query(&r, "query", "staking", "delegations", "--delegator", "alice")
		pending = r.Delegations[0].PendingRewards
		return pending > 0
	})
	before = e.balance("alice")
	res = e.tx("tx", "staking", "withdraw-rewards", "1", "--from", "alice")
	paid := rewardsPaid(t, res)
	if paid < pending || attr(t, res, "staking_rewards", "delegator") != alice {
		t.Fatalf("withdraw paid %d, at least %d was pending: %+v", paid, pending, res.Events)
	}
	if got, want := e.balance("alice"), before-fee(t, res)+paid; got != want {
		t.Fatalf("alice has %d after withdrawing, want %d", got, want)
	}

	// Unjailing a validator that is not jailed is refused.
	e.fails([]string{"validator 1 is not jailed", "staking/13"}, "tx", "staking", "unjail", "1", "--from", "operator")

	// alice undelegates 50 LAZ and the operator unbonds 100: they leave
	// the validator now and are paid back 20 blocks later.
	before = e.balance("alice")
	und := e.tx("tx", "staking", "undelegate", "1", "50laz", "--from", "alice")
	aliceAfter := before - fee(t, und) + rewardsPaid(t, und)
	e.tx("tx", "staking", "unbond", "1", "100laz", "--from", "operator")
	if v := e.stakingValidator(1); v.Validator.Tokens != 1200*laz || v.SelfBond != 1000*laz {
		t.Fatalf("validator after unbonding %v", v)
	}
	var ubs staking.QueryUnbondingsResponse
	e.query(&ubs, "query", "staking", "unbondings", "--delegator", "alice")
	if len(ubs.Unbondings) != 1 || ubs.Unbondings[0].Amount != 50*laz || ubs.Unbondings[0].CreationHeight != und.Height ||
		ubs.Unbondings[0].CompletionHeight != und.Height+20 {
		t.Fatalf("alice's unbondings %v (undelegated at %d)", &ubs, und.Height)
	}
	ubs.Reset()
	e.query(&ubs, "query", "staking", "unbondings", "--idao", "1")
	if len(ubs.Unbondings) != 2 || ubs.Unbondings[1].Amount != 100*laz || ubs.Unbondings[1].Delegator != operator {
		t.Fatalf("unbondings of iDAO 1 %v", &ubs)
	}
	var pool staking.QueryPoolResponse
	e.query(&pool, "query", "staking", "pool")
	if pool.BondedTotal != 1200*laz || pool.UnbondingTotal != 150*laz || pool.BondedEscrow != staking.BondedEscrow.String() {
		t.Fatalf("pool %v", &pool)
	}
	e.text([]string{"bonded          1200 LAZ (1200000000 ulaz)", "unbonding       150 LAZ (150000000 ulaz)"}, "query", "staking", "pool")

	// A second validator: iDAO 2 with a fresh consensus key that no node
	// runs. The node's own key is taken already.
	if id := e.newID("idao_create", "idao", "tx", "idao", "create", "second-validator", "--roles", "validator", "--from", "operator"); id != 2 {
		t.Fatalf("new iDAO %d, want 2", id)
	}
	e.fails([]string{"already the key of validator 1"}, "tx", "staking", "create-validator", "--idao", "2", "--home-key", "--self-bond", "2laz", "--from", "operator")
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	res = e.tx("tx", "staking", "create-validator", "--idao", "2", "--pubkey", base64.StdEncoding.EncodeToString(pub), "--self-bond", "2laz", "--from", "operator")
	if attr(t, res, "staking_validator", "action") != "create" || attr(t, res, "staking_validator", "self_bond") != "2000000" {
		t.Fatalf("create-validator events %+v", res.Events)
	}
	v2 := e.stakingValidator(2)
	if !proto.Equal(v2.Validator, &staking.Validator{Idao: 2, ConsensusPubkey: pub, Creator: operator, Tokens: 2 * laz, Shares: 2 * laz,
		SelfShares: 2 * laz, CreatedHeight: res.Height, Acc: v2.Validator.Acc, AccRemainder: v2.Validator.AccRemainder}) {
		t.Fatalf("new validator %v", v2)
	}
	// It joins the set at the next epoch, misses every block and, past
	// 10 of 20, is slashed 0.1% and jailed.
	e.waitFor("validator 2 to be jailed for downtime", func() bool { return e.stakingValidator(2).Validator.Jailed })
	v2 = e.stakingValidator(2)
	if v2.Status != "jailed" || v2.Power != 0 || v2.Validator.Slashes != 1 || v2.Validator.Slashed != 2000 || v2.Validator.Tokens != 2*laz-2000 ||
		v2.Validator.JailedUntil <= res.Height+1000 {
		t.Fatalf("validator 2 after downtime %v", v2)
	}
	e.text([]string{"validator of iDAO 2: jailed", "jailed             until height", "slashes            1, 0.002 LAZ (2000 ulaz) in all"}, "query", "staking", "validator", "2")
	e.fails([]string{"validator 2 is jailed until height", "staking/14"}, "tx", "staking", "unjail", "2", "--from", "operator")
	vals.Reset()
	e.query(&vals, "query", "staking", "validators", "--limit", "1")
	if len(vals.Validators) != 1 || vals.Validators[0].Validator.Idao != 1 || vals.Next != 1 {
		t.Fatalf("first page of validators %v", &vals)
	}
	e.text([]string{"iDAO 2    jailed   power 0"}, "query", "staking", "validators", "--after", "1")

	// alice's 50 LAZ come back at the completion height.
	e.waitFor("alice's unbonding to complete", func() bool {
		var r staking.QueryUnbondingsResponse
		e.query(&r, "query", "staking", "unbondings", "--delegator", "alice")
		return len(r.Unbondings) == 0
	})
	if got, want := e.balance("alice"), aliceAfter+50*laz; got != want {
		t.Fatalf("alice has %d after her unbonding completed, want %d", got, want)
	}

	// The REST routes answer as the queries do.
	base := n.APIURL()
	var rv staking.QueryValidatorsResponse
	getProtoJSON(t, base+"/v1/staking/validators", &rv)
	if len(rv.Validators) != 2 || rv.Validators[1].Status != "jailed" || rv.Validators[0].Validator.Tokens != 1200*laz {
		t.Fatalf("GET /v1/staking/validators %v", &rv)
	}
	var one staking.QueryValidatorResponse
	getProtoJSON(t, base+"/v1/staking/validators/2", &one)
	if !proto.Equal(one.Validator.Validator, e.stakingValidator(2).Validator) {
		t.Fatalf("GET /v1/staking/validators/2 %v", &one)
	}
	var rd staking.QueryDelegationsResponse
	getProtoJSON(t, base+"/v1/staking/delegations?delegator="+alice, &rd)
	if len(rd.Delegations) != 1 || rd.Delegations[0].Tokens != 200*laz {
		t.Fatalf("GET delegations of alice %v", &rd)
	}
	rd.Reset()
	getProtoJSON(t, base+"/v1/staking/delegations?idao=1&limit=1", &rd)
	if len(rd.Delegations) != 1 || rd.Next == "" {
		t.Fatalf("GET first delegation to iDAO 1 %v", &rd)
	}
	first := rd.Delegations[0].Delegation.Delegator
	rd.Reset()
	getProtoJSON(t, base+"/v1/staking/delegations?idao=1&after="+first, &rd)
	if len(rd.Delegations) != 1 || rd.Delegations[0].Delegation.Delegator == first {
		t.Fatalf("GET second delegation to iDAO 1 %v", &rd)
	}
	var rp staking.QueryParamsResponse
	getProtoJSON(t, base+"/v1/staking/params", &rp)
	if !proto.Equal(rp.Params, params.Params) {
		t.Fatalf("GET /v1/staking/params %v", &rp)
	}
	for _, c := range []struct {
		path   string
		status int
		want   string
	}{
		{"/v1/staking/validators/7", http.StatusNotFound, `"codespace":"staking"`},
		{"/v1/staking/validators/x", http.StatusBadRequest, "idao"},
		{"/v1/staking/validators?limit=0", http.StatusBadRequest, "limit"},
		{"/v1/staking/delegations", http.StatusBadRequest, "exactly one of"},
		{"/v1/staking/delegations?idao=1&delegator=" + alice, http.StatusBadRequest, "exactly one of"},
		{"/v1/staking/delegations?idao=7", http.StatusNotFound, "not a validator"},
		{"/v1/staking/delegations?delegator=0x12", http.StatusBadRequest, "delegator"},
		{"/v1/staking/delegations?delegator=" + alice + "&after=x", http.StatusBadRequest, "after"},
		{"/v1/staking/params?height=-1", http.StatusBadRequest, "height"},
	} {
		status, body := getJSON(t, base+c.path)
		if status != c.status || !strings.Contains(string(body), c.want) {
			t.Errorf("GET %s: %d %s, want %d mentioning %q", c.path, status, body, c.status, c.want)
		}
	}

	// Bad input: each error names what was wrong.
	key := base64.StdEncoding.EncodeToString(pub)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tx", "staking", "create-validator", "--pubkey", key, "--self-bond", "1laz", "--from", "operator"}, "--idao is required"},
		{[]string{"tx", "staking", "create-validator", "--idao", "2", "--self-bond", "1laz", "--from", "operator"}, "exactly one of --pubkey"},
		{[]string{"tx", "staking", "create-validator", "--idao", "2", "--pubkey", key, "--home-key", "--self-bond", "1laz", "--from", "operator"}, "exactly one of --pubkey"},
		{[]string{"tx", "staking", "create-validator", "--idao", "2", "--pubkey", "abc", "--self-bond", "1laz", "--from", "operator"}, "not standard base64"},
		{[]string{"tx", "staking", "create-validator", "--idao", "2", "--pubkey", "AAAA", "--self-bond", "1laz", "--from", "operator"}, "an ed25519 key is 32"},
		{[]string{"tx", "staking", "create-validator", "--idao", "2", "--pubkey", key, "--from", "operator"}, "--self-bond is required"},
		{[]string{"tx", "staking", "create-validator", "--idao", "2", "--pubkey", key, "--self-bond", "12", "--from", "operator"}, "no unit"},
		{[]string{"tx", "staking", "create-validator", "--idao", "2", "--pubkey", key, "--self-bond", "0laz", "--from", "operator"}, "greater than zero"},
		{[]string{"tx", "staking", "create-validator", "--idao", "2", "--pubkey", key, "--self-bond", "1laz", "--from", "operator"}, "already has a validator"},
		{[]string{"tx", "staking", "delegate", "0", "1laz", "--from", "alice"}, `IDAO "0"`},
		{[]string{"tx", "staking", "delegate", "1", "0laz", "--from", "alice"}, "greater than zero"},
		{[]string{"tx", "staking", "delegate", "1", "1laz"}, "--from is required"},
		{[]string{"tx", "staking", "delegate", "9", "1laz", "--from", "alice"}, "iDAO 9 is not a validator"},
		{[]string{"tx", "staking", "undelegate", "1", "5000laz", "--from", "alice"}, "staking/12"},
		{[]string{"tx", "staking", "unbond", "1", "1laz", "--from", "alice"}, "staking/21"},
		{[]string{"tx", "staking", "withdraw-rewards", "2", "--from", "alice"}, "has no delegation to validator 2"},
		{[]string{"tx", "staking", "unjail", "x", "--from", "operator"}, `IDAO "x"`},
		{[]string{"query", "staking", "delegations"}, "exactly one of --delegator"},
		{[]string{"query", "staking", "delegations", "--delegator", "alice", "--idao", "1"}, "exactly one of --delegator"},
		{[]string{"query", "staking", "delegations", "--delegator", "nobody"}, "neither an address"},
		{[]string{"query", "staking", "delegations", "--delegator", "alice", "--after", "x"}, "--after"},
		{[]string{"query", "staking", "unbondings", "--idao", "1", "--after", "x"}, "--after"},
		{[]string{"query", "staking", "validator", "0"}, "positive integer id"},
		{[]string{"query", "staking", "validator", "9"}, "iDAO 9 is not a validator"},
		{[]string{"query", "staking", "validators", "--after", "-1"}, "--after"},
	} {
		_, _, err := e.run(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("lazchain %s: got %v, want an error saying %q", strings.Join(c.args, " "), err, c.want)
		}
	}

	// Every command documents itself with an example.
	for _, c := range []string{"create-validator", "bond", "unbond", "delegate", "undelegate", "unjail", "withdraw-rewards"} {
		out := e.ok("tx", "staking", c, "--help")
		if !strings.Contains(out, "Examples:") || !strings.Contains(out, "lazchain tx staking "+c) || !strings.Contains(out, "--from") {
			t.Errorf("tx staking %s --help:\n%s", c, out)
		}
	}
	if out := e.ok("tx", "staking", "create-validator", "--help"); !strings.Contains(out, "--home-key") || !strings.Contains(out, "priv_validator_key.json") {
		t.Errorf("create-validator --help:\n%s", out)
	}
	for _, c := range []string{"validators", "validator", "delegations", "unbondings", "params", "pool"} {
		if out := e.ok("query", "staking", c, "--help"); !strings.Contains(out, "Examples:") {
			t.Errorf("query staking %s --help:\n%s", c, out)
		}
	}
}

// TestHomeConsensusKey reads the consensus key of a home as
// priv_validator_key.json has it, and refuses what is not one.
func TestHomeConsensusKey(t *testing.T) {
	home := nodetest.Init(t, "key-test")
	key, err := homeConsensusKey(home)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := staking.ParsePubKey(key)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Address string `json:"address"`
	}
	bz, err := os.ReadFile(home + "/config/priv_validator_key.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bz, &file); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%X", staking.ConsensusAddress(pk)); got != strings.ToUpper(file.Address) {
		t.Fatalf("key %s has address %s; the file says %s", key, got, file.Address)
	}
	if _, err := homeConsensusKey(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a LazChain home") {
		t.Fatalf("an empty directory: %v", err)
	}
	for _, c := range []struct{ content, want string }{
		{`not json`, "not a CometBFT priv_validator_key.json"},
		{`{"pub_key":{"type":"tendermint/PubKeySecp256k1","value":"AAAA"}}`, "LazChain validators use ed25519"},
		{`{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"AAAA"}}`, "an ed25519 key is 32"},
	} {
		if err := os.WriteFile(home+"/config/priv_validator_key.json", []byte(c.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := homeConsensusKey(home); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.content, err, c.want)
		}
	}
}

// stakingMetricsChild marks the process TestStakingMetrics runs its node
// in: node.StartOptions.Metrics registers with the process's default
// Prometheus registry, which other tests of this package use already.
const stakingMetricsChild = "LAZCHAIN_TEST_STAKING_METRICS_CHILD"

// TestStakingMetrics checks /metrics of a real node for the staking series:
// bonded total, power and missed blocks per validator iDAO, and slashes
// per iDAO and reason, after a second validator that never signs is
// slashed and jailed for downtime. The node runs in a child process of the
// test binary, so its metrics registry is its own.
func TestStakingMetrics(t *testing.T) {
	if os.Getenv(stakingMetricsChild) == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestStakingMetrics$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), stakingMetricsChild+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestStakingMetrics") {
			t.Fatalf("the metrics node: %v\n%s", err, out)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	e, n, _ := stakingNet(t, ctx, node.StartOptions{Metrics: true})
	const laz = tx.UnitsPerLAZ
	if id := e.newID("idao_create", "idao", "tx", "idao", "create", "offline-validator", "--roles", "validator", "--from", "operator"); id != 2 {
		t.Fatalf("new iDAO %d, want 2", id)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e.tx("tx", "staking", "create-validator", "--idao", "2", "--pubkey", base64.StdEncoding.EncodeToString(pub), "--self-bond", "2laz", "--from", "operator")

	scrape := func() map[string]float64 {
		status, body := getJSON(t, n.APIURL()+"/metrics")
		if status != http.StatusOK {
			t.Fatalf("/metrics: %d %s", status, body)
		}
		series := map[string]float64{}
		sc := bufio.NewScanner(strings.NewReader(string(body)))
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "lazchain_staking_") {
				continue
			}
			i := strings.LastIndexByte(line, ' ')
			v, err := strconv.ParseFloat(line[i+1:], 64)
			if err != nil {
				t.Fatalf("/metrics line %q: %v", line, err)
			}
			series[line[:i]] = v
		}
		return series
	}
	// While validator 2 is in the set, its power shows and it misses
	// blocks.
	e.waitFor("validator 2 in the set and missing blocks", func() bool {
		s := scrape()
		return s[`lazchain_staking_validator_power{idao="2"}`] == 2 && s[`lazchain_staking_missed_blocks{idao="2"}`] > 0
	})
	e.waitFor("validator 2 to be jailed", func() bool { return e.stakingValidator(2).Validator.Jailed })
	// The block that jailed it is finalized; one more block and the
	// metrics have seen the state the query shows.
	h := n.App.Tree().Version()
	e.waitFor("the next block", func() bool { return n.App.Tree().Version() > h+1 })
	want := map[string]float64{
		`lazchain_staking_bonded_ulaz`:                                  float64(1000*laz + 2*laz - 2000),
		`lazchain_staking_validator_power{idao="1"}`:                    1000,
		`lazchain_staking_validator_power{idao="2"}`:                    0,
		`lazchain_staking_missed_blocks{idao="1"}`:                      0,
		`lazchain_staking_missed_blocks{idao="2"}`:                      0,
		`lazchain_staking_slashes_total{idao="1",reason="double_sign"}`: 0,
		`lazchain_staking_slashes_total{idao="1",reason="downtime"}`:    0,
		`lazchain_staking_slashes_total{idao="2",reason="double_sign"}`: 0,
		`lazchain_staking_slashes_total{idao="2",reason="downtime"}`:    1,
	}
	got := scrape()
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("staking series %v, want exactly %v", got, want)
	}
	var pool staking.QueryPoolResponse
	e.query(&pool, "query", "staking", "pool")
	if float64(pool.BondedTotal) != got["lazchain_staking_bonded_ulaz"] {
		t.Errorf("bonded total: metric %v, pool %d", got["lazchain_staking_bonded_ulaz"], pool.BondedTotal)
	}
}
