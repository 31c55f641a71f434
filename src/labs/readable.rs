//! The console's JSON replies as people read them: `key  value` lines, and tables for lists of
//! records (as the AWS CLI's `--output table` and `kafka-topics --describe` print them).
//!
//! A table wider than the pane is printed record by record instead, so nothing is cut at the
//! edge. Pure: a value and a width in, lines out.

use serde_json::{Map, Value};

/// Nested values deeper than this print as compact JSON; replies are shallow, this bounds
/// the recursion on anything else.
const DEPTH_MAX: usize = 6;
/// Longest cell or value printed whole; longer ones end in "…" (`--json` prints everything).
const VALUE_CHARS_MAX: usize = 400;

/// The lines of `value` for a pane `width` columns wide.
pub fn readable(value: &Value, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    match value {
        Value::Null => {}
        Value::Object(map) if map.is_empty() => out.push("ok".to_owned()),
        Value::Object(map) => {
            if let Some(error) = error_line(map) {
                out.push(error);
            } else {
                object(map, 0, width, &mut out);
            }
        }
        Value::Array(items) => list(items, 0, width, &mut out),
        scalar => out.push(cell(scalar)),
    }
    out
}

/// `{"Error":{"Code":C,"Message":M}}` as one line.
fn error_line(map: &Map<String, Value>) -> Option<String> {
    let error = map.get("Error")?.as_object()?;
    let code = error.get("Code").and_then(Value::as_str).unwrap_or("Error");
    let message = error.get("Message").and_then(Value::as_str).unwrap_or("");
    Some(format!("error {code}: {message}"))
}

fn object(map: &Map<String, Value>, depth: usize, width: usize, out: &mut Vec<String>) {
    let indent = "  ".repeat(depth);
    let key_width = map
        .iter()
        .filter(|(_, v)| is_scalar_like(v))
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    // Scalars first, aligned, then the nested parts under their keys.
    for (key, value) in map.iter().filter(|(_, v)| is_scalar_like(v)) {
        out.push(format!("{indent}{key:<key_width$}  {}", cell(value)));
    }
    for (key, value) in map.iter().filter(|(_, v)| !is_scalar_like(v)) {
        if depth >= DEPTH_MAX {
            out.push(format!("{indent}{key}  {}", clip(&value.to_string())));
            continue;
        }
        match value {
            Value::Object(inner) => {
                out.push(format!("{indent}{key}"));
                object(inner, depth + 1, width, out);
            }
            Value::Array(items) => {
                out.push(format!("{indent}{key} ({})", items.len()));
                list(items, depth + 1, width, out);
            }
            _ => {}
        }
    }
}

fn list(items: &[Value], depth: usize, width: usize, out: &mut Vec<String>) {
    let indent = "  ".repeat(depth);
    if items.iter().all(Value::is_object) && !items.is_empty() {
        let maps: Vec<&Map<String, Value>> = items.iter().filter_map(Value::as_object).collect();
        if !table(&maps, depth, width, out) {
            for (i, map) in maps.iter().enumerate() {
                if i > 0 {
                    out.push(String::new());
                }
                object(map, depth, width, out);
            }
        }
        return;
    }
    for item in items {
        match item {
            Value::Object(map) => object(map, depth, width, out),
            other => out.push(format!("{indent}{}", cell(other))),
        }
    }
}

/// A table of `maps` when it fits in `width`; false (nothing written) when it does not, or
/// when the records hold nested records a table cannot show.
fn table(maps: &[&Map<String, Value>], depth: usize, width: usize, out: &mut Vec<String>) -> bool {
    let mut columns: Vec<&str> = Vec::new();
    for map in maps {
        for (key, value) in *map {
            if !is_scalar_like(value) {
                return false;
            }
            if !columns.contains(&key.as_str()) {
                columns.push(key);
            }
        }
    }
    let rows: Vec<Vec<String>> = maps
        .iter()
        .map(|map| {
            columns
                .iter()
                .map(|c| map.get(*c).map_or_else(String::new, cell))
                .collect()
        })
        .collect();
    let cell_width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let indent = "  ".repeat(depth);
    let fits = |widths: &[usize]| {
        indent.len() + widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1) <= width
    };
    // Whole names as headers; else names broken into their words over several header rows
    // ("WriteProvisionedThroughputExceeded" is wider than any of its numbers).
    let mut widths: Vec<usize> = (0..columns.len())
        .map(|i| cell_width(i).max(columns[i].chars().count()))
        .collect();
    let mut header: Vec<Vec<String>> = columns.iter().map(|c| vec![(*c).to_owned()]).collect();
    if !fits(&widths) {
        widths = (0..columns.len())
            .map(|i| {
                let longest_word = name_words(columns[i])
                    .iter()
                    .map(|w| w.chars().count())
                    .max()
                    .unwrap_or(0);
                cell_width(i).max(longest_word)
            })
            .collect();
        if !fits(&widths) {
            return false;
        }
        header = columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| pack_words(&name_words(c), *w))
            .collect();
    }
    let line = |cells: &[String]| {
        let mut text = indent.clone();
        for (i, (value, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(&format!("{value:<w$}"));
        }
        text.trim_end().to_owned()
    };
    let header_rows = header.iter().map(Vec::len).max().unwrap_or(1);
    for row in 0..header_rows {
        let cells: Vec<String> = header
            .iter()
            .map(|parts| parts.get(row).cloned().unwrap_or_default())
            .collect();
        out.push(line(&cells));
    }
    out.push(format!(
        "{indent}{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    ));
    for row in &rows {
        out.push(line(row));
    }
    true
}

/// A field name's words: "WriteProvisionedThroughputExceeded" -> Write, Provisioned,
/// Throughput, Exceeded; "records.lag_max" -> records., lag_, max.
fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    for c in name.chars() {
        let starts_word = previous.is_some_and(|p| {
            (c.is_uppercase() && !p.is_uppercase()) || matches!(p, '.' | '_' | '-')
        });
        match words.last_mut() {
            Some(word) if !starts_word => word.push(c),
            _ => words.push(c.to_string()),
        }
        previous = Some(c);
    }
    words
}

/// Words joined back into rows no wider than `width` (a word wider than that has its own row).
fn pack_words(words: &[String], width: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for word in words {
        match rows.last_mut() {
            Some(row) if row.chars().count() + word.chars().count() <= width => row.push_str(word),
            _ => rows.push(word.clone()),
        }
    }
    rows
}

/// Scalars, and lists of scalars, print on one line.
fn is_scalar_like(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().all(|v| !v.is_object() && !v.is_array()),
        Value::Object(map) => map.is_empty(),
        _ => true,
    }
}

