//! The impersonation policy (issue 12, D30): what a shop may demand before
//! an agent acts for a customer, and how long that may last. Every rule is
//! off by default, so an unconfigured engine behaves as Spryker does; the
//! rules are decided here, for Glue, C and PHP alike.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Largest compiled size of `reason_pattern`, so a configuration cannot
/// make every impersonation pay for a huge automaton.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// How the customer's session list shows the acting agent
/// (`impersonation.agent_display`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentDisplay {
    /// The agent's username (Spryker's `spy_user.username`). The default.
    #[default]
    Username,
    /// The agent's id (`id_user`), as a string.
    Id,
    /// Nothing: `agent` is null.
    None,
}

/// Default lifetime of a consent code in seconds (D30).
pub const DEFAULT_CONSENT_TTL: u64 = 600;

/// The `impersonation` section of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImpersonationPolicy {
    /// A non-blank `reason` is required. Default false.
    pub require_reason: bool,
    /// A regular expression (Rust `regex` syntax, unanchored unless written
    /// with `^...$`) a given reason must match, such as `^[A-Z]+-[0-9]+$`
    /// for a ticket id. Default none.
    pub reason_pattern: Option<String>,
    /// At most this many live impersonation sessions per agent at once.
    /// Default none (no cap).
    pub max_active_sessions_per_agent: Option<u32>,
    /// At most this many impersonations started per agent within any 3600
    /// seconds. Default none (no cap).
    pub max_starts_per_agent_per_hour: Option<u32>,
    /// An impersonation session is not refreshed once it is this many
    /// seconds old; the agent starts a new one. Default none.
    pub max_session_seconds: Option<u64>,
    /// The agent must send a `consentCode` the customer created with their
    /// own token (`POST /customer-impersonation-consents`). Default false.
    pub require_customer_consent: bool,
    /// Seconds a consent code stays usable. Default 600.
    pub consent_ttl: u64,
    /// How `GET /customer-impersonation-sessions` names the agent:
    /// `username` (default), `id` or `none`.
    pub agent_display: AgentDisplay,
}

impl Default for ImpersonationPolicy {
    fn default() -> Self {
        ImpersonationPolicy {
            require_reason: false,
            reason_pattern: None,
            max_active_sessions_per_agent: None,
            max_starts_per_agent_per_hour: None,
            max_session_seconds: None,
            require_customer_consent: false,
            consent_ttl: DEFAULT_CONSENT_TTL,
            agent_display: AgentDisplay::Username,
        }
    }
}

/// Which rule refused an impersonation: its name is the configuration
/// key, written into the audit event with its figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `require_reason`.
    RequireReason,
    /// `reason_pattern`.
    ReasonPattern,
    /// `max_active_sessions_per_agent`.
    MaxActiveSessions,
    /// `max_starts_per_agent_per_hour`.
    MaxStartsPerHour,
    /// `max_session_seconds`.
    MaxSessionSeconds,
    /// The customer's `impersonation_allowed` is false.
    CustomerOptedOut,
    /// `require_customer_consent`: the code is missing, wrong, expired or
    /// spent, or wrong codes blocked the agent for this customer.
    CustomerConsent,
}

impl Rule {
    /// The configuration key of the rule.
    pub fn name(self) -> &'static str {
        match self {
            Rule::RequireReason => "require_reason",
            Rule::ReasonPattern => "reason_pattern",
            Rule::MaxActiveSessions => "max_active_sessions_per_agent",
            Rule::MaxStartsPerHour => "max_starts_per_agent_per_hour",
            Rule::MaxSessionSeconds => "max_session_seconds",
            Rule::CustomerOptedOut => "impersonation_allowed",
            Rule::CustomerConsent => "require_customer_consent",
        }
    }

    /// The error the caller gets (D30): 422/901 for the reason rules,
    /// 401/4104 for every other.
    pub fn error(self) -> Error {
        match self {
            Rule::RequireReason => {
                Error::InvalidRequest("reason => This value should not be blank.".into())
            }
            Rule::ReasonPattern => {
                Error::InvalidRequest("reason => This value is not valid.".into())
            }
            Rule::MaxActiveSessions
            | Rule::MaxStartsPerHour
            | Rule::MaxSessionSeconds
            | Rule::CustomerOptedOut
            | Rule::CustomerConsent => Error::ImpersonationFailed,
        }
    }
}

