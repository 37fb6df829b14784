//! Which profile a file-based provider reads, and how strict its absence is.

/// How the profile (INI section or CLI profile) was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileChoice {
    /// Nothing chosen: `ALIBABA_CLOUD_PROFILE` if set (as [`Selected`](Self::Selected)), else the
    /// file's default (`default` section, `current` profile). Absent or disabled → not configured.
    Default,
    /// Chosen for a whole chain (`ALIBABA_CLOUD_PROFILE`, `cloudcred --profile`): absent from this
    /// file → not configured, since the other file may have it (the chain's guard reports D15);
    /// disabled → error.
    Selected(String),
    /// Chosen for this provider alone (builder): absent or disabled → error.
    Required(String),
}

impl ProfileChoice {
    /// Resolves [`Default`](Self::Default) against `ALIBABA_CLOUD_PROFILE`.
    pub(crate) fn resolve(&self, ctx: &crate::Context) -> ProfileChoice {
        match self {
            ProfileChoice::Default => match ctx.var(PROFILE_VAR) {
                Some(name) => ProfileChoice::Selected(name),
                None => ProfileChoice::Default,
            },
            other => other.clone(),
        }
    }

    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            ProfileChoice::Default => None,
            ProfileChoice::Selected(n) | ProfileChoice::Required(n) => Some(n),
        }
    }
}

/// The variable that names a profile in both files (spec 4.1).
pub const PROFILE_VAR: &str = "ALIBABA_CLOUD_PROFILE";
