//! `reservation-service`: see `--help`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    reservation_service::cli::run(reservation_service::cli::Cli::parse()).await
}
