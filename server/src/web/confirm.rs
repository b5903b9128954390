//! The page that asks before an action that cannot be undone (deleting a listing, ending or
//! blocking a peering): the button that leads to it is a link, and its form posts to the same URL,
//! so that no JavaScript is needed and nothing is lost to a slip of the finger.

use askama::Template;

use super::PageCtx;

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub ctx: PageCtx,
    pub heading: String,
    /// What the action will do, in plain words.
    pub message: String,
    /// Where the form posts (the page's own URL).
    pub action: String,
    pub button: &'static str,
    /// Where "Cancel" leads.
    pub cancel: String,
}
