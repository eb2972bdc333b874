//! Model checking the real `RaftNode` with stateright (see tests).
