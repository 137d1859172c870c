//! Enums stored and sent as fixed lower-case words (`active`, `cisco_ios`, `create`): one
//! macro gives each its word list, `Display`, and a `FromStr` whose error lists every word.

macro_rules! text_enum {
    ($ty:ty, $what:literal, [$($variant:ident => $text:literal),+ $(,)?]) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $(<$ty>::$variant => $text),+ }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::CoreError;

            fn from_str(s: &str) -> $crate::Result<Self> {
                match s {
                    $($text => Ok(<$ty>::$variant),)+
                    _ => Err($crate::CoreError::invalid($what, concat!("one of: ", $($text, " "),+).trim_end(), s)),
                }
            }
        }
    };
}
pub(crate) use text_enum;
