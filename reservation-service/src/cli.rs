//! The command line: one binary for the service and its chores.

use crate::configuration::Settings;
use crate::startup::{AppState, Server, check_schemas};
use crate::store::{ALL, Seat, SeatState};
use clap::{Parser, Subcommand, ValueEnum};
use dynamo_core::{ClientBuilder, Error, Table};
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
    /// Serve the API (PORT, DYNAMODB_ENDPOINT, AWS_REGION, TABLE_PREFIX, JWT_HS256_SECRET,
    /// HOLD_TTL_SECONDS, APP_ENV from the environment).
    Serve,
    /// Run only the outbox relay and the hold sweeper (EVENT_BUS_NAME, OUTBOX_MAX_ATTEMPTS,
    /// RELAY_INTERVAL_MS, SWEEP_INTERVAL_SECONDS), e.g. as a separate deployment with WORKERS=false
    /// on the API replicas.
    Relay,
    /// Create the service's tables (with TABLE_PREFIX) unless they exist with the same schema.
    CreateTables,
    /// Check every table against its definition; exit 1 with every difference when one fails.
    CheckSchema,
    /// Print the CloudFormation template of every table.
    ExportCloudformation {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Yaml)]
        format: Format,
    },
    /// Print the least-privilege IAM policy of the service (tables with TABLE_PREFIX, and the
    /// EVENT_BUS_NAME bus when set).
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
    },
    /// Print an admission token (`reservation_token`) for a user and event, signed with
    /// ADMISSION_HS256_SECRET.
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
    crate::telemetry::init_tracing();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "refusing to start");
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::ExportCloudformation { format } => {
            print!("{}", cloudformation(format));
            Ok(())
        }
        Command::ExportIamPolicy { region, account } => {
            let policy = crate::iam::policy(
                &settings.table_prefix,
                &region,
                &account,
                settings.event_bus.as_deref(),
            );
            println!(
                "{}",
                serde_json::to_string_pretty(&policy).unwrap_or_default()
            );
            Ok(())
        }
        Command::ExportTerraform => {
            println!(
                "{}",
                ALL.iter()
                    .map(|t| t.to_terraform())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            Ok(())
        }
        Command::DevToken { .. } if settings.jwt_secret.is_empty() => {
            Err("JWT_HS256_SECRET is not set (tokens come from the JWKS issuer)".into())
        }
        Command::DevToken { sub, ttl } => {
            match crate::auth::sign_hs256(&settings.jwt_secret, &sub, ttl) {
                Ok(token) => {
                    println!("{token}");
                    Ok(())
                }
                Err(e) => Err(format!("cannot sign: {e}")),
            }
        }
        Command::AdmissionToken { sub, event_id, ttl } => match &settings.admission_secret {
            None => Err("ADMISSION_HS256_SECRET is not set: with APP_ENV=local any non-empty reservation_token admits".into()),
            Some(secret) => crate::auth::sign_admission(secret, &sub, &event_id, ttl).map(|t| println!("{t}")).map_err(|e| format!("cannot sign: {e}")),
        },
        Command::Serve => serve(settings).await,
        Command::Relay => relay(settings).await,
        Command::CreateTables => create_tables(&settings).await,
        Command::CheckSchema => match client(&settings).await {
            Ok(client) => check_schemas(&client, &settings.table_prefix)
                .await
                .map_err(|r| r.to_string())
                .map(|()| {
                    println!("all {} tables match their definitions", ALL.len());
                }),
            Err(e) => Err(e),
        },
        Command::SeedEvent { event_id, seats } => seed_event(&settings, &event_id, &seats).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// The CloudFormation template of every table.
fn cloudformation(format: Format) -> String {
    let template = crate::store::cloudformation_template();
    match format {
        Format::Yaml => dynamo_core::schema::cloudformation::to_yaml(&template),
        Format::Json => serde_json::to_string_pretty(&template).unwrap_or_default() + "\n",
    }
}

/// A DynamoDB client with the settings' timeouts and attempts.
pub async fn client(settings: &Settings) -> Result<dynamo_core::Client, String> {
    ClientBuilder::from_env()
        .connect_timeout(settings.dynamodb_timeout.min(Duration::from_secs(2)))
        .attempt_timeout(settings.dynamodb_timeout)
        .operation_timeout(settings.dynamodb_timeout * 2)
        .max_attempts(settings.dynamodb_max_attempts)
        .build()
        .await
        .map_err(|e| e.to_string())
}

async fn serve(settings: Settings) -> Result<(), String> {
    let client = client(&settings).await?;
    warn_unknown_variables();
    // Never serve on tables that do not match the entities: the incident this crate's
    // checks exist for surfaced only when a real request hit the real table.
    if let Err(report) = check_schemas(&client, &settings.table_prefix).await {
        tracing::error!(report = %report, "refusing to serve: the tables do not match the service's definitions");
        return Err(format!("refusing to serve: {report}"));
    }
    let port = settings.port;
    let state = Arc::new(AppState::new(settings, client));
    state.jwt.prefetch().await;
    let workers = if state.settings.workers {
        Some(state.spawn_workers(state.event_sink().await))
    } else {
        None
    };
    let server = Server::bind(state, port)
        .await
        .map_err(|e| format!("cannot listen on port {port}: {e}"))?;
    tracing::info!(port = server.port(), "serving the Reservation API");
    let served = server.run(shutdown_signal()).await;
    if let Some(workers) = workers {
        workers.stop().await;
    }
    served.map_err(|e| e.to_string())
}

async fn relay(settings: Settings) -> Result<(), String> {
    let client = client(&settings).await?;
    warn_unknown_variables();
    if let Err(report) = check_schemas(&client, &settings.table_prefix).await {
        return Err(format!("refusing to relay: {report}"));
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

async fn create_tables(settings: &Settings) -> Result<(), String> {
    let client = client(settings).await?;
    for def in &ALL {
        let name = format!("{}{}", settings.table_prefix, def.name);
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

async fn seed_event(settings: &Settings, event_id: &str, spec: &str) -> Result<(), String> {
    let seats = parse_seats(spec)?;
    let client = client(settings).await?;
    let table = Table::<Seat>::new(&client).with_prefix(&settings.table_prefix);
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
            };
            table.put(seat).if_not_exists().send()
        });
        for result in futures_util::future::join_all(puts).await {
            match result {
                Ok(_) => created += 1,
                Err(Error::ConditionFailed { .. }) => existing += 1,
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
