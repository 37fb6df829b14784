//! The lenient INI dialect of `~/.alibabacloud/credentials` (spec 7.1, D38).
