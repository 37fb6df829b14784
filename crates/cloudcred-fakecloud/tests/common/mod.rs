//! Test helpers: an HTTP client and a small RPC request builder whose signer is written apart
//! from the server's (`rpc_signature`), so a shared misunderstanding cannot make both agree.
#![allow(dead_code)]

use base64::Engine as _;
use cloudcred_fakecloud::{FakeCloud, FakeCloudConfig};
use hmac::Mac;
use serde_json::Value;

pub const AK: &str = "LTAIFAKERAMSOURCE014";
pub const SECRET: &str = "fake-secret-ram-00014";
pub const ROLE: &str = "acs:ram::1000000000000000:role/fake-fixture-role";

pub async fn start() -> FakeCloud {
    FakeCloud::start(FakeCloudConfig::default()).await.unwrap()
}

/// A client that never uses a proxy from the environment: every test talks to 127.0.0.1 only.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// The status and JSON body (Null when the body is not JSON).
pub async fn status_json(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Percent-encoding per RFC 3986, unreserved characters only; written with a lookup string
/// rather than byte classes to differ from the server's implementation.
pub fn enc(s: &str) -> String {
    const KEEP: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
    let mut out = String::new();
    for b in s.bytes() {
        if KEEP.as_bytes().contains(&b) {
            out.push(b as char);
        } else {
            out += &format!("%{:02X}", b);
        }
    }
    out
}

pub fn timestamp_now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn nonce() -> String {
    use rand::Rng;
    format!("{:032x}", rand::thread_rng().gen::<u128>())
}

/// An RPC request under construction: common parameters go to the query, action parameters to
/// the form body (cloudcred's POST layout); `get()` moves everything into the query.
#[derive(Clone, Debug)]
pub struct Rpc {
    pub method: &'static str,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Rpc {
    pub fn new(action: &str, common: &[(&str, &str)], form: &[(&str, &str)]) -> Rpc {
        let mut query = pairs(&[
            ("Version", "2015-04-01"),
            ("Action", action),
            ("Format", "JSON"),
            ("Timestamp", &timestamp_now()),
            ("SignatureNonce", &nonce()),
        ]);
        query.extend(pairs(common));
        Rpc {
            method: "POST",
            path: "/".into(),
            query,
            form: pairs(form),
        }
    }

    /// AssumeRole called by `ak`, with an optional security token.
    pub fn assume_role(ak: &str, token: Option<&str>) -> Rpc {
        let mut rpc = Rpc::new(
            "AssumeRole",
            &[
                ("SignatureMethod", "HMAC-SHA1"),
                ("SignatureVersion", "1.0"),
                ("AccessKeyId", ak),
            ],
            &[
                ("RoleArn", ROLE),
                ("RoleSessionName", "fixture-session"),
                ("DurationSeconds", "1800"),
            ],
        );
        if let Some(t) = token {
            rpc.query.push(("SecurityToken".into(), t.into()));
        }
        rpc
    }

    pub fn oidc(token: &str) -> Rpc {
        let mut rpc = Rpc::new(
            "AssumeRoleWithOIDC",
            &[],
            &[
                ("RoleArn", "acs:ram::1000000000000000:role/fake-oidc-role"),
                (
                    "OIDCProviderArn",
                    "acs:ram::1000000000000000:oidc-provider/fake-oidc-provider",
                ),
                ("OIDCToken", token),
                ("RoleSessionName", "fixture-oidc-session"),
                ("DurationSeconds", "3600"),
            ],
        );
        // cloudcred's OIDC query carries only these four (spec 6.4).
        rpc.query.retain(|(k, _)| k != "SignatureNonce");
        rpc
    }

    pub fn get(mut self) -> Rpc {
        self.method = "GET";
        let form = std::mem::take(&mut self.form);
        self.query.extend(form);
        self
    }

    /// Replaces a parameter wherever it is, or adds it to the form (query for GET).
    pub fn set(mut self, name: &str, value: &str) -> Rpc {
        for (k, v) in self.query.iter_mut().chain(self.form.iter_mut()) {
            if k == name {
                *v = value.into();
                return self;
            }
        }
        if self.method == "GET" {
            self.query.push((name.into(), value.into()));
        } else {
            self.form.push((name.into(), value.into()));
        }
        self
    }

    pub fn remove(mut self, name: &str) -> Rpc {
        self.query.retain(|(k, _)| k != name);
        self.form.retain(|(k, _)| k != name);
        self
    }

    pub fn string_to_sign(&self) -> String {
        let mut all: Vec<(String, String)> = self
            .query
            .iter()
            .chain(&self.form)
            .filter(|(k, _)| k != "Signature")
            .map(|(k, v)| (enc(k), enc(v)))
            .collect();
        all.sort();
        let canon: Vec<String> = all.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}&%2F&{}", self.method, enc(&canon.join("&")))
    }

    pub fn sign_hmac(mut self, secret: &str) -> Rpc {
        let mut mac =
            hmac::Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
        mac.update(self.string_to_sign().as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        self.query.push(("Signature".into(), sig));
        self
    }

    pub fn sign_rsa(mut self, key: &rsa::RsaPrivateKey) -> Rpc {
        use rsa::signature::{SignatureEncoding, Signer};
        let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
        let sig = signer.sign(self.string_to_sign().as_bytes()).to_vec();
        let sig = base64::engine::general_purpose::STANDARD.encode(sig);
        self.query.push(("Signature".into(), sig));
        self
    }

    pub fn encoded_query(&self) -> String {
        encode_pairs(&self.query)
    }

    pub async fn send(&self, cloud: &FakeCloud) -> (u16, Value) {
        let url = format!("{}{}?{}", cloud.base_url(), self.path, self.encoded_query());
        let req = if self.method == "GET" {
            client().get(url)
        } else {
            client()
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encode_pairs(&self.form))
        };
        status_json(req.send().await.unwrap()).await
    }
}

