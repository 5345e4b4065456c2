//! Stand-in for `crate::hr_facts::HrFacts` until the "Directory:" refactor lands on main; the
//! merge deletes this file and points the one `use` in `mod.rs` at the real one.

use time::Date;

use crate::directory::DirectoryError;

/// HR facts synced from CSV (no passwords); here: nobody's.
#[derive(Debug, Clone, Default)]
pub struct HrFacts;

impl HrFacts {
    pub async fn date_of_birth(&self, _username: &str) -> Result<Option<Date>, DirectoryError> {
        Ok(None)
    }
}
