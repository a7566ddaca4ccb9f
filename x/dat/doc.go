// Package dat is the Data Anchoring Token module (draft ERC-8028, whose
// class/value model is ERC-3525's slot/value).
//
// A Class anchors one asset (a dataset, a contribution, a model, an agent)
// for the iDAO that owns it, with its lineage (parent classes and the share
// of revenue that flows up to each; a DAG, checked for cycles and bounded in
// depth and paths). A Token of a class carries a value (a hard usage quota
// in the class's units), a share ratio (its weight in the class's revenue)
// and an optional expiry. Revenue settles into a per-class accumulator in
// O(lineage paths), whatever the number of holders; holders claim it from
// the Escrow account at any time. Rounding remainders are carried, never
// lost: see revenue.go for the exact fixed-point rules.
//
// Messages: MsgCreateClass, MsgAddParent, MsgMint, MsgTransferValue,
// MsgTransfer, MsgSplit, MsgMerge, MsgApproveForClass, MsgApproveValue,
// MsgRecordUsage, MsgSettleRevenue, MsgClaim, MsgClaimAll, MsgAddProof.
// A BeginBlocker expires tokens whose expiry height or time is reached.
//
// Keys, under the module's "dat/" prefix (ids 8-byte big-endian, addresses
// 20 bytes):
//
//	s/class, s/token                 last class / token id handed out
//	c/<class>                        Class
//	t/<token>                        Token
//	ch/<parent><child>               lineage children index
//	ic/<idao><class>                 classes of an iDAO
//	ct/<class><token>                tokens of a class
//	o/<owner><token>                 tokens of an owner
//	eh/<height><token>               expiry queue by height
//	et/<unix time><token>            expiry queue by time
//	op/<owner><class><operator>      operator approvals
//	al/<token><operator>             value allowances (8-byte amount)
//	u/<token><metric>                usage per metric (8-byte amount)
//	p/<class><index>                 Proof
//
// The module talks to others only through the interfaces it declares:
// BankKeeper (payments into and out of Escrow) and IDAOKeeper (iDAO
// existence, roles, membership, policies, treasuries and agreements).
package dat
