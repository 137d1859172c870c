//! Two configs from one input (split at the first NUL): diff, remediation, rollback and the
//! apply model never panic, whatever the configs contain.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unet_config::{Platform, apply, diff, parse, remediate, rollback};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let platform = Platform::ALL[usize::from(selector) % Platform::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let (running, intended) = text.split_once('\0').unwrap_or((&text, ""));
    let (Ok(running), Ok(intended)) = (parse(platform, running), parse(platform, intended)) else {
        return;
    };
    let fix = remediate(&running, &intended);
    let _ = fix.to_text();
    let _ = rollback(&running, &intended).to_text();
    let _ = diff(&running, &intended).to_text();
    let _ = apply(&running, &fix);
});
