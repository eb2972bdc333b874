//! Membership changes (thesis chapter 4, paper §6): configurations are log
//! entries, and a server uses the latest one in its log, committed or not
//! (§4.1). New servers catch up as learners first (§4.2.1); then either
//! one server joins or leaves at a time (§4.1-4.3), or the cluster goes
//! through joint consensus, C_old,new then C_new (paper §6).

use super::{Out, RaftNode};
use crate::protocol::config::Membership;
use crate::protocol::io::{Output, Role};
use crate::protocol::kv::Command;
use crate::protocol::progress::Progress;
use crate::protocol::quorum::{ConfChange, Configuration};
use crate::protocol::types::{LogIndex, NodeId};
use std::sync::Arc;

/// A learner is promoted once a catch-up round takes no longer than an
/// election timeout (§4.2.1); after this many rounds the leader promotes
/// it anyway (the thesis would abort; an administrator here cannot retry
/// by hand, and a slow learner only slows commits down).
const MAX_ROUNDS: u32 = 10;

impl RaftNode {
    /// The configuration in force at `index` and the index of its entry:
    /// the latest configuration entry at or before it, else the
    /// snapshot's, else the boot configuration.
    pub(super) fn config_at(&self, index: LogIndex) -> (Configuration, LogIndex) {
        let mut i = index.min(self.log.last_index());
        while i > self.log.snapshot_index() {
            if let Some(Command::Config(c)) = self.log.entry(i).map(|e| &e.cmd) {
                return ((**c).clone(), i);
            }
            i -= 1;
        }
        match &self.snapshot {
            Some(s) => (s.get().config.clone(), 0),
            None => (self.boot_config.clone(), 0),
        }
    }

    /// Take the log's latest configuration; report a change, and as leader
    /// track exactly its members.
    pub(super) fn refresh_config(&mut self, out: &mut Out) {
        let (config, index) = self.config_at(self.log.last_index());
        self.config_index = index;
        if config == self.config {
            return;
        }
        self.config = config;
        self.members = self.config.members();
        out.push(Output::Config {
            config: self.config.clone(),
        });
        if self.role == Role::Leader {
            let members = self.config.members();
            let next = self.log.last_index() + 1;
            // Rebuilt rather than pruned in place: cheaper in code size.
            let old = std::mem::take(&mut self.progress);
            self.progress = members
                .iter()
                .filter(|&&id| id != self.id)
                .map(|&id| (id, old.get(&id).cloned().unwrap_or(Progress::new(next, 0))))
                .collect();
            self.rounds.retain(|r| members.contains(&r.0));
            for id in members {
                if self.config.is_learner(id) && !self.rounds.iter().any(|r| r.0 == id) {
                    self.begin_catch_up(id);
                }
            }
        }
    }

    /// May this server stand for election? A voter of its latest
    /// configuration may; so may one that an uncommitted entry removes
    /// while the committed configuration still has it: a removed leader
    /// that crashed before C_new committed must be able to finish the
    /// change, for its log (ahead by that entry) denies the others their
    /// votes. It counts votes by the latest configuration all the same,
    /// and steps down once C_new commits (§4.2.2).
    pub(super) fn may_stand(&self) -> bool {
        self.config.contains(self.id)
            || (self.config_index > self.commit_index
                && self.config_at(self.commit_index).0.contains(self.id))
    }

    /// Is a configuration change under way (an entry not yet committed,
    /// or joint consensus not yet left)? One change at a time (§4.1).
    fn config_busy(&self) -> bool {
        self.config_index > self.commit_index || self.config.is_joint()
    }

    /// May this leader start a configuration change now? Not during one,
    /// nor during a leadership transfer, and (the fix of the bug found in
    /// 2015, thesis errata) not before an entry of its own term commits.
    fn may_change_config(&self) -> bool {
        self.role == Role::Leader
            && self.transfer.is_none()
            && !self.config_busy()
            && self.log.term(self.commit_index) == Some(self.current_term)
    }

    fn append_config(&mut self, config: Configuration, out: &mut Out) {
        self.append_local(Command::Config(Arc::new(config)), out);
        for peer in self.config.members() {
            if peer != self.id {
                self.send_entries(peer, out);
            }
        }
        self.maybe_commit(out);
    }

