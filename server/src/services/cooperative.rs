//! The cooperative as its pages present it: its presentation, its colour and its logo, which
//! administrators change and every page shows (kept in memory once read, read again after a change).

use std::sync::Arc;

use crate::domain::cooperative::{Accent, Cooperative, Presentation};
use crate::domain::ids::now_ms;
use crate::domain::member::Member;
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::storage::cooperative as stored;

/// The cooperative with its presentation already made into safe HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub cooperative: Cooperative,
    /// [`Presentation::to_html`], empty when there is no presentation.
    pub presentation_html: String,
}

impl Presented {
    fn new(cooperative: Cooperative) -> Self {
        let presentation_html = cooperative.presentation.to_html();
        Self { cooperative, presentation_html }
    }
}

/// The cooperative as every page shows it.
pub async fn presented(services: &Services) -> AppResult<Arc<Presented>> {
    let (changes, known) = services.known_cooperative();
    if let Some(known) = known {
        return Ok(known);
    }
    let presented = Arc::new(Presented::new(stored::get(&mut *services.conn().await?).await?));
    services.cooperative_read(changes, presented.clone());
    Ok(presented)
}

/// The cooperative as last read, without asking the database (for error pages), if it was.
pub fn known(services: &Services) -> Option<Arc<Presented>> {
    services.known_cooperative().1
}

/// Sets the cooperative's presentation and colour as an administrator submitted them (the
/// `presentation` and `accent` fields). Nothing is changed when either is refused.
pub async fn set_presentation(services: &Services, admin: &Member, presentation: &str, accent: &str) -> AppResult<()> {
    if !admin.is_admin() {
        return Err(AppError::forbidden());
    }
    let (presentation, accent) = match (Presentation::parse(presentation), Accent::parse(accent)) {
        (Ok(presentation), Ok(accent)) => (presentation, accent),
        (presentation, accent) => {
            let errors = [presentation.err(), accent.err()].into_iter().flatten().collect();
            return Err(AppError::validation(errors));
        }
    };
    let mut tx = services.write().await?;
    stored::set_presentation(&mut tx, &presentation, accent, now_ms()).await?;
    tx.commit().await?;
    services.cooperative_changed();
    tracing::info!(admin.id = %admin.id, accent = %accent, chars = presentation.as_str().chars().count(), "cooperative's presentation changed");
    Ok(())
}
