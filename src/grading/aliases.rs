//! The shared alias table (`content/aliases.toml`, compiled into the binary): phrases that mean
//! the same in an answer. A rubric term is expanded into its variants, one for each way of
//! writing each aliased phrase in it, so "postgresql" also matches "Postgres".

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::Deserialize;

use super::normalise;

/// The bundled table's text.
pub const BUNDLED_ALIASES: &str = include_str!("../../content/aliases.toml");

/// The alias file format this build reads.
pub const ALIAS_FORMAT_VERSION: u32 = 1;

/// At most this many variants per term: a term with many aliased words would otherwise
/// multiply out.
const MAX_VARIANTS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum AliasError {
    #[error("the alias table is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error(
        "the alias table is format version {found}; this build reads version {ALIAS_FORMAT_VERSION}"
    )]
    Version { found: u32 },
    #[error("alias group {index} ({first:?}) needs two phrases that differ once folded")]
    Group { index: usize, first: String },
}

/// The alias table file (`content/aliases.toml`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AliasFile {
    /// Format version of the file; this build reads version 1.
    #[schemars(range(min = 1, max = 1))]
    version: u32,
    /// Groups of phrases that mean the same.
    #[serde(default)]
    alias: Vec<AliasGroup>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AliasGroup {
    /// Two or more phrases; a term with one of them also matches with any other.
    #[schemars(length(min = 2))]
    same: Vec<String>,
}

/// The committed schema of the alias file, relative to the repository.
pub const ALIASES_SCHEMA_PATH: &str = "schema/aliases.schema.json";

/// The alias file's JSON Schema, pretty JSON with a trailing newline.
pub fn aliases_schema_json() -> String {
    let mut schema = schemars::schema_for!(AliasFile).to_value();
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$id".into(),
            serde_json::Value::from(
                "https://github.com/streamdrill/streamdrill/schema/aliases.schema.json",
            ),
        );
    }
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Groups of equivalent phrases, each phrase already normalised into words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AliasTable {
    groups: Vec<Vec<Vec<String>>>,
}

impl AliasTable {
    pub fn parse(text: &str) -> Result<Self, AliasError> {
        let file: AliasFile = toml::from_str(text)?;
        if file.version != ALIAS_FORMAT_VERSION {
            return Err(AliasError::Version {
                found: file.version,
            });
        }
        let mut groups = Vec::new();
        for (index, group) in file.alias.into_iter().enumerate() {
            let mut phrases: Vec<Vec<String>> = Vec::new();
            for phrase in &group.same {
                let words = folded_words(phrase);
                if !words.is_empty() && !phrases.contains(&words) {
                    phrases.push(words);
                }
            }
            if phrases.len() < 2 {
                return Err(AliasError::Group {
                    index,
                    first: group.same.first().cloned().unwrap_or_default(),
                });
            }
            groups.push(phrases);
        }
        Ok(AliasTable { groups })
    }

    /// The bundled table. It is checked by a test; should it ever fail to read, matching goes
    /// on without aliases rather than stopping the drill.
    pub fn bundled() -> &'static AliasTable {
        static TABLE: OnceLock<AliasTable> = OnceLock::new();
        TABLE.get_or_init(|| AliasTable::parse(BUNDLED_ALIASES).unwrap_or_default())
    }

    /// Every way to write `words` (a normalised term): each aliased phrase in it replaced by
    /// each phrase of its group. The term itself comes first.
    pub fn variants(&self, words: &[String]) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new()];
        let mut i = 0;
        while i < words.len() {
            let Some((group, len)) = self.longest_phrase_at(words, i) else {
                for variant in &mut out {
                    variant.push(words[i].clone());
                }
                i += 1;
                continue;
            };
            let mut next = Vec::new();
            // The term's own spelling first, then the others.
            let own = &words[i..i + len];
            let others = self.groups[group].iter().filter(|p| p.as_slice() != own);
            let spellings: Vec<&[String]> = std::iter::once(own)
                .chain(others.map(Vec::as_slice))
                .collect();
            for prefix in &out {
                for phrase in &spellings {
                    if next.len() < MAX_VARIANTS {
                        let mut variant = prefix.clone();
                        variant.extend(phrase.iter().cloned());
                        next.push(variant);
                    }
                }
            }
            out = next;
            i += len;
        }
        out.dedup();
        out
    }

    /// The group and length of the longest phrase of any group that starts at `words[at]`.
    fn longest_phrase_at(&self, words: &[String], at: usize) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        for (g, group) in self.groups.iter().enumerate() {
            for phrase in group {
                let fits = words.get(at..at + phrase.len()) == Some(phrase.as_slice());
                if fits && best.is_none_or(|(_, len)| phrase.len() > len) {
                    best = Some((g, phrase.len()));
                }
            }
        }
        best
    }
}

fn folded_words(text: &str) -> Vec<String> {
    normalise::words(text)
        .into_iter()
        .map(|w| w.folded)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants(table: &AliasTable, term: &str) -> Vec<String> {
        table
            .variants(&folded_words(term))
            .into_iter()
            .map(|v| v.join(" "))
            .collect()
    }

    #[test]
    fn the_bundled_table_reads() {
        let table = AliasTable::parse(BUNDLED_ALIASES).expect("content/aliases.toml reads");
        assert!(table.groups.len() > 20);
    }

    #[test]
    fn a_term_expands_into_each_spelling_of_its_aliased_phrases() {
        let table = AliasTable::parse(
            "version = 1\n[[alias]]\nsame = [\"postgresql\", \"postgres\"]\n\
             [[alias]]\nsame = [\"two phase commit\", \"2pc\"]\n",
        )
        .expect("valid table");
        assert_eq!(
            variants(&table, "not in PostgreSQL"),
            ["not in postgresql", "not in postgr"]
        );
        assert_eq!(
            variants(&table, "2PC sink"),
            ["2pc sink", "two phase commit sink"]
        );
        assert_eq!(variants(&table, "kafka"), ["kafka"]);
    }

    #[test]
    fn bad_tables_are_typed_errors() {
        assert!(matches!(
            AliasTable::parse("version = 2\n"),
            Err(AliasError::Version { found: 2 })
        ));
        assert!(matches!(
            AliasTable::parse("version = 1\n[[alias]]\nsame = [\"one\"]\n"),
            Err(AliasError::Group { index: 0, .. })
        ));
        assert!(matches!(
            AliasTable::parse("version = "),
            Err(AliasError::Toml(_))
        ));
    }
}