    /// An administrator's change: a new server joins as a learner first
    /// (its promotion follows once it has caught up); a voter leaves in
    /// one step, or through C_old,new with joint consensus. Anything this
    /// server cannot start now it ignores: the caller asks again.
    pub(super) fn change_config(&mut self, change: ConfChange, out: &mut Out) {
        if !self.may_change_config() {
            return;
        }
        let c = &self.config;
        let next = match change {
            ConfChange::Add(id) if c.contains(id) || c.is_learner(id) => return,
            ConfChange::Add(id) => Configuration::with_sets(
                c.voters().iter().copied(),
                [],
                c.learners().iter().copied().chain([id]),
            ),
            ConfChange::Remove(id) if c.is_learner(id) => Configuration::with_sets(
                c.voters().iter().copied(),
                [],
                c.learners().iter().copied().filter(|&l| l != id),
            ),
            ConfChange::Remove(id) if !c.contains(id) => return,
            // The last voter stays: a configuration without one can
            // neither elect nor commit.
            ConfChange::Remove(_) if c.voters().len() <= 1 => return,
            ConfChange::Remove(id) => {
                let rest = c.voters().iter().copied().filter(|&v| v != id);
                match self.opts.membership {
                    Membership::Single => {
                        Configuration::with_sets(rest, [], c.learners().iter().copied())
                    }
                    Membership::Joint => Configuration::with_sets(
                        rest,
                        c.voters().iter().copied(),
                        c.learners().iter().copied(),
                    ),
                }
            }
        };
        self.append_config(next, out);
    }

    /// Leaders: a new catch-up round for learner `id`: it must reach our
    /// last index.
    pub(super) fn begin_catch_up(&mut self, id: NodeId) {
        let round = self.rounds.iter().find(|r| r.0 == id).map_or(0, |r| r.1) + 1;
        self.rounds.retain(|r| r.0 != id);
        self.rounds
            .push((id, round, self.log.last_index(), self.now));
    }

    /// Leaders: learner `id` acknowledged entries. A round it finished
    /// within an election timeout means it has caught up: promote it.
    pub(super) fn on_learner_progress(&mut self, id: NodeId, out: &mut Out) {
        let matched = self.progress.get(&id).map_or(0, |p| p.match_index);
        let Some(&(_, round, end, began)) = self.rounds.iter().find(|r| r.0 == id) else {
            return;
        };
        if matched < end {
            return;
        }
        let fast = self.now.saturating_sub(began) <= self.opts.lease_timeout;
        if (fast || round >= MAX_ROUNDS) && self.may_change_config() {
            let c = &self.config;
            let learners = c.learners().iter().copied().filter(|&l| l != id);
            let voters = c.voters().iter().copied().chain([id]);
            let next = match self.opts.membership {
                Membership::Single => Configuration::with_sets(voters, [], learners),
                Membership::Joint => {
                    Configuration::with_sets(voters, c.voters().iter().copied(), learners)
                }
            };
            self.rounds.retain(|r| r.0 != id);
            self.append_config(next, out);
        } else if !fast {
            self.begin_catch_up(id);
        }
    }

    /// Leaders, when commitIndex moves: leave joint consensus once
    /// C_old,new commits (append C_new); step down once a C_new without us
    /// commits (§4.2.2); promote learners that caught up meanwhile.
    pub(super) fn advance_config(&mut self, out: &mut Out) {
        if self.config_index > self.commit_index {
            return;
        }
        if self.config.is_joint() {
            let c = &self.config;
            let next = Configuration::with_sets(
                c.voters().iter().copied(),
                [],
                c.learners().iter().copied(),
            );
            return self.append_config(next, out);
        }
        if !self.config.contains(self.id) {
            let term = self.current_term;
            return self.become_follower(term, None, out);
        }
        for id in self.config.learners().to_vec() {
            self.on_learner_progress(id, out);
        }
    }

    /// Is `change` in force: committed, and out of joint consensus?
    pub fn config_settled(&self, change: ConfChange) -> bool {
        if self.config_busy() {
            return false;
        }
        match change {
            ConfChange::Add(id) => self.config.contains(id),
            ConfChange::Remove(id) => !self.config.contains(id) && !self.config.is_learner(id),
        }
    }
}
