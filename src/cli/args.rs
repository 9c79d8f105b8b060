//! The command line as given: which options, with which values, and the leftover words.

use super::options::{OptionSpec, closest, lookup};
use crate::error::{Error, Result};

/// Options whose command takes the leftover words (a command to run, a database file).
const TAKES_LEFTOVERS: &[&str] = &["-runstep", "-envcap", "-envdelta"];

/// Parsed options, in command-line order; a repeated option's last value wins.
#[derive(Debug, Default)]
pub struct Args {
    given: Vec<(&'static OptionSpec, Option<String>)>,
    /// Words that are not options or option values, for the commands that take them.
    pub leftovers: Vec<String>,
    /// Words no option or command takes, reported and otherwise ignored as in Megatest
    /// 1.65: (word, a known option it may have meant).
    pub unrecognised: Vec<(String, Option<&'static str>)>,
}

impl Args {
    /// Parses the words after the program name. Unless `strict`, words nothing takes are
    /// [`Args::unrecognised`] rather than an error.
    pub fn parse(words: &[String], strict: bool) -> Result<Args> {
        let mut args = Args::default();
        let mut unknown: Vec<&str> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let word = words[i].as_str();
            if word == "--" {
                args.leftovers.extend(words[i + 1..].iter().cloned());
                break;
            }
            match lookup(word) {
                Some(spec) => match spec.value {
                    Some(placeholder) => {
                        let Some(value) = words.get(i + 1) else {
                            return Err(Error::usage(format!(
                                "option `{word}` needs a value: {word} {placeholder}"
                            )));
                        };
                        args.given.push((spec, Some(value.clone())));
                        i += 2;
                    }
                    None => {
                        args.given.push((spec, None));
                        i += 1;
                    }
                },
                None => {
                    if word.len() > 1 && (word.starts_with('-') || word.starts_with(':')) {
                        unknown.push(word);
                    }
                    args.leftovers.push(word.to_string());
                    i += 1;
                }
            }
        }
        if !args.leftovers.is_empty() && !TAKES_LEFTOVERS.iter().any(|o| args.has(o)) {
            if !strict {
                args.unrecognised = std::mem::take(&mut args.leftovers)
                    .into_iter()
                    .map(|word| {
                        let near = unknown
                            .contains(&word.as_str())
                            .then(|| closest(&word))
                            .flatten();
                        (word, near)
                    })
                    .collect();
                return Ok(args);
            }
            return Err(match unknown.first() {
                Some(word) => {
                    let mut err = Error::usage(format!("unknown option `{word}`"));
                    if let Some(near) = closest(word) {
                        err = err.note(format!("did you mean `{near}`?"));
                    }
                    err.note("`megatest -h` lists every option")
                }
                None => Error::usage(format!("unexpected argument `{}`", args.leftovers[0]))
                    .note("only -runstep, -envcap and -envdelta take extra words"),
            });
        }
        Ok(args)
    }

    /// The warning for [`Args::unrecognised`] words, if any: each word, and the option an
    /// unknown one may have meant.
    pub fn unrecognised_warning(&self) -> Option<String> {
        if self.unrecognised.is_empty() {
            return None;
        }
        let words: Vec<&str> = self.unrecognised.iter().map(|(w, _)| w.as_str()).collect();
        let mut text = format!("unrecognised arguments, ignored: {}", words.join(" "));
        for (word, near) in &self.unrecognised {
            if let Some(near) = near {
                text.push_str(&format!("; `{word}`: did you mean `{near}`?"));
            }
        }
        text.push_str(" (-strict makes this an error)");
        Some(text)
    }

    /// Gives `name` the value `value`, as if it came last on the command line.
    pub(super) fn set_value(&mut self, name: &str, value: String) {
        if let Some(spec) = lookup(name) {
            self.given.push((spec, Some(value)));
        }
    }

    /// `-itempatt P`, deprecated: the test pattern becomes `TESTPATT/P` (with `%` for a
    /// missing one), as 1.65 does, with its warning.
    pub(super) fn fold_itempatt(&mut self) {
        let Some(itempatt) = self.value("-itempatt").map(str::to_string) else {
            return;
        };
        let testpatt = format!("{}/{itempatt}", self.value("-testpatt").unwrap_or("%"));
        crate::warn!(
            "-itempatt has been deprecated, please use -testpatt testpatt/itempatt method, new testpatt is {testpatt}"
        );
        self.set_value("-testpatt", testpatt);
        self.given.retain(|(spec, _)| spec.name != "-itempatt");
    }

    /// Whether the option (named as in the table, e.g. `-run`) was given.
    pub fn has(&self, name: &str) -> bool {
        self.given.iter().any(|(s, _)| s.name == name)
    }

    /// The last value given for an option.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.given
            .iter()
            .rev()
            .find(|(s, _)| s.name == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// The options given, in order.
    pub fn given(&self) -> impl Iterator<Item = &'static OptionSpec> + '_ {
        self.given.iter().map(|(s, _)| *s)
    }

    /// Every spelling of every given option with its value, for Scheme's `args:get-arg`.
    pub fn for_scheme(&self) -> Vec<(String, Option<String>)> {
        self.given
            .iter()
            .flat_map(|(spec, value)| {
                std::iter::once(spec.name)
                    .chain(spec.aliases.iter().copied())
                    .map(move |name| (name.to_string(), value.clone()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit_code;

    fn parse(line: &str) -> Result<Args> {
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        Args::parse(&words, true)
    }

    #[test]
    fn megatest_style() {
        let a =
            parse("-run -target a/b :runname r1 --testpatt -x -debug 2 -state A -state B").unwrap();
        assert!(a.has("-run"));
        assert_eq!(a.value("-target"), Some("a/b"));
        assert_eq!(a.value("-runname"), Some("r1"));
        assert_eq!(
            a.value("-testpatt"),
            Some("-x"),
            "values are taken verbatim"
        );
        assert_eq!(a.value("-state"), Some("B"), "the last one wins");
        assert!(
            a.for_scheme()
                .contains(&(":runname".to_string(), Some("r1".to_string())))
        );
    }

    #[test]
    fn errors() {
        let e = parse("-show-config -sectoin s").unwrap_err();
        assert_eq!(e.exit_code(), exit_code::USAGE);
        assert_eq!(e.message, "unknown option `-sectoin`");
        assert!(e.notes[0].contains("-section"));
        let e = parse("-show-config -target").unwrap_err();
        assert!(e.message.contains("`-target` needs a value"));
        let e = parse("-show-config stray").unwrap_err();
        assert_eq!(e.message, "unexpected argument `stray`");
    }

    #[test]
    fn unrecognised_words_are_reported_unless_strict() {
        let words: Vec<String> = "-test-status :state COMPLETED :first_err oops -runwait"
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let a = Args::parse(&words, false).unwrap();
        assert_eq!(a.value("-state"), Some("COMPLETED"));
        assert!(a.leftovers.is_empty());
        let warning = a.unrecognised_warning().unwrap();
        assert!(
            warning.starts_with("unrecognised arguments, ignored: :first_err oops -runwait"),
            "{warning}"
        );
        assert!(
            warning.contains("`-runwait`: did you mean `-run-wait`?"),
            "{warning}"
        );
        assert!(!warning.contains("`oops`: did you mean"), "{warning}");
        assert_eq!(
            Args::parse(&words, true).unwrap_err().message,
            "unknown option `:first_err`"
        );
    }

    #[test]
    fn itempatt_folds_into_the_test_pattern() {
        let mut a = parse("-list-runs r -testpatt t1 -itempatt x%").unwrap();
        a.fold_itempatt();
        assert_eq!(a.value("-testpatt"), Some("t1/x%"));
        assert!(!a.has("-itempatt"));
        let mut a = parse("-list-runs r -itempatt x").unwrap();
        a.fold_itempatt();
        assert_eq!(a.value("-testpatt"), Some("%/x"));
    }

    #[test]
    fn leftovers_for_runstep() {
        let a = parse("-runstep s1 ls -l -m msg").unwrap();
        assert_eq!(a.leftovers, ["ls", "-l"]);
        assert_eq!(a.value("-m"), Some("msg"));
    }
}
