//! The Runs view's matrix: tests as rows (items nested under their test), runs as columns
//! (newest first, a page at a time), each cell a record's state or status in Megatest's
//! colours, linking to its test panel.

use super::colors;
use super::filters::Filters;
use crate::db::{FieldRef, RunRecord, Store, TEST_FIELDS, TestFilter};
use crate::error::Result;
use crate::model::TestId;
use crate::select::{RunSelector, TestPatterns};
use maud::{Markup, html};
use std::collections::BTreeMap;

/// A run's column.
#[derive(Debug, Clone)]
pub(super) struct Column {
    /// The run's id.
    pub(super) id: i64,
    /// Its target (`a/b`).
    pub(super) target: String,
    /// Its name.
    pub(super) runname: String,
    /// Its status.
    pub(super) status: String,
}

/// A record shown in a cell.
#[derive(Debug, Clone)]
pub(super) struct Cell {
    /// The record's id.
    pub(super) id: TestId,
    /// Its state.
    pub(super) state: String,
    /// Its status.
    pub(super) status: String,
}

/// A row: a test (item empty) or one of its items.
#[derive(Debug, Clone)]
pub(super) struct Row {
    /// The test's name.
    pub(super) test: String,
    /// The item path (empty for the test itself).
    pub(super) item: String,
    /// A cell per column.
    pub(super) cells: Vec<Option<Cell>>,
    /// Whether the test has items (its row can open them).
    pub(super) has_items: bool,
}

/// The matrix of one page.
#[derive(Debug, Clone)]
pub(super) struct Matrix {
    /// The runs, newest first.
    pub(super) columns: Vec<Column>,
    /// The rows, by test name then item.
    pub(super) rows: Vec<Row>,
    /// Whether older runs are on a next page.
    pub(super) more: bool,
}

/// Where the fields the matrix reads are in a test row.
struct Columns {
    id: usize,
    testname: usize,
    item_path: usize,
    state: usize,
    status: usize,
}

impl Columns {
    fn of_tests() -> Columns {
        let at = |name: &str| {
            TEST_FIELDS
                .iter()
                .position(|f| *f == name)
                .expect("a field of every test record")
        };
        Columns {
            id: at("id"),
            testname: at("testname"),
            item_path: at("item_path"),
            state: at("state"),
            status: at("status"),
        }
    }
}

/// Reads the page of `filters` from `store`, `per_page` runs to a page.
pub(super) fn load(store: &Store, filters: &Filters, per_page: usize) -> Result<Matrix> {
    let keys = store.keys().to_vec();
    let selector = RunSelector::new(filters.target_pattern(), filters.runname_pattern());
    let mut runs: Vec<RunRecord> = store.runs(&selector)?;
    runs.reverse();
    let per_page = per_page.max(1);
    let start = filters.page.saturating_mul(per_page);
    let more = runs.len() > start.saturating_add(per_page);
    let page: Vec<RunRecord> = runs.into_iter().skip(start).take(per_page).collect();
    let test_filter = TestFilter {
        patterns: match filters.test_pattern() {
            Some(p) => Some(TestPatterns::parse(p)?),
            None => None,
        },
        only_fields: Some(vec!["id", "testname", "item_path", "state", "status"]),
        ..TestFilter::default()
    };
    let at = Columns::of_tests();
    // test -> item -> cells
    let mut grid: BTreeMap<String, BTreeMap<String, Vec<Option<Cell>>>> = BTreeMap::new();
    let mut columns = Vec::with_capacity(page.len());
    for (index, run) in page.iter().enumerate() {
        columns.push(Column {
            id: run.id().0,
            target: run.target(),
            runname: run.runname(),
            status: run
                .field(&keys, "status")
                .map(|f| f.to_string())
                .unwrap_or_default(),
        });
        store.for_each_test(run.id(), &test_filter, |t| {
            let text = |i: usize| t.get(i).text().unwrap_or("").to_string();
            let (state, status) = (text(at.state), text(at.status));
            if filters.hides(&state, &status) {
                return Ok(());
            }
            let FieldRef::Int(id) = t.get(at.id) else {
                return Ok(());
            };
            let cells = grid
                .entry(text(at.testname))
                .or_default()
                .entry(text(at.item_path))
                .or_insert_with(|| vec![None; page.len()]);
            cells[index] = Some(Cell {
                id: TestId(id),
                state,
                status,
            });
            Ok(())
        })?;
    }
    let mut rows = Vec::new();
    for (test, items) in grid {
        let has_items = items.keys().any(|i| !i.is_empty());
        let width = columns.len();
        let mut items = items.into_iter();
        // The test's own row first (empty when only its items are shown).
        let mut first = items.next();
        let own = match &first {
            Some((item, _)) if item.is_empty() => first.take().map(|(_, c)| c),
            _ => None,
        };
        rows.push(Row {
            test: test.clone(),
            item: String::new(),
            cells: own.unwrap_or_else(|| vec![None; width]),
            has_items,
        });
        for (item, cells) in first.into_iter().chain(items) {
            rows.push(Row {
                test: test.clone(),
                item,
                cells,
                has_items: false,
            });
        }
    }
    Ok(Matrix {
        columns,
        rows,
        more,
    })
}

/// The matrix as a table, with the pager.
pub(super) fn render(matrix: &Matrix, filters: &Filters) -> Markup {
    html! {
        div.pager {
            @if filters.page > 0 {
                a.newer href={ "/?" (filters.query(filters.page - 1)) } { "← newer runs" }
            }
            span { "page " (filters.page.saturating_add(1)) }
            @if matrix.more {
                a.older href={ "/?" (filters.query(filters.page.saturating_add(1))) } { "older runs →" }
            }
        }
        @if matrix.columns.is_empty() {
            p.empty { "No run matches." }
        } @else {
            table.matrix {
                thead {
                    tr {
                        th.corner { "test" }
                        @for c in &matrix.columns {
                            th.run title={ "run " (c.id) ": " (c.status) } {
                                span.target { (c.target) } br;
                                span.runname { (c.runname) }
                            }
                        }
                    }
                }
                tbody {
                    @for row in &matrix.rows {
                        @if row.item.is_empty() {
                            tr.test data-test=(row.test) {
                                th.name {
                                    @if row.has_items {
                                        button.toggle type="button" data-toggle=(row.test) { "▸" }
                                    }
                                    (row.test)
                                }
                                (cells(row))
                            }
                        } @else {
                            tr.item data-of=(row.test) hidden {
                                th.name { span.itempath { (row.item) } }
                                (cells(row))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A row's cells: a record's colour class, id (the page opens its panel on a click) and
/// label; one element per cell, so that 100,000 of them lay out fast.
fn cells(row: &Row) -> Markup {
    html! {
        @for cell in &row.cells {
            @match cell {
                Some(c) => {
                    @let (rgb, label) = colors::cell(&c.state, &c.status);
                    td class=(colors::class_of(rgb)) data-id=(c.id) { (label) }
                }
                None => { td.none {} }
            }
        }
    }
}
