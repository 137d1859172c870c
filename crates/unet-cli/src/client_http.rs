//! Server mode: the inventory operations of [`crate::client::Client`] over the HTTP API, with
//! the same results as local mode (names resolved by the server with the store's rules, the
//! import report and exported inventory exactly as the store produces them).

use reqwest::header::{HeaderMap, LINK};
use serde::de::DeserializeOwned;
use unet_core::{
    ChangeFilter, ConfigurationChange, ImportBatch, ImportDocument, ImportReport, Inventory, Link,
    LinkDraft, LinkFilter, Location, LocationDraft, LocationFilter, Node, NodeDraft, NodeFilter,
    Page, PageRequest, Uuid,
};
use unet_store::ImportOptions;

use crate::error::{CliError, Result};
use crate::http::{Api, Reply};

const TOTAL_COUNT: &str = "x-total-count";

pub struct Remote {
    api: Api,
}

/// Query pairs, skipping absent values.
#[derive(Default)]
struct Query(Vec<(&'static str, String)>);

impl Query {
    fn opt(mut self, key: &'static str, value: Option<impl ToString>) -> Query {
        if let Some(value) = value {
            self.0.push((key, value.to_string()));
        }
        self
    }

    fn page(self, p: &PageRequest) -> Query {
        self.opt("limit", Some(p.limit))
            .opt("cursor", p.cursor.as_deref())
    }
}

impl Remote {
    pub fn new(api: Api) -> Remote {
        Remote { api }
    }

    async fn resolve<T: DeserializeOwned>(&self, collection: &str, ident: &str) -> Result<T> {
        let query = [("ident", ident.to_string())];
        Ok(self
            .api
            .get(&format!("api/v1/resolve/{collection}"), &query)
            .await?
            .body)
    }

    async fn list<T: DeserializeOwned>(&self, path: &str, query: Query) -> Result<Page<T>> {
        let reply: Reply<Vec<T>> = self.api.get(path, &query.0).await?;
        let total = header_number(&reply.headers).ok_or_else(|| CliError::Http {
            url: self
                .api
                .url(path)
                .map(|u| u.to_string())
                .unwrap_or_default(),
            message: format!("the list response has no numeric {TOTAL_COUNT} header"),
        })?;
        Ok(Page {
            items: reply.body,
            next_cursor: next_cursor(&self.api, &reply.headers),
            total,
        })
    }

    pub async fn resolve_node(&self, ident: &str) -> Result<Node> {
        self.resolve("nodes", ident).await
    }

    pub async fn resolve_location(&self, ident: &str) -> Result<Location> {
        self.resolve("locations", ident).await
    }

    pub async fn resolve_link(&self, ident: &str) -> Result<Link> {
        self.resolve("links", ident).await
    }

    pub async fn list_nodes(&self, f: &NodeFilter, p: &PageRequest) -> Result<Page<Node>> {
        let query = Query::default()
            .opt("status", f.status.map(|s| s.as_str()))
            .opt("role", f.role.as_deref())
            .opt("vendor", f.vendor.as_deref())
            .opt("platform", f.platform.map(|s| s.as_str()))
            .opt("location", f.location_id)
            .opt("q", f.q.as_deref())
            .page(p);
        self.list("api/v1/nodes", query).await
    }

    pub async fn list_locations(
        &self,
        f: &LocationFilter,
        p: &PageRequest,
    ) -> Result<Page<Location>> {
        let query = Query::default()
            .opt("kind", f.kind.as_deref())
            .opt("parent", f.parent_id)
            .opt("q", f.q.as_deref())
            .page(p);
        self.list("api/v1/locations", query).await
    }

    pub async fn list_links(&self, f: &LinkFilter, p: &PageRequest) -> Result<Page<Link>> {
        let query = Query::default()
            .opt("node", f.node_id)
            .opt("circuit_id", f.circuit_id.as_deref())
            .opt("provider", f.provider.as_deref())
            .opt("q", f.q.as_deref())
            .page(p);
        self.list("api/v1/links", query).await
    }

    pub async fn list_changes(
        &self,
        f: &ChangeFilter,
        p: &PageRequest,
    ) -> Result<Page<ConfigurationChange>> {
        let query = Query::default()
            .opt("entity_type", f.entity_type.map(|e| e.as_str()))
            .opt("entity_id", f.entity_id)
            .opt("action", f.action.map(|a| a.as_str()))
            .opt("source", f.source.map(|s| s.as_str()))
            .opt("actor", f.actor.as_deref())
            .opt("since", f.since)
            .page(p);
        self.list("api/v1/changes", query).await
    }

    pub async fn node_history(
        &self,
        id: Uuid,
        p: &PageRequest,
    ) -> Result<Page<ConfigurationChange>> {
        let query = Query::default().page(p);
        self.list(&format!("api/v1/nodes/{id}/history"), query)
            .await
    }

    pub async fn create_node(&self, d: NodeDraft) -> Result<Node> {
        Ok(self.api.post("api/v1/nodes", &[], &d).await?.body)
    }

    pub async fn create_location(&self, d: LocationDraft) -> Result<Location> {
        Ok(self.api.post("api/v1/locations", &[], &d).await?.body)
    }

    pub async fn create_link(&self, d: LinkDraft) -> Result<Link> {
        Ok(self.api.post("api/v1/links", &[], &d).await?.body)
    }

    pub async fn update_node(&self, id: Uuid, d: NodeDraft, rev: Option<i64>) -> Result<Node> {
        let path = format!("api/v1/nodes/{id}");
        Ok(self.api.put(&path, &d, rev).await?.body)
    }

    pub async fn update_location(
        &self,
        id: Uuid,
        d: LocationDraft,
        rev: Option<i64>,
    ) -> Result<Location> {
        let path = format!("api/v1/locations/{id}");
        Ok(self.api.put(&path, &d, rev).await?.body)
    }

    pub async fn update_link(&self, id: Uuid, d: LinkDraft, rev: Option<i64>) -> Result<Link> {
        let path = format!("api/v1/links/{id}");
        Ok(self.api.put(&path, &d, rev).await?.body)
    }

    pub async fn delete(&self, collection: &str, id: Uuid, cascade: bool) -> Result<()> {
        let query = Query::default().opt("cascade", cascade.then_some(true));
        self.api
            .delete(&format!("api/v1/{collection}/{id}"), &query.0)
            .await
    }

    /// Sends the records with their origins, so that the report names the same files and
    /// records as a local import would.
    pub async fn import(
        &self,
        batch: ImportBatch,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        let total = batch.len() as u64;
        let document = ImportDocument::from(batch);
        let query = Query::default()
            .opt("continue_on_error", Some(options.continue_on_error))
            .opt("dry_run", Some(options.dry_run));
        if let Some(progress) = &options.progress {
            progress(0, total);
        }
        let report: Reply<ImportReport> =
            self.api.post("api/v1/import", &query.0, &document).await?;
        if let Some(progress) = &options.progress {
            progress(total, total);
        }
        Ok(report.body)
    }

    pub async fn export(&self) -> Result<Inventory> {
        Ok(self.api.get("api/v1/export", &[]).await?.body)
    }
}

fn header_number(headers: &HeaderMap) -> Option<u64> {
    headers.get(TOTAL_COUNT)?.to_str().ok()?.trim().parse().ok()
}

/// The `cursor` of the `Link: <…?cursor=…>; rel="next"` header, if more pages follow.
fn next_cursor(api: &Api, headers: &HeaderMap) -> Option<String> {
    let link = headers.get(LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        if !params.contains("rel=\"next\"") {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let url = api.url(target).ok()?;
        url.query_pairs()
            .find(|(key, _)| key == "cursor")
            .map(|(_, value)| value.into_owned())
    })
}
