//! The whole agent-assist flow against a temporary database: install scopes,
//! add an agent and a customer, log in, search, impersonate, refresh, revoke.
//!
//! Run with `cargo run -p agent-oauth-core --example agent_assist_flow`.

use agent_oauth_core::directory::{AgentStatus, Customer};
use agent_oauth_core::token::{AccessClaims, generate_private_key_pem};
use agent_oauth_core::{Engine, Error, TokenResponse, search};

fn main() -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::Config(e.to_string()))?;
    let db = dir.path().join("agent-oauth.db");
    println!("database: {}", db.display());
    println!("signing key: a fresh 2048-bit development key (shops use their OAuth key pair)\n");

    let engine = Engine::builder()
        .private_key_pem(generate_private_key_pem()?)
        .database_path(db.to_string_lossy())
        .build()?;
    println!("installed scopes: {:?}", engine.install_scopes()?);
    engine.install_default_client()?;
    let agent_id = engine.add_agent("admin@spryker.com", "change123", AgentStatus::Active)?;
    println!("added agent admin@spryker.com with id {agent_id}");
    for (id, reference, email, first, last) in [
        (
            1,
            "DE--1",
            "spencor.hopkin@spryker.com",
            "Spencor",
            "Hopkin",
        ),
        (5, "DE--5", "karl.schmidt@spryker.com", "Karl", "Schmidt"),
        (
            6,
            "DE--6",
            "maria.williams@spryker.com",
            "Maria",
            "Williams",
        ),
    ] {
        engine.upsert_customer(&Customer {
            id_customer: id,
            customer_reference: reference.into(),
            email: email.into(),
            first_name: first.into(),
            last_name: last.into(),
            id_company_user: None,
            permissions: None,
            is_active: true,
            impersonation_allowed: true,
        })?;
    }
    println!("added customers DE--1, DE--5, DE--6\n");

    let ip = "127.0.0.1";
    let agent = engine.agent_login("admin@spryker.com", "change123", ip)?;
    show("agent login (agent_credentials)", &engine, &agent)?;

    let page = engine.search_customers(&search::page("ma", None))?;
    println!("== search q=ma: {} match(es)", page.total);
    for c in &page.customers {
        println!(
            "   {} {} {} <{}>",
            c.customer_reference, c.first_name, c.last_name, c.email
        );
    }
    println!();

    let impersonation = engine.impersonate(
        &agent.access_token,
        "DE--5",
        Some("ticket #4711: cart problem"),
        ip,
    )?;
    show(
        "impersonate DE--5 (customer_impersonation)",
        &engine,
        &impersonation,
    )?;

    let refreshed = engine.refresh(&impersonation.refresh_token, ip)?;
    show(
        "refresh the impersonation (refresh_token)",
        &engine,
        &refreshed,
    )?;

    match engine.refresh(&impersonation.refresh_token, ip) {
        Err(e) => println!(
            "== the spent refresh token again: {e} (code {})\n",
            e.glue_code().unwrap_or("-")
        ),
        Ok(_) => println!("== the spent refresh token was accepted again (unexpected)\n"),
    }

    let revoked = engine.revoke_mine(&agent.access_token, ip);
    println!(
        "== agent revokes all its sessions: {revoked:?} session(s) (its own and every impersonation)"
    );
    match engine.verify_strict(&agent.access_token) {
        Err(e) => println!("   the agent token now fails the strict check: {e}"),
        Ok(_) => println!("   the agent token still passes the strict check (unexpected)"),
    }
    match engine.impersonate(&agent.access_token, "DE--5", None, ip) {
        Err(e) => println!(
            "   impersonating with it: {e} (code {})",
            e.glue_code().unwrap_or("-")
        ),
        Ok(_) => println!("   impersonating with it succeeded (unexpected)"),
    }

    println!("\n== audit log");
    for e in engine.audit_events(&Default::default())? {
        println!(
            "   #{:<2} {:<24} agent={:<4} customer={:<6} reason={:?} code={:?}",
            e.id,
            e.kind.as_str(),
            e.agent_id.map(|a| a.to_string()).unwrap_or_default(),
            e.customer_reference.unwrap_or_default(),
            e.reason,
            e.code
        );
    }
    Ok(())
}

fn show(title: &str, engine: &Engine, response: &TokenResponse) -> Result<(), Error> {
    println!("== {title}");
    let json =
        serde_json::to_string_pretty(response).map_err(|e| Error::Internal(e.to_string()))?;
    println!("{json}");
    let claims = engine.verify(&response.access_token)?;
    println!("decoded claims:");
    print_claims(&claims);
    println!();
    Ok(())
}

fn print_claims(c: &AccessClaims) {
    println!("   aud    = {}", c.aud);
    println!("   jti    = {}", c.jti);
    println!(
        "   iat    = {}  nbf = {}  exp = {}  (exp - iat = {} s)",
        c.iat,
        c.nbf,
        c.exp,
        c.exp - c.iat
    );
    println!("   sub    = {}", c.sub);
    println!("   scopes = {:?}", c.scopes);
    if let Some(act) = &c.act {
        println!("   act    = {{\"sub\": {:?}}}", act.sub);
    }
}
