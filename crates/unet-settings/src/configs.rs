//! `[configs]`: stored running configurations — the largest one accepted, and how much history
//! each node keeps.

use unet_store::{DEFAULT_MAX_CONFIG_BYTES, Retention};

use super::reader::Reader;

/// `[configs]`: uploads above `max_bytes` are refused whole; a node keeps its newest
/// `keep_versions` versions, and with `keep_days` > 0 only those taken within that many days
/// (its latest version always stays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigsSection {
    pub max_bytes: u64,
    pub keep_versions: u32,
    pub keep_days: u32,
}

/// The store's defaults, which local CLI mode applies too.
impl Default for ConfigsSection {
    fn default() -> Self {
        let retention = Retention::default();
        ConfigsSection {
            max_bytes: DEFAULT_MAX_CONFIG_BYTES,
            keep_versions: retention.keep_versions,
            keep_days: retention.keep_days,
        }
    }
}

impl ConfigsSection {
    /// The retention a push applies.
    pub fn retention(&self) -> Retention {
        Retention {
            keep_versions: self.keep_versions,
            keep_days: self.keep_days,
        }
    }

    /// `Err` with a message naming the limit when a configuration of `size` bytes is too large.
    pub fn check_size(&self, size: u64) -> Result<(), String> {
        if size > self.max_bytes {
            return Err(format!(
                "the configuration is {size} bytes, more than configs.max_bytes ({} bytes) \
                 allows; raise configs.max_bytes on the server if this device's configuration \
                 really is that large",
                self.max_bytes
            ));
        }
        Ok(())
    }
}

pub(super) fn configs_section(r: &mut Reader) -> ConfigsSection {
    let default = ConfigsSection::default();
    ConfigsSection {
        // PostgreSQL keeps at most 1 GiB in a text value; a quarter of that is plenty.
        max_bytes: r.integer("configs.max_bytes", default.max_bytes, 1024, 256 << 20),
        keep_versions: u32::try_from(r.integer(
            "configs.keep_versions",
            u64::from(default.keep_versions),
            1,
            1_000_000,
        ))
        .unwrap_or(default.keep_versions),
        keep_days: u32::try_from(r.integer(
            "configs.keep_days",
            u64::from(default.keep_days),
            0,
            36_500,
        ))
        .unwrap_or(default.keep_days),
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, ConfigsSection};

    #[test]
    fn defaults_file_and_environment() {
        let c = Config::from_toml("", None, Vec::new()).unwrap();
        assert_eq!(c.configs, ConfigsSection::default());
        assert_eq!(c.configs.max_bytes, 33_554_432);
        assert_eq!((c.configs.keep_versions, c.configs.keep_days), (100, 0));

        let c = Config::from_toml(
            "[configs]\nmax_bytes = 2048\nkeep_versions = 5\n",
            None,
            vec![("UNET_CONFIGS__KEEP_DAYS".into(), "90".into())],
        )
        .unwrap();
        assert_eq!(
            c.configs,
            ConfigsSection {
                max_bytes: 2048,
                keep_versions: 5,
                keep_days: 90
            }
        );
        assert_eq!(c.configs.retention().keep_days, 90);
    }

    #[test]
    fn out_of_range_values_are_problems_with_their_key() {
        let err = Config::from_toml(
            "[configs]\nkeep_versions = 0\nmax_bytes = 10\nkeep_day = 3\n",
            None,
            Vec::new(),
        )
        .unwrap_err();
        let keys: Vec<_> = err.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "configs.max_bytes",
                "configs.keep_versions",
                "configs.keep_day"
            ]
        );
    }

    #[test]
    fn an_oversized_configuration_is_refused_naming_the_limit() {
        let section = ConfigsSection {
            max_bytes: 1024,
            ..ConfigsSection::default()
        };
        assert!(section.check_size(1024).is_ok());
        let err = section.check_size(1025).unwrap_err();
        assert!(err.contains("1025 bytes"), "{err}");
        assert!(err.contains("configs.max_bytes (1024 bytes)"), "{err}");
    }
}
