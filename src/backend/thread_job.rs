//! A long operation on a thread of its own (a clone, a migration): a stop flag the
//! caller sets, a channel for its progress, and its result as the last message.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Start `run` on a thread called `name`. It gets the stop flag and the sender for its
/// progress; what it returns is sent last. When no thread can be made, the channel
/// carries `failed` with the reason instead.
pub fn spawn<P: Send + 'static>(
    name: &str,
    failed: impl FnOnce(String) -> P,
    run: impl FnOnce(&Arc<AtomicBool>, &async_channel::Sender<P>) -> P + Send + 'static,
) -> (Arc<AtomicBool>, async_channel::Receiver<P>) {
    let (tx, rx) = async_channel::unbounded();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let spawned = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let end = run(&flag, &tx);
            let _ = tx.send_blocking(end);
        });
    if let Err(e) = spawned {
        let (tx, rx) = async_channel::unbounded();
        let _ = tx.send_blocking(failed(e.to_string()));
        return (cancel, rx);
    }
    (cancel, rx)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    #[test]
    fn progress_then_the_result_and_the_flag_reaches_the_thread() {
        let (cancel, rx) = super::spawn("test-job", Err, |flag, tx| {
            let _ = tx.send_blocking(Ok(1));
            while !flag.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            Ok(2)
        });
        assert_eq!(rx.recv_blocking(), Ok(Ok(1)));
        cancel.store(true, Ordering::SeqCst);
        assert_eq!(rx.recv_blocking(), Ok(Ok::<i32, String>(2)));
        assert!(
            rx.recv_blocking().is_err(),
            "the channel ends after the result"
        );
    }
}
