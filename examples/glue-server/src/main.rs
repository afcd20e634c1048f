//! `agent-oauth-server`: a Glue-compatible HTTP front for agent-oauth on an
//! embedded SQLite database, with the admin commands shop operators need.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use agent_oauth_core::audit::AuditQuery;
use agent_oauth_core::directory::{AgentStatus, Customer};
use agent_oauth_core::{Engine, Error, Result};
use agent_oauth_server::{admin, http, setup::Paths};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "agent-oauth-server",
    version,
    about = "Agent-assist OAuth for Spryker shops: Glue API server and admin tool"
)]
struct Cli {
    /// Directory for the database and the managed signing keys.
    #[arg(
        long,
        global = true,
        default_value = "data",
        env = "AGENT_OAUTH_DATA_DIR"
    )]
    data_dir: PathBuf,
    /// SQLite database file (default: <data-dir>/agent-oauth.db).
    #[arg(long, global = true, env = "AGENT_OAUTH_DB")]
    db: Option<PathBuf>,
    /// The store by URL: a path, sqlite://PATH, postgres://user:password@host:port/db or
    /// mysql://user:password@host:port/db (several app servers share one database).
    #[arg(
        long,
        global = true,
        env = "AGENT_OAUTH_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// The shop's OAuth private key (PEM); without it a development key is kept in the data directory.
    #[arg(long, global = true, env = "AGENT_OAUTH_KEY")]
    key: Option<PathBuf>,
    /// Engine configuration file (JSON, the engine's schema: snake_case keys, seconds).
    #[arg(long, global = true, env = "AGENT_OAUTH_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Glue API.
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Scheme and host of `links` (default: http://<listen address>).
        #[arg(long)]
        base_url: Option<String>,
        /// Seed the demo agent admin@spryker.com / change123 and customers DE--1..DE--6.
        #[arg(long)]
        demo: bool,
        /// Allow browser calls from this origin (repeatable); X-Agent-Authorization is allowed.
        #[arg(long = "cors-origin")]
        cors_origins: Vec<String>,
        /// Believe X-Forwarded-For from this proxy: an address or CIDR range (repeatable; joins the config file's trusted_proxies).
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<String>,
        /// Seconds a client has to send a request head, counted from the connection's
        /// accept or from the first byte of a later request; then the connection is closed.
        #[arg(
            long,
            value_name = "SECONDS",
            default_value_t = http::DEFAULT_HEADER_TIMEOUT,
            value_parser = clap::value_parser!(u64).range(1..)
        )]
        header_timeout: u64,
        /// Seconds a request body has to arrive after its head; then 408 and the
        /// connection is closed.
        #[arg(
            long,
            value_name = "SECONDS",
            default_value_t = http::DEFAULT_BODY_TIMEOUT,
            value_parser = clap::value_parser!(u64).range(1..)
        )]
        body_timeout: u64,
        /// Seconds a kept-alive connection may wait for its next request; then it is closed.
        #[arg(
            long,
            value_name = "SECONDS",
            default_value_t = http::DEFAULT_IDLE_TIMEOUT,
            value_parser = clap::value_parser!(u64).range(1..)
        )]
        idle_timeout: u64,
        /// Connections served at once; beyond it new connections wait in the listen
        /// backlog and are accepted as others close.
        #[arg(
            long,
            value_name = "N",
            default_value_t = http::DEFAULT_MAX_CONNECTIONS,
            value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
        )]
        max_connections: usize,
    },
    /// Create or upgrade the database schema, the scopes and the default client (safe to run twice).
    Init,
    /// Manage agents.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Manage customers.
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Delete refresh-token families expired longer than the retention period.
    PurgeExpired {
        /// Seconds to keep expired families (default: none).
        #[arg(long, default_value_t = 0)]
        retention: u64,
        /// Also delete audit events older than this many seconds (default: keep every event).
        #[arg(long)]
        audit_retention: Option<u64>,
    },
    /// Show audit events, oldest first.
    Audit {
        /// Only this agent id.
        #[arg(long)]
        agent: Option<i64>,
        /// Only this customer reference.
        #[arg(long)]
        customer: Option<String>,
        /// From this time (Unix seconds or RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Before this time (Unix seconds or RFC 3339).
        #[arg(long)]
        to: Option<String>,
        /// At most this many events.
        #[arg(long, default_value_t = 1000)]
        limit: u32,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Add an agent; the password is read from standard input unless --password is given.
    Add {
        username: String,
        #[arg(long)]
        password: Option<String>,
        /// Keep this id (Spryker's id_user).
        #[arg(long)]
        id: Option<i64>,
    },
    /// Block an agent: it cannot log in, and all its sessions end.
    Block { id: i64 },
    /// Allow a blocked agent to log in again.
    Unblock { id: i64 },
    /// Import spy_user agent rows with their bcrypt hashes (CSV with a header, or JSON).
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum CustomerCommand {
    /// Add or replace a customer.
    Add {
        #[arg(long)]
        id: i64,
        #[arg(long)]
        reference: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        #[arg(long)]
        company_user: Option<String>,
        /// Permissions as JSON.
        #[arg(long)]
        permissions: Option<String>,
        /// Mark the customer inactive (cannot be impersonated).
        #[arg(long)]
        inactive: bool,
        /// The customer may not be impersonated (issue 12): every
        /// impersonation of them is refused with 4104.
        #[arg(long)]
        no_impersonation: bool,
    },
    /// Import customers (CSV with a header, or JSON with the engine's keys).
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Replace the managed signing key; the old one keeps verifying until its tokens expire.
    Rotate,
    /// Print the current public key (PEM) and its key id.
    Show,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let paths = Paths {
        database_url: cli.database_url,
        data_dir: cli.data_dir,
        db: cli.db,
        key: cli.key,
        config: cli.config,
    };
    match cli.command {
        Command::Serve {
            listen,
            base_url,
            demo,
            cors_origins,
            trusted_proxies,
            header_timeout,
            body_timeout,
            idle_timeout,
            max_connections,
        } => serve(
            &paths,
            listen,
            base_url,
            demo,
            &trusted_proxies,
            http::Options {
                cors_origins,
                body_timeout: Duration::from_secs(body_timeout),
            },
            http::Limits {
                header_timeout: Duration::from_secs(header_timeout),
                idle_timeout: Duration::from_secs(idle_timeout),
                max_connections,
            },
        ),
        Command::Init => {
            // The one command that creates or upgrades a server's tables.
            let engine = paths.engine_with(|config| config.upgrade_schema = true)?;
            println!("database ready: {}", engine.store().describe());
            println!("scopes: {}", engine.store().scopes()?.join(", "));
            Ok(())
        }
        Command::Agent(command) => agent(&paths.engine(None)?, command),
        Command::Customer(command) => customer(&paths.engine(None)?, command),
        Command::Keys(KeysCommand::Rotate) => {
            let now = now();
            let config = paths.config(now)?;
            let (old, new) = paths.rotate_key(&config, now)?;
            println!(
                "rotated signing key {old} -> {new}; {old} keeps verifying for {} s",
                config.access_token_ttl
            );
            println!("restart running servers to sign with the new key");
            Ok(())
        }
        Command::Keys(KeysCommand::Show) => {
            let engine = paths.engine(None)?;
            println!("kid: {}", engine.kid());
            print!("{}", engine.public_key_pem());
            Ok(())
        }
        Command::PurgeExpired {
            retention,
            audit_retention,
        } => {
            let engine = paths.engine(None)?;
            let removed = engine.purge_expired(retention)?;
            println!("removed {removed} expired refresh token(s) and the ended lockout counters");
            if let Some(keep) = audit_retention {
                let removed = engine.purge_audit(keep)?;
                println!("removed {removed} audit event(s) older than {keep} s");
            }
            Ok(())
        }
        Command::Audit {
            agent,
            customer,
            from,
            to,
            limit,
            json,
        } => {
            let engine = paths.engine(None)?;
            let query = AuditQuery {
                agent_id: agent,
                customer_reference: customer,
                from: from.as_deref().map(parse_time).transpose()?,
                to: to.as_deref().map(parse_time).transpose()?,
                limit,
            };
            if json {
                let events = engine.audit_events(&query)?;
                println!(
                    "{}",
                    serde_json::to_string_pretty(&events)
                        .map_err(|e| Error::Internal(e.to_string()))?
                );
            } else {
                for line in admin::audit_lines(&engine, &query)? {
                    println!("{line}");
                }
            }
            Ok(())
        }
    }
}

fn serve(
    paths: &Paths,
    listen: SocketAddr,
    base_url: Option<String>,
    demo: bool,
    trusted_proxies: &[String],
    options: http::Options,
    limits: http::Limits,
) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Error::Internal(e.to_string()))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(listen))
        .map_err(|e| Error::Config(format!("cannot listen on {listen}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let base_url = base_url.unwrap_or_else(|| format!("http://{local}"));
    // Built outside the runtime: the PostgreSQL client runs a runtime of its
    // own, which cannot be entered from a thread that drives async tasks.
    let engine = paths.serving_engine(&base_url, trusted_proxies)?;
    if demo {
        admin::seed_demo(&engine)?;
        eprintln!("demo data: agent admin@spryker.com / change123, customers DE--1 .. DE--6");
    }
    eprintln!("database: {}", engine.store().describe());
    let served = runtime.block_on(async {
        // Tests and scripts read the address from this line.
        println!("listening on http://{local}");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        http::serve(listener, http::router(engine.clone(), &options), limits)
            .await
            .map_err(|e| Error::Internal(e.to_string()))
    });
    // The runtime and its tasks go first, so that the engine (and a database
    // client's own runtime) is dropped here, outside of it.
    drop(runtime);
    drop(engine);
    served
}

fn agent(engine: &Engine, command: AgentCommand) -> Result<()> {
    match command {
        AgentCommand::Add {
            username,
            password,
            id,
        } => {
            let password = match password {
                Some(p) => p,
                None => {
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .map_err(|e| Error::Internal(e.to_string()))?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let id = engine.add_agent_with_id(id, &username, &password, AgentStatus::Active)?;
            println!("added agent {username} with id {id}");
        }
        AgentCommand::Block { id } => {
            require(engine.set_agent_status(id, AgentStatus::Blocked)?, id)?;
            println!("blocked agent {id}; its sessions are revoked");
        }
        AgentCommand::Unblock { id } => {
            require(engine.set_agent_status(id, AgentStatus::Active)?, id)?;
            println!("unblocked agent {id}");
        }
        AgentCommand::Import { file } => {
            let rows: Vec<admin::AgentRow> = admin::read_rows(&file)?;
            let (imported, skipped) = admin::import_agents(engine, &rows)?;
            println!("imported {imported} agent(s), skipped {skipped} non-agent user(s)");
        }
    }
    Ok(())
}

fn customer(engine: &Engine, command: CustomerCommand) -> Result<()> {
    match command {
        CustomerCommand::Add {
            id,
            reference,
            email,
            first_name,
            last_name,
            company_user,
            permissions,
            inactive,
            no_impersonation,
        } => {
            let permissions = permissions
                .map(|p| serde_json::from_str(&p))
                .transpose()
                .map_err(|e| Error::InvalidRequest(format!("--permissions is not JSON: {e}")))?;
            engine.upsert_customer(&Customer {
                id_customer: id,
                customer_reference: reference.clone(),
                email,
                first_name,
                last_name,
                id_company_user: company_user,
                permissions,
                is_active: !inactive,
                impersonation_allowed: !no_impersonation,
            })?;
            println!("saved customer {reference}");
        }
        CustomerCommand::Import { file } => {
            let count = admin::import_customers(engine, admin::read_rows(&file)?)?;
            println!("imported {count} customer(s)");
        }
    }
    Ok(())
}

fn require(found: bool, id: i64) -> Result<()> {
    match found {
        true => Ok(()),
        false => Err(Error::InvalidRequest(format!("no agent with id {id}"))),
    }
}

fn now() -> i64 {
    agent_oauth_core::clock::Clock::now(&agent_oauth_core::clock::SystemClock)
}

/// Unix seconds or an RFC 3339 time.
fn parse_time(s: &str) -> Result<i64> {
    s.parse::<i64>()
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.timestamp())
        })
        .ok_or_else(|| {
            Error::InvalidRequest(format!(
                "{s:?} is neither Unix seconds nor an RFC 3339 time"
            ))
        })
}
