//! The aliyun CLI `config.json` (spec 7.2, 6.13).
