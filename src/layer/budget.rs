//! What the decompressors inside one layer may make together. Each compressed file or archive
//! nested in a layer is capped on its own ([`super::decode::Capped`]), but a layer of a few KiB
//! could hold thousands of small bombs, each under that cap, and run for hours. So every gzip,
//! zstd, zip and git stream inflated inside a layer draws from the layer's one [`Budget`] as it is
//! read ([`Metered`]), bytes drained past what a walk wanted included, and a small `.gz` handed
//! whole to the pool reserves what its trailer says it inflates to before it goes. The budget is
//! the nested cap plus [`PER_LAYER_BYTE`] bytes for every byte of the layer read so far: real
//! layers make far less (a Debian root filesystem's `.gz`, `.jar` and the like inflate to less
//! than a tenth of its size), a bomb thousands of times more. Past it, every read of a
//! decompressor is an error saying so.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use super::decode::one_past;

/// Bytes the layer's decompressors may make for each byte of the layer read, on top of the cap.
pub const PER_LAYER_BYTE: u64 = 16;

/// One layer's decompression budget, shared by every stream that draws from it (clones share).
#[derive(Debug, Clone)]
pub struct Budget(Rc<State>);

#[derive(Debug)]
struct State {
    /// What the layer may make before any of it is read.
    base: u64,
    /// What it may make so far, given how far the layer has been read.
    limit: Cell<u64>,
    /// What its decompressors have made (and reserved).
    spent: Cell<u64>,
}

impl Budget {
    /// A budget of `base` bytes, growing as the layer is read ([`Budget::read_to`]).
    pub fn new(base: u64) -> Budget {
        Budget(Rc::new(State {
            base,
            limit: Cell::new(base),
            spent: Cell::new(0),
        }))
    }

    /// The layer has been read up to `position` (its bytes, decompressed): the budget is now
    /// the base plus [`PER_LAYER_BYTE`] for each. It never shrinks.
    pub fn read_to(&self, position: u64) {
        let grown = PER_LAYER_BYTE
            .saturating_mul(position)
            .saturating_add(self.0.base);
        self.0.limit.set(self.0.limit.get().max(grown));
    }

    /// What may still be made.
    pub fn left(&self) -> u64 {
        self.0.limit.get().saturating_sub(self.0.spent.get())
    }

    /// Takes `bytes` for a file inflated elsewhere; `false`, taking nothing, when fewer are left.
    pub fn reserve(&self, bytes: u64) -> bool {
        let fits = bytes <= self.left();
        if fits {
            self.0.spent.set(self.0.spent.get() + bytes);
        }
        fits
    }

    /// Counts `bytes` made; an error once more than the budget has been.
    fn draw(&self, bytes: u64) -> io::Result<()> {
        let spent = self.0.spent.get().saturating_add(bytes);
        self.0.spent.set(spent);
        let limit = self.0.limit.get();
        if spent <= limit {
            return Ok(());
        }
        Err(io::Error::other(format!(
            "the layer's compressed files and archives decompress to more than {limit} bytes \
             together (limit: {} plus {PER_LAYER_BYTE} per byte of the layer); the rest is not \
             read",
            self.0.base
        )))
    }
}

/// A decompressor whose output is drawn from a layer's [`Budget`].
pub struct Metered<R> {
    inner: R,
    budget: Budget,
}

impl<R> Metered<R> {
    /// `inner`, every byte of which is drawn from `budget`.
    pub fn new(inner: R, budget: &Budget) -> Metered<R> {
        Metered {
            inner,
            budget: budget.clone(),
        }
    }
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // the error means the stream has more than the budget, and a tighter cap above (one
        // file's, one archive's) fails first
        let n = self.inner.read(one_past(buf, self.budget.left()))?;
        self.budget.draw(n as u64)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(reader: &mut impl Read) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let error = reader.read_to_end(&mut out).err().map(|e| e.to_string());
        (out, error)
    }

    #[test]
    fn streams_share_the_budget_and_it_grows_with_the_layer() {
        let budget = Budget::new(10);
        let (first, error) = read_all(&mut Metered::new(&[1u8; 6][..], &budget));
        assert_eq!((first.len(), error), (6, None));
        assert_eq!(budget.left(), 4);
        // the second stream finds 4 left of 10: it is read up to one byte past them
        let mut source = &[2u8; 6][..];
        let (_, error) = read_all(&mut Metered::new(&mut source, &budget));
        assert_eq!(source.len(), 1, "5 of 6 read");
        let error = error.expect("over the budget");
        assert!(
            error.contains("more than 10 bytes together (limit: 10 plus 16 per byte"),
            "{error}"
        );
        // a layer read further has more room: 10 + 16 * 2 = 42, of which 11 were made
        budget.read_to(2);
        assert_eq!(budget.left(), 31);
        budget.read_to(1); // never shrinks
        assert_eq!(budget.left(), 31);
        assert!(!budget.reserve(32), "more than is left");
        assert!(budget.reserve(31));
        assert_eq!(budget.left(), 0);
        // a stream that ends exactly where the budget does is no error
        let exact = Budget::new(6);
        let (all, error) = read_all(&mut Metered::new(&[1u8; 6][..], &exact));
        assert_eq!((all.len(), error), (6, None));
        assert!(
            read_all(&mut Metered::new(&[1u8; 1][..], &exact))
                .1
                .is_some()
        );
    }

    #[test]
    fn huge_positions_saturate() {
        let budget = Budget::new(u64::MAX - 1);
        budget.read_to(u64::MAX);
        assert_eq!(budget.left(), u64::MAX);
        assert!(budget.reserve(u64::MAX));
        // counting past u64::MAX saturates instead of overflowing
        assert_eq!(read_all(&mut Metered::new(&[0u8; 1][..], &budget)).1, None);
    }
}