fn cell(value: &Value) -> String {
    let text = match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(","),
        Value::Object(map) if map.is_empty() => "-".to_owned(),
        other => other.to_string(),
    };
    clip(&text)
}

fn clip(text: &str) -> String {
    if text.chars().count() <= VALUE_CHARS_MAX {
        // Replies may quote what the learner typed; a line must stay one line.
        text.replace(['\n', '\r', '\t'], " ")
    } else {
        let mut cut: String = text.chars().take(VALUE_CHARS_MAX - 1).collect();
        cut.push('…');
        cut.replace(['\n', '\r', '\t'], " ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_error_is_one_line() {
        let v = json!({"Error": {"Code": "UsageError", "Message": "unknown gen command 'stpo'"}});
        assert_eq!(
            readable(&v, 80),
            vec!["error UsageError: unknown gen command 'stpo'"]
        );
    }

    #[test]
    fn scalars_align_and_nested_objects_indent() {
        let v = json!({"StreamName": "orders", "OpenShardCount": 4,
                       "StreamModeDetails": {"StreamMode": "PROVISIONED"}});
        assert_eq!(
            readable(&v, 80),
            vec![
                "OpenShardCount  4",
                "StreamName      orders",
                "StreamModeDetails",
                "  StreamMode  PROVISIONED",
            ]
        );
    }

    #[test]
    fn a_list_of_records_is_a_table_when_it_fits() {
        let v = json!({"Shards": [
            {"ShardId": "shardId-000000000000", "IncomingRecords": 3885, "Open": true},
            {"ShardId": "shardId-000000000002", "IncomingRecords": 10000, "Open": true},
        ], "HottestShard": "shardId-000000000002"});
        assert_eq!(
            readable(&v, 80),
            vec![
                "HottestShard  shardId-000000000002",
                "Shards (2)",
                "  IncomingRecords  Open  ShardId",
                "  ---------------  ----  --------------------",
                "  3885             true  shardId-000000000000",
                "  10000            true  shardId-000000000002",
            ]
        );
    }

    #[test]
    fn long_field_names_break_into_their_words_over_header_rows() {
        let v = json!([
            {"ShardId": "shardId-000000000000", "WriteProvisionedThroughputExceeded": 840},
            {"ShardId": "shardId-000000000001", "WriteProvisionedThroughputExceeded": 0},
        ]);
        assert_eq!(
            readable(&v, 40),
            vec![
                "ShardId               Write",
                "                      Provisioned",
                "                      Throughput",
                "                      Exceeded",
                "--------------------  -----------",
                "shardId-000000000000  840",
                "shardId-000000000001  0",
            ]
        );
        assert_eq!(name_words("records.lag_max"), ["records.", "lag_", "max"]);
        assert_eq!(
            pack_words(&name_words("IncomingRecords"), 15),
            ["IncomingRecords"]
        );
    }

    #[test]
    fn a_table_too_wide_prints_record_by_record() {
        let v = json!({"Shards": [
            {"ShardId": "shardId-000000000000", "IncomingRecords": 3885},
            {"ShardId": "shardId-000000000001", "IncomingRecords": 10},
        ]});
        let lines = readable(&v, 30);
        assert_eq!(
            lines,
            vec![
                "Shards (2)",
                "  IncomingRecords  3885",
                "  ShardId          shardId-000000000000",
                "",
                "  IncomingRecords  10",
                "  ShardId          shardId-000000000001",
            ]
        );
    }

    #[test]
    fn lists_of_scalars_and_empty_replies() {
        assert_eq!(readable(&json!({"Isr": [1, 2, 3]}), 80), vec!["Isr  1,2,3"]);
        assert_eq!(readable(&json!({}), 80), vec!["ok"]);
        assert!(readable(&Value::Null, 80).is_empty());
    }

    #[test]
    fn nothing_prints_past_a_line_or_without_end() {
        let long = "x".repeat(5_000);
        let v = json!({"Message": format!("two\nlines {long}")});
        let lines = readable(&v, 80);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].chars().count() <= VALUE_CHARS_MAX + 12);
        assert!(lines[0].ends_with('…'));
        let mut deep = json!(1);
        for _ in 0..100 {
            deep = json!({"a": deep, "b": 2});
        }
        assert!(readable(&deep, 80).len() < 40, "depth is bounded");
    }
}
