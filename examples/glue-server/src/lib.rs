//! A Glue-compatible HTTP front for agent-oauth: every request goes to the
//! engine's transport-agnostic Glue handler unchanged. The binary
//! `agent-oauth-server` adds the admin commands.

pub mod admin;
pub mod http;
pub mod setup;
