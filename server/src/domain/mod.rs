//! Domain types: parsed, valid values ("parse, don't validate").
//!
//! Handlers turn forms and JSON into these types before anything touches storage; a value of one of
//! these types is valid by construction. Validation failures are `FieldError`s that name the field and
//! carry a translatable message.

/// Declares a closed set of values stored and sent as lowercase strings.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored or submitted spelling; the error names the input field.
            pub fn parse(value: &str) -> Result<Self, FieldError> {
                match value.trim() {
                    $($text => Ok($name::$variant),)+
                    "" => Err(FieldError::new($field, "error.required")),
                    _ => Err(FieldError::new($field, "error.invalid_choice")
                        .with("allowed", [$($text),+].join(", "))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod actor;
pub mod address;
pub mod category;
pub mod collective;
pub mod cooperative;
pub mod exchange;
pub mod follow;
pub mod gazetteer;
pub mod geo;
pub mod ids;
pub mod link;
pub mod listing;
pub mod member;
pub mod message;
pub mod peering;
pub mod photo;
pub mod search_form;
pub mod text;

pub use message::{FieldError, Message};
