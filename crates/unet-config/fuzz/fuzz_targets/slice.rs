//! Slice expressions from untrusted input: an error or a slice, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unet_config::{Platform, SliceExpr, parse};

const CONFIG: &str = "hostname r1\ninterface Gi1/0/1\n description a\n ip address 10.0.0.1 255.255.255.0\nrouter bgp 1\n address-family ipv4\n  network 10.0.0.0\n";

fuzz_target!(|data: &[u8]| {
    let expr = String::from_utf8_lossy(data);
    let Ok(tree) = parse(Platform::CiscoIos, CONFIG) else {
        return;
    };
    if let Ok(slice) = SliceExpr::parse(&expr) {
        let _ = slice.apply(&tree).render();
    }
    let _ = SliceExpr::prefix(&expr).apply(&tree);
});
