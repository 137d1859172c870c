//! Create, get, replace, patch and delete are the same for every inventory record type
//! (location, node, link) but for the types, store calls and documentation strings; this macro
//! writes them once. Listing is `listing::list` over each resource's `ListQuery`.

/// Defines the create/get/replace/patch handlers of one record type, with their OpenAPI
/// annotations. `derived` names the fields a PATCH drops from the stored record before merging
/// because the store recomputes them.
macro_rules! record_endpoints {
    (
        tag = $tag:tt,
        collection = $collection:tt,
        item = $item:tt,
        schema = $schema:tt,
        input = $input:tt,
        patch_schema = $patch_schema:tt,
        draft = $draft:ty,
        derived = [$($derived:tt),*],
        summaries = [$create_doc:tt, $get_doc:tt, $replace_doc:tt, $patch_doc:tt, $delete_doc:tt],
        create = $create:ident => $store_create:ident,
        get = $get:ident => $store_get:ident,
        replace = $replace:ident => $store_update:ident,
        patch = $patch:ident,
        delete = $delete:ident => $store_delete:ident $(($cascade:ident))? $(,)?
    ) => {
        $crate::routes::record::delete_endpoint!(
            $tag, $item, $delete_doc, $delete => $store_delete $(, $cascade)?
        );

        #[utoipa::path(post, path = $collection, tag = $tag, summary = $create_doc,
            request_body = ref($input),
            responses((status = 201, description = "Created", body = ref($schema),
                headers(("Location" = String, description = "URL of the new record"),
                        ("ETag" = String, description = "The record's revision")))))]
        async fn $create(
            axum::extract::State(state): axum::extract::State<$crate::state::AppState>,
            $crate::routes::entity::ChangeCtx(ctx): $crate::routes::entity::ChangeCtx,
            $crate::extract::JsonBody(draft): $crate::extract::JsonBody<$draft>,
        ) -> $crate::error::Result<axum::response::Response> {
            let created = state.store().$store_create(&ctx, draft).await?;
            let url = format!("{}/{}", $collection, created.id);
            Ok($crate::routes::entity::record(
                axum::http::StatusCode::CREATED,
                created.revision,
                &created,
                Some(url),
            ))
        }

        #[utoipa::path(get, path = $item, tag = $tag, summary = $get_doc,
            params(("id" = Uuid, Path)),
            responses((status = 200, description = "The record", body = ref($schema),
                headers(("ETag" = String, description = "The record's revision")))))]
        async fn $get(
            axum::extract::State(state): axum::extract::State<$crate::state::AppState>,
            $crate::extract::IdPath(id): $crate::extract::IdPath,
        ) -> $crate::error::Result<axum::response::Response> {
            let found = state.store().$store_get(id).await?;
            Ok($crate::routes::entity::record(
                axum::http::StatusCode::OK,
                found.revision,
                &found,
                None,
            ))
        }

        #[utoipa::path(put, path = $item, tag = $tag, summary = $replace_doc,
            params(("id" = Uuid, Path),
                ("If-Match" = Option<String>, Header, description = "ETag of the revision being replaced, `*` for any; a list matches when one of its tags does")),
            request_body = ref($input),
            responses((status = 200, description = "Updated", body = ref($schema),
                headers(("ETag" = String, description = "The record's new revision")))))]
        async fn $replace(
            axum::extract::State(state): axum::extract::State<$crate::state::AppState>,
            $crate::routes::entity::ChangeCtx(ctx): $crate::routes::entity::ChangeCtx,
            $crate::extract::IdPath(id): $crate::extract::IdPath,
            if_match: $crate::extract::IfMatch,
            $crate::extract::JsonBody(draft): $crate::extract::JsonBody<$draft>,
        ) -> $crate::error::Result<axum::response::Response> {
            let store = state.store();
            // An invalid body is refused (422) before the precondition is weighed (412).
            let draft = draft.validated().map_err(unet_store::StoreError::from)?;
            let revision = if_match
                .expected(async { Ok(store.$store_get(id).await?.revision) })
                .await?;
            let updated = store.$store_update(&ctx, id, draft, revision).await?;
            Ok($crate::routes::entity::record(
                axum::http::StatusCode::OK,
                updated.revision,
                &updated,
                None,
            ))
        }

        #[utoipa::path(patch, path = $item, tag = $tag, summary = $patch_doc,
            params(("id" = Uuid, Path),
                ("If-Match" = Option<String>, Header, description = "ETag of the revision being changed, `*` for any; a list matches when one of its tags does")),
            request_body(content = ref($patch_schema), content_type = "application/merge-patch+json"),
            responses((status = 200, description = "Updated", body = ref($schema),
                headers(("ETag" = String, description = "The record's new revision")))))]
        async fn $patch(
            axum::extract::State(state): axum::extract::State<$crate::state::AppState>,
            $crate::routes::entity::ChangeCtx(ctx): $crate::routes::entity::ChangeCtx,
            $crate::extract::IdPath(id): $crate::extract::IdPath,
            if_match: $crate::extract::IfMatch,
            $crate::extract::JsonBody(patch): $crate::extract::JsonBody<$crate::patch::MergePatch>,
        ) -> $crate::error::Result<axum::response::Response> {
            let store = state.store();
            loop {
                let current = store.$store_get(id).await?;
                let draft: $draft = $crate::patch::patched_draft(
                    $crate::routes::entity::to_value(&current)?,
                    &[$($derived,)* "revision"],
                    patch.clone(),
                )?;
                // An invalid result is refused (422) before the precondition is weighed (412).
                let draft = draft.validated().map_err(unet_store::StoreError::from)?;
                let requested = if_match.clone().expected(async { Ok(current.revision) }).await?;
                // A patch without a precondition (If-Match or a body `revision`) applies to
                // the record as it is written: it is merged with one revision and written on
                // that revision only, and merged again when another write came in between.
                let unconditional = requested.is_none() && draft.given().revision.is_none();
                let expected = if unconditional { Some(current.revision) } else { requested };
                match store.$store_update(&ctx, id, draft, expected).await {
                    Err(unet_store::StoreError::StaleRevision { .. }) if unconditional => continue,
                    result => {
                        let updated = result?;
                        return Ok($crate::routes::entity::record(
                            axum::http::StatusCode::OK,
                            updated.revision,
                            &updated,
                            None,
                        ));
                    }
                }
            }
        }
    };
}

