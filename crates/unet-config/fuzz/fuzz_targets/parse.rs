//! Any text, any platform: parsing returns a tree or an error; a tree renders and re-parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unet_config::{Platform, diff, parse};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let platform = Platform::ALL[usize::from(selector) % Platform::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    if let Ok(tree) = parse(platform, &text) {
        // What we print must read back as the same configuration.
        if let Ok(again) = parse(platform, &tree.render()) {
            assert!(diff(&tree, &again).is_empty(), "render round trip changed the config");
        }
    }
});
