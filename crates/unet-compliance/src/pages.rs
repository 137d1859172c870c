//! The fleet runs walk the selected nodes a page at a time: a bounded number of statements and
//! bounded memory whatever the fleet's size.

use unet_core::{Node, NodeFilter, PageRequest, Uuid};
use unet_store::Store;

use crate::error::Result;

/// Nodes per page.
const PAGE_SIZE: u32 = 1000;

/// The pages of the nodes `filter` selects, or of the listed `nodes` (those that exist).
pub(crate) struct NodePages<'a> {
    filter: &'a NodeFilter,
    nodes: std::slice::Chunks<'a, Uuid>,
    /// How many nodes are listed (none: the filter selects).
    listed: u64,
    page: Option<PageRequest>,
}

impl<'a> NodePages<'a> {
    pub(crate) fn new(filter: &'a NodeFilter, nodes: &'a [Uuid]) -> Result<NodePages<'a>> {
        let page = PageRequest::new(PAGE_SIZE, None).map_err(unet_store::StoreError::from)?;
        Ok(NodePages {
            filter,
            nodes: nodes.chunks(PAGE_SIZE as usize),
            listed: nodes.len() as u64,
            page: Some(page),
        })
    }

    /// The next page and the number of nodes selected; `None` once every page was read.
    pub(crate) async fn next(&mut self, store: &Store) -> Result<Option<(Vec<Node>, u64)>> {
        if self.listed > 0 {
            return match self.nodes.next() {
                Some(ids) => Ok(Some((store.nodes_by_ids(ids).await?, self.listed))),
                None => Ok(None),
            };
        }
        let Some(mut page) = self.page.take() else {
            return Ok(None);
        };
        let listed = store.list_nodes(self.filter, &page).await?;
        if let Some(cursor) = listed.next_cursor {
            page.cursor = Some(cursor);
            self.page = Some(page);
        }
        Ok(Some((listed.items, listed.total)))
    }
}
