//! Slack's per-channel pace for `chat.postMessage` (docs/slack.md "Rate limits"): a rolling
//! window per channel; a post beyond the allowance is refused with the seconds until the oldest
//! post in the window leaves it (the `Retry-After`). Refused posts do not count.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::config::ChannelRate;

#[derive(Debug, Clone, Default)]
pub(crate) struct Pace {
    rate: ChannelRate,
    posts: HashMap<String, VecDeque<Instant>>,
    /// The most posts one channel had within a window (the refused ones not counted).
    pub(crate) max_in_window: u32,
}

impl Pace {
    pub(crate) fn new(rate: ChannelRate) -> Self {
        Self {
            rate,
            ..Self::default()
        }
    }

    /// Admits a post to `channel` at `now`, or says how many whole seconds to wait.
    pub(crate) fn admit(&mut self, channel: &str, now: Instant) -> Result<(), u64> {
        let window = Duration::from_millis(self.rate.window_ms);
        let posts = self.posts.entry(channel.to_owned()).or_default();
        while posts
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            posts.pop_front();
        }
        if posts.len() >= self.rate.posts as usize {
            let oldest = posts.front().copied().unwrap_or(now);
            let wait = window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_millis().div_ceil(1000).max(1) as u64);
        }
        posts.push_back(now);
        let n = u32::try_from(posts.len()).unwrap_or(u32::MAX);
        self.max_in_window = self.max_in_window.max(n);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_post_a_second_passes_and_a_burst_is_refused_with_the_wait() {
        let t0 = Instant::now();
        let mut pace = Pace::new(ChannelRate::default());
        for i in 0..30 {
            // A little early each time: jitter of a client that keeps one a second.
            let at =
                t0 + Duration::from_millis(i * 1_000).saturating_sub(Duration::from_millis(20));
            assert_eq!(pace.admit("C1", at), Ok(()), "post {i}");
        }
        let mut burst = Pace::new(ChannelRate::default());
        for _ in 0..6 {
            assert_eq!(burst.admit("C1", t0), Ok(()));
        }
        assert_eq!(burst.admit("C1", t0), Err(5));
        assert_eq!(burst.admit("C2", t0), Ok(()), "other channels are not held");
        assert_eq!(burst.admit("C1", t0 + Duration::from_millis(4_200)), Err(1));
        assert_eq!(burst.admit("C1", t0 + Duration::from_millis(5_000)), Ok(()));
        assert_eq!(burst.max_in_window, 6);
    }
}
