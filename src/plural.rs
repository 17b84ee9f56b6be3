//! Counts with their nouns, singular for one: `1 alert`, `2 alerts`, `1 file ready`.

/// `n` and `noun`, with an `s` unless `n` is 1 (nouns of the factory take a plain `s`).
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_is_singular_and_the_rest_plural() {
        assert_eq!(super::count(1, "alert"), "1 alert");
        assert_eq!(super::count(0, "run"), "0 runs");
        assert_eq!(super::count(3, "file"), "3 files");
    }
}
