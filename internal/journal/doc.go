// Package journal is a worker's durable receipt journal: a crash-safe,
// append-only log of opaque records (receipts the worker has not yet
// settled on chain), with group-committed fsync so that thousands of
// concurrent Appends per second share a few fsyncs.
//
// A worker calls Append before it answers a paid call: when Append returns
// nil the receipt is on disk (fsync'd) and survives a kill or a power loss.
// After a Settle transaction is final, the worker calls Done with the
// settled seqs; Done is durable too, so the receipts are not sent again
// after a restart. Pending lists what is still to be settled, oldest first.
// The chain refuses a receipt it has seen, so a receipt sent twice (Done
// lost in a crash between Settle and Done) costs a failed entry, never a
// double payment; the journal's job is never to lose an acknowledged
// receipt and not to resend settled ones needlessly.
//
// # Files
//
// A journal directory holds:
//
//   - journal.log: the one segment file, described below;
//   - journal.log.tmp: a compaction in progress (removed on Open);
//   - LOCK: locked with flock(2) for as long as a Journal is open, and
//     holding the decimal pid of the process that holds it, so that two
//     processes (or two Opens in one process) cannot share a directory;
//     the lock goes with the process however it ends. Where flock is
//     missing (Windows, Solaris, AIX) LOCK is created exclusively instead
//     and removed by Close; after a crash there it must be removed by hand.
//
// # Record format
//
// journal.log is a sequence of records, each
//
//	[len uint32][crc uint32][type byte][payload: len bytes]
//
// with integers little-endian, and crc the CRC-32C (Castagnoli) of the
// four len bytes, the type byte and the payload, so that a flipped bit in
// the length of a complete record is detected too. The types are:
//
//   - 1, header: payload "LZJ1" followed by next uint64, the seq the
//     journal was to assign next when the file was written. It is the
//     first record of the file and appears nowhere else; Open writes it
//     when it creates the file and compaction writes it at the head of the
//     rewritten file, which keeps seqs monotonic even when every entry was
//     done. After replay the next seq is the larger of next and one past
//     the last append.
//   - 2, append: payload seq uint64 followed by the entry's data. Seqs
//     strictly increase through the file.
//   - 3, done: payload one or more seq uint64: those entries are settled.
//     A done seq with no pending entry is ignored.
//
// # Recovery
//
// Open reads the file from the start. At the first record that is not
// whole and valid (cut short, bad crc, unknown type, zero-filled), it looks
// for any valid record after it: if there is one, the damage is in the
// middle of the log and Open refuses with an error wrapping ErrCorrupt,
// naming the offset (restore the directory from a backup, or move the file
// aside to start empty after settling what can be read from it); if there
// is none, the damage is a torn tail, the write of a batch that was never
// acknowledged, and Open truncates the file there and reports the bytes cut
// in Stats.TornBytes (and on Options.Logger). A torn record whose own data
// happens to contain a whole valid record is taken for corruption: Open
// then refuses rather than guess.
//
// # Group commit and compaction
//
// Appends and Dones encode their records into the current batch under a
// mutex; a single flusher goroutine takes the whole batch, writes it with
// one write and one fdatasync, then wakes every caller of that batch. While
// it syncs, the next batch fills up. Entries become visible to Pending only
// once durable, and Done takes effect in memory once durable.
//
// When the log is larger than Options.CompactBytes and less than half of
// it is live (pending entries), the flusher rewrites it: header and live
// append records go to journal.log.tmp, which is fsync'd, renamed over
// journal.log, and the directory fsync'd. A crash at any point leaves
// either the old or the new file, both complete. Calls wait while a
// compaction runs.
//
// A write or fsync error makes the journal failed: every later call
// returns that error, and the caller should Close and reopen, which
// recovers the durable state from disk.
package journal
