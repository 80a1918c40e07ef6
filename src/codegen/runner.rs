//! Debounced, single-flight job loop: a burst of triggers gives one run after the
//! quiet period; triggers that arrive during a run schedule exactly one more run.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;

/// Sends triggers to a `run_debounced` loop.
#[derive(Clone)]
pub struct Trigger(mpsc::UnboundedSender<()>);

impl Trigger {
    pub fn new() -> (Trigger, mpsc::UnboundedReceiver<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Trigger(tx), rx)
    }

    pub fn fire(&self) {
        let _ = self.0.send(());
    }
}

/// Runs `job` per the rules above until every `Trigger` is dropped.
pub async fn run_debounced<F, Fut>(
    mut rx: mpsc::UnboundedReceiver<()>,
    debounce: Duration,
    mut job: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    'outer: while rx.recv().await.is_some() {
        loop {
            // Quiet period: every new trigger restarts it.
            loop {
                match tokio::time::timeout(debounce, rx.recv()).await {
                    Ok(Some(())) => continue,
                    Ok(None) => break 'outer,
                    Err(_) => break,
                }
            }
            job().await;
            // Triggers that came during the run: one more run, however many there were.
            let mut again = false;
            while rx.try_recv().is_ok() {
                again = true;
            }
            if !again {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_fifty_triggers_gives_one_run() {
        let runs = Arc::new(AtomicUsize::new(0));
        let (trigger, rx) = Trigger::new();
        let counter = runs.clone();
        let task = tokio::spawn(run_debounced(rx, Duration::from_millis(200), move || {
            let c = counter.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
            }
        }));
        for _ in 0..50 {
            trigger.fire();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        drop(trigger);
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn triggers_during_a_run_schedule_exactly_one_more() {
        let runs = Arc::new(AtomicUsize::new(0));
        let (trigger, rx) = Trigger::new();
        let counter = runs.clone();
        let during = trigger.clone();
        let task = tokio::spawn(run_debounced(rx, Duration::from_millis(50), move || {
            let c = counter.clone();
            let t = during.clone();
            async move {
                if c.fetch_add(1, Ordering::SeqCst) == 0 {
                    for _ in 0..10 {
                        t.fire();
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }));
        trigger.fire();
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        drop(trigger);
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn separate_bursts_give_separate_runs() {
        let runs = Arc::new(AtomicUsize::new(0));
        let (trigger, rx) = Trigger::new();
        let counter = runs.clone();
        tokio::spawn(run_debounced(rx, Duration::from_millis(100), move || {
            let c = counter.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
            }
        }));
        trigger.fire();
        tokio::time::sleep(Duration::from_secs(1)).await;
        trigger.fire();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
