package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/idao"
)

// The DAT workload's genesis: one iDAO created by account 0, owning one
// class (id datClass) in which each account i holds two tokens, A = 2i+1
// and B = 2i+2, each of datTokenValue units.
const (
	datIDAOName = "bench-idao"
	datClass    = 1
	// datClassName is the class's name; its SHA-256 is its integrity hash.
	datClassName = "bench dataset"
	// datTokenValue is each genesis token's value, in the class's units.
	datTokenValue = 1_000_000
	// datMoveValue is what each transferValue moves.
	datMoveValue = 1
)

// datTokens are account i's two tokens, in genesis mint order.
func datTokens(i int) (a, b uint64) { return uint64(2*i + 1), uint64(2*i + 2) }

// datGenesis is the idao and dat genesis sections of the DAT workload for
// the first accounts bench accounts.
func datGenesis(accounts int) (map[string]json.RawMessage, error) {
	creator := benchKey(0).Address().String()
	ig := idao.Genesis{IDAOs: []idao.GenesisIDAO{{
		Name: datIDAOName, Description: "The iDAO owning the benchmark's DAT class.", Creator: creator,
	}}}
	sum := sha256.Sum256([]byte(datClassName))
	class := dat.GenesisClass{IDAO: 1, Creator: creator, Name: datClassName, IntegrityHash: hex.EncodeToString(sum[:])}
	for i := 0; i < accounts; i++ {
		owner := benchKey(i).Address().String()
		class.Tokens = append(class.Tokens,
			dat.GenesisToken{Owner: owner, Value: datTokenValue, ShareRatio: 1},
			dat.GenesisToken{Owner: owner, Value: datTokenValue, ShareRatio: 1})
	}
	ib, err := json.Marshal(ig)
	if err != nil {
		return nil, err
	}
	db, err := json.Marshal(dat.Genesis{Classes: []dat.GenesisClass{class}})
	if err != nil {
		return nil, err
	}
	return map[string]json.RawMessage{idao.Name: ib, dat.Name: db}, nil
}

// datTransferValueMsg is the DAT workload's messages: account i's tx with
// an even nonce moves datMoveValue from its token A to its token B, with an
// odd nonce back from B to A.
func datTransferValueMsg(keys []*tx.PrivateKey) func(i, nonce int) proto.Message {
	return func(i, nonce int) proto.Message {
		a, b := datTokens(i)
		if nonce%2 == 1 {
			a, b = b, a
		}
		return &dat.MsgTransferValue{From: keys[i].Address().String(), FromToken: a, ToToken: b, Value: datMoveValue}
	}
}

// datWant is what account i's tokens A and B hold after it sent n
// transferValues: every pair of them cancels out, an odd one left A to B.
func datWant(n int) (a, b uint64) {
	odd := uint64(n % 2 * datMoveValue)
	return datTokenValue - odd, datTokenValue + odd
}

// verifyDATTokens checks that each account still owns its two tokens of the
// bench class, that they hold the values its transferValues leave (their
// sum what genesis minted), and that the class's total value is unchanged.
func verifyDATTokens(ctx context.Context, c *client.Client, p *plan, v *Verification) error {
	for i, k := range p.keys {
		idA, idB := datTokens(i)
		wantA, wantB := datWant(p.counts[i])
		ids, want := [2]uint64{idA, idB}, [2]uint64{wantA, wantB}
		var sum uint64
		for j, id := range ids {
			r, err := c.DATToken(ctx, id, 0)
			if err != nil {
				return fmt.Errorf("account %d: DAT token %d: %w", i, id, err)
			}
			t := r.GetToken()
			switch {
			case t == nil:
				return fmt.Errorf("account %d: DAT token %d not found", i, id)
			case t.Class != datClass || t.Owner != k.Address().String():
				return fmt.Errorf("account %d (%s): DAT token %d is of class %d owned by %s, want class %d owned by the account",
					i, k.Address(), id, t.Class, t.Owner, datClass)
			case t.Value != want[j]:
				return fmt.Errorf("account %d (%s): DAT token %d holds %d units after %d %ss, want %d",
					i, k.Address(), id, t.Value, p.counts[i], p.noun, want[j])
			}
			sum += t.Value
			v.DATTokens++
		}
		if sum != 2*datTokenValue {
			return fmt.Errorf("account %d (%s): DAT tokens %d and %d hold %d units together, want %d", i, k.Address(), ids[0], ids[1], sum, 2*datTokenValue)
		}
	}
	r, err := c.DATClass(ctx, datClass, 0)
	if err != nil {
		return fmt.Errorf("DAT class %d: %w", datClass, err)
	}
	if want := uint64(len(p.keys)) * 2 * datTokenValue; r.GetClass().GetTotalValue() != want {
		return fmt.Errorf("DAT class %d: total value %d, want %d", datClass, r.GetClass().GetTotalValue(), want)
	}
	v.DATTokensOK = true
	return nil
}
