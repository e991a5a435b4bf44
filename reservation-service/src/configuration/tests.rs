//! Reading the settings: defaults, production's requirements, and every problem at once.

use super::*;
use crate::auth::{BearerTokens, DEV_JWT_SECRET};
use crate::outbox::{DEFAULT_EVENT_BUS, EventSettings};

#[test]
fn typos_of_settings_are_reported_with_the_closest_name() {
    let names = [
        "HOLD_TTL_SECOND",
        "RATE_LIMIT_PER_USERS",
        "PORT",
        "DYNAMODB_ENDPOINT",
        "PATH",
        "EVENT_BUS",
        "DYNAMODB_LOCAL_HOME",
        "OUTBOX_SOMETHING_ELSE_ENTIRELY",
    ];
    let unknown = unknown_among(names.iter().map(|s| s.to_string()));
    assert_eq!(
        unknown,
        [
            ("HOLD_TTL_SECOND".to_owned(), Some("HOLD_TTL_SECONDS")),
            (
                "RATE_LIMIT_PER_USERS".to_owned(),
                Some("RATE_LIMIT_PER_USER")
            ),
            ("EVENT_BUS".to_owned(), None),
            ("OUTBOX_SOMETHING_ELSE_ENTIRELY".to_owned(), None),
        ]
    );
}

fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let vars: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Settings::from_vars(&|name| vars.get(name).cloned())
}

const EMULATOR: (&str, &str) = ("DYNAMODB_ENDPOINT", "http://dynamodb:8000");

const PRODUCTION: [(&str, &str); 5] = [
    ("MANAGEMENT_PORT", "9090"),
    ("JWT_ISSUER_URI", "https://auth.example.com/realms/tickets/"),
    ("JWT_AUDIENCE", "reservation-api"),
    ("ADMISSION_VERIFY_URL", "http://waiting-room/verify"),
    ("PAYMENT_API_URL", "http://payment-sim-api:8031"),
];

#[test]
fn an_empty_environment_is_production_and_names_every_missing_setting() {
    let err = settings(&[]).expect_err("refused").to_string();
    for name in [
        "JWT_ISSUER_URI",
        "JWKS_URL",
        "JWT_HS256_SECRET",
        "ADMISSION_VERIFY_URL",
        "ADMISSION_HS256_SECRET",
        "PAYMENT_API_URL",
        "MANAGEMENT_PORT",
    ] {
        assert!(err.contains(name), "{name} missing from: {err}");
    }
    // Development mode is explicit and only then are the conveniences live, on an emulator
    // only.
    let bare = settings(&[("APP_ENV", "local")]).expect_err("local needs an emulator");
    assert!(bare.to_string().contains("DYNAMODB_ENDPOINT"), "{bare}");
    let aws = settings(&[
        ("APP_ENV", "local"),
        (
            "DYNAMODB_ENDPOINT",
            "https://dynamodb.eu-west-1.amazonaws.com",
        ),
    ]);
    let aws = aws.expect_err("local never serves real tables").to_string();
    assert!(aws.contains("neither a loopback address"), "{aws}");
    let local = settings(&[("APP_ENV", "local"), EMULATOR]).expect("local works bare");
    assert_eq!(local.app_env, AppEnv::Local);
    assert_eq!(local.jwt.hs256_secret(), Some(DEV_JWT_SECRET));
    assert_eq!(local.admission, AdmissionSettings::AnyToken);
    assert_eq!(local.payment, PaymentSettings::Simulated);
    assert_eq!(local.outbox.events, EventSettings::Log);
    for not_local in ["prod", "dev", "LOCAL"] {
        assert!(settings(&[("APP_ENV", not_local)]).is_err(), "{not_local}");
    }
}

#[test]
fn tools_run_without_serving_settings_but_never_with_development_ones() {
    let tools = Settings::read(&|_| None, false).expect("a bare environment is enough");
    assert_eq!(tools.app_env, AppEnv::Production);
    assert_eq!(tools.jwt.tokens, BearerTokens::Unconfigured);
    assert_eq!(tools.jwt.hs256_secret(), None);
    assert_eq!(tools.admission, AdmissionSettings::Unconfigured);
    assert_eq!(tools.payment, PaymentSettings::Unconfigured);
    assert!(
        Settings::read(
            &|name| (name == "HOLD_TTL_SECONDS").then(|| "0".into()),
            false
        )
        .is_err(),
        "invalid values are still refused"
    );
}

