//! The request and reply shapes the service modules work with, kept free of hyper types so each
//! service is a plain function of (state, request) that is easy to read against the spec.

use serde_json::Value;

use crate::model::{first_param, Endpoint};
use crate::rpc_signature::parse_pairs;
use crate::state::{NewCredential, Shared};

/// A fully read request.
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    pub raw_query: String,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn new(
        method: String,
        path: String,
        raw_query: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Req {
        let query = parse_pairs(&raw_query);
        // Only a declared form body counts: a client that forgets the Content-Type gets its
        // action parameters ignored, as a real gateway would, and fails loudly.
        let is_form = headers.iter().any(|(k, v)| {
            k == "content-type"
                && v.to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
        });
        let form = if is_form {
            parse_pairs(&String::from_utf8_lossy(&body))
        } else {
            Vec::new()
        };
        Req {
            method,
            path,
            raw_query,
            query,
            form,
            headers,
            body,
        }
    }

    /// First value of a parameter from the query, else the form.
    pub fn param(&self, name: &str) -> Option<&str> {
        first_param(&self.query, &self.form, name)
    }

    /// Like [`Req::param`], with an empty value treated as absent (as the services do).
    pub fn nonempty(&self, name: &str) -> Option<&str> {
        self.param(name).filter(|v| !v.is_empty())
    }

    /// The union of query and form pairs: what the RPC signature covers.
    pub fn all_params(&self) -> Vec<(String, String)> {
        self.query.iter().chain(self.form.iter()).cloned().collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The token of an `Authorization: Bearer …` header.
    pub fn bearer(&self) -> Option<&str> {
        let v = self.header("authorization")?;
        let (scheme, token) = v.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim())
            .filter(|t| !t.is_empty())
    }
}

/// What a service answers before faults reshape it.
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Service error code for the recorded verdict.
    pub code: Option<String>,
    /// Extra response headers; names are owned only for the object endpoints' user metadata.
    pub headers: Vec<(std::borrow::Cow<'static, str>, String)>,
    /// What the object endpoints verified, for the recorded request.
    pub verified: Option<String>,
}

impl Reply {
    pub fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json;charset=utf-8",
            body: serde_json::to_vec(value).expect("JSON values serialise"),
            code: None,
            headers: Vec::new(),
            verified: None,
        }
    }

    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            content_type: "text/plain;charset=utf-8",
            body: body.into().into_bytes(),
            code: None,
            headers: Vec::new(),
            verified: None,
        }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Reply {
        self.code = Some(code.into());
        self
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn is_json(&self) -> bool {
        self.content_type.starts_with("application/json")
    }
}

/// Per-request context handed to the service functions.
pub(crate) struct Ctx<'a> {
    pub shared: &'a Shared,
    pub request_id: &'a str,
    /// The Host header, used as `HostId` of STS errors.
    pub host: &'a str,
    /// The ExpiredCredentials fault is active for this request.
    pub expired: bool,
}

impl Ctx<'_> {
    /// Issues an STS credential with the default lifetime for a source that has no parameters
    /// of its own (credentials URI, CloudSSO, OAuth exchange).
    pub fn issue_plain(&self, endpoint: Endpoint) -> NewCredential {
        let lifetime = self.shared.config.default_lifetime;
        let cred = self.shared.new_credential(lifetime, self.expired, true);
        self.shared.record_issued(cred.issued(endpoint));
        cred
    }
}
