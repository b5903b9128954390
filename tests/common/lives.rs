//! The whole life of every kind of exchange, as a table that a test plays within one instance and
//! across two: a gift, a swap, a use of shared gear, a repair booking from offers, and a gift and a
//! loan answering needs (where the member who starts is the provider).

use serde_json::{Value, json};

/// Who makes a move: the listing's author, or the member who started the exchange on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Author,
    Starter,
}

/// One move and the state the exchange is in after it.
#[derive(Debug, Clone)]
pub struct Step {
    pub by: By,
    pub name: &'static str,
    pub state: &'static str,
}

/// A kind of exchange: its listing (what `listing_body` is given), the terms the starter proposes,
/// the role the starter takes, and its moves to completion.
#[derive(Debug, Clone)]
pub struct Life {
    pub title: &'static str,
    pub listing: Value,
    pub terms: Value,
    pub starter_role: &'static str,
    pub steps: Vec<Step>,
}

fn step(by: By, name: &'static str, state: &'static str) -> Step {
    Step { by, name, state }
}

/// `day(n)`: the date n days from today, as the API writes dates.
pub fn lives(day: impl Fn(i64) -> String) -> Vec<Life> {
    use By::{Author, Starter};
    let transfer_from_author = vec![
        step(Author, "accept", "accepted"),
        step(Author, "deliver", "delivered"),
        step(Starter, "confirm", "completed"),
    ];
    vec![
        Life {
            title: "Escabeau à donner",
            listing: json!({"mode": "give"}),
            terms: json!({"quantity": "1"}),
            starter_role: "receiver",
            steps: transfer_from_author.clone(),
        },
        Life {
            title: "Plants de tomates à troquer",
            listing: json!({"mode": "swap", "category": "food-groceries", "quantity": 12}),
            terms: json!({"quantity": "4", "in_return": "Deux bocaux de confiture"}),
            starter_role: "receiver",
            steps: transfer_from_author,
        },
        Life {
            title: "Remorque partagée",
            listing: json!({"mode": "share"}),
            terms: json!({"from": day(2), "until": day(4)}),
            starter_role: "receiver",
            steps: vec![
                step(Author, "accept", "accepted"),
                step(Author, "hand-over", "handed_over"),
                step(Author, "return", "completed"),
            ],
        },
        Life {
            title: "Révision de vélo",
            listing: json!({"mode": "service", "unit": "session"}),
            terms: json!({"from": day(3), "at": "14:30"}),
            starter_role: "receiver",
            steps: vec![
                step(Author, "accept", "accepted"),
                step(Author, "done", "done"),
                step(Starter, "confirm", "completed"),
            ],
        },
        Life {
            title: "Cherche des cartons",
            listing: json!({"purpose": "request", "mode": "give", "quantity": 10}),
            terms: json!({"quantity": "10"}),
            starter_role: "provider",
            steps: vec![
                step(Author, "accept", "accepted"),
                step(Starter, "deliver", "delivered"),
                step(Author, "confirm", "completed"),
            ],
        },
        Life {
            title: "Cherche une scie sauteuse",
            listing: json!({"purpose": "request", "mode": "lend"}),
            terms: json!({"from": day(5), "until": day(6)}),
            starter_role: "provider",
            steps: vec![
                step(Author, "accept", "accepted"),
                step(Starter, "hand-over", "handed_over"),
                step(Starter, "return", "completed"),
            ],
        },
    ]
}
