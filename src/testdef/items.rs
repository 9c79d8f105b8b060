//! Items (spec §6.1): the cartesian product of `[items]` (first variable slowest), followed by
//! the rows of `[itemstable]`; a variable without values means zero items.

use std::sync::Arc;

/// One item: its path and its variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Values joined with `/`.
    pub path: String,
    /// Its variables (read with the path).
    pub vars: ItemVars,
}

impl Item {
    /// An item of this path without variables (`""`: the test itself).
    pub fn bare(path: impl Into<String>) -> Item {
        Item {
            path: path.into(),
            vars: ItemVars {
                names: Arc::from([]),
                values: None,
            },
        }
    }

    /// `(VAR, value)` in variable order.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.vars.pairs(&self.path)
    }
}

/// An item's variables, kept small because a run may hold 100,000 items: the names are
/// shared by every item of a test, and the values are kept apart from the path only when
/// one holds a `/` (otherwise they are the path's components).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemVars {
    names: Arc<[String]>,
    values: Option<Box<[String]>>,
}

impl ItemVars {
    /// The item of these values: its path and its variables.
    fn item(names: &Arc<[String]>, values: Vec<String>) -> Item {
        let path = values.join("/");
        let kept = values.iter().any(|v| v.contains('/'));
        Item {
            path,
            vars: ItemVars {
                names: Arc::clone(names),
                values: kept.then(|| values.into_boxed_slice()),
            },
        }
    }

    /// `(VAR, value)` of the item at `path`, in variable order.
    pub fn iter<'a>(&'a self, path: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let values: Box<dyn Iterator<Item = &'a str> + 'a> = match &self.values {
            Some(values) => Box::new(values.iter().map(String::as_str)),
            None => Box::new(path.split('/')),
        };
        self.names.iter().map(String::as_str).zip(values)
    }

    /// `(VAR, value)` of the item at `path`, owned.
    pub fn pairs(&self, path: &str) -> Vec<(String, String)> {
        self.iter(path)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

/// What `[items]`/`[itemstable]` give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Items {
    /// Neither section has entries: one run of the test itself.
    None,
    /// These items (possibly none: ZERO_ITEMS).
    List(Vec<Item>),
}

fn values(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// Expands `[items]` rows (cartesian) and `[itemstable]` rows (column-wise).
pub fn expand(items: &[(String, String)], table: &[(String, String)]) -> Items {
    if items.is_empty() && table.is_empty() {
        return Items::None;
    }
    let mut list = Vec::new();
    if !items.is_empty() {
        let names: Arc<[String]> = items.iter().map(|(var, _)| var.clone()).collect();
        let columns: Vec<Vec<String>> = items.iter().map(|(_, text)| values(text)).collect();
        let count = columns.iter().map(Vec::len).product::<usize>();
        list.reserve_exact(count);
        // An odometer over the columns, the last one turning fastest.
        let mut at = vec![0; columns.len()];
        for _ in 0..count {
            let row = columns
                .iter()
                .zip(&at)
                .map(|(c, &i)| c[i].clone())
                .collect();
            list.push(ItemVars::item(&names, row));
            for (digit, column) in at.iter_mut().zip(&columns).rev() {
                *digit += 1;
                if *digit < column.len() {
                    break;
                }
                *digit = 0;
            }
        }
    }
    let names: Arc<[String]> = table.iter().map(|(var, _)| var.clone()).collect();
    let columns: Vec<Vec<String>> = table.iter().map(|(_, text)| values(text)).collect();
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    list.reserve_exact(rows);
    for i in 0..rows {
        let row = columns
            .iter()
            .map(|vals| vals.get(i).cloned().unwrap_or_else(|| "-".into()))
            .collect();
        list.push(ItemVars::item(&names, row));
    }
    Items::List(list)
}

/// `MT_ITEM_INFO`: the item variables as a Scheme list, `((SEASON summer) (BLOCK a))`.
pub fn item_info<K: AsRef<str>, V: AsRef<str>>(vars: &[(K, V)]) -> String {
    let parts: Vec<String> = vars
        .iter()
        .map(|(k, v)| format!("({} {})", k.as_ref(), v.as_ref()))
        .collect();
    format!("({})", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn paths(i: Items) -> Vec<String> {
        match i {
            Items::List(l) => l.into_iter().map(|i| i.path).collect(),
            Items::None => vec!["<none>".into()],
        }
    }

    #[test]
    fn cartesian_table_and_both() {
        assert_eq!(
            paths(expand(&rows(&[("A", "a1 a2"), ("B", "b1 b2")]), &[])),
            ["a1/b1", "a1/b2", "a2/b1", "a2/b2"]
        );
        assert_eq!(
            paths(expand(
                &[],
                &rows(&[
                    ("VIEW", "layout layout schematic"),
                    ("CELL", "ntran ptran ntran")
                ])
            )),
            ["layout/ntran", "layout/ptran", "schematic/ntran"]
        );
        assert_eq!(
            paths(expand(&[], &rows(&[("A", "1 2 3"), ("B", "x")]))),
            ["1/x", "2/-", "3/-"]
        );
        assert_eq!(
            paths(expand(
                &rows(&[("SEASON", "summer winter")]),
                &rows(&[("BLOCK", "a b"), ("TOCK", "c d")])
            )),
            ["summer", "winter", "a/c", "b/d"]
        );
        assert_eq!(
            paths(expand(&rows(&[("A", "1"), ("NADA", "")]), &[])),
            Vec::<String>::new(),
            "zero items"
        );
        assert_eq!(expand(&[], &[]), Items::None);
        let Items::List(list) = expand(&rows(&[("A", "x/y z")]), &rows(&[("B", "b"), ("C", "")]))
        else {
            panic!("items expected")
        };
        let pairs: Vec<_> = list.iter().map(Item::pairs).collect();
        assert_eq!(
            pairs,
            [
                rows(&[("A", "x/y")]),
                rows(&[("A", "z")]),
                rows(&[("B", "b"), ("C", "-")])
            ],
            "values with a slash are kept apart from the path"
        );
        assert_eq!(
            item_info(&rows(&[("SEASON", "summer")])),
            "((SEASON summer))"
        );
    }
}
