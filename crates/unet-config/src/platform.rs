//! The platforms the engine knows: `unet-core`'s [`Platform`], each mapped to one declarative
//! rule set in `drivers`. Operators naming a platform may use its short names.

pub use unet_core::Platform;

use crate::error::ConfigError;

/// The platform an operator named: a canonical name or a short one such as `ios`, `nxos` or
/// `eos` (see [`Platform::parse_lenient`]).
pub fn parse_platform(name: &str) -> Result<Platform, ConfigError> {
    Platform::parse_lenient(name).ok_or_else(|| ConfigError::UnknownPlatform(name.to_string()))
}
