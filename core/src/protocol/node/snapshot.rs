//! Log compaction and InstallSnapshot (thesis chapter 5, Fig. 5.3; paper
//! §7): every server snapshots its own applied state; a leader whose
//! follower needs entries it compacted away sends its snapshot instead,
//! one chunk at a time.

use super::{Out, RaftNode};
use crate::protocol::bugs::Bug;
use crate::protocol::config::ReadMode;
use crate::protocol::io::{Output, Role, Timer};
use crate::protocol::message::{InstallSnapshot, InstallSnapshotReply, Message};
use crate::protocol::progress::SendingSnapshot;
use crate::protocol::snapshot::{Snapshot, SnapshotRef};
use crate::protocol::types::NodeId;

impl RaftNode {
    /// Snapshot the state machine once `snapshot_every` applied entries
    /// sit in the log, and drop them (§7: each server compacts on its own,
    /// and only what it has applied).
    pub(super) fn maybe_compact(&mut self, out: &mut Out) {
        let every = self.opts.snapshot_every;
        if every == 0 || self.last_applied < self.log.snapshot_index().saturating_add(every) {
            return;
        }
        let index = self.last_applied;
        let Some(term) = self.log.term(index) else {
            return;
        };
        let kv = if self.bug(Bug::SnapshotDropsSessions) {
            self.kv.without_sessions()
        } else {
            self.kv.clone()
        };
        self.snapshot = Some(SnapshotRef::new(Snapshot {
            index,
            term,
            // The configuration as of the snapshot's last entry (§7).
            config: self.config_at(index).0,
            kv,
        }));
        self.log.compact(index);
        out.push(Output::Snapshot { index, term });
    }

    /// Leaders: send `peer` the chunk of the snapshot it is receiving,
    /// starting a transfer of our latest snapshot if none is under way.
    /// One chunk is out at a time; a heartbeat sends it again.
    pub(super) fn send_snapshot(&mut self, peer: NodeId, out: &mut Out) -> bool {
        let chunk = self.opts.snapshot_chunk.max(1);
        let latest = self.snapshot.clone();
        let Some(p) = self.progress.get_mut(&peer) else {
            return false;
        };
        match (&mut p.snapshot, latest) {
            (None, Some(data)) => p.snapshot = Some(SendingSnapshot { data, offset: 0 }),
            (None, None) => return false,
            // Nothing of it has arrived yet (the follower may be down):
            // send the newest snapshot instead, which leaves it less to
            // catch up on.
            (Some(s), Some(data)) if s.offset == 0 && data.index() > s.data.index() => {
                s.data = data
            }
            (Some(_), _) => {}
        }
        let Some(s) = &p.snapshot else {
            return false;
        };
        let size = s.data.size();
        let offset = s.offset.min(size);
        let len = chunk.min(size - offset);
        let msg = Message::InstallSnapshot(InstallSnapshot {
            term: self.current_term,
            leader_id: self.id,
            last_included_index: s.data.index(),
            last_included_term: s.data.term(),
            offset,
            len,
            size,
            done: offset + len == size,
            data: s.data.clone(),
        });
        out.push(Output::Send { to: peer, msg });
        true
    }

    /// Leaders: a follower says how much of the snapshot it holds. All of
    /// it: replicate from just past it. More than before: the next chunk.
    pub(super) fn on_snapshot_reply(
        &mut self,
        from: NodeId,
        m: InstallSnapshotReply,
        out: &mut Out,
    ) {
        let Some(p) = self.progress.get_mut(&from) else {
            return;
        };
        let Some(s) = &mut p.snapshot else {
            return;
        };
        if m.last_included_index != s.data.index() {
            return; // about another snapshot
        }
        if m.received >= s.data.size() {
            let index = s.data.index();
            p.snapshot_installed(index);
            self.maybe_commit(out);
            self.send_entries(from, out);
            return;
        }
        if m.received == s.offset {
            return; // nothing new: the next heartbeat sends the chunk again
        }
        // Further on, or back (the follower restarted and lost the chunks).
        s.offset = m.received;
        self.send_snapshot(from, out);
    }

    /// InstallSnapshot receiver (thesis Fig. 5.3).
    pub(super) fn on_install_snapshot(&mut self, from: NodeId, m: InstallSnapshot, out: &mut Out) {
        let (index, request_term) = (m.last_included_index, m.term);
        let reply = move |node: &Self, received: u64, out: &mut Out| {
            out.push(Output::Send {
                to: from,
                msg: Message::InstallSnapshotReply(InstallSnapshotReply {
                    term: node.current_term,
                    request_term,
                    last_included_index: index,
                    received,
                }),
            });
        };
        // 1. Reply immediately if term < currentTerm.
        if m.term < self.current_term {
            return reply(self, 0, out);
        }
        // From the current leader, as AppendEntries (§5.2).
        if self.role != Role::Follower {
            self.become_follower(m.term, Some(m.leader_id), out);
        }
        self.leader_id = Some(m.leader_id);
        self.pre_votes = None;
        if self.opts.read == ReadMode::Lease {
            self.sticky = true;
        }
        out.push(Output::SetTimer(Timer::Election));
        // What we committed is the leader's too: we hold all of it already.
        if index <= self.commit_index {
            self.incoming = None;
            return reply(self, m.size, out);
        }
        // 2-4. Take the chunk if it follows what arrived (a chunk at offset
        // 0 starts a new snapshot).
        let mut got = match self.incoming {
            Some((i, r)) if i == index => r,
            _ => 0,
        };
        if m.offset <= got {
            got = got.max(m.offset + m.len);
        }
        self.incoming = Some((index, got));
        if got >= m.size {
            self.install(m.data, out);
        }
        reply(self, got, out);
    }

    /// 5-8. Save the snapshot, keep the log after it if it matches there
    /// (else discard the log), and reset the state machine to it.
    fn install(&mut self, data: SnapshotRef, out: &mut Out) {
        let (index, term) = (data.index(), data.term());
        let kept = self.log.install(index, term);
        self.kv = data.get().kv.clone();
        self.snapshot = Some(data);
        self.incoming = None;
        self.last_applied = index;
        out.push(Output::Install { index, term, kept });
        self.refresh_config(out);
        if index > self.commit_index {
            self.commit_index = index;
            out.push(Output::Commit { index });
        }
    }
}