/// A refusal: the rule and the figures that broke it, for the audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The rule.
    pub rule: Rule,
    /// `rule: figures`, as the audit event's `policy` field shows it.
    pub policy: String,
}

impl Refusal {
    /// The refusal of a customer who may not be impersonated.
    pub fn customer_opted_out() -> Self {
        Refusal::new(Rule::CustomerOptedOut, "false for this customer")
    }

    /// The refusal of a missing, wrong, expired or spent consent code;
    /// `why` says which.
    pub fn consent(why: impl std::fmt::Display) -> Self {
        Refusal::new(Rule::CustomerConsent, why)
    }

    fn new(rule: Rule, figures: impl std::fmt::Display) -> Self {
        Refusal {
            rule,
            policy: format!("{}: {figures}", rule.name()),
        }
    }
}

/// A policy ready to apply: the configuration with its pattern compiled.
#[derive(Debug, Clone, Default)]
pub(crate) struct Compiled {
    pub config: ImpersonationPolicy,
    pattern: Option<regex::Regex>,
}

impl ImpersonationPolicy {
    /// Checks the values and compiles the pattern.
    pub(crate) fn compile(&self) -> Result<Compiled> {
        let positive = |name: &str, value: Option<u64>| match value {
            Some(0) => Err(Error::Config(format!(
                "impersonation.{name} must be at least 1 (leave it out for no limit)"
            ))),
            _ => Ok(()),
        };
        positive(
            "max_active_sessions_per_agent",
            self.max_active_sessions_per_agent.map(u64::from),
        )?;
        positive(
            "max_starts_per_agent_per_hour",
            self.max_starts_per_agent_per_hour.map(u64::from),
        )?;
        positive("max_session_seconds", self.max_session_seconds)?;
        if !(1..=86400).contains(&self.consent_ttl) {
            return Err(Error::Config(
                "impersonation.consent_ttl must be between 1 second and a day".into(),
            ));
        }
        if self.max_session_seconds.is_some_and(|s| s > 366 * 86400) {
            return Err(Error::Config(
                "impersonation.max_session_seconds must be at most a year".into(),
            ));
        }
        let pattern = match &self.reason_pattern {
            None => None,
            Some(pattern) => Some(
                regex::RegexBuilder::new(pattern)
                    .size_limit(PATTERN_SIZE_LIMIT)
                    .build()
                    .map_err(|e| {
                        Error::Config(format!("impersonation.reason_pattern is invalid: {e}"))
                    })?,
            ),
        };
        Ok(Compiled {
            config: self.clone(),
            pattern,
        })
    }
}

impl Compiled {
    /// The reason rules: required and not blank, and matching the pattern
    /// when one is given (a missing reason that is not required passes, as
    /// Symfony's Regex constraint lets null pass).
    pub fn check_reason(&self, reason: Option<&str>) -> std::result::Result<(), Refusal> {
        let given = reason.filter(|r| !r.trim().is_empty());
        match (given, &self.pattern) {
            (None, _) if self.config.require_reason => {
                Err(Refusal::new(Rule::RequireReason, "no reason given"))
            }
            (Some(reason), Some(pattern)) if !pattern.is_match(reason) => Err(Refusal::new(
                Rule::ReasonPattern,
                format_args!("does not match {}", pattern.as_str()),
            )),
            _ => Ok(()),
        }
    }

    /// True when starting a session needs the agent's counts.
    pub fn has_caps(&self) -> bool {
        self.config.max_active_sessions_per_agent.is_some()
            || self.config.max_starts_per_agent_per_hour.is_some()
    }

    /// The caps, given the agent's live sessions and its starts within the
    /// last hour (both before this start). On success, the figures the
    /// start was admitted under, for its audit event.
    pub fn check_caps(&self, live: u64, started: u64) -> std::result::Result<String, Refusal> {
        let mut figures = Vec::new();
        if let Some(max) = self.config.max_active_sessions_per_agent {
            if live >= u64::from(max) {
                return Err(Refusal::new(
                    Rule::MaxActiveSessions,
                    format_args!("{live} of {max} active"),
                ));
            }
            figures.push(format!("{} active of {max}", live + 1));
        }
        if let Some(max) = self.config.max_starts_per_agent_per_hour {
            if started >= u64::from(max) {
                return Err(Refusal::new(
                    Rule::MaxStartsPerHour,
                    format_args!("{started} of {max} started within the hour"),
                ));
            }
            figures.push(format!("{} started of {max} within the hour", started + 1));
        }
        Ok(figures.join(", "))
    }

