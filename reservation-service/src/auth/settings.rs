//! How bearer tokens and admission tokens are verified: the variables, declared once, and what
//! they configure.

use crate::setting::{Described, Env, Var};
use secrecy::{ExposeSecret, SecretString};

/// The development secret, used only when `APP_ENV=local` and no bearer token setting is given.
pub const DEV_JWT_SECRET: &str = "local-development-secret-do-not-use-in-production";

const JWT_ISSUER_URI: Described = Described::new(
    "JWT_ISSUER_URI",
    "(unset)",
    "OIDC issuer: keys found through `/.well-known/openid-configuration`, `iss` must equal it",
);
const JWKS_URL: Described = Described::new(
    "JWKS_URL",
    "(unset)",
    "verify RS256 tokens with the keys at this URL (instead of discovery)",
);
const JWT_ISSUER: Described = Described::new(
    "JWT_ISSUER",
    "(unset)",
    "when set, tokens must carry this `iss` (with `JWKS_URL` or `JWT_HS256_SECRET`)",
);
const JWT_AUDIENCE: Described = Described::new(
    "JWT_AUDIENCE",
    "(unset)",
    "tokens must carry it in `aud` (required outside local; unset locally, `aud` is not checked)",
);
const JWT_HS256_SECRET: Described = Described::new(
    "JWT_HS256_SECRET",
    "dev secret when local",
    "HS256 token secret (32+ characters); one of `JWT_ISSUER_URI`, `JWKS_URL`, `JWT_HS256_SECRET` is required outside local",
);
const ADMISSION_VERIFY_URL: Described = Described::new(
    "ADMISSION_VERIFY_URL",
    "(unset)",
    "the waiting room's verification endpoint for `reservation_token`",
);
const ADMISSION_HS256_SECRET: Described = Described::new(
    "ADMISSION_HS256_SECRET",
    "(unset)",
    "secret of signed admission tokens (32+ characters); this or `ADMISSION_VERIFY_URL` is required outside local",
);

/// The variables of authentication and admission.
pub const VARIABLES: [Var; 7] = [
    JWT_ISSUER_URI.var(),
    JWKS_URL.var(),
    JWT_ISSUER.var(),
    JWT_AUDIENCE.var(),
    JWT_HS256_SECRET.var(),
    ADMISSION_VERIFY_URL.var(),
    ADMISSION_HS256_SECRET.var(),
];

/// How bearer tokens are verified.
#[derive(Debug, Clone)]
pub enum BearerTokens {
    /// HS256 with a shared secret (`JWT_HS256_SECRET`; the development secret when local).
    Hs256 {
        /// The secret, 32 characters or more.
        secret: SecretString,
    },
    /// RS256 with the keys published at a URL (`JWKS_URL`).
    Jwks {
        /// The JWKS URL.
        url: String,
    },
    /// An OIDC issuer (`JWT_ISSUER_URI`): keys through discovery, `iss` equal to it.
    Oidc {
        /// The issuer, e.g. `https://auth.example.com/auth/realms/tickets`.
        issuer_uri: String,
    },
    /// None configured (commands that do not serve): every token is refused.
    Unconfigured,
}

impl PartialEq for BearerTokens {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (BearerTokens::Hs256 { secret: a }, BearerTokens::Hs256 { secret: b }) => {
                a.expose_secret() == b.expose_secret()
            }
            (BearerTokens::Jwks { url: a }, BearerTokens::Jwks { url: b }) => a == b,
            (BearerTokens::Oidc { issuer_uri: a }, BearerTokens::Oidc { issuer_uri: b }) => a == b,
            (BearerTokens::Unconfigured, BearerTokens::Unconfigured) => true,
            _ => false,
        }
    }
}

/// Bearer token verification.
#[derive(Debug, Clone, PartialEq)]
pub struct JwtSettings {
    /// Where the keys come from.
    pub tokens: BearerTokens,
    /// `JWT_ISSUER`: the required `iss` (with OIDC, the issuer itself).
    pub issuer: Option<String>,
    /// `JWT_AUDIENCE`: a value `aud` must hold; unset, `aud` is not checked.
    pub audience: Option<String>,
}

impl JwtSettings {
    /// `APP_ENV=local` with nothing set: the development secret.
    pub fn local() -> Self {
        JwtSettings {
            tokens: BearerTokens::Hs256 {
                secret: SecretString::from(DEV_JWT_SECRET),
            },
            issuer: None,
            audience: None,
        }
    }

    /// The HS256 secret, when bearer tokens are HS256 (`dev-token`).
    pub fn hs256_secret(&self) -> Option<&str> {
        match &self.tokens {
            BearerTokens::Hs256 { secret } => Some(secret.expose_secret()),
            _ => None,
        }
    }

