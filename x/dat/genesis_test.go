package dat_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/x/dat"
)

func TestGenesis(t *testing.T) {
	good := fmt.Sprintf(`{"classes":[
	 {"idao":1,"creator":"%[1]s","name":"raw","integrity_hash":"%[3]s","policy":{"allowed_services":["%[4]s"]},
	  "tokens":[{"owner":"%[2]s","value":10,"share_ratio":1},{"owner":"%[4]s","value":5,"share_ratio":0,"expire_at_height":500}]},
	 {"idao":1,"creator":"%[1]s","name":"clean","integrity_hash":"%[3]s","unit_decimals":3,"parents":[{"class":1,"split_bps":4000},{"class":3,"split_bps":100}],
	  "policy":{"restricted":true},"tokens":[{"owner":"%[2]s","value":7,"share_ratio":2,"expire_at_time":%[5]d}]},
	 {"idao":2,"creator":"%[1]s","name":"late parent","integrity_hash":"%[3]s","policy":{}}
	]}`, admin, alice, hash64, bob, startTime+100)
	e := newEnv(t)
	if err := e.m.InitGenesis(e.ctx, []byte(good)); err != nil {
		t.Fatal(err)
	}
	e.checkInvariants()
	c2 := e.classOf(2)
	if len(c2.Parents) != 2 || c2.Parents[1].Class != 3 || c2.Depth != 1 || c2.LineagePaths != 3 || !c2.Policy.Restricted || c2.Tokens != 1 {
		t.Fatalf("class 2 %v", c2)
	}
	if c := e.classOf(1); c.Tokens != 2 || c.TotalShare != 1 || c.TotalValue != 15 {
		t.Fatalf("class 1 %v", c)
	}
	out, err := e.m.ExportGenesis(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var g dat.Genesis
	if err := json.Unmarshal(out, &g); err != nil || len(g.Classes) != 3 || len(g.Classes[0].Tokens) != 2 || g.Classes[1].Tokens[0].ExpireAtTime != startTime+100 {
		t.Fatalf("export %s: %v", out, err)
	}
	e2 := newEnv(t)
	if err := e2.m.InitGenesis(e2.ctx, out); err != nil {
		t.Fatalf("export does not re-import: %v", err)
	}
	out2, _ := e2.m.ExportGenesis(e2.ctx)
	if string(out) != string(out2) {
		t.Fatalf("re-export differs:\n%s\n%s", out, out2)
	}
	def := newEnv(t)
	if err := def.m.InitGenesis(def.ctx, def.m.DefaultGenesis()); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct{ name, in, says string }{
		{"misspelt field", `{"class":[]}`, "unknown field"},
		{"missing iDAO", fmt.Sprintf(`{"classes":[{"idao":9,"creator":"%s","name":"x","integrity_hash":"%s","policy":{}}]}`, admin, hash64), "iDAO 9 does not exist"},
		{"bad creator", fmt.Sprintf(`{"classes":[{"idao":1,"creator":"me","name":"x","integrity_hash":"%s","policy":{}}]}`, hash64), "creator"},
		{"bad class", fmt.Sprintf(`{"classes":[{"idao":1,"creator":"%s","name":"","integrity_hash":"%s","policy":{}}]}`, admin, hash64), "name is 0 bytes"},
		{"empty token", fmt.Sprintf(`{"classes":[{"idao":1,"creator":"%s","name":"x","integrity_hash":"%s","policy":{},"tokens":[{"owner":"%s","value":0,"share_ratio":0}]}]}`, admin, hash64, alice), "token 0"},
		{"bad owner", fmt.Sprintf(`{"classes":[{"idao":1,"creator":"%s","name":"x","integrity_hash":"%s","policy":{},"tokens":[{"owner":"x","value":1,"share_ratio":0}]}]}`, admin, hash64), "owner"},
		{"self parent", fmt.Sprintf(`{"classes":[{"idao":1,"creator":"%s","name":"x","integrity_hash":"%s","parents":[{"class":1,"split_bps":1}],"policy":{}}]}`, admin, hash64), "own parent"},
		{"missing later parent", fmt.Sprintf(`{"classes":[{"idao":1,"creator":"%s","name":"x","integrity_hash":"%s","parents":[{"class":5,"split_bps":1}],"policy":{}}]}`, admin, hash64), "parent class 5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			err := e.m.InitGenesis(e.ctx, []byte(c.in))
			if !errors.Is(err, dat.ErrInvalidGenesis) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v, want an invalid-genesis error saying %q", err, c.says)
			}
		})
	}
	t.Run("not empty", func(t *testing.T) {
		e := newEnv(t)
		e.class()
		err := e.m.InitGenesis(e.ctx, []byte(good))
		if !errors.Is(err, dat.ErrInvalidGenesis) || !strings.Contains(err.Error(), "empty module") {
			t.Fatalf("got %v", err)
		}
	})
}
