//! The shape shared by [`super::State`] and [`super::Status`]: a closed set of words Megatest
//! writes, plus `Other` for whatever users and their tools write, stored as the same text.

/// Declares an enum of known words with an `Other(String)` variant, its spellings, parsing
/// (never fails), `Display`, and serde as the plain text.
macro_rules! spelled_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A word Megatest's code does not write (a user's or a tool's), kept as written.
            /// [`Self::parse`] never makes one of a known word.
            Other(String),
        }

        impl $name {
            /// Every known word, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The word as stored and shown.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )*
                    $name::Other(text) => text,
                }
            }

            /// The value a stored word stands for (a known one when spelled exactly so).
            pub fn parse(text: &str) -> $name {
                match text {
                    $( $text => $name::$variant, )*
                    other => $name::Other(other.to_string()),
                }
            }

            /// Whether `text` is the word of one of `words`, without parsing it (for listings
            /// that look at every record).
            pub fn text_is_one_of(text: &str, words: &[$name]) -> bool {
                words.iter().any(|w| w.as_str() == text)
            }

            /// Whether the word is one Megatest's code writes.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> $name {
                $name::parse(text)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> $name {
                match $name::parse(&text) {
                    $name::Other(_) => $name::Other(text),
                    known => known,
                }
            }
        }

        /// Unit tests compare with the word; product code goes through the variants.
        #[cfg(test)]
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                String::deserialize(d).map($name::from)
            }
        }
    };
}

pub(crate) use spelled_enum;