    /// Reads the bearer token settings: one way to verify tokens, or in production a missing
    /// setting.
    pub fn read(env: &mut Env<'_>) -> Self {
        let issuer_uri = env.url(&JWT_ISSUER_URI);
        let jwks_url = env.url(&JWKS_URL);
        let secret = env.secret(&JWT_HS256_SECRET);
        let mut issuer = env.raw(&JWT_ISSUER);
        let audience = env.raw(&JWT_AUDIENCE);
        let configured: Vec<&str> = [
            issuer_uri.as_ref().map(|_| JWT_ISSUER_URI.name()),
            jwks_url.as_ref().map(|_| JWKS_URL.name()),
            secret.as_ref().map(|_| JWT_HS256_SECRET.name()),
        ]
        .into_iter()
        .flatten()
        .collect();
        if configured.len() > 1 {
            env.problem(format!(
                "{} are all set: set one way to verify bearer tokens",
                configured.join(" and ")
            ));
        }
        if !env.is_local() {
            production_rules(
                env,
                &audience,
                [(&JWT_ISSUER_URI, &issuer_uri), (&JWKS_URL, &jwks_url)],
            );
        }
        let tokens = if let Some(issuer_uri) = issuer_uri {
            match &issuer {
                Some(other) if other.trim_end_matches('/') != issuer_uri => env.problem(format!(
                    "JWT_ISSUER={other:?} differs from JWT_ISSUER_URI={issuer_uri:?}: unset JWT_ISSUER (the issuer URI is the issuer)"
                )),
                _ => {}
            }
            issuer = Some(issuer_uri.clone());
            BearerTokens::Oidc { issuer_uri }
        } else if let Some(url) = jwks_url {
            BearerTokens::Jwks { url }
        } else if let Some(secret) = secret {
            BearerTokens::Hs256 { secret }
        } else if env.is_local() {
            return JwtSettings {
                issuer,
                audience,
                ..JwtSettings::local()
            };
        } else {
            env.missing(
                "no way to verify bearer tokens: set JWT_ISSUER_URI (an OIDC issuer), JWKS_URL, or JWT_HS256_SECRET (or APP_ENV=local for the development secret)",
            );
            BearerTokens::Unconfigured
        };
        JwtSettings {
            tokens,
            issuer,
            audience,
        }
    }
}

/// What production requires of bearer tokens: an audience, and keys fetched over https.
fn production_rules(
    env: &mut Env<'_>,
    audience: &Option<String>,
    key_urls: [(&Described, &Option<String>); 2],
) {
    if audience.is_none() {
        env.missing("JWT_AUDIENCE is required outside APP_ENV=local: without it, a token the identity provider issued to any of its clients would be accepted");
    }
    for (setting, url) in key_urls {
        if let Some(url) = url
            && !url.starts_with("https://")
        {
            env.missing(format!(
                "{}={url:?} must be https outside APP_ENV=local: the keys that verify every token come from it",
                setting.name()
            ));
        }
    }
}

/// How a `reservation_token` is checked.
#[derive(Debug, Clone)]
pub enum AdmissionSettings {
    /// Any non-empty token (only with `APP_ENV=local`).
    AnyToken,
    /// A JWT signed by the waiting room (`ADMISSION_HS256_SECRET`).
    Signed {
        /// The shared secret.
        secret: SecretString,
    },
    /// Asked of the waiting room (`ADMISSION_VERIFY_URL`).
    Remote {
        /// The verification endpoint.
        url: String,
    },
    /// None configured (commands that do not serve): nobody is admitted.
    Unconfigured,
}

impl PartialEq for AdmissionSettings {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (AdmissionSettings::Signed { secret: a }, AdmissionSettings::Signed { secret: b }) => {
                a.expose_secret() == b.expose_secret()
            }
            (AdmissionSettings::Remote { url: a }, AdmissionSettings::Remote { url: b }) => a == b,
            (AdmissionSettings::AnyToken, AdmissionSettings::AnyToken)
            | (AdmissionSettings::Unconfigured, AdmissionSettings::Unconfigured) => true,
            _ => false,
        }
    }
}

impl AdmissionSettings {
    /// The secret of signed admission tokens (`admission-token`).
    pub fn secret(&self) -> Option<&str> {
        match self {
            AdmissionSettings::Signed { secret } => Some(secret.expose_secret()),
            _ => None,
        }
    }

    /// Reads the admission settings: one way to check tokens, any token when local, or in
    /// production a missing setting.
    pub fn read(env: &mut Env<'_>) -> Self {
        let url = env.url(&ADMISSION_VERIFY_URL);
        let secret = env.secret(&ADMISSION_HS256_SECRET);
        match (url, secret) {
            (Some(_), Some(_)) => {
                env.problem("ADMISSION_VERIFY_URL and ADMISSION_HS256_SECRET are both set: set one way to check reservation tokens");
                AdmissionSettings::Unconfigured
            }
            (Some(url), None) => AdmissionSettings::Remote { url },
            (None, Some(secret)) => AdmissionSettings::Signed { secret },
            (None, None) if env.is_local() => AdmissionSettings::AnyToken,
            (None, None) => {
                env.missing("no way to check reservation tokens: set ADMISSION_VERIFY_URL (the waiting room) or ADMISSION_HS256_SECRET (signed tokens) (or APP_ENV=local to admit any token)");
                AdmissionSettings::Unconfigured
            }
        }
    }
}
