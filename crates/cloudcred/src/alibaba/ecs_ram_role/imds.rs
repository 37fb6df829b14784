//! The ECS metadata token (IMDSv2) of the ECS RAM role source: when to fetch a token, how long
//! to keep it, when to go on without one (IMDSv1, D23), and the metadata GET with its D21 retry
//! on a refused token and its D23 retry without the token. The source's requests (`send`, `url`)
//! and error wording (`who`) stay with the provider.

use super::{EcsRamRoleSource, TOKEN_TTL};
use crate::error::{Error, ErrorKind};
use crate::http::endpoint::describe;
use crate::http::metadata::TokenState;
use crate::http::{Response, TransportError, TransportErrorKind};
use crate::model::SecretString;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// A token is replaced this long before its TTL ends.
const TOKEN_MARGIN: Duration = Duration::from_secs(300);
pub(super) const TOKEN_PATH: &str = "/latest/api/token";

/// Why no token came back.
pub(super) enum TokenFailure {
    /// Nothing accepted the connection: stop (D23 second row).
    Unreachable(TransportError),
    /// The token is required (v1 disabled) and could not be had.
    Error(Error),
}

/// What a metadata GET came back with after the D21/D23 retries.
pub(super) type Got = std::result::Result<Response, TransportError>;

impl EcsRamRoleSource {
    pub(super) fn cached_token(&self) -> Option<Option<SecretString>> {
        let now = self.ctx.clock().deadline_now();
        match &**self.token.load() {
            TokenState::Token { value, until } if now < *until => Some(Some(value.clone())),
            TokenState::Absent { until } if now < *until => Some(None),
            _ => None,
        }
    }

    pub(super) fn set_token(&self, state: TokenState) {
        self.token.store(Arc::new(state));
    }

    /// The cached token, or a new one (D21, D23).
    pub(super) async fn token(
        &self,
        probe: bool,
    ) -> std::result::Result<Option<SecretString>, TokenFailure> {
        match self.cached_token() {
            Some(t) => Ok(t),
            None => self.new_token(probe).await,
        }
    }

    pub(super) async fn new_token(
        &self,
        probe: bool,
    ) -> std::result::Result<Option<SecretString>, TokenFailure> {
        let clock = self.ctx.clock();
        let started = clock.deadline_base();
        let until = started.saturating_add(TOKEN_TTL - TOKEN_MARGIN);
        let mut options = self.options.clone();
        if probe {
            options.connect_timeout = options.connect_timeout.min(self.probe_connect_timeout);
        }
        let url = self.url(TOKEN_PATH, None);
        let why = match self.send(http::Method::PUT, &url, None, &options).await {
            // While the chain guesses, a host that accepts the connection but does not answer the
            // token PUT within the read timeout is not a metadata service either (a real one
            // answers it at once, with a token or a refusal): stop here rather than pay the
            // timeouts of the token-less requests too.
            Err(e)
                if matches!(
                    e.kind,
                    TransportErrorKind::Connect | TransportErrorKind::ConnectTimeout
                ) || (probe && e.kind == TransportErrorKind::Timeout) =>
            {
                self.set_token(TokenState::Unknown);
                return Err(TokenFailure::Unreachable(e));
            }
            Ok(r) if r.status == 200 => match std::str::from_utf8(&r.body).map(str::trim) {
                Ok(t) if !t.is_empty() => {
                    let value = SecretString::new(t);
                    self.set_token(TokenState::Token {
                        value: value.clone(),
                        until,
                    });
                    return Ok(Some(value));
                }
                _ => "answered 200 with an empty token".to_owned(),
            },
            Ok(r) => format!("answered HTTP {}", r.status),
            Err(e) => e.message,
        };
        if self.v1_disabled {
            self.set_token(TokenState::Unknown);
            return Err(TokenFailure::Error(
                ErrorKind::Transport {
                    provider: self.who(self.role.as_ref().map(|(r, _)| r.as_str())),
                    endpoint: describe(&url),
                    message: format!(
                        "no metadata token ({why}), and {} forbids continuing without one (IMDSv1)",
                        self.v1_origin
                    ),
                }
                .into(),
            ));
        }
        tracing::debug!(endpoint = %describe(&url), reason = %why, "no metadata token; continuing without one (IMDSv1)");
        // Remembered like a token, so a v1-only instance costs no PUT per refresh; a later
        // 401/403 asks again.
        self.set_token(TokenState::Absent { until });
        Ok(None)
    }

    /// A metadata GET with the D21 and D23 retries.
    pub(super) async fn get(
        &self,
        url: &Url,
        token: &mut Option<SecretString>,
    ) -> std::result::Result<Got, TokenFailure> {
        let mut got = self
            .send(http::Method::GET, url, token.as_ref(), &self.options)
            .await;
        let mut with_token = token.is_some();
        if matches!(&got, Ok(r) if r.status == 401 || r.status == 403) {
            // D21: the token was refused (expired, revoked) or one is now required.
            self.set_token(TokenState::Unknown);
            if let Some(fresh) = self.new_token(false).await? {
                *token = Some(fresh);
                with_token = true;
                got = self
                    .send(http::Method::GET, url, token.as_ref(), &self.options)
                    .await;
            }
        }
        let failed = match &got {
            Ok(r) => !r.is_success() && r.status != 404,
            Err(_) => true,
        };
        if with_token && failed {
            if self.v1_disabled {
                return Ok(got);
            }
            // D23 last row (py/java): one more try without the token.
            got = self.send(http::Method::GET, url, None, &self.options).await;
        }
        Ok(got)
    }
}
