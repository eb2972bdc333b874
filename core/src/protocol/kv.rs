//! The replicated state machine: a key-value store with `put`, `get` and
//! `cas`, and client sessions that make retried commands apply once
//! (thesis §6.3).
//!
//! A session keeps the result of each of its client's requests until the
//! client acknowledges it: every command carries the lowest op id the
//! client has no answer to yet (`first_unacked`), and results below it are
//! forgotten. A duplicate of a request still held gets that request's own
//! result; one below `first_unacked` is never run again. Sessions expire
//! deterministically, as the thesis allows: at most `max_sessions` are kept
//! and the least recently used goes first (by log order, the same on every
//! server); a command from an expired session is refused with
//! `session expired`, never run.

use super::quorum::Configuration;
use super::types::{ClientId, OpId};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Keys and values are shared strings: copying an op, an entry or a
/// result never allocates.
pub type Text = Arc<str>;

/// A key-value operation, as written in scenarios and traces.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum KvOp {
    Put {
        key: Text,
        value: Text,
    },
    Get {
        key: Text,
    },
    /// Compare-and-set: set `value` if the key currently holds `expect`
    /// (`null` expects the key to be absent).
    Cas {
        key: Text,
        #[serde(default)]
        expect: Option<Text>,
        value: Text,
    },
}

impl KvOp {
    pub fn key(&self) -> &str {
        match self {
            KvOp::Put { key, .. } | KvOp::Get { key } | KvOp::Cas { key, .. } => key,
        }
    }
}

/// The result of an operation, as returned to the client.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OpResult {
    /// `put` succeeded, or `cas` found what it expected.
    Ok,
    /// The value `get` read; `null` if the key is absent.
    Value { value: Option<Text> },
    /// `cas` found another value.
    Mismatch { actual: Option<Text> },
    /// The call failed on the client side, e.g. `"timeout"`.
    Error { reason: String },
}

/// Which client operation an entry carries, for at-most-once application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Session {
    pub client: ClientId,
    pub op_id: OpId,
}

/// A client command in the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KvCommand {
    pub op: KvOp,
    pub session: Option<Session>,
    /// The lowest op id its client had no answer to when it sent this
    /// (thesis §6.3); the session forgets results below it.
    pub first_unacked: OpId,
}

impl Serialize for KvCommand {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The op's own fields, then the session: {"type":"put",...,"client":1,"op_id":2},
        // and `first_unacked` when it is not the op itself (a client with
        // one request at a time never has another).
        let acked = self.session.filter(|s| s.op_id != self.first_unacked);
        let extra = match (self.session, acked) {
            (None, _) => 0,
            (Some(_), None) => 2,
            (Some(_), Some(_)) => 3,
        };
        let mut m = match &self.op {
            KvOp::Put { key, value } => {
                let mut m = s.serialize_map(Some(3 + extra))?;
                m.serialize_entry("type", "put")?;
                m.serialize_entry("key", key)?;
                m.serialize_entry("value", value)?;
                m
            }
            KvOp::Get { key } => {
                let mut m = s.serialize_map(Some(2 + extra))?;
                m.serialize_entry("type", "get")?;
                m.serialize_entry("key", key)?;
                m
            }
            KvOp::Cas { key, expect, value } => {
                let mut m = s.serialize_map(Some(4 + extra))?;
                m.serialize_entry("type", "cas")?;
                m.serialize_entry("key", key)?;
                m.serialize_entry("expect", expect)?;
                m.serialize_entry("value", value)?;
                m
            }
        };
        if let Some(sess) = &self.session {
            m.serialize_entry("client", &sess.client)?;
            m.serialize_entry("op_id", &sess.op_id)?;
        }
        if acked.is_some() {
            m.serialize_entry("first_unacked", &self.first_unacked)?;
        }
        m.end()
    }
}

/// What a log entry carries. Cloning is cheap: client commands are shared.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    /// The entry a new leader appends when it takes office (§8).
    Noop,
    Kv(Arc<KvCommand>),
    /// A configuration entry (thesis chapter 4): a server uses the latest
    /// one in its log, committed or not (§4.1).
    Config(Arc<Configuration>),
}

impl Command {
    /// A command from a client with one request at a time (or none).
    pub fn kv(op: KvOp, session: Option<Session>) -> Command {
        let first_unacked = session.map_or(0, |s| s.op_id);
        Command::Kv(Arc::new(KvCommand {
            op,
            session,
            first_unacked,
        }))
    }

