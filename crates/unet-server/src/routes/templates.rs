//! `/api/v1/templates`, `/api/v1/nodes/{id}/intended` and `/api/v1/nodes/{id}/config-diff`: the
//! templates the server renders with, one node's intended configuration, and its comparison
//! with the node's latest running configuration. Viewers read, like the rest of the inventory
//! group; what they read has its secrets masked (templates may render secrets from custom data).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use serde::Serialize;
use unet_compliance::{Rendering, TemplateInfo, compare, render_node};
use unet_config::{Change, Command, Diff, Platform, mask_secrets};
use unet_core::Uuid;
use unet_template::SliceCheck;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Access, Caller, Role, authorize};
use crate::error::{Error, ErrorCode, Problem, Result};
use crate::extract::IdPath;
use crate::state::AppState;

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(intended))
        .routes(routes!(config_diff))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::INVENTORY),
            authorize,
        ))
}

/// The templates of `templates.dir` (or of the templates repository's live revision), with the
/// slice each owns.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    responses((status = 200, description = "`[{name, owns}]` by name", body = Vec<Object>),
        (status = 503, description = "No templates revision loads", body = Problem,
            content_type = "application/problem+json")))]
async fn list_templates(State(state): State<AppState>) -> Result<Json<Vec<TemplateInfo>>> {
    Ok(Json(state.templates().current()?.list()))
}

/// The node's intended configuration: its assigned templates rendered in assignment order.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/intended", tag = "templates",
    params(("id" = Uuid, Path)),
    responses((status = 200,
        description = "`{node_id, node, platform, templates: [{template, owns, text}], intended}`",
        body = Object),
        (status = 404, description = "No such node", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "The templates do not render (`render_failed`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No templates revision loads", body = Problem,
            content_type = "application/problem+json")))]
async fn intended(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> Result<Json<Rendering>> {
    let store = state.store();
    let node = store.get_node(id).await?;
    let templates = state.templates().current()?;
    let mut rendering = render_node(store, &templates, &node, None).await?;
    if !caller.may(Role::Operator) {
        let mask = |text: &mut String| *text = mask_secrets(node.platform, text).into_owned();
        mask(&mut rendering.intended);
        rendering
            .templates
            .iter_mut()
            .for_each(|t| mask(&mut t.text));
    }
    Ok(Json(rendering))
}

/// Commands in both forms: structured, and as they would be pasted.
#[derive(Serialize)]
struct Commands {
    commands: Vec<Command>,
    text: String,
}

#[derive(Serialize)]
struct ConfigDiffReport {
    node_id: Uuid,
    node: String,
    platform: Platform,
    /// The stored running configuration compared with.
    running_version: u64,
    compliant: bool,
    slices: Vec<SliceCheck>,
    diff: Diff,
    /// `+`/`-` lines with their unchanged parents as context.
    diff_text: String,
    remediation: Commands,
    rollback: Commands,
    /// Whether secrets were masked (callers without the operator role).
    masked: bool,
}

/// The node's intended configuration (rendered now) against its latest stored running
/// configuration: per template slice verdicts, the diff of the owned lines, remediation and
/// rollback. Nothing is recorded (the background checks record).
#[utoipa::path(get, path = "/api/v1/nodes/{id}/config-diff", tag = "templates",
    params(("id" = Uuid, Path)),
    responses((status = 200,
        description = "`{node_id, node, platform, running_version, compliant, slices, diff, diff_text, remediation: {commands, text}, rollback: {commands, text}, masked}`",
        body = Object),
        (status = 404, description = "No such node", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "No running configuration stored, or no templates assigned",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Templates that do not render, a node without a platform, a configuration that does not parse",
            body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No templates revision loads", body = Problem,
            content_type = "application/problem+json")))]
async fn config_diff(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> Result<Json<ConfigDiffReport>> {
    let store = state.store();
    let node = store.get_node(id).await?;
    let templates = state.templates().current()?;
    let rendering = render_node(store, &templates, &node, None).await?;
    if rendering.templates.is_empty() {
        return Err(Error::request(
            StatusCode::CONFLICT,
            ErrorCode::NoTemplatesAssigned,
            format!(
                "node {} has no templates assigned, so nothing is intended to compare with: APPLY rules assign them",
                node.name
            ),
        ));
    }
    let Some(running) = store.latest_running_configs(&[id]).await?.remove(&id) else {
        return Err(Error::request(
            StatusCode::CONFLICT,
            ErrorCode::NoRunningConfig,
            format!(
                "node {} has no stored running configuration: push one to /api/v1/nodes/{id}/configs",
                node.name
            ),
        ));
    };
    let mut check = compare(&rendering, &running.content)?;
    let masked = !caller.may(Role::Operator);
    if masked {
        let mask = |text: &mut String| *text = mask_secrets(node.platform, text).into_owned();
        mask_changes(&mut check.diff.changes, &mask);
        mask_commands(&mut check.remediation.commands, &mask);
        mask_commands(&mut check.rollback.commands, &mask);
    }
    Ok(Json(ConfigDiffReport {
        node_id: node.id,
        node: node.name,
        platform: node.platform,
        running_version: running.info.version,
        compliant: check.compliant,
        diff_text: check.diff.to_text(),
        remediation: Commands {
            text: check.remediation.to_text(),
            commands: check.remediation.commands,
        },
        rollback: Commands {
            text: check.rollback.to_text(),
            commands: check.rollback.commands,
        },
        slices: check.slices,
        diff: check.diff,
        masked,
    }))
}

/// Masks the secrets of each line of a diff (line by line, as the device prints them).
fn mask_changes(changes: &mut [Change], mask: &impl Fn(&mut String)) {
    for change in changes {
        mask(&mut change.text);
        if let Some(previous) = &mut change.previous {
            mask(previous);
        }
        mask_changes(&mut change.children, mask);
    }
}

fn mask_commands(commands: &mut [Command], mask: &impl Fn(&mut String)) {
    for command in commands {
        mask(&mut command.text);
        mask_commands(&mut command.children, mask);
    }
}
