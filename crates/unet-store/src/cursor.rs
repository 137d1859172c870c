//! Keyset cursors: the sort key of the last item of a page, as opaque URL-safe text.
//! A client only passes back what it received; anything else is refused as `cursor`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use unet_core::{CoreError, PageRequest};

use crate::Result;
use crate::db::Sql;

/// Longest cursor accepted, so a hostile one cannot make us decode megabytes.
const MAX_CURSOR: usize = 4096;

pub(crate) fn encode(key: &[String]) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// The key parts of `page.cursor`, which must have exactly `parts` elements.
pub(crate) fn decode(page: &PageRequest, parts: usize) -> Result<Option<Vec<String>>> {
    let Some(text) = &page.cursor else {
        return Ok(None);
    };
    let invalid = || CoreError::invalid("cursor", "a cursor returned by a previous page", text);
    if text.len() > MAX_CURSOR {
        return Err(invalid().into());
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
    let key: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if key.len() != parts {
        return Err(invalid().into());
    }
    Ok(Some(key))
}

/// Page size to fetch: one more than asked, to learn whether another page follows.
pub(crate) fn fetch_limit(page: &PageRequest) -> Result<i64> {
    let checked = PageRequest::new(page.limit, None)?;
    Ok(i64::from(checked.limit) + 1)
}

/// Splits fetched rows into the page and the cursor for the next one.
pub(crate) fn finish<T>(
    mut items: Vec<T>,
    page: &PageRequest,
    total: u64,
    key: impl Fn(&T) -> Vec<String>,
) -> unet_core::Page<T> {
    let limit = page.limit as usize;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| encode(&key(last)))
    } else {
        None
    };
    unet_core::Page {
        items,
        next_cursor,
        total,
    }
}

/// ` AND (…)`: `q` is a case-insensitive substring of any of the columns.
pub(crate) fn search_sql(sql: &mut Sql, q: &str, columns: &[&str]) {
    let pattern = like_pattern(q);
    sql.push(" AND (");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.push("LOWER(")
            .push(column)
            .push(") LIKE ")
            .bind(pattern.as_str())
            .push(" ESCAPE '\\'");
    }
    sql.push(")");
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` substring match, lower-cased.
fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let key = vec!["core-1".to_string(), "x".to_string()];
        let page = PageRequest::new(10, Some(encode(&key))).unwrap();
        assert_eq!(decode(&page, 2).unwrap(), Some(key));
        assert!(decode(&page, 3).is_err());
        let bad = PageRequest::new(10, Some("!!".into())).unwrap();
        assert_eq!(
            decode(&bad, 2).unwrap_err().to_string(),
            "cursor: expected a cursor returned by a previous page, got \"!!\""
        );
    }

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(like_pattern(" Core_1% "), "%core\\_1\\%%");
    }
}
