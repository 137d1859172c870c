//! A node's running configuration as μNet stores it: one version per distinct content, with
//! when it was taken, where it came from and how big it is. The content is kept as the device
//! printed it; masking secrets for readers is `unet-config`'s job.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::text_enum::text_enum;
use crate::{CoreError, Result, Timestamp};

/// How a running configuration reached μNet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigSource {
    /// Sent by an operator or a script (API `POST …/configs`, `unet configs push`).
    Upload,
    /// Fetched from the device by μNet.
    Collected,
}

text_enum!(ConfigSource, "source", [Upload => "upload", Collected => "collected"]);

/// One stored version of a node's running configuration, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunningConfigInfo {
    pub node_id: Uuid,
    /// 1 for the node's first stored configuration, then one more per changed content.
    #[schema(minimum = 1)]
    pub version: u64,
    /// SHA-256 of the content, lower-case hex.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    /// When the configuration was read from the device (the upload time when not given).
    #[schema(value_type = String, format = DateTime)]
    pub taken_at: Timestamp,
    /// When μNet stored this version.
    #[schema(value_type = String, format = DateTime)]
    pub stored_at: Timestamp,
    #[schema(inline)]
    pub source: ConfigSource,
    /// Length of the content in bytes (UTF-8).
    pub size_bytes: u64,
    /// Lines of the content (a last line without a line break counts).
    pub line_count: u64,
}

/// One stored version of a node's running configuration with its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunningConfig {
    pub info: RunningConfigInfo,
    pub content: String,
}

/// What a push did: the version it stored, or the latest one when the content was the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pushed {
    pub info: RunningConfigInfo,
    /// Whether this push stored a new version (false: the content equals the latest's).
    pub created: bool,
    /// Older versions retention deleted with this push.
    pub removed: u64,
}

/// Lines of a configuration text: every line break ends one, and text after the last break
/// is one more.
pub fn line_count(content: &str) -> u64 {
    let breaks = content.bytes().filter(|&b| b == b'\n').count() as u64;
    breaks + u64::from(!content.is_empty() && !content.ends_with('\n'))
}

/// A configuration as received, checked to be text μNet can store and diff: UTF-8 without NUL
/// bytes (no device prints one, and PostgreSQL cannot keep one in text), and not blank (no
/// device has an empty configuration: an empty upload is a mistake, such as a pipe that
/// carried nothing). The error names the line and byte offset of the first offending byte,
/// so the sender can find it.
pub fn config_text(bytes: &[u8]) -> Result<&str> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        CoreError::invalid(
            "content",
            "UTF-8 text (convert the file to UTF-8)",
            format!("a byte that is not UTF-8 {}", position(bytes, at)),
        )
    })?;
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(CoreError::invalid(
            "content",
            "text without NUL bytes",
            format!("a NUL byte {}", position(bytes, at)),
        ));
    }
    if text.trim().is_empty() {
        return Err(CoreError::invalid(
            "content",
            "a configuration (the text is empty or blank)",
            text,
        ));
    }
    Ok(text)
}

fn position(bytes: &[u8], at: usize) -> String {
    let before = bytes.get(..at).unwrap_or(bytes);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    format!("on line {line} (byte offset {at})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_must_be_utf8_without_nul_and_the_error_says_where() {
        assert_eq!(config_text(b"hostname r1\n").unwrap(), "hostname r1\n");
        let err = config_text(b"hostname r1\nbanner \xff\n").unwrap_err();
        assert_eq!(err.field(), "content");
        assert!(
            err.to_string().contains("on line 2 (byte offset 19)"),
            "{err}"
        );
        let err = config_text(b"a\nb\nc\0").unwrap_err();
        assert!(
            err.to_string()
                .contains("NUL byte on line 3 (byte offset 5)"),
            "{err}"
        );
        for blank in [&b""[..], b"\n", b" \r\n\t"] {
            let err = config_text(blank).unwrap_err();
            assert!(err.to_string().contains("empty or blank"), "{err}");
        }
    }

    #[test]
    fn a_last_line_without_a_break_counts() {
        assert_eq!(line_count(""), 0);
        assert_eq!(line_count("hostname r1"), 1);
        assert_eq!(line_count("hostname r1\n"), 1);
        assert_eq!(line_count("hostname r1\n!\nend"), 3);
        assert_eq!(line_count("\n\n"), 2);
    }

    #[test]
    fn sources_are_lower_case_words() {
        assert_eq!(
            serde_json::to_string(&ConfigSource::Collected).unwrap(),
            "\"collected\""
        );
        assert_eq!(
            "upload".parse::<ConfigSource>().unwrap(),
            ConfigSource::Upload
        );
        assert!("Upload".parse::<ConfigSource>().is_err());
    }
}
