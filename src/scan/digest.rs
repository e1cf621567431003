//! Hashing a layer's blob on the thread pool, behind the thread that reads it. SHA-256 of one
//! stream is sequential, and it sits on the reading thread's path: in an image whose one large
//! layer outweighs the rest, that thread decompresses, hashes and cuts windows while the others
//! wait for windows. Here each block the reader has filled is queued (moved, not copied) and the
//! reader goes on with a spare one; one task at a time drains the queue in order, on whichever
//! thread is free. The queue is capped; when it is full the reader runs queued work itself
//! (`rayon::yield_now`), as the window sink does.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sha2::{Digest as _, Sha256};

use crate::layer::Digest;
use crate::layer::decode::BLOCK;

/// Most blocks queued and not yet hashed.
const MAX_QUEUED: usize = 8;

/// A [`Digest`] computed on the pool.
pub struct Behind {
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    queue: Mutex<Queue>,
    hasher: Mutex<Sha256>,
    /// Hashed blocks, for the reader to fill again.
    spare: Mutex<Vec<Vec<u8>>>,
}

#[derive(Default)]
struct Queue {
    blocks: VecDeque<(Vec<u8>, usize)>,
    /// A drain task is queued or running.
    draining: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Behind {
    /// A digest whose hashing runs on the current rayon pool.
    pub fn new() -> Behind {
        Behind {
            state: Arc::default(),
        }
    }

    /// Runs queued pool work on this thread until `done`.
    fn wait_until(&self, done: impl Fn(&Queue) -> bool) {
        while !done(&lock(&self.state.queue)) {
            if rayon::yield_now() != Some(rayon::Yield::Executed) {
                std::thread::yield_now();
            }
        }
    }
}

impl State {
    /// Hashes queued blocks in order until the queue is empty.
    fn drain(&self) {
        loop {
            let (block, filled) = {
                let mut queue = lock(&self.queue);
                match queue.blocks.pop_front() {
                    Some(next) => next,
                    None => {
                        queue.draining = false;
                        return;
                    }
                }
            };
            lock(&self.hasher).update(&block[..filled]);
            lock(&self.spare).push(block);
        }
    }
}

impl Digest for Behind {
    fn block(&mut self, block: Vec<u8>, filled: usize) -> Vec<u8> {
        let start = {
            let mut queue = lock(&self.state.queue);
            queue.blocks.push_back((block, filled));
            !std::mem::replace(&mut queue.draining, true)
        };
        if start {
            let state = Arc::clone(&self.state);
            rayon::spawn(move || state.drain());
        }
        self.wait_until(|queue| queue.blocks.len() <= MAX_QUEUED);
        lock(&self.state.spare)
            .pop()
            .unwrap_or_else(|| vec![0; BLOCK])
    }

    fn finish(self: Box<Self>) -> [u8; 32] {
        self.wait_until(|queue| queue.blocks.is_empty() && !queue.draining);
        let hasher = std::mem::take(&mut *lock(&self.state.hasher));
        hasher.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_like_sha256_whatever_the_blocks() {
        let data: Vec<u8> = (0..3 * BLOCK + 12_345)
            .map(|i| (i * 7 % 256) as u8)
            .collect();
        let expected: [u8; 32] = Sha256::digest(&data).into();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        for piece in [4096, BLOCK - 1, BLOCK] {
            let got = pool.install(|| {
                let mut digest: Box<dyn Digest> = Box::new(Behind::new());
                for part in data.chunks(piece) {
                    let mut block = vec![0; BLOCK];
                    block[..part.len()].copy_from_slice(part);
                    let spare = digest.block(block, part.len());
                    assert_eq!(spare.len(), BLOCK);
                }
                digest.finish()
            });
            assert_eq!(got, expected, "in blocks of {piece}");
        }
        let empty: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(Box::new(Behind::new()).finish(), empty);
    }
}
