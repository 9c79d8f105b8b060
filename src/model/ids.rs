//! The ids of test and run records, as their own types so that one cannot stand for the
//! other. Stored and serialized as the plain integers Megatest uses.

/// Declares an id newtype over `i64`, shown as its number.
macro_rules! record_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Default,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

record_id!(
    /// The id of a `tests` record.
    TestId
);
record_id!(
    /// The id of a `runs` record.
    RunId
);
