//! Request signers: one module per algorithm family of `signing.md`, all pure functions of their
//! inputs.
//!
//! Every signer takes the credential snapshot and the signing time (and a nonce where the
//! algorithm has one) as parameters, so the same inputs always give the same output; nothing
//! reads a clock or a random source ([`signing_time`] is the cheap clock to pass them). Signers
//! follow the wire contract of the design notes: the caller passes an already percent-encoded
//! URI, a signer never re-encodes or reorders the caller's path and query (it decodes and
//! re-encodes only to build canonical strings), and presigning only appends parameters.
//!
//! Credentials decide the mode: an AccessKey (with or without an STS token) signs; `Anonymous`
//! leaves the request unsigned (`Ok(None)`); a bearer token is placed where RPC (§2.5) and ACS3
//! (§4.4) define it and is an error for every HMAC-only algorithm.
//!
//! Each signer can return [`SigningDetails`] with the intermediate strings, for tests (the V4
//! header signers build them only from `sign_request_with_details`, see [`Details`]). They unlock
//! the request, so their `Debug` is redacted and no signer logs them.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use cloudcred::sign::{encoding, OssV4Signer};
//! use cloudcred::{Credentials, ProviderName};
//! use http::{HeaderMap, Method, Uri};
//! use std::time::Duration;
//!
//! let creds = Credentials::access_key("ak", "sk", ProviderName::new("static_ak"));
//! let time = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
//! // The caller encodes the key (RFC 3986 with `/` kept); the signer never re-encodes it.
//! let url: Uri = format!("https://bucket.oss.example.invalid/{}", encoding::encode_path("dir/a b.txt"))
//!     .parse()
//!     .unwrap();
//! let signer = OssV4Signer::new("cn-hangzhou", Some("bucket"));
//! let p = signer.presign(&Method::GET, &url, &HeaderMap::new(), &creds, time, Duration::from_secs(600))?;
//! assert!(p.url.starts_with("https://bucket.oss.example.invalid/dir/a%20b.txt?x-oss-signature-version="));
//! assert!(p.url.contains("&x-oss-expires=600&"));
//! # Ok::<(), cloudcred::Error>(())
//! ```
//!
//! | module | algorithm |
//! |---|---|
//! | [`rpc`] | Alibaba RPC HMAC-SHA1, SHA256withRSA, bearer and unsigned (OIDC) forms |
//! | [`roa`] | Alibaba ROA HMAC-SHA1 |
//! | [`acs3`] | ACS3-HMAC-SHA256 (OpenAPI V3) |
//! | [`oss_v1`] | OSS V1 header and presigned URL |
//! | [`oss_v4`] | OSS4-HMAC-SHA256 header and presigned URL, CloudBox |
//! | [`tablestore`] | Tablestore V2 / V4 and response verification |
//! | [`obs`] | Huawei OBS native / AWS V2, V4, presigned URLs |
//! | [`huawei_apig`] | Huawei SDK-HMAC-SHA256 |
//!
//! What they share, one concept per module: [`primitives`] (HMACs, hashes, the V4 key and
//! signature), [`time_format`] (the dates of §1.3), [`signing_time`] (the clock for them),
//! `headers` (canonical header blocks, setting values), `request_url` (authority, appended
//! queries, [`Addressing`] and object keys), `credential_gate` (AccessKey, bearer or
//! anonymous), [`SigningDetails`] and [`Presigned`], and [`presign_checks`] (what every
//! presigner checks first: expiry range, dot segments).

// Only `encoding` is built without the `sign` feature: the scrubber strips the percent-encoded
// forms of secrets from every error, whatever the features.
pub mod encoding;
// The working buffers `encoding` builds canonical queries in.
mod scratch;

#[cfg(feature = "sign")]
pub mod acs3;
#[cfg(feature = "sign")]
mod credential_gate;
#[cfg(feature = "sign")]
mod date_values;
#[cfg(feature = "sign")]
mod details;
#[cfg(feature = "sign")]
mod headers;
#[cfg(feature = "sign")]
pub mod huawei_apig;
#[cfg(feature = "sign")]
mod keyed_macs;
#[cfg(feature = "sign")]
mod name_set;
#[cfg(feature = "sign")]
pub mod obs;
#[cfg(feature = "sign")]
pub mod oss_v1;
#[cfg(feature = "sign")]
pub mod oss_v4;
#[cfg(feature = "sign")]
pub mod presign_checks;
#[cfg(feature = "sign")]
pub mod primitives;
#[cfg(feature = "sign")]
mod request_url;
#[cfg(feature = "sign")]
pub mod roa;
#[cfg(feature = "sign")]
pub mod rpc;
#[cfg(feature = "sign")]
mod signing_time;
#[cfg(feature = "sign")]
pub mod tablestore;
#[cfg(feature = "sign")]
pub mod time_format;

#[cfg(feature = "sign")]
pub use details::{Details, Presigned, SigningDetails};
#[cfg(feature = "sign")]
pub use obs::{ObsMode, ObsSigner, ObsV4Signer};
#[cfg(feature = "sign")]
pub use oss_v1::OssV1Signer;
#[cfg(feature = "sign")]
pub use oss_v4::OssV4Signer;
#[cfg(feature = "sign")]
pub use request_url::Addressing;
#[cfg(feature = "rsa")]
pub use rpc::RsaKey;
#[cfg(feature = "sign")]
pub use signing_time::signing_time;
#[cfg(feature = "sign")]
pub use tablestore::{TablestoreSigner, TablestoreVersion};
