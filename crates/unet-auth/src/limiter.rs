//! Per-source-address login rate limit: a token bucket per address, in memory (each server
//! limits what it receives). Idle buckets are dropped so the map stays bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses tracked before idle (full) buckets are dropped.
const PRUNE_AT: usize = 10_000;

#[derive(Debug, Default)]
pub struct LoginLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl LoginLimiter {
    /// Takes one attempt for `source` at `per_minute`; `Err(wait)` when none is left.
    pub fn take(&self, source: &str, per_minute: u32, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(per_minute.max(1));
        let rate = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.refilled).as_secs_f64() * rate < capacity
            });
        }
        let bucket = buckets.entry(source.to_string()).or_insert(Bucket {
            tokens: capacity,
            refilled: now,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate).max(Duration::from_secs(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_and_refills() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.take("192.0.2.1", 3, t0).unwrap();
        }
        let wait = limiter.take("192.0.2.1", 3, t0).unwrap_err();
        assert!(
            wait >= Duration::from_secs(19) && wait <= Duration::from_secs(21),
            "{wait:?}"
        );
        limiter.take("192.0.2.2", 3, t0).unwrap();
        limiter
            .take("192.0.2.1", 3, t0 + Duration::from_secs(20))
            .unwrap();
    }
}