    /// The session-age rule at a refresh: `age` seconds since the session
    /// started.
    pub fn check_session_age(&self, age: i64) -> std::result::Result<(), Refusal> {
        match self.config.max_session_seconds {
            Some(max) if age >= 0 && age as u64 >= max => Err(Refusal::new(
                Rule::MaxSessionSeconds,
                format_args!("{age} s old, at most {max} s"),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(json: &str) -> Compiled {
        serde_json::from_str::<ImpersonationPolicy>(json)
            .unwrap()
            .compile()
            .unwrap()
    }

    #[test]
    fn everything_is_off_by_default() {
        let p = compiled("{}");
        assert_eq!(p.check_reason(None), Ok(()));
        assert!(!p.has_caps());
        assert_eq!(p.check_caps(1000, 1000), Ok(String::new()));
        assert_eq!(p.check_session_age(i64::MAX), Ok(()));
    }

    #[test]
    fn reason_rules_refuse_blank_and_mismatching_reasons() {
        let p = compiled(r#"{"require_reason":true,"reason_pattern":"^[A-Z]+-[0-9]+$"}"#);
        for blank in [None, Some(""), Some(" \t\n")] {
            let refusal = p.check_reason(blank).unwrap_err();
            assert_eq!(refusal.rule, Rule::RequireReason);
            assert_eq!(refusal.policy, "require_reason: no reason given");
        }
        let refusal = p.check_reason(Some("ticket 4711")).unwrap_err();
        assert_eq!(
            refusal.policy,
            "reason_pattern: does not match ^[A-Z]+-[0-9]+$"
        );
        assert_eq!(p.check_reason(Some("SUP-4711")), Ok(()));
        // A pattern alone lets a missing reason pass.
        let p = compiled(r#"{"reason_pattern":"^[A-Z]+-[0-9]+$"}"#);
        assert_eq!(p.check_reason(None), Ok(()));
        assert!(p.check_reason(Some("x")).is_err());
    }

    #[test]
    fn caps_refuse_at_the_limit_and_report_figures() {
        let p =
            compiled(r#"{"max_active_sessions_per_agent":2,"max_starts_per_agent_per_hour":5}"#);
        assert_eq!(
            p.check_caps(1, 4),
            Ok("2 active of 2, 5 started of 5 within the hour".into())
        );
        assert_eq!(
            p.check_caps(2, 0).unwrap_err().policy,
            "max_active_sessions_per_agent: 2 of 2 active"
        );
        assert_eq!(
            p.check_caps(0, 5).unwrap_err().policy,
            "max_starts_per_agent_per_hour: 5 of 5 started within the hour"
        );
    }

    #[test]
    fn session_age_refuses_from_the_limit_on() {
        let p = compiled(r#"{"max_session_seconds":900}"#);
        assert_eq!(p.check_session_age(899), Ok(()));
        assert_eq!(
            p.check_session_age(900).unwrap_err().policy,
            "max_session_seconds: 900 s old, at most 900 s"
        );
    }

    #[test]
    fn bad_values_are_configuration_errors() {
        for json in [
            r#"{"max_active_sessions_per_agent":0}"#,
            r#"{"max_starts_per_agent_per_hour":0}"#,
            r#"{"max_session_seconds":0}"#,
            r#"{"max_session_seconds":99999999999}"#,
            r#"{"reason_pattern":"("}"#,
            r#"{"reason_pattern":"\\w{1000}{1000}"}"#,
            r#"{"consent_ttl":0}"#,
            r#"{"consent_ttl":86401}"#,
        ] {
            let policy: ImpersonationPolicy = serde_json::from_str(json).unwrap();
            assert!(matches!(policy.compile(), Err(Error::Config(_))), "{json}");
        }
        for json in [
            r#"{"require_reasons":true}"#,
            r#"{"agent_display":"email"}"#,
        ] {
            assert!(
                serde_json::from_str::<ImpersonationPolicy>(json).is_err(),
                "{json}"
            );
        }
    }
}
