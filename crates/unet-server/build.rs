//! Records the git commit and the build date for `unet-server --version`.

use std::process::Command;

fn main() {
    let commit = std::env::var("UNET_GIT_COMMIT")
        .ok()
        .or_else(|| run("git", &["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_string());
    // SOURCE_DATE_EPOCH keeps reproducible builds reproducible.
    let date = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) => run("date", &["-u", "-d", &format!("@{epoch}"), "+%Y-%m-%d"]),
        Err(_) => run("date", &["-u", "+%Y-%m-%d"]),
    }
    .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=UNET_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=UNET_BUILD_DATE={date}");
}

fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}
