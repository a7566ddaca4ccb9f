// Package idao is the iDAO module: the registry of iDAOs (named groups of
// members with roles and voting weights), their typed policies, their
// treasuries, the proposals and votes through which an iDAO changes itself
// or spends its treasury, and the agreements by which one iDAO lets another
// use one of its DAT classes.
//
// Messages: MsgCreate forms an iDAO (the signer becomes its first admin);
// MsgPropose opens a proposal whose actions are dry-run at once and run, all
// or none, at the end of the block in which the proposal passes; MsgVote
// casts or changes a member's vote. EndBlock executes passing proposals,
// rejects hopeless ones and expires those whose voting period ended.
//
// Keys (under "idao/"; ids are 8-byte big-endian):
//
//	s/idao, s/agreement              last id handed out
//	i/<idao>                         IDAO
//	n/<name>                         idao id
//	t/<treasury address>             idao id
//	m/<idao><address>                Member
//	c/<idao><policy key>             policy value (set keys only)
//	p/<idao><proposal>               Proposal
//	v/<idao><proposal><voter>        Vote
//	e/<end height><idao><proposal>   open proposals by voting end (value 1)
//	q/<idao><proposal>               proposals to settle at end of block
//	a/<agreement>                    Agreement
//	g/<idao><agreement>              agreements the iDAO grants or was granted
//	x/<grantor><grantee><class>      the active agreement's id
//
// Other modules reach the iDAO through Keeper (Get, IsMember, HasRole,
// Policy, Treasury, ActiveAgreement, UseAgreement). The module moves LAZ
// only through the BankKeeper it declares, and learns who owns a DAT class
// through ClassKeeper.
package idao
