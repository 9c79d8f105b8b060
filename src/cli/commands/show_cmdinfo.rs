//! `-show-cmdinfo`: decodes `$MT_CMDINFO` (or `:value`).

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;
use crate::launch::job::Job;
use crate::output::stdout;
use crate::report::scheme_string;

/// Prints the job of the current test.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let job = match session.args.value(":value") {
        Some(text) => Job::decode(text)?,
        None => Job::from_env("-show-cmdinfo")?,
    };
    let json = serde_json::to_value(&job).expect("a job serializes");
    let text = if session.args.value("-dumpmode") == Some("json") {
        serde_json::to_string_pretty(&json).expect("JSON")
    } else {
        let fields: Vec<String> = json
            .as_object()
            .expect("a job is an object")
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    serde_json::Value::String(s) => scheme_string(s),
                    other => other.to_string(),
                };
                format!("({k} . {value})")
            })
            .collect();
        format!("({})", fields.join("\n "))
    };
    stdout::println(&text);
    Ok(Flow::Continue)
}
