//! File formats read by the providers: the lenient INI dialect shared by the Alibaba and Huawei
//! credentials files (spec 7.1), and the aliyun CLI's `config.json` (spec 7.2).

pub mod cli_config;
pub mod cli_config_write;
pub mod ini;
