//! Work spread over a few threads (directory walks and removals, which wait on the disk or a
//! network filesystem more than on the CPU), with the results in the order of the input.

/// `f` of each item, on up to `threads` threads, each taking a contiguous share; the results
/// in input order. The items of a share whose thread panicked get `lost`.
pub fn map_in_shares<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
    lost: impl Fn(&T) -> R,
) -> Vec<R> {
    if items.is_empty() {
        return Vec::new();
    }
    let share = items.len().div_ceil(threads.max(1));
    let f = &f;
    std::thread::scope(|scope| {
        let running: Vec<_> = items
            .chunks(share)
            .map(|part| {
                (
                    scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()),
                    part,
                )
            })
            .collect();
        running
            .into_iter()
            .flat_map(|(thread, part)| {
                thread
                    .join()
                    .unwrap_or_else(|_| part.iter().map(&lost).collect())
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_input_order_whatever_the_thread_count() {
        let items: Vec<u32> = (0..101).collect();
        for threads in [0, 1, 3, 8, 200] {
            let doubled = map_in_shares(&items, threads, |i| i * 2, |_| u32::MAX);
            assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
        assert!(map_in_shares(&[] as &[u32], 4, |i| *i, |_| 0).is_empty());
    }
}
