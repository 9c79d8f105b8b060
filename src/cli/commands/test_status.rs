//! `-test-status :state S :status T [-m COMMENT] [:value V :expected E :tol T ...]` and
//! `-set-values :value V :expected E :tol T [:category C :variable N :units U]`.

use super::in_test::{self, Records};
use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::parse_row;
use crate::error::{Error, Result};
use crate::model::{State, Status, TestId};
use crate::writer::{TriggerTable, Writer};

/// A numeric status is an exit code: 0 is PASS, anything else FAIL.
fn status_word(status: &str) -> Status {
    match status.trim().parse::<f64>() {
        Ok(0.0) => Status::Pass,
        Ok(_) => Status::Fail,
        Err(_) => Status::parse(status),
    }
}

/// The `:value :expected :tol` row, when given.
fn value_row(session: &Session, required: bool) -> Result<Option<String>> {
    let get = |k: &str| session.args.value(k).map(str::to_string);
    match (get(":value"), get(":expected"), get(":tol")) {
        (Some(v), Some(e), Some(t)) => {
            let field = |s: Option<String>| {
                let s = s.unwrap_or_default();
                if s.contains([',', '"']) {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s
                }
            };
            Ok(Some(format!(
                "{},{},{},{},{},{},{}",
                field(get(":category")),
                field(get(":variable").or(Some("value".into()))),
                field(Some(v)),
                field(Some(e)),
                field(Some(t)),
                field(get(":units")),
                field(get("-m"))
            )))
        }
        (None, None, None) if !required => Ok(None),
        _ => Err(Error::new("values need all of :value, :expected and :tol")),
    }
}

fn store_values(records: &Records, test_id: TestId, line: &str) -> Result<()> {
    let row = parse_row(line).map_err(|why| Error::new(format!("bad value: {why}")))?;
    records.load_test_data(test_id, &[row])
}

/// Sets the running test's state and status (and records a value, when given).
pub(crate) fn test_status(session: &mut Session) -> Result<Flow> {
    let (state, status) = in_test::state_and_status(session, "-test-status")?;
    let state = State::from(state);
    if !state.is_known() {
        let canonical: Vec<&str> = State::RANKED.iter().map(State::as_str).collect();
        return Err(Error::new(format!("unknown state `{state}`"))
            .note(format!("states: {}", canonical.join(", "))));
    }
    let status = status_word(&status);
    let comment = session
        .args
        .value("-m")
        .filter(|m| !m.trim().is_empty())
        .map(str::to_string);
    let values = value_row(session, false)?;
    let (job, records) = in_test::open(session, "-test-status")?;
    crate::api::share_triggers(&job.test_name, job.triggers.clone());
    let triggers = TriggerTable::of_test(&job.test_name, job.triggers.clone());
    Writer::new(records.destination(), &triggers).set_test_status(
        &job,
        Some(&state),
        Some(&status),
        comment.as_deref(),
    )?;
    if let Some(line) = values {
        store_values(&records, job.test_id, &line)?;
    }
    Ok(Flow::Continue)
}

/// Records a value for the running test.
pub(crate) fn set_values(session: &mut Session) -> Result<Flow> {
    if session.args.has("-test-status") {
        return Ok(Flow::Continue);
    }
    let line = value_row(session, true)?.expect("required");
    let (job, records) = in_test::open(session, "-set-values")?;
    store_values(&records, job.test_id, &line)?;
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_statuses() {
        assert_eq!(status_word("0"), Status::Pass);
        assert_eq!(status_word("1"), Status::Fail);
        assert_eq!(status_word("2"), Status::Fail);
        assert_eq!(status_word("AUTO"), Status::Auto);
        assert_eq!(status_word("WARN"), Status::Warn);
    }
}
