//! The replicated state machine: a key-value store with `put`, `get` and
//! `cas`, and client sessions that make retried commands apply once
//! (thesis §6.3).

use super::types::{ClientId, OpId};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
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
}

impl Serialize for KvCommand {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The op's own fields, then the session: {"type":"put",...,"client":1,"op_id":2}.
        let extra = if self.session.is_some() { 2 } else { 0 };
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
        m.end()
    }
}

/// What a log entry carries. Cloning is cheap: client commands are shared.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    /// The entry a new leader appends when it takes office (§8).
    Noop,
    Kv(Arc<KvCommand>),
}

impl Command {
    pub fn kv(op: KvOp, session: Option<Session>) -> Command {
        Command::Kv(Arc::new(KvCommand { op, session }))
    }

    pub fn session(&self) -> Option<Session> {
        match self {
            Command::Noop => None,
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
        }
    }
}

/// The key-value state machine. Deterministic: ordered maps only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvStore {
    data: BTreeMap<Text, Text>,
    /// Last applied op per client with its result (thesis §6.3).
    sessions: BTreeMap<ClientId, (OpId, OpResult)>,
}

impl KvStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn data(&self) -> &BTreeMap<Text, Text> {
        &self.data
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.data.get(key).map(|v| &**v)
    }

    /// Applies a command. A command whose session op was already applied is
    /// not run again; its first result is returned.
    pub fn apply(&mut self, cmd: &KvCommand) -> OpResult {
        if let Some(s) = cmd.session {
            if let Some((last, result)) = self.sessions.get(&s.client) {
                if s.op_id <= *last {
                    return result.clone();
                }
            }
        }
        let result = match &cmd.op {
            KvOp::Put { key, value } => {
                self.data.insert(key.clone(), value.clone());
                OpResult::Ok
            }
            KvOp::Get { key } => OpResult::Value {
                value: self.data.get(key).cloned(),
            },
            KvOp::Cas { key, expect, value } => {
                let actual = self.data.get(key);
                if actual == expect.as_ref() {
                    self.data.insert(key.clone(), value.clone());
                    OpResult::Ok
                } else {
                    OpResult::Mismatch {
                        actual: actual.cloned(),
                    }
                }
            }
        };
        if let Some(s) = cmd.session {
            self.sessions.insert(s.client, (s.op_id, result.clone()));
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(k: &str, v: &str) -> KvOp {
        KvOp::Put {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn put_get_cas() {
        let mut kv = KvStore::new();
        let run = |kv: &mut KvStore, op| kv.apply(&KvCommand { op, session: None });
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

    #[test]
    fn a_retried_session_op_applies_once() {
        let mut kv = KvStore::new();
        let s = Some(Session {
            client: 7,
            op_id: 1,
        });
        let c = KvCommand {
            op: KvOp::Cas {
                key: "x".into(),
                expect: None,
                value: "a".into(),
            },
            session: s,
        };
        assert_eq!(kv.apply(&c), OpResult::Ok);
        // Applied again (a retry that was also committed): same answer, no effect.
        kv.apply(&KvCommand {
            op: put("x", "b"),
            session: None,
        });
        assert_eq!(kv.apply(&c), OpResult::Ok);
        assert_eq!(kv.get("x"), Some("b"));
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
