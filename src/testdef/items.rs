//! Items (spec §6.1): the cartesian product of `[items]` (first variable slowest), followed by
//! the rows of `[itemstable]`; a variable without values means zero items.

/// One item: its path and its variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Values joined with `/`.
    pub path: String,
    /// `(VAR, value)` in variable order.
    pub vars: Vec<(String, String)>,
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
    let mut list: Vec<Vec<(String, String)>> = Vec::new();
    if !items.is_empty() {
        list.push(Vec::new());
        for (var, text) in items {
            let vals = values(text);
            list = list
                .into_iter()
                .flat_map(|prefix| {
                    vals.iter().map(move |v| {
                        let mut next = prefix.clone();
                        next.push((var.clone(), v.clone()));
                        next
                    })
                })
                .collect();
        }
    }
    let columns: Vec<(String, Vec<String>)> =
        table.iter().map(|(v, t)| (v.clone(), values(t))).collect();
    let rows = columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    for i in 0..rows {
        list.push(
            columns
                .iter()
                .map(|(var, vals)| {
                    (
                        var.clone(),
                        vals.get(i).cloned().unwrap_or_else(|| "-".into()),
                    )
                })
                .collect(),
        );
    }
    Items::List(
        list.into_iter()
            .map(|vars| Item {
                path: vars
                    .iter()
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join("/"),
                vars,
            })
            .collect(),
    )
}

/// `MT_ITEM_INFO`: the item variables as a Scheme list, `((SEASON summer) (BLOCK a))`.
pub fn item_info(vars: &[(String, String)]) -> String {
    let parts: Vec<String> = vars.iter().map(|(k, v)| format!("({k} {v})")).collect();
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
        assert_eq!(
            item_info(&rows(&[("SEASON", "summer")])),
            "((SEASON summer))"
        );
    }
}