    pub fn session(&self) -> Option<Session> {
        match self {
            Command::Noop | Command::Config(_) => None,
            Command::Kv(c) => c.session,
        }
    }
}

impl Serialize for Command {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Command::Noop => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("type", "noop")?;
                m.end()
            }
            Command::Kv(c) => c.serialize(s),
            Command::Config(c) => {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("type", "config")?;
                m.serialize_entry("voters", c.voters())?;
                if c.is_joint() {
                    m.serialize_entry("outgoing", c.outgoing())?;
                }
                if !c.learners().is_empty() {
                    m.serialize_entry("learners", c.learners())?;
                }
                m.end()
            }
        }
    }
}

/// How many client sessions a store keeps by default.
pub const MAX_SESSIONS: usize = 1024;

/// One client's session (thesis §6.3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct ClientSession {
    /// Requests below this were answered or given up on by the client:
    /// their results are forgotten and they never run again.
    first_unacked: OpId,
    /// The result of each request run and not yet acknowledged, by op id.
    results: Results,
    /// When it was last used, counted in session commands applied.
    used: u64,
}

/// A session's results in op id order: a short list, its first entry kept
/// in the session itself. Most sessions hold one result (a client runs one
/// operation at a time), so most never allocate, and a session that expires
/// is dropped without a visit to memory untouched since it was made.
/// `first` is empty only when `rest` is too, so equal lists compare and
/// hash equal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Results {
    first: Option<(OpId, OpResult)>,
    rest: Vec<(OpId, OpResult)>,
}

impl Results {
    fn iter(&self) -> impl Iterator<Item = &(OpId, OpResult)> {
        self.first.iter().chain(&self.rest)
    }

    /// Forget the results below op `from`.
    fn forget_below(&mut self, from: OpId) {
        if self.first.as_ref().is_some_and(|(id, _)| *id < from) {
            self.first = None;
        }
        self.rest.retain(|(id, _)| *id >= from);
        if self.first.is_none() && !self.rest.is_empty() {
            self.first = Some(self.rest.remove(0));
        }
    }

    /// Add op `id`'s result, in order (`id` is not held yet).
    fn insert(&mut self, id: OpId, r: OpResult) {
        match &self.first {
            None => self.first = Some((id, r)),
            Some((f, _)) if id < *f => {
                if let Some(old) = self.first.replace((id, r)) {
                    self.rest.insert(0, old);
                }
            }
            Some(_) => {
                let at = self.rest.partition_point(|(x, _)| *x < id);
                self.rest.insert(at, (id, r));
            }
        }
    }
}

/// The sessions, in client id order: a sorted deque, not a map. Clients
/// mostly arrive in id order and the least recently used is mostly the
/// oldest (one-shot clients: a new session per request, one expiring per
/// request), so a new session goes on the back and an expiring one comes
/// off the front, each without a search or a tree rebalance. It compares
/// and hashes as the `BTreeMap<ClientId, ClientSession>` it replaces (the
/// entries in key order after their count), so the model checker's states
/// are unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Sessions(VecDeque<(ClientId, ClientSession)>);

impl Sessions {
    /// Where `client`'s session is (`Ok`), or where it would go (`Err`).
    fn find(&self, client: ClientId) -> Result<usize, usize> {
        let s = &self.0;
        match (s.front(), s.back()) {
            (_, None) => Err(0),
            (_, Some(&(last, _))) if last < client => Err(s.len()),
            (_, Some(&(last, _))) if last == client => Ok(s.len() - 1),
            (Some(&(first, _)), _) if first == client => Ok(0),
            _ => s.binary_search_by_key(&client, |&(c, _)| c),
        }
    }

    fn get(&self, client: ClientId) -> Option<&ClientSession> {
        let i = self.find(client).ok()?;
        Some(&self.0[i].1)
    }

    /// The session `find` found (`Ok`), or a new one where it said (`Err`).
    fn get_or_insert(&mut self, at: Result<usize, usize>, client: ClientId) -> &mut ClientSession {
        let i = match at {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (client, ClientSession::default()));
                i
            }
        };
        &mut self.0[i].1
    }
}

