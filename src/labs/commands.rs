//! What a lab's console understands: the engine's command table narrowed to what the lab
//! allows, for `help`, "did you mean", and tab completion.
//!
//! The engine's own `help` table is the source, so the names and options offered here cannot
//! drift from what the console runs. Pure: a lab and a line in, text out.

use streamdrill_engine::console::{COMMANDS, kafka};

use super::{ANSWER_COMMAND, Lab};

/// One command the console knows: its words ("aws kinesis list-shards") and synopsis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub name: String,
    pub synopsis: String,
}

impl Command {
    /// The `--options` its synopsis names, in order, without repeats.
    pub fn options(&self) -> Vec<&str> {
        let mut options: Vec<&str> = Vec::new();
        for word in self
            .synopsis
            .split(|c: char| c.is_whitespace() || "[]()|=,".contains(c))
        {
            if word.starts_with("--") && word.len() > 2 && !options.contains(&word) {
                options.push(word);
            }
        }
        options
    }

    fn words(&self) -> usize {
        self.name.split_whitespace().count()
    }
}

/// Every command the console knows, plus the lab-only `answer` and `help`.
pub fn all_commands() -> Vec<Command> {
    let mut commands = Vec::new();
    for (name, synopsis) in COMMANDS.iter().chain(kafka::COMMANDS) {
        // "txn init|begin|commit|abort" stands for four commands.
        let (head, last) = name.rsplit_once(' ').unwrap_or(("", name));
        for alternative in last.split('|') {
            let name = if head.is_empty() {
                alternative.to_owned()
            } else {
                format!("{head} {alternative}")
            };
            commands.push(Command {
                name,
                synopsis: (*synopsis).to_owned(),
            });
        }
    }
    commands.push(Command {
        name: ANSWER_COMMAND.to_owned(),
        synopsis: "NAME VALUE  (your answer to the lab's question)".to_owned(),
    });
    commands.retain(|c| c.name != "help");
    commands.push(Command {
        name: "help".to_owned(),
        synopsis: "[COMMAND]  (what this lab allows, or one command's options)".to_owned(),
    });
    commands
}

/// The commands `lab` lets the learner run, `help` always among them.
pub fn allowed_commands(lab: &Lab) -> Vec<Command> {
    all_commands()
        .into_iter()
        .filter(|c| c.name == "help" || lab.allows(&c.name))
        .collect()
}

/// The known command `line` runs: the longest name that starts it, word for word.
pub fn known<'a>(commands: &'a [Command], line: &str) -> Option<&'a Command> {
    let words: Vec<&str> = line.split_whitespace().collect();
    commands
        .iter()
        .filter(|c| {
            let name: Vec<&str> = c.name.split_whitespace().collect();
            words.len() >= name.len() && words[..name.len()] == name[..]
        })
        .max_by_key(|c| c.words())
}

/// The known command closest to a mistyped `line` ("gen stpo" -> "gen stop"), if one is close.
pub fn nearest<'a>(commands: &'a [Command], line: &str) -> Option<&'a Command> {
    let words: Vec<&str> = line.split_whitespace().collect();
    commands
        .iter()
        .filter_map(|c| {
            let n = c.words().min(words.len());
            let typed = words[..n].join(" ");
            let distance = edit_distance(&typed, &c.name);
            // A slip of a letter or two per word, not a different command.
            let tolerance = (c.name.chars().count() / 4).clamp(1, 3);
            (distance <= tolerance).then_some((distance, c))
        })
        .min_by_key(|(d, c)| (*d, c.name.len()))
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars; inputs are short command names.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// `help` and `help COMMAND` for this lab, as lines.
pub fn help(lab: &Lab, topic: &str) -> Vec<String> {
    help_among(
        &allowed_commands(lab),
        topic,
        "this lab allows",
        "this lab's",
    )
}

/// `help` for the free simulation (`streamdrill serve` without a lab): every command the
/// console knows, each with its synopsis.
pub fn help_free(topic: &str) -> Vec<String> {
    let console: Vec<Command> = all_commands()
        .into_iter()
        .filter(|c| c.name != ANSWER_COMMAND && c.name != "help")
        .collect();
    if topic.trim().is_empty() {
        let mut lines = vec!["Commands (help COMMAND for one):".to_owned()];
        lines.extend(
            console
                .iter()
                .map(|c| format!("  {} {}", c.name, c.synopsis).trim_end().to_owned()),
        );
        lines.push("Add --json to a command for its raw JSON reply.".to_owned());
        return lines;
    }
    help_among(&console, topic, "the console knows", "the console's")
}

fn help_among(allowed: &[Command], topic: &str, allows: &str, whose: &str) -> Vec<String> {
    let topic = topic.trim();
    if topic.is_empty() {
        let mut lines = vec![format!("Commands {allows} (help COMMAND for one):")];
        lines.extend(allowed.iter().map(|c| format!("  {}", c.name)));
        lines.push(
            "Add --json to a command for its raw JSON reply. Tab completes; up/down recall."
                .to_owned(),
        );
        return lines;
    }
    let all = all_commands();
    match known(&all, topic).or_else(|| nearest(&all, topic)) {
        Some(c) => {
            let mut lines = vec![format!("{} {}", c.name, c.synopsis).trim_end().to_owned()];
            if !allowed.iter().any(|a| a.name == c.name) {
                lines.push("(not allowed in this lab)".to_owned());
            }
            lines
        }
        None => vec![format!(
            "no command '{topic}': `help` lists {whose} commands"
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_help_lists_every_console_command_with_its_synopsis() {
        let all = help_free("");
        assert!(
            all.iter()
                .any(|l| l.starts_with("  aws kinesis create-stream --stream-name"))
        );
        assert!(all.iter().any(|l| l.starts_with("  gen start")));
        assert!(!all.iter().any(|l| l.trim_start().starts_with("answer")));
        let one = help_free("aws kinesis put-recrod");
        assert!(
            one[0].starts_with("aws kinesis put-record --stream-name"),
            "{one:?}"
        );
    }

    #[test]
    fn alternatives_expand_and_options_come_from_the_synopsis() {
        let all = all_commands();
        assert!(all.iter().any(|c| c.name == "txn commit"));
        let put = all
            .iter()
            .find(|c| c.name == "aws kinesis put-record")
            .expect("known");
        assert_eq!(
            put.options(),
            vec![
                "--stream-name",
                "--partition-key",
                "--data",
                "--explicit-hash-key"
            ]
        );
        assert_eq!(all.iter().filter(|c| c.name == "help").count(), 1);
    }

    #[test]
    fn the_longest_known_name_wins() {
        let all = all_commands();
        assert_eq!(
            known(&all, "gen stop orders").map(|c| c.name.as_str()),
            Some("gen stop")
        );
        assert_eq!(
            known(&all, "aws kinesis list-shards --stream-name s").map(|c| c.name.as_str()),
            Some("aws kinesis list-shards")
        );
        assert!(known(&all, "gen stpo orders").is_none());
    }

    #[test]
    fn a_slip_finds_its_command_and_nonsense_finds_none() {
        let all = all_commands();
        let near = |line: &str| nearest(&all, line).map(|c| c.name.clone());
        assert_eq!(near("gen stpo orders").as_deref(), Some("gen stop"));
        assert_eq!(
            near("aws kinesis list-shard --stream-name s").as_deref(),
            Some("aws kinesis list-shards")
        );
        assert_eq!(near("metrcs --stream orders").as_deref(), Some("metrics"));
        assert_eq!(near("rm -rf /"), None);
        assert_eq!(edit_distance("stpo", "stop"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