/// The DELETE handler of one record type; `cascade` adds the `?cascade=true` query that
/// deletes what references the record instead of refusing.
macro_rules! delete_endpoint {
    ($tag:tt, $item:tt, $doc:tt, $delete:ident => $store_delete:ident, cascade) => {
        #[utoipa::path(delete, path = $item, tag = $tag, summary = $doc, params(("id" = Uuid, Path), $crate::routes::entity::DeleteQuery), responses((status = 204, description = "Deleted")))]
        async fn $delete(
            axum::extract::State(state): axum::extract::State<$crate::state::AppState>,
            $crate::routes::entity::ChangeCtx(ctx): $crate::routes::entity::ChangeCtx,
            $crate::extract::IdPath(id): $crate::extract::IdPath,
            $crate::extract::QueryParams(query): $crate::extract::QueryParams<
                $crate::routes::entity::DeleteQuery,
            >,
        ) -> $crate::error::Result<axum::response::Response> {
            let cascade = query.cascade.unwrap_or(false);
            state.store().$store_delete(&ctx, id, cascade).await?;
            Ok($crate::routes::entity::no_content())
        }
    };
    ($tag:tt, $item:tt, $doc:tt, $delete:ident => $store_delete:ident) => {
        #[utoipa::path(delete, path = $item, tag = $tag, summary = $doc, params(("id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
        async fn $delete(
            axum::extract::State(state): axum::extract::State<$crate::state::AppState>,
            $crate::routes::entity::ChangeCtx(ctx): $crate::routes::entity::ChangeCtx,
            $crate::extract::IdPath(id): $crate::extract::IdPath,
        ) -> $crate::error::Result<axum::response::Response> {
            state.store().$store_delete(&ctx, id).await?;
            Ok($crate::routes::entity::no_content())
        }
    };
}

pub(super) use {delete_endpoint, record_endpoints};