/// The clients whose session expired, as sorted, disjoint and
/// non-adjacent inclusive ranges of ids: one-shot clients expire in about
/// the order they came, so the set is a few long ranges, each expiry
/// extends the last one, and it stays small however many clients a run
/// has. Equal sets have equal ranges, and it hashes as the
/// `BTreeSet<ClientId>` it replaces (the count, then every id in order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Expired(Vec<(ClientId, ClientId)>);

impl Expired {
    fn contains(&self, client: ClientId) -> bool {
        match self.0.last() {
            None => false,
            Some(&(_, last)) if client > last => false,
            Some(_) => {
                let i = self.0.partition_point(|&(_, end)| end < client);
                self.0.get(i).is_some_and(|&(start, _)| start <= client)
            }
        }
    }

    /// Add `client` (not in the set yet).
    fn insert(&mut self, client: ClientId) {
        // The first range that ends at or after the id before `client`:
        // the one `client` extends at its end, or the first after it.
        let i = self
            .0
            .partition_point(|&(_, end)| end.saturating_add(1) < client);
        let joins_before = self
            .0
            .get(i)
            .is_some_and(|&(start, end)| start <= client && client == end.saturating_add(1));
        if joins_before {
            self.0[i].1 = client;
            // It may now touch the next range: merge them.
            if self
                .0
                .get(i + 1)
                .is_some_and(|&(start, _)| Some(start) == client.checked_add(1))
            {
                self.0[i].1 = self.0[i + 1].1;
                self.0.remove(i + 1);
            }
        } else if self
            .0
            .get(i)
            .is_some_and(|&(start, _)| Some(start) == client.checked_add(1))
        {
            self.0[i].0 = client;
        } else {
            self.0.insert(i, (client, client));
        }
    }

    fn len(&self) -> usize {
        let ids = |&(start, end): &(ClientId, ClientId)| (end - start) as usize + 1;
        self.0.iter().map(ids).sum()
    }
}

impl std::hash::Hash for Expired {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // As `BTreeSet::hash`: the length prefix (a `usize`), then each id.
        state.write_usize(self.len());
        for &(start, end) in &self.0 {
            for c in start..=end {
                c.hash(state);
            }
        }
    }
}

/// The key-value state machine. Deterministic: ordered maps only.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KvStore {
    data: BTreeMap<Text, Text>,
    sessions: Sessions,
    /// Clients whose session expired: their commands are refused.
    expired: Expired,
    max_sessions: usize,
    /// Session commands applied: the clock of least-recent use.
    used: u64,
    /// Every use of a session, oldest first, so the least recently used
    /// session is found without a scan of every session.
    by_use: UseOrder,
}

/// The sessions' uses in the order they happened, as (`used`, client).
/// An entry is live while its session's `used` is still that value; older
/// ones are skipped when they reach the front, and dropped in bulk when
/// they outnumber the sessions. Derived from the sessions, so it takes no
/// part in equality or hashing (a store hashes as it did before the index;
/// the model checker's states are unchanged).
#[derive(Clone, Debug, Default)]
struct UseOrder(VecDeque<(u64, ClientId)>);

impl PartialEq for UseOrder {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for UseOrder {}
impl std::hash::Hash for UseOrder {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl Default for KvStore {
    fn default() -> Self {
        Self::with_max_sessions(MAX_SESSIONS)
    }
}

impl KvStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that keeps at most `max` sessions (at least one).
    pub fn with_max_sessions(max: usize) -> Self {
        KvStore {
            data: BTreeMap::new(),
            sessions: Sessions::default(),
            expired: Expired::default(),
            max_sessions: max.max(1),
            used: 0,
            by_use: UseOrder::default(),
        }
    }

    pub fn data(&self) -> &BTreeMap<Text, Text> {
        &self.data
    }

