//! A database URL, parsed once: which backend it names, and its password kept out of every
//! printed form (`Display` and `Debug` show `***` in its place).

use std::fmt;

use url::Url;

use crate::{Backend, Result, StoreError};

/// `sqlite:PATH`, `sqlite://PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?…]`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// The text as given: SQLite paths are handed to the driver exactly as written.
    text: String,
    parsed: Url,
    backend: Backend,
}

impl DatabaseUrl {
    pub fn parse(text: &str) -> Result<DatabaseUrl> {
        let unsupported = || {
            StoreError::Database(sqlx::Error::Configuration(
                format!(
                    "unsupported database URL {:?}: expected sqlite:PATH or postgres://…",
                    text.rsplit('@').next().unwrap_or_default()
                )
                .into(),
            ))
        };
        let parsed = Url::parse(text).map_err(|_| unsupported())?;
        let backend = match parsed.scheme() {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            _ => return Err(unsupported()),
        };
        Ok(DatabaseUrl {
            text: text.to_string(),
            parsed,
            backend,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The whole URL, password included: for the driver and the PostgreSQL client programs
    /// only, never for a message or a log line.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The password, percent-decoded.
    pub fn password(&self) -> Option<String> {
        let raw = self.parsed.password()?;
        Some(
            percent_encoding::percent_decode_str(raw)
                .decode_utf8_lossy()
                .into_owned(),
        )
    }

    /// The URL without its password (the PostgreSQL client programs take that from
    /// `PGPASSWORD`, out of the process list).
    pub fn without_password(&self) -> String {
        match self.parsed.password() {
            Some(_) => self.with_password_text(None),
            None => self.text.clone(),
        }
    }

    /// The same PostgreSQL URL with `password` (percent-encoded) added; `None` unless the URL
    /// names a user and has no password yet.
    pub fn with_password(&self, password: &str) -> Option<DatabaseUrl> {
        let addable = self.backend == Backend::Postgres
            && !self.parsed.username().is_empty()
            && self.parsed.password().is_none();
        addable.then(|| {
            let text = self.with_password_text(Some(password));
            DatabaseUrl {
                parsed: Url::parse(&text).unwrap_or_else(|_| self.parsed.clone()),
                text,
                backend: self.backend,
            }
        })
    }

    /// The same server with another database (`/name` in place of the path).
    pub fn with_database(&self, name: &str) -> DatabaseUrl {
        let mut parsed = self.parsed.clone();
        parsed.set_path(name);
        DatabaseUrl {
            text: parsed.to_string(),
            parsed,
            backend: self.backend,
        }
    }

    fn with_password_text(&self, password: Option<&str>) -> String {
        let mut url = self.parsed.clone();
        // Only a URL without a host refuses a password; those have none to change.
        match url.set_password(password) {
            Ok(()) => url.to_string(),
            Err(()) => self.text.clone(),
        }
    }
}

/// The URL with any password replaced by `***`.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parsed.password() {
            Some(_) => f.write_str(&self.with_password_text(Some("***"))),
            None => f.write_str(&self.text),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<DatabaseUrl> {
        DatabaseUrl::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_names_the_backend() {
        for (text, backend) in [
            ("sqlite://./unet.db", Backend::Sqlite),
            ("sqlite:unet.db", Backend::Sqlite),
            ("sqlite::memory:", Backend::Sqlite),
            ("postgres://unet@db/unet", Backend::Postgres),
            ("postgresql://unet@db/unet", Backend::Postgres),
        ] {
            let url = DatabaseUrl::parse(text).unwrap();
            assert_eq!(url.backend(), backend, "{text}");
            assert_eq!(url.expose(), text);
        }
        let refused = DatabaseUrl::parse("mysql://root:secret@db/unet").unwrap_err();
        assert!(!refused.to_string().contains("secret"), "{refused}");
        assert!(DatabaseUrl::parse("unet.db").is_err());
    }

    #[test]
    fn the_password_is_never_printed() {
        let url =
            DatabaseUrl::parse("postgres://unet:s3cr%2Ft@db:5432/unet?sslmode=require").unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://unet:***@db:5432/unet?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("s3cr"));
        assert_eq!(url.password().as_deref(), Some("s3cr/t"));
        assert_eq!(
            url.without_password(),
            "postgres://unet@db:5432/unet?sslmode=require"
        );
        let plain = DatabaseUrl::parse("postgres://unet@db/unet").unwrap();
        assert_eq!(plain.password(), None);
        assert_eq!(plain.to_string(), "postgres://unet@db/unet");
    }

    #[test]
    fn a_password_is_added_to_a_postgres_user_only() {
        let url = DatabaseUrl::parse("postgres://unet@db:5432/unet").unwrap();
        let with = url.with_password("s3cr/t").unwrap();
        assert_eq!(with.expose(), "postgres://unet:s3cr%2Ft@db:5432/unet");
        assert_eq!(with.password().as_deref(), Some("s3cr/t"));
        assert!(with.with_password("again").is_none());
        assert!(
            DatabaseUrl::parse("postgres://db/unet")
                .unwrap()
                .with_password("x")
                .is_none()
        );
        assert!(
            DatabaseUrl::parse("sqlite://./unet.db")
                .unwrap()
                .with_password("x")
                .is_none()
        );
    }

    #[test]
    fn another_database_on_the_same_server() {
        let url = DatabaseUrl::parse("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
            .unwrap();
        assert_eq!(
            url.with_database("unet_test_1").expose(),
            "postgres://postgres@127.0.0.1:5432/unet_test_1?sslmode=disable"
        );
        let bare = DatabaseUrl::parse("postgres://u@h").unwrap();
        assert_eq!(bare.with_database("x").expose(), "postgres://u@h/x");
    }
}
