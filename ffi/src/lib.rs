//! C ABI of agent-oauth (work in progress).
