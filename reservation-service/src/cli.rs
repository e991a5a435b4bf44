//! The command line: one binary for the service and its chores.

use crate::configuration::{AppEnv, Settings};
use crate::domain::Money;
use crate::startup::{AppState, Server, check_schemas};
use crate::store::{ALL, Seat, SeatState, Tables};
use clap::{Parser, Subcommand, ValueEnum};
use dynamo_core::client::ClientBuilder;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The Reservation API on DynamoDB.
#[derive(Debug, Parser)]
#[command(name = "reservation-service", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (settings from the environment: docs/operations.md). Production unless
    /// told it is local: refuses to start without token, admission and payment settings.
    Serve,
    /// Run only the outbox relay and the hold sweeper (the outbox's and the workers' settings:
    /// docs/operations.md), e.g. as a separate deployment, the API replicas running no workers.
    Relay,
    /// Create the service's tables (named as configured) unless they exist with the same schema.
    CreateTables,
    /// Check every table against its definition; exit 1 with every difference when one fails.
    CheckSchema,
    /// Bring existing tables (e.g. the infrastructure module's) to the service's definitions:
    /// create missing tables, add missing global indexes (waiting until they are ACTIVE),
    /// enable TTL and declared streams, raise warm throughput and set on-demand maximums
    /// where declared; then move items stored under an earlier version's keys (the seats from
    /// before sharding) to their keys now, resumably. Changes nothing that cannot change in
    /// place; safe to run again.
    Migrate {
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also delete the global indexes the tables have and the definitions do not (kept
        /// otherwise: deleting one cannot be undone).
        #[arg(long)]
        drop_undeclared_indexes: bool,
    },
    /// Print the CloudFormation template of every table.
    ExportCloudformation {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Yaml)]
        format: Format,
    },
    /// Print the least-privilege IAM policy of the service (its tables as named, and the event
    /// bus when events go to one).
    ExportIamPolicy {
        /// The AWS region of the tables (`*` for any).
        #[arg(long, default_value = "*")]
        region: String,
        /// The AWS account id (`*` for any).
        #[arg(long, default_value = "*")]
        account: String,
    },
    /// Print the Terraform resources of every table.
    ExportTerraform,
    /// Create an event's seats as AVAILABLE (existing seats are left as they are).
    SeedEvent {
        /// The event id, e.g. evt_2025_1001.
        #[arg(long)]
        event_id: String,
        /// Seats: ranges and lists, e.g. `A-1..A-50,B-1`.
        #[arg(long)]
        seats: String,
        /// Price of each seat in the currency's minor unit (won for KRW), e.g. 25000.
        #[arg(long)]
        price: u64,
        /// ISO 4217 currency code.
        #[arg(long, default_value = "KRW")]
        currency: String,
    },
    /// Print an admission token (`reservation_token`) for a user and event, signed with the
    /// configured admission secret.
    AdmissionToken {
        /// The user id.
        #[arg(long)]
        sub: String,
        /// The event id.
        #[arg(long)]
        event_id: String,
        /// Validity in seconds.
        #[arg(long, default_value_t = 600)]
        ttl: i64,
    },
    /// Print an HS256 token for a user, signed with the configured secret.
    DevToken {
        /// The user id (`sub`).
        #[arg(long)]
        sub: String,
        /// Validity in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Yaml,
    Json,
}