    /// A `get` answered without the log (§6.4): what `apply` would return.
    pub fn read(&self, key: &str) -> OpResult {
        OpResult::Value {
            value: self.data.get(key).cloned(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.data.get(key).map(|v| &**v)
    }

    /// Results a client's session holds, by op id (for views and tests).
    pub fn session_results(&self, client: ClientId) -> Vec<OpId> {
        self.sessions
            .get(client)
            .map(|s| s.results.iter().map(|(id, _)| *id).collect())
            .unwrap_or_default()
    }

    /// Applies a command. A session request already run is not run again:
    /// it gets its own result while the session holds it, and an error
    /// once the client has acknowledged it or the session expired.
    pub fn apply(&mut self, cmd: &KvCommand) -> OpResult {
        self.apply_fresh(cmd).0
    }

    /// As [`KvStore::apply`], and whether the command ran (`false`: the
    /// session table answered it without running it). Every server that
    /// applies the same log runs the same commands: State Machine Safety
    /// checks that, across snapshots too (§5.4.3, thesis §6.3).
    pub fn apply_fresh(&mut self, cmd: &KvCommand) -> (OpResult, bool) {
        let Some(s) = cmd.session else {
            return (run(&mut self.data, &cmd.op), true);
        };
        // A client that has a session has not expired (an expired client
        // never gets one back); a new one is looked up among the expired.
        let at = self.sessions.find(s.client);
        if at.is_err() && self.expired.contains(s.client) {
            return (refused("session expired"), false);
        }
        self.used += 1;
        let used = self.used;
        if self.by_use.0.len() > 2 * self.sessions.0.len() + 64 {
            let sessions = &self.sessions;
            self.by_use
                .0
                .retain(|&(u, c)| sessions.get(c).is_some_and(|s| s.used == u));
        }
        self.by_use.0.push_back((used, s.client));
        let sess = self.sessions.get_or_insert(at, s.client);
        sess.used = used;
        if cmd.first_unacked > sess.first_unacked {
            sess.first_unacked = cmd.first_unacked;
            let from = cmd.first_unacked;
            sess.results.forget_below(from);
        }
        if s.op_id < sess.first_unacked {
            return (refused("already acknowledged"), false);
        }
        if let Some((_, r)) = sess.results.iter().find(|(id, _)| *id == s.op_id) {
            return (r.clone(), false);
        }
        let result = run(&mut self.data, &cmd.op);
        sess.results.insert(s.op_id, result.clone());
        self.expire();
        (result, true)
    }

    /// How many client sessions it holds.
    pub fn session_count(&self) -> usize {
        self.sessions.0.len()
    }

    /// The same store without its client sessions (only the planted bug
    /// `snapshot_drops_sessions` snapshots this).
    pub fn without_sessions(&self) -> KvStore {
        let mut kv = KvStore::with_max_sessions(self.max_sessions);
        kv.data = self.data.clone();
        kv
    }

    /// Least recently used sessions go once there are too many.
    fn expire(&mut self) {
        while self.sessions.0.len() > self.max_sessions {
            let Some((used, client)) = self.by_use.0.pop_front() else {
                return;
            };
            // The oldest live use is the least recently used session.
            if let Ok(i) = self.sessions.find(client) {
                if self.sessions.0[i].1.used == used {
                    self.sessions.0.remove(i);
                    self.expired.insert(client);
                }
            }
        }
    }
}

/// Run one operation on the data.
fn run(data: &mut BTreeMap<Text, Text>, op: &KvOp) -> OpResult {
    match op {
        KvOp::Put { key, value } => {
            data.insert(key.clone(), value.clone());
            OpResult::Ok
        }
        KvOp::Get { key } => OpResult::Value {
            value: data.get(key).cloned(),
        },
        KvOp::Cas { key, expect, value } => {
            let actual = data.get(key);
            if actual == expect.as_ref() {
                data.insert(key.clone(), value.clone());
                OpResult::Ok
            } else {
                OpResult::Mismatch {
                    actual: actual.cloned(),
                }
            }
        }
    }
}

fn refused(reason: &str) -> OpResult {
    OpResult::Error {
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn put(k: &str, v: &str) -> KvOp {
        KvOp::Put {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn put_get_cas() {
        let mut kv = KvStore::new();
        let run = |kv: &mut KvStore, op| {
            kv.apply(&KvCommand {
                op,
                session: None,
                first_unacked: 0,
            })
        };
        assert_eq!(
            run(&mut kv, KvOp::Get { key: "x".into() }),
            OpResult::Value { value: None }
        );
        assert_eq!(run(&mut kv, put("x", "1")), OpResult::Ok);
        let cas = |e: Option<&str>, v: &str| KvOp::Cas {
            key: "x".into(),
            expect: e.map(Text::from),
            value: v.into(),
        };
        assert_eq!(
            run(&mut kv, cas(Some("0"), "2")),
            OpResult::Mismatch {
                actual: Some("1".into())
            }
        );
        assert_eq!(run(&mut kv, cas(Some("1"), "2")), OpResult::Ok);
        assert_eq!(
            run(&mut kv, cas(None, "3")),
            OpResult::Mismatch {
                actual: Some("2".into())
            }
        );
        assert_eq!(kv.get("x"), Some("2"));
    }

    fn cmd(client: ClientId, op_id: OpId, first_unacked: OpId, op: KvOp) -> KvCommand {
        KvCommand {
            op,
            session: Some(Session { client, op_id }),
            first_unacked,
        }
    }

    fn cas(expect: Option<&str>, v: &str) -> KvOp {
        KvOp::Cas {
            key: "x".into(),
            expect: expect.map(Text::from),
            value: v.into(),
        }
    }

    #[test]
    fn a_retried_session_op_applies_once() {
        let mut kv = KvStore::new();
        let c = cmd(7, 1, 1, cas(None, "a"));
        assert_eq!(kv.apply(&c), OpResult::Ok);
        // Applied again (a retry that was also committed): same answer, no effect.
        kv.apply(&KvCommand {
            op: put("x", "b"),
            session: None,
            first_unacked: 0,
        });
        assert_eq!(kv.apply(&c), OpResult::Ok);
        assert_eq!(kv.get("x"), Some("b"));
    }

    #[test]
    fn each_request_keeps_its_own_result_until_acknowledged() {
        // Finding 4: a duplicate of a cas was answered with a later get's
        // result. Client 7 sends cas (op 1), then get (op 2) before it has
        // op 1's answer; a duplicate of op 1 then gets op 1's own result.
        let mut kv = KvStore::new();
        assert_eq!(kv.apply(&cmd(7, 1, 1, cas(None, "a"))), OpResult::Ok);
        let read = KvOp::Get { key: "x".into() };
        let value = OpResult::Value {
            value: Some("a".into()),
        };
        assert_eq!(kv.apply(&cmd(7, 2, 1, read.clone())), value);
        assert_eq!(kv.apply(&cmd(7, 1, 1, cas(None, "a"))), OpResult::Ok);
        assert_eq!(kv.session_results(7), [1, 2]);
        // Op 3 says the client has the answers to 1 and 2: they are
        // forgotten, and a late duplicate of op 1 is refused, not run.
        assert_eq!(kv.apply(&cmd(7, 3, 3, put("x", "c"))), OpResult::Ok);
        assert_eq!(kv.session_results(7), [3]);
        assert_eq!(
            kv.apply(&cmd(7, 1, 1, cas(Some("c"), "d"))),
            refused("already acknowledged")
        );
        assert_eq!(kv.get("x"), Some("c"), "the duplicate had no effect");
    }

    /// A session's results stay in op id order, whatever order they come
    /// in and whatever is forgotten, and equal lists are equal.
    #[test]
    fn results_keep_op_order_like_a_sorted_list() {
        let mut r = Results::default();
        let mut model: Vec<OpId> = Vec::new();
        let ids = |r: &Results| r.iter().map(|(id, _)| *id).collect::<Vec<_>>();
        for (i, id) in [5, 2, 9, 1, 7, 3].into_iter().enumerate() {
            r.insert(id, OpResult::Ok);
            model.push(id);
            model.sort_unstable();
            assert_eq!(ids(&r), model, "after inserting {id} (step {i})");
        }
        for from in [2, 4, 8, 10] {
            r.forget_below(from);
            model.retain(|&id| id >= from);
            assert_eq!(ids(&r), model, "after forgetting below {from}");
        }
        assert_eq!(r, Results::default());
        let (mut a, mut b) = (Results::default(), Results::default());
        a.insert(1, OpResult::Ok);
        a.insert(2, OpResult::Ok);
        b.insert(2, OpResult::Ok);
        b.insert(1, OpResult::Ok);
        assert_eq!(a, b);
    }

    #[test]
    fn the_least_recently_used_session_expires_and_is_refused() {
        let mut kv = KvStore::with_max_sessions(2);
        kv.apply(&cmd(1, 1, 1, put("x", "1")));
        kv.apply(&cmd(2, 1, 1, put("x", "2")));
        kv.apply(&cmd(1, 2, 2, put("x", "3")));
        // A third client: client 2 is the least recently used.
        kv.apply(&cmd(3, 1, 1, put("x", "4")));
        assert_eq!(kv.session_results(2), Vec::<OpId>::new());
        assert_eq!(
            kv.apply(&cmd(2, 2, 2, put("x", "5"))),
            refused("session expired")
        );
        assert_eq!(kv.get("x"), Some("4"));
        assert_eq!(kv.apply(&cmd(1, 3, 3, put("x", "6"))), OpResult::Ok);
    }

    /// The index by last use picks the session a scan of every session
    /// picks: a mixed stream of clients, against a plain model of LRU.
    #[test]
    fn expiry_by_the_use_index_matches_a_scan() {
        let mut kv = KvStore::with_max_sessions(4);
        let mut last_use: BTreeMap<ClientId, u64> = BTreeMap::new();
        let mut expired: BTreeSet<ClientId> = BTreeSet::new();
        let mut next_op: BTreeMap<ClientId, OpId> = BTreeMap::new();
        let (mut x, mut clock, mut refused_seen) = (7u64, 0u64, 0);
        for _ in 0..2000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let client = (x >> 33) % 12 + 1;
            let op = next_op.entry(client).or_insert(0);
            *op += 1;
            let got = kv.apply(&cmd(client, *op, *op, put("x", "v")));
            if expired.contains(&client) {
                assert_eq!(got, refused("session expired"), "client {client}");
                refused_seen += 1;
                continue;
            }
            assert_eq!(got, OpResult::Ok, "client {client}");
            clock += 1;
            last_use.insert(client, clock);
            while last_use.len() > 4 {
                let (&oldest, _) = last_use.iter().min_by_key(|(_, u)| **u).unwrap();
                last_use.remove(&oldest);
                expired.insert(oldest);
            }
        }
        assert!(refused_seen > 100, "{refused_seen}");
        for c in 1..=12 {
            let held = !kv.session_results(c).is_empty();
            assert_eq!(held, last_use.contains_key(&c), "client {c}");
        }
    }

    fn hash_of(v: &impl std::hash::Hash) -> u64 {
        use std::hash::Hasher;
        let mut h = std::hash::DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    /// The expired ranges hold what a set of ids would, whatever order
    /// ids come in, and hash as that set; the sessions hash as a map.
    #[test]
    fn expired_ranges_and_sessions_match_the_ordered_collections() {
        let mut e = Expired::default();
        let mut model: BTreeSet<ClientId> = BTreeSet::new();
        let mut x = 11u64;
        for round in 0..3000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Mostly rising ids, some out of order, some repeated.
            let c = match (x >> 33) % 4 {
                0 => (x >> 40) % 200,
                _ => round / 2 + (x >> 50) % 5,
            };
            assert_eq!(e.contains(c), model.contains(&c), "{c} at {round}");
            if model.insert(c) {
                e.insert(c);
            }
            assert_eq!(e.len(), model.len());
            for w in e.0.windows(2) {
                assert!(w[0].1 + 1 < w[1].0, "ranges disjoint and apart: {w:?}");
            }
        }
        assert!((0..2000).all(|c| e.contains(c) == model.contains(&c)));
        assert_eq!(hash_of(&e), hash_of(&model));

        let mut kv = KvStore::with_max_sessions(3);
        let mut map: BTreeMap<ClientId, ClientSession> = BTreeMap::new();
        for (client, op) in [(5, 1), (2, 1), (9, 1), (5, 2), (7, 1)] {
            kv.apply(&cmd(client, op, op, put("x", "v")));
        }
        for (c, s) in &kv.sessions.0 {
            map.insert(*c, s.clone());
        }
        assert_eq!(
            kv.sessions.0.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            [5, 7, 9]
        );
        assert_eq!(hash_of(&kv.sessions), hash_of(&map));
        assert!(kv.expired.contains(2) && !kv.expired.contains(5));
    }

    #[test]
    fn first_unacked_is_written_only_when_it_says_something() {
        let c = cmd(2, 5, 3, put("x", "1"));
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"type":"put","key":"x","value":"1","client":2,"op_id":5,"first_unacked":3}"#
        );
    }

    #[test]
    fn commands_serialize_flat() {
        let c = Command::kv(
            put("x", "1"),
            Some(Session {
                client: 2,
                op_id: 5,
            }),
        );
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"type":"put","key":"x","value":"1","client":2,"op_id":5}"#
        );
        assert_eq!(
            serde_json::to_string(&Command::Noop).unwrap(),
            r#"{"type":"noop"}"#
        );
    }
}
