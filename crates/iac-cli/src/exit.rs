//! Exit codes, in one place (documented in README.md).

/// Success; with `-detailed-exitcode`, no changes.
pub const EXIT_OK: u8 = 0;
/// An error: invalid configuration, failed or interrupted apply, lock held, stale plan.
pub const EXIT_ERROR: u8 = 1;
/// `plan -detailed-exitcode`: the plan has changes; `drift`: the real objects drifted.
pub const EXIT_CHANGES: u8 = 2;
/// `fmt -check`: files need formatting.
pub const EXIT_FMT_NEEDED: u8 = 3;
/// `apply`, `promote`: done, and a deployment's canary stopped at a `pause` step,
/// awaiting `iac promote` (or `iac abort`).
pub const EXIT_AWAITING_PROMOTION: u8 = 4;
