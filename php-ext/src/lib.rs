//! PHP extension of agent-oauth (work in progress).
