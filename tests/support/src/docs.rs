//! Reading the project's Markdown documents in tests: generated sections
//! between markers, and claims that may be wrapped anywhere.

/// `text` with every run of whitespace made one space, so that a claim may
/// be wrapped anywhere.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first Markdown table after `heading` in `text`: its rows (the
/// header first, the `|---|` line left out) as trimmed cells; `None`
/// without the heading.
pub fn table_after(text: &str, heading: &str) -> Option<Vec<Vec<String>>> {
    let after = text.split_once(heading)?.1;
    Some(
        after
            .lines()
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'))
            .filter(|line| !line.starts_with("|--"))
            .map(|line| {
                line.trim_matches('|')
                    .split('|')
                    .map(|cell| cell.trim().to_owned())
                    .collect()
            })
            .collect(),
    )
}

/// 19000 as 19,000.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// BENCHMARKS.md's sections between `<!-- NAME:begin -->` and `<!-- NAME:end
/// fnv1a=HASH -->`: (name, text, hash as written).
pub fn generated_sections(document: &str) -> Vec<(String, String)> {
    sections(document)
        .into_iter()
        .map(|(name, text, _)| (name, text))
        .collect()
}

/// The same, with each section's hash as its end marker gives it.
pub fn sections(document: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut rest = document;
    while let Some(at) = rest.find("\n<!-- ") {
        let line = &rest[at + 1..];
        let marker = line.lines().next().unwrap_or_default();
        rest = line;
        let Some(name) = marker
            .strip_prefix("<!-- ")
            .and_then(|m| m.strip_suffix(":begin -->"))
        else {
            continue;
        };
        let body_start = marker.len() + 1;
        let end = format!("<!-- {name}:end");
        let body_end = line[body_start..]
            .find(&end)
            .map(|at| body_start + at)
            .unwrap_or_else(|| panic!("BENCHMARKS.md's section {name} has no end marker"));
        let close = &line[body_end..];
        let hash = close
            .lines()
            .next()
            .unwrap_or_default()
            .split("fnv1a=")
            .nth(1)
            .map(|h| h.trim_end_matches(" -->").to_owned())
            .unwrap_or_default();
        out.push((name.to_owned(), line[body_start..body_end].to_owned(), hash));
        rest = &line[body_end..];
    }
    out
}
