//! A future polled only once it asked to be woken.
//!
//! A connection's main loop `select!`s over its socket, its outbox and the
//! server's closer, and `select!` polls every branch each time the task
//! runs: once or twice per request. Most branches are cheap to poll again,
//! but a watch channel's `changed()` takes the channel's waiter lock at
//! every poll, for a signal that comes once in the connection's life.
//! [`Gated`] polls its future the first time, then only after the future's
//! own waker was called: between wake-ups a poll is one atomic swap.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// What the gated future's waker does: notes the wake-up, then wakes the
/// task that polled the gate last.
#[derive(Debug)]
struct Signal {
    woken: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(task) = task.as_ref() {
            task.wake_by_ref();
        }
    }
}

/// A future polled only when its last poll asked for a wake-up that came
/// (and the first time). It must register its waker whenever it returns
/// `Pending`, as every future does; it is then woken through the gate.
pub(super) struct Gated<F> {
    inner: Pin<Box<F>>,
    signal: Arc<Signal>,
    /// The waker the inner future is polled with (it calls `signal`).
    inner_waker: Waker,
    /// The task's waker as last stored in `signal` (compared without the
    /// lock).
    task: Option<Waker>,
}

impl<F: Future> Gated<F> {
    /// Gates `inner`.
    pub(super) fn new(inner: F) -> Gated<F> {
        let signal = Arc::new(Signal {
            woken: AtomicBool::new(true),
            task: Mutex::new(None),
        });
        Gated {
            inner: Box::pin(inner),
            inner_waker: Waker::from(signal.clone()),
            signal,
            task: None,
        }
    }
}

impl<F: Future> Future for Gated<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // `Gated` is `Unpin` (the future is boxed).
        let this = self.get_mut();
        if !this.task.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            let waker = cx.waker().clone();
            *this.signal.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(waker.clone());
            this.task = Some(waker);
        }
        if !this.signal.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let mut inner_cx = Context::from_waker(&this.inner_waker);
        this.inner.as_mut().poll(&mut inner_cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts its polls; ready once `ready` is set, registering its waker
    /// in `waker` while pending.
    struct Probe {
        polls: Arc<AtomicUsize>,
        ready: Arc<AtomicBool>,
        waker: Arc<Mutex<Option<Waker>>>,
    }

    impl Future for Probe {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.polls.fetch_add(1, Ordering::SeqCst);
            if self.ready.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    #[derive(Default)]
    struct CountWakes(AtomicUsize);
    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn polls_the_future_first_then_only_after_its_wake_up() {
        let polls = Arc::new(AtomicUsize::new(0));
        let ready = Arc::new(AtomicBool::new(false));
        let registered = Arc::new(Mutex::new(None::<Waker>));
        let mut gated = Gated::new(Probe {
            polls: polls.clone(),
            ready: ready.clone(),
            waker: registered.clone(),
        });
        let task = Arc::new(CountWakes::default());
        let waker = Waker::from(task.clone());
        let mut cx = Context::from_waker(&waker);

        assert!(Pin::new(&mut gated).poll(&mut cx).is_pending());
        assert_eq!(
            polls.load(Ordering::SeqCst),
            1,
            "the first poll goes through"
        );
        for _ in 0..5 {
            assert!(Pin::new(&mut gated).poll(&mut cx).is_pending());
        }
        assert_eq!(polls.load(Ordering::SeqCst), 1, "no wake-up, no poll");

        // The future's wake-up reaches the task, and the next poll goes through.
        ready.store(true, Ordering::SeqCst);
        let inner = registered.lock().unwrap().take().expect("registered");
        inner.wake();
        assert_eq!(task.0.load(Ordering::SeqCst), 1);
        assert!(Pin::new(&mut gated).poll(&mut cx).is_ready());
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_new_task_waker_is_the_one_woken() {
        let ready = Arc::new(AtomicBool::new(false));
        let registered = Arc::new(Mutex::new(None::<Waker>));
        let mut gated = Gated::new(Probe {
            polls: Arc::default(),
            ready,
            waker: registered.clone(),
        });
        let first = Arc::new(CountWakes::default());
        let second = Arc::new(CountWakes::default());
        let first_waker = Waker::from(first.clone());
        let second_waker = Waker::from(second.clone());
        assert!(
            Pin::new(&mut gated)
                .poll(&mut Context::from_waker(&first_waker))
                .is_pending()
        );
        assert!(
            Pin::new(&mut gated)
                .poll(&mut Context::from_waker(&second_waker))
                .is_pending()
        );
        registered.lock().unwrap().take().unwrap().wake();
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
    }
}