/// A confirmation's transaction writes each seat and five items more: 95 seats are its
/// 100 writes; 96 would be refused by DynamoDB after the payment was approved.
#[test]
fn the_management_port_is_another_port() {
    let with = |port: &str| {
        settings(&[("APP_ENV", "local"), EMULATOR, ("MANAGEMENT_PORT", port)])
            .map(|s| s.server.management_port)
            .map_err(|e| e.to_string())
    };
    assert_eq!(with("9090"), Ok(Some(9090)));
    for refused in ["8080", "0", "http", "70000"] {
        let err = with(refused).expect_err(refused);
        assert!(err.contains("MANAGEMENT_PORT"), "{err}");
    }
    let bare = settings(&[("APP_ENV", "local"), EMULATOR]).expect("local");
    assert_eq!(bare.server.management_port, None);
    // In production it is required: the public port must not serve readiness and metrics.
    let public: Vec<(&str, &str)> = PRODUCTION
        .iter()
        .copied()
        .filter(|(k, _)| *k != "MANAGEMENT_PORT")
        .collect();
    let err = settings(&public).expect_err("refused").to_string();
    assert!(
        err.contains("MANAGEMENT_PORT is required outside APP_ENV=local"),
        "{err}"
    );
    assert!(settings(&PRODUCTION).is_ok());
}

#[test]
fn a_reservation_fits_one_confirmation() {
    let local = |seats: &str| {
        settings(&[
            ("APP_ENV", "local"),
            EMULATOR,
            ("MAX_SEATS_PER_RESERVATION", seats),
        ])
    };
    let most = local("95").expect("95 seats fit");
    assert_eq!(most.reservations.max_seats, 95);
    let err = local("96").expect_err("96 seats do not").to_string();
    assert!(err.contains("MAX_SEATS_PER_RESERVATION"), "{err}");
    // Throttling is answered fast: two attempts, a short backoff.
    let bare = local("10").expect("defaults");
    assert_eq!(bare.store.max_attempts, 2);
    assert_eq!(
        bare.store.retry_backoff,
        std::time::Duration::from_millis(25)
    );
}

#[test]
fn production_settings() {
    let s = settings(&PRODUCTION).expect("complete");
    assert_eq!(s.app_env, AppEnv::Production);
    assert_eq!(
        s.jwt.tokens,
        BearerTokens::Oidc {
            issuer_uri: "https://auth.example.com/realms/tickets".into()
        }
    );
    assert_eq!(
        s.jwt.issuer.as_deref(),
        Some("https://auth.example.com/realms/tickets")
    );
    assert_eq!(s.outbox.events.bus(), Some(DEFAULT_EVENT_BUS));
    assert!(matches!(s.payment, PaymentSettings::Http { .. }));
    assert_eq!(
        s.admission,
        AdmissionSettings::Remote {
            url: "http://waiting-room/verify".into()
        }
    );
}

/// What would open a hole is refused in production, named with why.
#[test]
fn production_refuses_what_would_open_a_hole() {
    let with = |extra: &[(&'static str, &'static str)]| {
        let vars: Vec<(&str, &str)> = PRODUCTION
            .iter()
            .copied()
            .filter(|(name, _)| !extra.iter().any(|(e, _)| e == name))
            .chain(extra.iter().copied())
            .collect();
        settings(&vars).map(|_| ()).map_err(|e| e.to_string())
    };
    let refused = |extra: &[(&'static str, &'static str)], why: &str| {
        let err = with(extra).expect_err("refused");
        assert!(err.contains(why), "{why} not in: {err}");
    };
    refused(&[("EVENT_SINK", "log")], "EVENT_SINK=log");
    refused(&[("PAYMENT_MODE", "simulated")], "PAYMENT_MODE=simulated");
    refused(&[("JWT_AUDIENCE", "")], "JWT_AUDIENCE is required");
    refused(
        &[("JWT_ISSUER_URI", "http://auth.example.com/realms/tickets")],
        "must be https",
    );
    let jwks = [
        ("JWT_ISSUER_URI", ""),
        ("JWKS_URL", "http://auth.example.com/certs"),
    ];
    refused(
        &jwks,
        "JWKS_URL=\"http://auth.example.com/certs\" must be https",
    );
    assert_eq!(with(&[("EVENT_SINK", "eventbridge")]), Ok(()));
    // Tools that do not serve still run (the exports, migrations).
    let tools = Settings::read(
        &|name| (name == "PAYMENT_MODE").then(|| "simulated".into()),
        false,
    );
    assert!(tools.is_ok());
}

