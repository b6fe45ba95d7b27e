//! The budget's decisions, with tokio's clock paused: time moves only when a test moves it or
//! every task waits (no wall-clock sleeps).

use std::time::Duration;

use tokio::time::{Instant, advance};

use super::*;

fn channel(id: &str) -> Conversation {
    Conversation::parse(id).unwrap()
}

fn budget() -> Budget {
    Budget::new(&BudgetSettings::default())
}

#[tokio::test(start_paused = true)]
async fn one_post_per_second_per_channel_and_other_channels_are_not_held_up() {
    let b = budget();
    let a = channel("D0AAAAAAA");
    assert_eq!(b.decide(Method::PostMessage, Some(&a)), Decision::Go);
    let Decision::Wait(wait) = b.decide(Method::PostMessage, Some(&a)) else {
        panic!("a second post to the same channel within a second went");
    };
    assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
    assert_eq!(
        b.decide(Method::PostMessage, Some(&channel("D0BBBBBBB"))),
        Decision::Go
    );
    advance(Duration::from_secs(1)).await;
    assert_eq!(b.decide(Method::PostMessage, Some(&a)), Decision::Go);
}

#[tokio::test(start_paused = true)]
async fn posts_to_one_channel_are_spaced_by_a_second() {
    let b = budget();
    let a = channel("D0AAAAAAA");
    let start = Instant::now();
    for _ in 0..4 {
        b.acquire(Method::PostMessage, Some(&a)).await.unwrap();
    }
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_secs(3), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(3100), "{elapsed:?}");
}

#[tokio::test(start_paused = true)]
async fn no_minute_carries_more_than_fifty_calls_of_a_tier_3_method() {
    let b = budget();
    let start = Instant::now();
    let mut sent = Vec::new();
    for _ in 0..120 {
        b.acquire(Method::LookupByEmail, None).await.unwrap();
        sent.push(start.elapsed());
    }
    for (i, at) in sent.iter().enumerate() {
        let in_window = sent[i..]
            .iter()
            .take_while(|t| **t < *at + Duration::from_secs(60))
            .count();
        assert!(
            in_window <= 50,
            "{in_window} calls in the minute from {at:?}"
        );
    }
    // And the budget is used, not starved: 120 calls take a little over two minutes.
    let last = sent[119];
    assert!(last < Duration::from_secs(150), "{last:?}");
    // Methods have budgets of their own.
    assert_eq!(b.decide(Method::Update, None), Decision::Go);
}

#[tokio::test(start_paused = true)]
async fn the_workspace_ceiling_holds_posts_to_many_channels() {
    let b = budget();
    let start = Instant::now();
    for i in 0..121 {
        let c = channel(&format!("D{i:08}"));
        b.acquire(Method::PostMessage, Some(&c)).await.unwrap();
    }
    assert!(
        start.elapsed() >= Duration::from_secs(59),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_pauses_that_method_for_the_workspace_and_no_other() {
    let b = budget();
    b.pause(Method::PostMessage, Duration::from_secs(7));
    assert_eq!(
        b.decide(Method::PostMessage, Some(&channel("D0AAAAAAA"))),
        Decision::Wait(Duration::from_secs(7))
    );
    assert_eq!(b.decide(Method::LookupByEmail, None), Decision::Go);
    // A shorter pause does not shorten a longer one.
    b.pause(Method::PostMessage, Duration::from_secs(2));
    advance(Duration::from_secs(3)).await;
    assert_eq!(
        b.decide(Method::PostMessage, None),
        Decision::Wait(Duration::from_secs(4))
    );
    advance(Duration::from_secs(4)).await;
    assert_eq!(b.decide(Method::PostMessage, None), Decision::Go);
}

#[tokio::test(start_paused = true)]
async fn a_wait_longer_than_max_wait_fails_at_once_as_rate_limited() {
    let b = budget();
    b.pause(Method::Update, Duration::from_secs(30));
    let start = Instant::now();
    let err = b.acquire(Method::Update, None).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(
        err,
        SlackError::RateLimited {
            method: Method::Update,
            retry_after: Duration::from_secs(30)
        }
    );
    // A pause within max_wait is waited out.
    b.pause(Method::ConversationsOpen, Duration::from_secs(3));
    b.acquire(Method::ConversationsOpen, None).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}
