//! `GET /categories`: the shipped taxonomy, with labels in both languages and in the request's.

use axum::Json;

use super::views::CategoryList;
use crate::i18n::Tr;

pub async fn list(t: Tr) -> Json<CategoryList> {
    Json(CategoryList::new(t))
}
