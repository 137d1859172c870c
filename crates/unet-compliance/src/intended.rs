//! One node's intended configuration: its assigned templates (in `APPLY` order) rendered with
//! its context, and compared with a running configuration.

use serde::{Deserialize, Serialize};
use unet_core::{Node, Platform, Uuid};
use unet_store::Store;
use unet_template::{CheckError, ConfigCheck, Rendered, TemplateError, Verdicts};

use crate::context::PageContexts;
use crate::error::Result;
use crate::templates::LoadedTemplates;

/// Why a node has no intended configuration or no comparison.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntendedError {
    #[error(
        "node {node} is assigned template {template}, which is not in the templates folder (assigned by an APPLY rule; check the rule or add the file)"
    )]
    MissingTemplate { node: String, template: String },
    #[error("node {node}: {source}")]
    Render { node: String, source: TemplateError },
    #[error(
        "node {node} has platform generic, so its configuration cannot be compared section by section: set its platform to cisco_ios, cisco_nxos, cisco_iosxr, arista_eos or juniper_junos"
    )]
    NoPlatform { node: String },
    #[error("node {node}: {source}")]
    Check { node: String, source: CheckError },
}

/// A node's templates rendered, as the API answers and the CLI prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rendering {
    pub node_id: Uuid,
    pub node: String,
    pub platform: Platform,
    /// Each assigned template's output, in assignment order.
    pub templates: Vec<Rendered>,
    /// The intended configuration: the outputs joined.
    pub intended: String,
}

/// Renders `templates` (names of `loaded`) for `node` with `context`.
pub fn render_templates(
    loaded: &LoadedTemplates,
    node: &Node,
    templates: &[String],
    context: &unet_template::Value,
) -> Result<Rendering, IntendedError> {
    let mut rendered = Vec::with_capacity(templates.len());
    for template in templates {
        if !loaded.set.contains(template) {
            return Err(IntendedError::MissingTemplate {
                node: node.name.clone(),
                template: template.clone(),
            });
        }
        let out = loaded
            .set
            .render(template, context)
            .map_err(|source| IntendedError::Render {
                node: node.name.clone(),
                source,
            })?;
        rendered.push(out);
    }
    Ok(Rendering {
        node_id: node.id,
        node: node.name.clone(),
        platform: node.platform,
        intended: unet_template::intended_text(&rendered),
        templates: rendered,
    })
}

/// Renders the templates assigned to `node` (or `only`, when given) from the store's view of it.
pub async fn render_node(
    store: &Store,
    loaded: &LoadedTemplates,
    node: &Node,
    only: Option<Vec<String>>,
) -> Result<Rendering> {
    let templates = match only {
        Some(names) => names,
        None => store.node_templates(node.id).await?,
    };
    let contexts = PageContexts::fetch(store, std::slice::from_ref(node)).await?;
    Ok(render_templates(
        loaded,
        node,
        &templates,
        &contexts.context(node),
    )?)
}

/// Compares a rendering with the node's `running` configuration, slice by slice.
pub fn compare(rendering: &Rendering, running: &str) -> Result<ConfigCheck, IntendedError> {
    comparing(rendering, unet_template::check)(running)
}

/// [`compare`] without remediation and rollback: what a fleet run records.
pub fn compare_verdicts(rendering: &Rendering, running: &str) -> Result<Verdicts, IntendedError> {
    comparing(rendering, unet_template::verdicts)(running)
}

/// `how` applied to the rendering, refused for a node without a platform.
fn comparing<'a, T>(
    rendering: &'a Rendering,
    how: impl Fn(Platform, &[Rendered], &str) -> Result<T, CheckError> + 'a,
) -> impl Fn(&str) -> Result<T, IntendedError> + 'a {
    move |running| {
        if rendering.platform == Platform::Generic {
            return Err(IntendedError::NoPlatform {
                node: rendering.node.clone(),
            });
        }
        how(rendering.platform, &rendering.templates, running).map_err(|source| {
            IntendedError::Check {
                node: rendering.node.clone(),
                source,
            }
        })
    }
}
