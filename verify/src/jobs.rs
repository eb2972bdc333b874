//! Work the page hands to its Web Worker (`worker/`, its own wasm module)
//! so that a long search never holds up a frame: a request and its reply
//! as JSON text, with the job's id. The worker only calls [`handle`]; the
//! page only builds [`Request`]s and reads [`Reply`]s.

use crate::linearizability::{check_bounded, Verdict};
use quorum_core::sim::HistoryEvent;
use serde::{Deserialize, Serialize};

/// The largest request read (the page sends at most `HISTORY_CAP` history
/// events, far below this); anything larger is refused unread.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// One job for the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Chosen by the page; the reply carries it back.
    pub id: u64,
    pub job: Job,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Job {
    /// Linearizability of the clients' history, searching at most
    /// `max_states` configurations (undecided beyond).
    Linearizability {
        history: Vec<HistoryEvent>,
        max_states: usize,
    },
}

/// The worker's answer to request `id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub id: u64,
    pub outcome: Outcome,
}

/// Externally tagged (the page reads it; see `Verdict`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    Linearizability {
        verdict: Verdict,
    },
    /// The request could not be read: said, never a verdict.
    Error {
        message: String,
    },
}

/// A request for `job` as JSON text, and its id: a hash of the job's text,
/// so the same job always has the same id (the page sends a history it
/// has already had checked only once). The job is written once.
pub fn request(job: &Job) -> (u64, String) {
    let job = serde_json::to_string(job).unwrap_or_default();
    let id = quorum_core::util::Fnv64::new().str(&job).value();
    // `Request`'s own layout, `{"id":…,"job":…}` (a test reads it back).
    (id, format!(r#"{{"id":{id},"job":{job}}}"#))
}

/// Read a request, do it, and write the reply. Never panics on bad input:
/// a request that cannot be read gets an `Error` reply (with id 0 if even
/// the id is unreadable).
pub fn handle(request: &str) -> String {
    let reply = if request.len() > MAX_REQUEST_BYTES {
        Reply {
            id: 0,
            outcome: Outcome::Error {
                message: format!("a request of {} bytes is too large", request.len()),
            },
        }
    } else {
        match serde_json::from_str::<Request>(request) {
            Ok(r) => Reply {
                id: r.id,
                outcome: run(r.job),
            },
            Err(e) => Reply {
                id: 0,
                outcome: Outcome::Error {
                    message: format!("unreadable request: {e}"),
                },
            },
        }
    };
    serde_json::to_string(&reply).unwrap_or_default()
}

fn run(job: Job) -> Outcome {
    match job {
        Job::Linearizability {
            history,
            max_states,
        } => Outcome::Linearizability {
            verdict: check_bounded(&history, max_states),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quorum_core::protocol::{KvOp, OpResult};

    fn put(t: u64, value: &str) -> [HistoryEvent; 2] {
        [
            HistoryEvent::Invoke {
                t,
                client: 1,
                op_id: t,
                op: KvOp::Put {
                    key: "x".into(),
                    value: value.into(),
                },
            },
            HistoryEvent::Return {
                t: t + 1,
                client: 1,
                op_id: t,
                result: OpResult::Ok,
            },
        ]
    }

    fn get(t: u64, value: Option<&str>) -> [HistoryEvent; 2] {
        [
            HistoryEvent::Invoke {
                t,
                client: 1,
                op_id: t,
                op: KvOp::Get { key: "x".into() },
            },
            HistoryEvent::Return {
                t: t + 1,
                client: 1,
                op_id: t,
                result: OpResult::Value {
                    value: value.map(Into::into),
                },
            },
        ]
    }

    #[test]
    fn a_request_reads_back_as_its_job_under_an_id_that_names_the_job() {
        let job = Job::Linearizability {
            history: put(10, "a").into(),
            max_states: 5,
        };
        let (id, text) = request(&job);
        let back: Request = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back,
            Request {
                id,
                job: job.clone()
            }
        );
        assert_eq!(request(&job).0, id, "the same job, the same id");
        let other = Job::Linearizability {
            history: put(10, "b").into(),
            max_states: 5,
        };
        assert_ne!(request(&other).0, id);
    }

    fn ask(id: u64, history: Vec<HistoryEvent>) -> Reply {
        let req = Request {
            id,
            job: Job::Linearizability {
                history,
                max_states: 10_000,
            },
        };
        let text = handle(&serde_json::to_string(&req).unwrap());
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn a_history_goes_through_text_and_gets_the_checkers_verdict() {
        let good: Vec<_> = put(10, "a").into_iter().chain(get(20, Some("a"))).collect();
        let r = ask(7, good.clone());
        assert_eq!(r.id, 7);
        assert_eq!(
            r.outcome,
            Outcome::Linearizability {
                verdict: check_bounded(&good, 10_000)
            }
        );
        assert!(matches!(
            r.outcome,
            Outcome::Linearizability {
                verdict: Verdict::Linearizable { ops: 2, .. }
            }
        ));
        // A stale read after the write returned: a violation, through text.
        let bad: Vec<_> = put(10, "a").into_iter().chain(get(20, None)).collect();
        assert!(matches!(
            ask(8, bad).outcome,
            Outcome::Linearizability {
                verdict: Verdict::Violation { .. }
            }
        ));
    }

    #[test]
    fn a_bad_request_gets_an_error_reply_never_a_verdict() {
        for bad in [
            "",
            "null",
            "{\"id\":1}",
            "{\"id\":1,\"job\":{\"kind\":\"other\"}}",
            "{\"id\":1,\"job\":{\"kind\":\"linearizability\",\"history\":[{\"ev\":\"nope\"}],\"max_states\":1}}",
        ] {
            let r: Reply = serde_json::from_str(&handle(bad)).unwrap();
            assert!(matches!(r.outcome, Outcome::Error { .. }), "{bad}: {r:?}");
        }
    }
}
