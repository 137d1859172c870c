//! The program source: a local program the operator names prints a node's configuration on its
//! standard output (for devices behind jump hosts, or tools μNet does not speak).

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::AsyncReadExt;
use tokio::process::Command;

use unet_core::CollectionResult;

use crate::{Collected, Failure, Limits, Target};

/// A program and its arguments. It gets the node in its environment: `UNET_NODE_NAME`,
/// `UNET_NODE_ADDRESS`, `UNET_NODE_PORT`, `UNET_NODE_PLATFORM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub path: PathBuf,
    pub args: Vec<String>,
}

/// Runs `program` for `target`; its standard output, when it exits 0, is the configuration.
pub async fn collect_command(
    program: &Program,
    target: &Target<'_>,
    limits: &Limits,
) -> Result<Collected, Failure> {
    let name = program.path.display().to_string();
    let mut child = Command::new(&program.path)
        .args(&program.args)
        .env("UNET_NODE_NAME", target.node)
        .env("UNET_NODE_ADDRESS", target.address.to_string())
        .env("UNET_NODE_PORT", target.port.to_string())
        .env("UNET_NODE_PLATFORM", target.platform.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(format!("{name} does not start: {e}")))?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(failed(format!("{name}: no output pipes")));
    };
    let max = limits.max_bytes as u64;
    let (mut stdout, mut stderr) = (stdout.take(max + 1), stderr.take(4096));
    let run = async {
        let mut output = Vec::new();
        let mut errors = Vec::new();
        let (read, _, status) = tokio::join!(
            stdout.read_to_end(&mut output),
            stderr.read_to_end(&mut errors),
            child.wait()
        );
        read.map_err(|e| failed(format!("reading the output of {name}: {e}")))?;
        let status = status.map_err(|e| failed(format!("waiting for {name}: {e}")))?;
        Ok::<_, Failure>((output, errors, status))
    };
    let (output, errors, status) =
        tokio::time::timeout(limits.total, run)
            .await
            .map_err(|_| {
                Failure::new(
                    CollectionResult::Timeout,
                    format!(
                        "{name} did not finish within {:.1} s; stopped",
                        limits.total.as_secs_f64()
                    ),
                )
            })??;
    if !status.success() {
        let said = String::from_utf8_lossy(&errors);
        let first = said.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(failed(format!(
            "{name} failed ({status}){}{}",
            if first.is_empty() { "" } else { ": " },
            first.chars().take(300).collect::<String>()
        )));
    }
    if output.len() as u64 > max {
        return Err(Failure::new(
            CollectionResult::OutputNotRecognised,
            format!("{name} printed more than {max} bytes, the most a configuration may have"),
        ));
    }
    let text = String::from_utf8(output).map_err(|_| {
        Failure::new(
            CollectionResult::OutputNotRecognised,
            format!("{name} printed bytes that are not UTF-8"),
        )
    })?;
    if text.trim().is_empty() {
        return Err(Failure::new(
            CollectionResult::OutputNotRecognised,
            format!("{name} printed no configuration"),
        ));
    }
    Ok(Collected {
        text,
        host_key: None,
    })
}

fn failed(message: String) -> Failure {
    Failure::new(CollectionResult::CommandFailed, message)
}