/// Runs the command line.
pub async fn run(cli: Cli) -> ExitCode {
    let _telemetry =
        crate::telemetry::init(&crate::telemetry::TelemetrySettings::from_vars(&|name| {
            std::env::var(name).ok()
        }));
    // Serving needs every security setting; the chores only valid values.
    let settings = match &cli.command {
        Command::Serve | Command::Relay => Settings::from_env(),
        _ => Settings::for_tools_from_env(),
    };
    let settings = match settings {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "refusing to start");
            eprintln!("refusing to start: {e}");
            return ExitCode::from(2);
        }
    };
    if settings.app_env == AppEnv::Local {
        let local = crate::setting::local();
        tracing::warn!(
            "{local}: development conveniences are on (see docs/operations.md); never use it in production"
        );
    }
    match execute(cli.command, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `command` with `settings`; `Err` is the message to print.
async fn execute(command: Command, settings: Settings) -> Result<(), String> {
    match command {
        Command::ExportCloudformation { format } => {
            print!("{}", cloudformation(format, &settings.table_names()));
            Ok(())
        }
        Command::ExportIamPolicy { region, account } => {
            println!("{:#}", iam_policy(&settings, &region, &account));
            Ok(())
        }
        Command::ExportTerraform => {
            println!("{}", terraform(&settings.table_names()));
            Ok(())
        }
        Command::DevToken { .. } | Command::AdmissionToken { .. } => sign(command, &settings),
        Command::Serve => serve(settings).await,
        Command::Relay => relay(settings).await,
        Command::CreateTables => create_tables(&settings).await,
        Command::CheckSchema => check_schema(&settings).await,
        Command::Migrate {
            dry_run,
            drop_undeclared_indexes,
        } => migrate(&settings, dry_run, drop_undeclared_indexes).await,
        Command::SeedEvent {
            event_id,
            seats,
            price,
            currency,
        } => {
            let price = Money {
                amount: price,
                currency,
            };
            seed_event(&settings, &event_id, &seats, &price).await
        }
    }
}

/// The IAM policy the service needs, for `region` and `account`.
fn iam_policy(settings: &Settings, region: &str, account: &str) -> serde_json::Value {
    crate::iam::policy(
        &settings.table_names(),
        region,
        account,
        settings
            .outbox
            .events
            .bus()
            .map(|bus| crate::iam::Publishing {
                bus,
                source: &settings.outbox.source,
            }),
    )
}

/// Every table as Terraform.
fn terraform(names: &crate::store::TableNames) -> String {
    crate::store::defs_named(names)
        .iter()
        .map(|t| t.to_terraform())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `dev-token` and `admission-token`: tokens signed by hand, for development only (outside it
/// they print nothing).
fn sign(command: Command, settings: &Settings) -> Result<(), String> {
    use crate::auth::{AdmissionVariables as Admission, BearerVariables as Bearer};
    let local = crate::setting::local();
    if settings.app_env != AppEnv::Local {
        return Err(format!(
            "dev-token and admission-token sign tokens for development: they run only with {local}"
        ));
    }
    match command {
        Command::DevToken { sub, ttl } => match settings.jwt.hs256_secret() {
            None => Err(format!(
                "{} is not set: bearer tokens come from the identity provider ({} or {}), or {local} signs with the development secret",
                Bearer::hs256_secret.name(),
                Bearer::issuer_uri.name(),
                Bearer::jwks_url.name()
            )),
            Some(secret) => crate::auth::sign_hs256(secret, &sub, ttl)
                .map(|token| println!("{token}"))
                .map_err(|e| format!("cannot sign: {e}")),
        },
        Command::AdmissionToken { sub, event_id, ttl } => match settings.admission.secret() {
            None => Err(format!(
                "{} is not set (with {local} any non-empty reservation_token admits; with {} the waiting room issues them)",
                Admission::hs256_secret.name(),
                Admission::verify_url.name()
            )),
            Some(secret) => crate::auth::sign_admission(secret, &sub, &event_id, ttl)
                .map(|t| println!("{t}"))
                .map_err(|e| format!("cannot sign: {e}")),
        },
        _ => Ok(()),
    }
}

/// `check-schema`: the live tables against their definitions.
async fn check_schema(settings: &Settings) -> Result<(), String> {
    let client = client(settings).await?;
    check_schemas(&client, &settings.table_names())
        .await
        .map_err(|r| format!("{r}\n{MIGRATE_HINT}"))?;
    println!("all {} tables match their definitions", ALL.len());
    Ok(())
}

/// The CloudFormation template of every table.
fn cloudformation(format: Format, names: &crate::store::TableNames) -> String {
    let template = crate::store::cloudformation_template_named(names);
    match format {
        Format::Yaml => dynamo_core::schema::cloudformation::to_yaml(&template),
        Format::Json => format!("{template:#}\n"),
    }
}

/// A DynamoDB client with the settings' timeouts and attempts.
pub async fn client(settings: &Settings) -> Result<dynamo_core::Client, String> {
    ClientBuilder::from_env()
        .connect_timeout(settings.store.timeout.min(Duration::from_secs(2)))
        .attempt_timeout(settings.store.timeout)
        .operation_timeout(settings.store.timeout * 2)
        .max_attempts(settings.store.max_attempts)
        .backoff(
            settings.store.retry_backoff,
            settings.store.retry_backoff * 8,
        )
        .build()
        .await
        .map_err(|e| e.to_string())
}

async fn serve(settings: Settings) -> Result<(), String> {
    let client = client(&settings).await?;
    warn_unknown_variables();
    // Never serve on tables that do not match the entities: the incident this crate's
    // checks exist for surfaced only when a real request hit the real table.
    if let Err(report) = check_schemas(&client, &settings.table_names()).await {
        tracing::error!(report = %report, "refusing to serve: the tables do not match the service's definitions");
        return Err(format!("refusing to serve: {report}\n{MIGRATE_HINT}"));
    }
    let port = settings.server.port;
    let state = Arc::new(AppState::new(settings, client));
    state.jwt.prefetch().await;
    let workers = if state.settings.workers.run {
        Some(state.spawn_workers(state.event_sink().await))
    } else {
        None
    };
    let server = Server::bind(state, port)
        .await
        .map_err(|e| format!("cannot listen on port {port}: {e}"))?;
    tracing::info!(
        port = server.port(),
        management_port = server.management_port(),
        "serving the Reservation API"
    );
    let served = server.run(shutdown_signal()).await;
    if let Some(workers) = workers {
        workers.stop().await;
    }
    served.map_err(|e| e.to_string())
}

async fn relay(settings: Settings) -> Result<(), String> {
    let client = client(&settings).await?;
    warn_unknown_variables();
    if let Err(report) = check_schemas(&client, &settings.table_names()).await {
        return Err(format!("refusing to relay: {report}\n{MIGRATE_HINT}"));
    }
    let state = AppState::new(settings, client);
    let workers = state.spawn_workers(state.event_sink().await);
    shutdown_signal().await;
    workers.stop().await;
    Ok(())
}

fn warn_unknown_variables() {
    for (name, closest) in crate::configuration::unknown_variables() {
        match closest {
            Some(closest) => tracing::warn!(
                variable = name,
                "unknown setting {name}, ignored: did you mean {closest}?"
            ),
            None => tracing::warn!(variable = name, "unknown setting {name}, ignored"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// What to do when the tables differ from the definitions.
const MIGRATE_HINT: &str = "Tables created by the infrastructure module lack what the service adds (its indexes and the seats table): `reservation-service migrate --dry-run` shows the changes, `reservation-service migrate` makes them.";

async fn migrate(settings: &Settings, dry_run: bool, drop_indexes: bool) -> Result<(), String> {
    let client = client(settings).await?;
    let names = settings.table_names();
    let mut plans = crate::store::plan_migrations(&client, &names)
        .await
        .map_err(|e| e.to_string())?;
    if drop_indexes {
        plans = plans
            .into_iter()
            .map(dynamo_core::schema::MigrationPlan::dropping_undeclared_indexes)
            .collect();
    }
    for plan in &plans {
        println!("{plan}");
    }
    if plans.iter().any(|p| !p.blockers.is_empty()) {
        return Err(
            "nothing was changed: some tables cannot be migrated in place (marked !)".into(),
        );
    }
    let tables_up_to_date = plans
        .iter()
        .all(dynamo_core::schema::MigrationPlan::is_up_to_date);
    if tables_up_to_date {
        println!("tables: nothing to do");
    } else if dry_run {
        println!("dry run: nothing was changed (seats are counted once the tables are migrated)");
        return Ok(());
    } else {
        for plan in &plans {
            dynamo_core::schema::migrate(&client, plan)
                .await
                .map_err(|e| format!("{}: {e}", plan.table))?;
        }
        check_schemas(&client, &names)
            .await
            .map_err(|r| format!("migrated, but the tables still differ: {r}"))?;
        println!("migrated: all {} tables match their definitions", ALL.len());
    }
    move_seats(&client, &names, dry_run).await
}

/// Moves the seats stored before they were sharded to their keys now, resumable (a checkpoint
/// in the temporary directory), within 500 write units per second; the service serves
/// meanwhile (it moves a seat it touches first).
async fn move_seats(
    client: &dynamo_core::Client,
    names: &crate::store::TableNames,
    dry_run: bool,
) -> Result<(), String> {
    let seats = crate::store::Tables::new(client, names).seats;
    let checkpoint = std::env::temp_dir().join(format!("{}.rekey", seats.name()));
    let mut rekey = crate::store::rekey_seats(&seats)
        .checkpoint(checkpoint)
        .on_progress(|r| eprint!("\rseats: {} read, {} to move", r.scanned, r.moved));
    if dry_run {
        rekey = rekey.dry_run();
    }
    let report = rekey.run().await.map_err(|e| e.to_string())?;
    eprintln!();
    let verb = if dry_run { "would move" } else { "moved" };
    println!(
        "seats: {verb} {} to their sharded keys ({} superseded, {} up to date, {} busy: run again)",
        report.moved, report.superseded, report.unchanged, report.busy
    );
    if !report.unreadable.is_empty() {
        return Err(format!(
            "seats that could not be read: {}",
            report.unreadable.join("; ")
        ));
    }
    Ok(())
}

async fn create_tables(settings: &Settings) -> Result<(), String> {
    let client = client(settings).await?;
    let names = settings.table_names();
    for def in &ALL {
        let name = names.of(def);
        match dynamo_core::schema::ensure_table(&client, def, &name).await {
            Ok(outcome) => println!("{name}: {outcome:?}"),
            Err(e) => return Err(format!("{name}: {e}")),
        }
    }
    Ok(())
}

/// Expands `A-1..A-50,B-1` into seat ids.
pub fn parse_seats(spec: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once("..") {
            None => out.push(part.to_owned()),
            Some((from, to)) => {
                let split = |s: &str| -> Option<(String, u32)> {
                    let digits = s.len() - s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
                    let (prefix, number) = s.split_at(s.len() - digits);
                    Some((prefix.to_owned(), number.parse().ok()?))
                };
                let (Some((p1, a)), Some((p2, b))) = (split(from), split(to)) else {
                    return Err(format!("{part}: a range is written like A-1..A-50"));
                };
                if p1 != p2 || a > b || b - a > 10_000 {
                    return Err(format!(
                        "{part}: both ends need the same prefix and an ascending range"
                    ));
                }
                out.extend((a..=b).map(|n| format!("{p1}{n}")));
            }
        }
    }
    if out.is_empty() {
        return Err("no seats given".into());
    }
    Ok(out)
}

async fn seed_event(
    settings: &Settings,
    event_id: &str,
    spec: &str,
    price: &Money,
) -> Result<(), String> {
    if !crate::domain::money::is_currency(&price.currency) {
        return Err(format!(
            "--currency {:?} is not an ISO 4217 code such as KRW or USD",
            price.currency
        ));
    }
    let seats = parse_seats(spec)?;
    let client = client(settings).await?;
    let table = Tables::new(&client, &settings.table_names()).seats;
    let now = time::OffsetDateTime::now_utc();
    let (mut created, mut existing) = (0, 0);
    for chunk in seats.chunks(25) {
        let puts = chunk.iter().map(|seat_id| {
            let seat = Seat {
                event_id: event_id.to_owned(),
                seat_id: seat_id.clone(),
                state: SeatState::Available,
                holder: None,
                hold_expires_at: None,
                updated_at: now,
                price: Some(price.amount),
                currency: Some(price.currency.clone()),
            };
            table.put(seat).create_only().send()
        });
        for result in futures_util::future::join_all(puts).await {
            match result {
                Ok(()) => created += 1,
                Err(e) if e.is_condition_failed() => existing += 1,
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    println!("event {event_id}: {created} seats created, {existing} already existed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_specs() {
        assert_eq!(
            parse_seats("A-1..A-3,B-1").expect("valid"),
            ["A-1", "A-2", "A-3", "B-1"]
        );
        assert_eq!(parse_seats("VIP-9-17").expect("valid"), ["VIP-9-17"]);
        assert!(parse_seats("A-3..A-1").is_err());
        assert!(parse_seats("A-1..B-2").is_err());
        assert!(parse_seats(" , ").is_err());
    }
}
