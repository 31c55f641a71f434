//! Tab completion for the lab console: command words, a command's `--options`, and the names
//! of what exists in the run (streams, topics, groups, generators...). Pure: a line, the lab's
//! commands and the names in, the completed line and the choices out.

use super::commands::{Command, known};

/// Names of the things a run holds, by kind, for completing option values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub streams: Vec<String>,
    /// Shard ids per stream name.
    pub shards: Vec<(String, String)>,
    pub generators: Vec<String>,
    pub kcl_apps: Vec<String>,
    pub topics: Vec<String>,
    pub groups: Vec<String>,
    pub producers: Vec<String>,
    pub delivery_streams: Vec<String>,
    pub loaders: Vec<String>,
    pub pollers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The line with the word at its end completed as far as the choices agree.
    pub line: String,
    /// Every candidate when more than one fits (shown to the learner), else empty.
    pub choices: Vec<String>,
}

/// Completes the last word of `line` (the cursor is at its end).
pub fn complete(line: &str, commands: &[Command], names: &Names) -> Completion {
    let (done, current) = match line.rfind(char::is_whitespace) {
        Some(at) => (&line[..=at], &line[at + 1..]),
        None => ("", line),
    };
    let done_words: Vec<&str> = done.split_whitespace().collect();
    let candidates = match command_of(commands, &done_words) {
        None => command_words(commands, &done_words, current),
        Some(command) => argument_values(command, &done_words, current, names),
    };
    finish(done, current, &candidates)
}

/// The command whose whole name the typed words start with, if any.
fn command_of<'a>(commands: &'a [Command], done_words: &[&str]) -> Option<&'a Command> {
    known(commands, &done_words.join(" "))
}

/// The next word of every command name that starts with what is typed.
fn command_words(commands: &[Command], done_words: &[&str], current: &str) -> Vec<String> {
    let mut words: Vec<String> = commands
        .iter()
        .filter_map(|c| {
            let name: Vec<&str> = c.name.split_whitespace().collect();
            let next = name.get(done_words.len())?;
            (name[..done_words.len()] == *done_words && next.starts_with(current))
                .then(|| (*next).to_owned())
        })
        .collect();
    words.sort();
    words.dedup();
    words
}

fn argument_values(
    command: &Command,
    done_words: &[&str],
    current: &str,
    names: &Names,
) -> Vec<String> {
    if current.starts_with('-') {
        return command
            .options()
            .into_iter()
            .filter(|o| o.starts_with(current) && !done_words.contains(o))
            .map(str::to_owned)
            .collect();
    }
    let previous = done_words.last().copied().unwrap_or("");
    let positional = done_words.len() == command.name.split_whitespace().count();
    let pool: Vec<String> = match previous {
        "--stream-name" | "--stream" => names.streams.clone(),
        "--topic" => names.topics.clone(),
        "--group" => names.groups.clone(),
        "--app" => names.kcl_apps.clone(),
        "--producer" => names.producers.clone(),
        "--delivery-stream-name" => names.delivery_streams.clone(),
        "--shard-id"
        | "--shard"
        | "--shard-to-split"
        | "--shard-to-merge"
        | "--adjacent-shard-to-merge" => {
            let stream = option_value(done_words, "--stream-name")
                .or_else(|| option_value(done_words, "--stream"));
            names
                .shards
                .iter()
                .filter(|(s, _)| stream.is_none_or(|name| name == s))
                .map(|(_, shard)| shard.clone())
                .collect()
        }
        "--name" if command.name.starts_with("loader") => names.loaders.clone(),
        "--name" if command.name.starts_with("poller") => names.pollers.clone(),
        _ if positional && matches!(command.name.as_str(), "gen stop") => names.generators.clone(),
        _ if positional && command.name.starts_with("producer ") => names.producers.clone(),
        _ => Vec::new(),
    };
    let mut values: Vec<String> = pool
        .into_iter()
        .filter(|v| v.starts_with(current))
        .collect();
    values.sort();
    values.dedup();
    values
}

fn option_value<'a>(words: &[&'a str], option: &str) -> Option<&'a str> {
    let at = words.iter().position(|w| *w == option)?;
    words.get(at + 1).copied()
}

fn finish(done: &str, current: &str, candidates: &[String]) -> Completion {
    match candidates {
        [] => Completion {
            line: format!("{done}{current}"),
            choices: Vec::new(),
        },
        [only] => Completion {
            line: format!("{done}{only} "),
            choices: Vec::new(),
        },
        many => {
            let common = common_prefix(many);
            let word = if common.len() > current.len() {
                common
            } else {
                current
            };
            Completion {
                line: format!("{done}{word}"),
                choices: many.to_vec(),
            }
        }
    }
}

fn common_prefix(words: &[String]) -> &str {
    let first = words[0].as_str();
    let mut end = first.len();
    for word in &words[1..] {
        end = first
            .char_indices()
            .zip(word.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(end);
    }
    &first[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::commands::all_commands;

    fn names() -> Names {
        Names {
            streams: vec!["orders".into(), "clicks".into()],
            shards: vec![
                ("orders".into(), "shardId-000000000000".into()),
                ("orders".into(), "shardId-000000000001".into()),
                ("clicks".into(), "shardId-000000000000".into()),
            ],
            generators: vec!["orders".into()],
            topics: vec!["payments".into(), "page-views".into()],
            ..Names::default()
        }
    }

    fn complete_all(line: &str) -> Completion {
        complete(line, &all_commands(), &names())
    }

    #[test]
    fn command_words_complete_to_what_they_share() {
        let c = complete_all("ge");
        assert_eq!(c.line, "gen ");
        let c = complete_all("gen s");
        assert_eq!(c.line, "gen st");
        assert_eq!(c.choices, vec!["start", "stop"]);
        assert_eq!(
            complete_all("aws kinesis list-sh").line,
            "aws kinesis list-shards "
        );
    }

    #[test]
    fn options_come_from_the_command_and_are_offered_once() {
        let c = complete_all("aws kinesis update-shard-count --");
        assert_eq!(
            c.choices,
            vec!["--stream-name", "--target-shard-count", "--scaling-type"]
        );
        let c = complete_all("aws kinesis update-shard-count --stream-name orders --t");
        assert_eq!(
            c.line,
            "aws kinesis update-shard-count --stream-name orders --target-shard-count "
        );
    }

    #[test]
    fn names_complete_option_values_and_positional_names() {
        assert_eq!(
            complete_all("metrics --stream o").line,
            "metrics --stream orders "
        );
        assert_eq!(complete_all("gen stop ").line, "gen stop orders ");
        let c = complete_all("kafka-topics --describe --topic pa");
        assert_eq!(c.line, "kafka-topics --describe --topic pa");
        assert_eq!(c.choices, vec!["page-views", "payments"]);
        // Shards of the stream the line names.
        let c = complete_all("aws kinesis split-shard --stream-name clicks --shard-to-split s");
        assert!(c.line.ends_with("shardId-000000000000 "), "{c:?}");
    }

    #[test]
    fn nothing_to_offer_leaves_the_line_alone() {
        let c = complete_all("rm -");
        assert_eq!(c.line, "rm -");
        assert!(c.choices.is_empty());
        let first_words = complete_all("").choices;
        for word in ["aws", "gen", "help", "kafka-topics", "metrics"] {
            assert!(
                first_words.iter().any(|w| w == word),
                "{word}: {first_words:?}"
            );
        }
    }
}