pub fn encode_pairs(p: &[(String, String)]) -> String {
    p.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Credentials out of an STS success body.
pub fn creds(body: &Value) -> (String, String, String) {
    let c = &body["Credentials"];
    (
        c["AccessKeyId"].as_str().unwrap().to_string(),
        c["AccessKeySecret"].as_str().unwrap().to_string(),
        c["SecurityToken"].as_str().unwrap().to_string(),
    )
}

/// Asserts an STS-style error: the status and the `Code` of the body.
pub fn assert_code(got: (u16, Value), status: u16, code: &str) {
    assert_eq!(
        (got.0, got.1["Code"].as_str()),
        (status, Some(code)),
        "{}",
        got.1
    );
}

/// Seconds from now until an `Expiration` text.
pub fn seconds_left(expiration: &Value) -> i64 {
    let t = chrono::DateTime::parse_from_rfc3339(expiration.as_str().unwrap()).unwrap();
    t.timestamp() - chrono::Utc::now().timestamp()
}

pub async fn get_json(cloud: &FakeCloud, path: &str) -> (u16, Value) {
    status_json(client().get(cloud.url(path)).send().await.unwrap()).await
}

/// `PUT /latest/api/token` with an optional TTL header: status and body.
pub async fn put_token(cloud: &FakeCloud, ttl: Option<&str>) -> (u16, String) {
    let mut req = client().put(cloud.url("/latest/api/token"));
    if let Some(ttl) = ttl {
        req = req.header("X-aliyun-ecs-metadata-token-ttl-seconds", ttl);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// AssumeRole by the fixture's RAM source key, correctly signed.
pub async fn assume_role_as_fixture(cloud: &FakeCloud) -> (u16, Value) {
    Rpc::assume_role(AK, None)
        .sign_hmac(SECRET)
        .send(cloud)
        .await
}

/// POSTs the request's form with a hand-built query string; the form Content-Type is optional.
pub async fn post_raw(rpc: &Rpc, cloud: &FakeCloud, raw_query: &str, form_type: bool) -> u16 {
    let mut req = client()
        .post(format!("{}/?{raw_query}", cloud.base_url()))
        .body(encode_pairs(&rpc.form));
    if form_type {
        req = req.header("content-type", "application/x-www-form-urlencoded");
    }
    req.send().await.unwrap().status().as_u16()
}

/// A response of an object endpoint: status, headers and body text.
#[derive(Debug)]
pub struct ObjectResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl ObjectResponse {
    /// The `<Code>` of an `<Error>` document (empty when there is none).
    pub fn code(&self) -> &str {
        xml_text(&self.body, "Code").unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// The text of the first `<tag>…</tag>` of an XML document.
pub fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(&xml[start..end])
}

/// A client that sends `bucket.<host>` names of `hosts` to `addr` (virtual-hosted requests to
/// the fake's object listener; the URL keeps the listener's port).
pub fn resolving_client(hosts: &[&str], addr: std::net::SocketAddr) -> reqwest::Client {
    let mut b = reqwest::Client::builder().no_proxy();
    for h in hosts {
        b = b.resolve(h, addr);
    }
    b.build().unwrap()
}

/// Sends a request built (and signed) as an `http::Request`.
pub async fn send_object(client: &reqwest::Client, req: http::Request<Vec<u8>>) -> ObjectResponse {
    let (parts, body) = req.into_parts();
    let resp = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    ObjectResponse {
        status,
        headers,
        body: resp.text().await.unwrap(),
    }
}

/// GETs (or PUTs `body` to) a URL as is, e.g. a presigned one.
pub async fn send_url(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    body: &[u8],
) -> ObjectResponse {
    let req = http::Request::builder()
        .method(method)
        .uri(url)
        .body(body.to_vec())
        .unwrap();
    send_object(client, req).await
}

/// Panics if `text` holds a secret or token the fake issued or was configured with.
pub fn assert_no_fake_secret(cloud: &FakeCloud, text: &str) {
    let config = cloud.config();
    let issued = cloud.issued();
    let secrets = issued
        .iter()
        .flat_map(|i| std::iter::once(&i.access_key_secret).chain(&i.security_token))
        .chain(config.access_keys.iter().map(|(_, s)| s))
        .chain(config.hw_access_keys.iter().map(|(_, s)| s))
        .chain(config.sts_access_keys.iter().flat_map(|(_, s, t)| [s, t]))
        .chain(
            config
                .hw_sts_access_keys
                .iter()
                .flat_map(|(_, s, t)| [s, t]),
        );
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a secret or token leaked: {text}"
        );
    }
}
