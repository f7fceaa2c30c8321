//! Failures the tests inject into the write path, to prove that nothing half-written survives. Compiled
//! only with the feature `testing` (enabled by the test builds, never by the server binary).

/// Where a save (`write::save_with_fault`) or a push (`sync::push_with_fault`) fails on purpose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FaultPoint {
    #[default]
    None,
    /// Fail after every write, just before commit.
    BeforeCommit,
    /// Fail while qualifying, right after the account was written.
    AfterAccount,
}
