package idao_test

import (
	"strings"
	"testing"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/idao"
)

func TestCreate(t *testing.T) {
	for _, c := range []struct {
		name      string
		msg       *idao.MsgCreate
		wantRoles []string
		err       error
		text      string
	}{
		{name: "creator becomes admin", msg: &idao.MsgCreate{From: bob.String(), Name: "gamma", Description: "d"},
			wantRoles: []string{"admin"}},
		{name: "given roles are added to admin, sorted", msg: &idao.MsgCreate{From: bob.String(), Name: "gamma_2-x",
			Roles: []string{"validator", "data_provider"}}, wantRoles: []string{"admin", "data_provider", "validator"}},
		{name: "admin may be listed once", msg: &idao.MsgCreate{From: bob.String(), Name: "gamma", Roles: []string{"admin", "validator"}},
			wantRoles: []string{"admin", "validator"}},
		{name: "name too short", msg: &idao.MsgCreate{From: bob.String(), Name: "ab"}, err: idao.ErrInvalidName, text: `"ab" has 2 characters`},
		{name: "name too long", msg: &idao.MsgCreate{From: bob.String(), Name: strings.Repeat("a", 65)}, err: idao.ErrInvalidName, text: "65 characters"},
		{name: "name of digits only", msg: &idao.MsgCreate{From: bob.String(), Name: "2024"}, err: idao.ErrInvalidName, text: "no letter"},
		{name: "upper case in name", msg: &idao.MsgCreate{From: bob.String(), Name: "Gamma"}, err: idao.ErrInvalidName, text: "'G' at position 0"},
		{name: "name taken names the owner", msg: &idao.MsgCreate{From: bob.String(), Name: "beta"}, err: idao.ErrNameTaken, text: "taken by iDAO 2"},
		{name: "description too long", msg: &idao.MsgCreate{From: bob.String(), Name: "gamma", Description: strings.Repeat("x", 1025)},
			err: idao.ErrInvalidDescription, text: "1025 bytes"},
		{name: "unknown role", msg: &idao.MsgCreate{From: bob.String(), Name: "gamma", Roles: []string{"wizard"}}, err: idao.ErrInvalidRole, text: `"wizard"`},
		{name: "duplicate role", msg: &idao.MsgCreate{From: bob.String(), Name: "gamma", Roles: []string{"validator", "validator"}},
			err: idao.ErrInvalidRole, text: "listed twice"},
		{name: "admin twice", msg: &idao.MsgCreate{From: bob.String(), Name: "gamma", Roles: []string{"admin", "admin"}},
			err: idao.ErrInvalidRole, text: `"admin" is listed twice`},
		{name: "bad creator address", msg: &idao.MsgCreate{From: "0x12", Name: "gamma"}, err: idao.ErrInvalidAddress, text: "creator"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.standard()
			before := e.snapshot()
			err := e.deliver(c.msg)
			if c.err != nil {
				wantErr(t, err, c.err, c.text)
				if e.snapshot() != before {
					t.Fatal("a refused create changed the state")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := e.get(3)
			treasury := tx.ModuleAddress("idao/3/treasury")
			if d.Name != c.msg.Name || d.Creator != bob.String() || d.Treasury != treasury.String() || d.CreatedHeight != e.height ||
				d.Members != 1 || d.TotalWeight != 1 || d.Admins != 1 || d.NextProposal != 1 || d.Description != c.msg.Description {
				t.Fatalf("record %v", d)
			}
			if e.k.Treasury(3) != treasury {
				t.Fatal("Treasury(3) differs from the module address")
			}
			m := e.member(3, bob)
			if m == nil || strings.Join(m.Roles, ",") != strings.Join(c.wantRoles, ",") || m.Weight != 1 || m.JoinedHeight != e.height {
				t.Fatalf("creator membership %v, want roles %v", m, c.wantRoles)
			}
			if !e.k.HasRole(e.ctx(), 3, bob, idao.RoleAdmin) || e.k.HasRole(e.ctx(), 3, alice, idao.RoleAdmin) || !e.k.IsMember(e.ctx(), 3, bob) {
				t.Fatal("HasRole/IsMember disagree with the membership")
			}
			if findEvent(e.events, "idao_create", map[string]string{"idao": "3", "name": c.msg.Name, "creator": bob.String(),
				"treasury": treasury.String()}) == nil {
				t.Fatalf("no idao_create event in %v", e.events)
			}
			byName := e.query("idao", `{"name":"`+c.msg.Name+`"}`).(*idao.QueryIDAOResponse)
			if byName.Idao.Id != 3 {
				t.Fatalf("by name: %v", byName.Idao)
			}
			e.checkInvariants()
		})
	}
}