#[test]
fn the_hold_grace_is_no_longer_than_a_payment_call_can_take() {
    let with = |grace: &str, timeout: &str| {
        settings(
            &[
                PRODUCTION.as_slice(),
                &[
                    ("HOLD_GRACE_SECONDS", grace),
                    ("PAYMENT_TIMEOUT_MS", timeout),
                    ("REQUEST_TIMEOUT_MS", "9000"),
                ],
            ]
            .concat(),
        )
    };
    // Two attempts of 2 s and a second: 5 s.
    let err = with("6", "2000").expect_err("refused").to_string();
    assert!(
        err.contains("HOLD_GRACE_SECONDS=6 is longer than a confirmation can take after its payment call starts (5 s"),
        "{err}"
    );
    let allowed = with("5", "2000").expect("5 s is allowed");
    assert_eq!(allowed.reservations.hold_grace, Duration::from_secs(5));
    with("9", "4000").expect("9 s is allowed with 4 s attempts");
}

#[test]
fn the_request_deadline_outlasts_a_confirmation() {
    let with = |request: &str, payment: &str| {
        let mut vars = PRODUCTION.to_vec();
        vars.extend([
            ("REQUEST_TIMEOUT_MS", request),
            ("PAYMENT_TIMEOUT_MS", payment),
            ("HOLD_GRACE_SECONDS", "1"),
        ]);
        settings(&vars)
    };
    let err = with("4999", "2000").expect_err("refused").to_string();
    assert!(
        err.contains("REQUEST_TIMEOUT_MS=4999 is shorter than a confirmation can take (5000 ms: two attempts of PAYMENT_TIMEOUT_MS=2000"),
        "{err}"
    );
    with("5000", "2000").expect("the defaults are consistent");
    with("3000", "1000").expect("shorter payment attempts allow a shorter deadline");
}

#[test]
fn conflicting_or_invalid_settings_are_refused_together() {
    let err = settings(
        &[
            PRODUCTION.as_slice(),
            &[
                (
                    "JWT_HS256_SECRET",
                    "a-secret-that-is-long-enough-for-hs256!",
                ),
                ("ADMISSION_HS256_SECRET", "short"),
                ("PAYMENT_MODE", "free"),
                ("EVENT_SINK", "kafka"),
                ("RESOURCE_NAME", "ticket/prod"),
                ("HOLD_TTL_SECONDS", "0"),
            ],
        ]
        .concat(),
    )
    .expect_err("refused")
    .to_string();
    for expected in [
        "JWT_ISSUER_URI and JWT_HS256_SECRET are all set",
        "ADMISSION_HS256_SECRET must be at least 32 characters",
        "PAYMENT_MODE=\"free\"",
        "EVENT_SINK=\"kafka\"",
        "RESOURCE_NAME=\"ticket/prod\"",
        "HOLD_TTL_SECONDS=\"0\"",
    ] {
        assert!(err.contains(expected), "{expected} missing from: {err}");
    }
    let both = settings(
        &[
            PRODUCTION.as_slice(),
            &[(
                "ADMISSION_HS256_SECRET",
                "a-secret-that-is-long-enough-for-hs256!",
            )],
        ]
        .concat(),
    )
    .expect_err("two admission verifiers")
    .to_string();
    assert!(both.contains("ADMISSION_VERIFY_URL and ADMISSION_HS256_SECRET are both set"));
}

#[test]
fn public_or_shared_secrets_are_refused_in_production() {
    let with = |vars: &[(&str, &str)]| {
        let mut all: Vec<(&str, &str)> = PRODUCTION
            .iter()
            .copied()
            .filter(|(k, _)| !k.starts_with("JWT_ISSUER_URI") && !k.starts_with("ADMISSION_"))
            .collect();
        all.extend_from_slice(vars);
        settings(&all)
    };
    let err = with(&[
        ("JWT_HS256_SECRET", DEV_JWT_SECRET),
        ("ADMISSION_VERIFY_URL", "http://waiting-room/verify"),
    ])
    .expect_err("the public secret is refused")
    .to_string();
    assert!(
        err.contains("JWT_HS256_SECRET is the development secret this repository publishes: refused outside APP_ENV=local"),
        "{err}"
    );
    let shared = "a-secret-that-is-long-enough-for-hs256!";
    let err = with(&[
        ("JWT_HS256_SECRET", shared),
        ("ADMISSION_HS256_SECRET", shared),
    ])
    .expect_err("one secret for both is refused")
    .to_string();
    assert!(
        err.contains("JWT_HS256_SECRET and ADMISSION_HS256_SECRET are the same secret"),
        "{err}"
    );
    with(&[
        ("JWT_HS256_SECRET", shared),
        (
            "ADMISSION_HS256_SECRET",
            "another-secret-that-is-long-enough-too",
        ),
    ])
    .expect("two different private secrets are fine");
}
