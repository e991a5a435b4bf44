//! How bearer tokens and admission tokens are verified: the variables, declared once, and what
//! they configure.

use crate::setting::{Env, settings};
use secrecy::{ExposeSecret, SecretString};

/// The development secret, used only in local development when no way to verify bearer tokens
/// is configured.
pub const DEV_JWT_SECRET: &str = "local-development-secret-do-not-use-in-production";

settings! {
    /// How bearer tokens are verified, as set: [`JwtSettings::read`] makes one way of them.
    #[derive(Debug, Clone)]
    pub struct BearerVariables {
        /// OIDC issuer: keys found through `/.well-known/openid-configuration`, `iss` must
        /// equal it
        issuer_uri: Option<String> = url("JWT_ISSUER_URI", "(unset)"),
        /// verify RS256 tokens with the keys at this URL (instead of discovery)
        jwks_url: Option<String> = url("JWKS_URL", "(unset)"),
        /// when set, tokens must carry this `iss` (with a JWKS URL or an HS256 secret; an OIDC
        /// issuer is the issuer itself)
        issuer: Option<String> = raw("JWT_ISSUER", "(unset)"),
        /// tokens must carry it in `aud` (required outside local; unset locally, `aud` is not
        /// checked)
        audience: Option<String> = raw("JWT_AUDIENCE", "(unset)"),
        /// HS256 token secret (32+ characters); one way to verify tokens (an OIDC issuer, a
        /// JWKS URL or this secret) is required outside local
        hs256_secret: Option<SecretString> = secret("JWT_HS256_SECRET", "dev secret when local"),
    }
}

settings! {
    /// How `reservation_token`s are checked, as set: [`AdmissionSettings::read`] makes one way
    /// of them.
    #[derive(Debug, Clone)]
    pub struct AdmissionVariables {
        /// the waiting room's verification endpoint for `reservation_token`
        verify_url: Option<String> = url("ADMISSION_VERIFY_URL", "(unset)"),
        /// secret of signed admission tokens (32+ characters); this or the waiting room's
        /// endpoint is required outside local
        hs256_secret: Option<SecretString> = secret("ADMISSION_HS256_SECRET", "(unset)"),
    }
}

/// How bearer tokens are verified.
#[derive(Debug, Clone)]
pub enum BearerTokens {
    /// HS256 with a shared secret (the development secret when local).
    Hs256 {
        /// The secret, 32 characters or more.
        secret: SecretString,
    },
    /// RS256 with the keys published at a URL.
    Jwks {
        /// The JWKS URL.
        url: String,
    },
    /// An OIDC issuer: keys through discovery, `iss` equal to it.
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
    /// The required `iss` (with OIDC, the issuer itself).
    pub issuer: Option<String>,
    /// A value `aud` must hold; unset, `aud` is not checked.
    pub audience: Option<String>,
}

impl JwtSettings {
    /// Local development with nothing set: the development secret.
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
        let BearerVariables {
            issuer_uri,
            jwks_url,
            mut issuer,
            audience,
            hs256_secret: secret,
        } = BearerVariables::read(env);
        let v = (
            BearerVariables::issuer_uri.name(),
            BearerVariables::jwks_url.name(),
            BearerVariables::hs256_secret.name(),
        );
        let configured = [
            issuer_uri.as_ref().map(|_| v.0),
            jwks_url.as_ref().map(|_| v.1),
            secret.as_ref().map(|_| v.2),
        ];
        at_most_one(env, configured);
        if !env.is_local() {
            production_rules(env, &audience, [(v.0, &issuer_uri), (v.1, &jwks_url)]);
        }
        let tokens = if let Some(issuer_uri) = issuer_uri {
            match &issuer {
                Some(other) if other.trim_end_matches('/') != issuer_uri => env.problem(format!(
                    "{}={other:?} differs from {}={issuer_uri:?}: unset {0} (the issuer URI is the issuer)",
                    BearerVariables::issuer.name(),
                    v.0
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
            let local = env.local();
            env.missing(format!(
                "no way to verify bearer tokens: set {} (an OIDC issuer), {}, or {} (or {local} for the development secret)",
                v.0, v.1, v.2
            ));
            BearerTokens::Unconfigured
        };
        JwtSettings {
            tokens,
            issuer,
            audience,
        }
    }
}

/// One way to verify bearer tokens, at most: the names of those `configured`.
fn at_most_one(env: &mut Env<'_>, configured: [Option<&str>; 3]) {
    let configured: Vec<&str> = configured.into_iter().flatten().collect();
    if configured.len() > 1 {
        env.problem(format!(
            "{} are all set: set one way to verify bearer tokens",
            configured.join(" and ")
        ));
    }
}

/// What production requires of bearer tokens: an audience, and keys fetched over https.
fn production_rules(
    env: &mut Env<'_>,
    audience: &Option<String>,
    key_urls: [(&str, &Option<String>); 2],
) {
    let local = env.local();
    if audience.is_none() {
        env.missing(format!(
            "{} is required outside {local}: without it, a token the identity provider issued to any of its clients would be accepted",
            BearerVariables::audience.name()
        ));
    }
    for (name, url) in key_urls {
        if let Some(url) = url
            && !url.starts_with("https://")
        {
            env.missing(format!(
                "{name}={url:?} must be https outside {local}: the keys that verify every token come from it"
            ));
        }
    }
}

/// How a `reservation_token` is checked.
#[derive(Debug, Clone)]
pub enum AdmissionSettings {
    /// Any non-empty token (only in local development).
    AnyToken,
    /// A JWT signed by the waiting room.
    Signed {
        /// The shared secret.
        secret: SecretString,
    },
    /// Asked of the waiting room.
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
        let AdmissionVariables {
            verify_url,
            hs256_secret,
        } = AdmissionVariables::read(env);
        let (url_name, secret_name) = (
            AdmissionVariables::verify_url.name(),
            AdmissionVariables::hs256_secret.name(),
        );
        match (verify_url, hs256_secret) {
            (Some(_), Some(_)) => {
                env.problem(format!("{url_name} and {secret_name} are both set: set one way to check reservation tokens"));
                AdmissionSettings::Unconfigured
            }
            (Some(url), None) => AdmissionSettings::Remote { url },
            (None, Some(secret)) => AdmissionSettings::Signed { secret },
            (None, None) if env.is_local() => AdmissionSettings::AnyToken,
            (None, None) => {
                let local = env.local();
                env.missing(format!("no way to check reservation tokens: set {url_name} (the waiting room) or {secret_name} (signed tokens) (or {local} to admit any token)"));
                AdmissionSettings::Unconfigured
            }
        }
    }
}
