//! serde's `rename_all` rules, applied to a field name as serde_derive does,
//! to know the key serde writes the id field under.

/// `field` (a Rust field name in snake_case) spelled by `rule`, or `None`
/// for a rule serde does not know (serde reports it).
pub(crate) fn apply_to_field(rule: &str, field: &str) -> Option<String> {
    Some(match rule {
        "lowercase" | "snake_case" => field.to_owned(),
        "UPPERCASE" | "SCREAMING_SNAKE_CASE" => field.to_ascii_uppercase(),
        "PascalCase" => pascal(field),
        "camelCase" => {
            let pascal = pascal(field);
            let mut chars = pascal.chars();
            match chars.next() {
                Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                None => pascal,
            }
        }
        "kebab-case" => field.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => field.to_ascii_uppercase().replace('_', "-"),
        _ => return None,
    })
}

/// `variant` (a Rust variant name in PascalCase) spelled by `rule`, as
/// serde_derive spells variants, or `None` for a rule serde does not know.
pub(crate) fn apply_to_variant(rule: &str, variant: &str) -> Option<String> {
    let snake = || {
        let mut out = String::new();
        for (i, ch) in variant.char_indices() {
            if i > 0 && ch.is_uppercase() {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        }
        out
    };
    Some(match rule {
        "PascalCase" => variant.to_owned(),
        "lowercase" => variant.to_ascii_lowercase(),
        "UPPERCASE" => variant.to_ascii_uppercase(),
        "camelCase" => {
            let mut chars = variant.chars();
            match chars.next() {
                Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        }
        "snake_case" => snake(),
        "SCREAMING_SNAKE_CASE" => snake().to_ascii_uppercase(),
        "kebab-case" => snake().replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => snake().to_ascii_uppercase().replace('_', "-"),
        _ => return None,
    })
}

fn pascal(field: &str) -> String {
    let mut out = String::new();
    let mut capitalize = true;
    for ch in field.chars() {
        if ch == '_' {
            capitalize = true;
        } else if capitalize {
            out.push(ch.to_ascii_uppercase());
            capitalize = false;
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{apply_to_field, apply_to_variant};

    /// The table serde_derive's own tests use for variants.
    #[test]
    fn spells_variants_as_serde_does() {
        for (rule, expected) in [
            ("lowercase", "verytasty"),
            ("UPPERCASE", "VERYTASTY"),
            ("PascalCase", "VeryTasty"),
            ("camelCase", "veryTasty"),
            ("snake_case", "very_tasty"),
            ("SCREAMING_SNAKE_CASE", "VERY_TASTY"),
            ("kebab-case", "very-tasty"),
            ("SCREAMING-KEBAB-CASE", "VERY-TASTY"),
        ] {
            assert_eq!(
                apply_to_variant(rule, "VeryTasty").as_deref(),
                Some(expected)
            );
        }
    }

    /// The table serde_derive's own tests use for fields.
    #[test]
    fn spells_fields_as_serde_does() {
        for (rule, expected) in [
            ("lowercase", "very_tasty"),
            ("UPPERCASE", "VERY_TASTY"),
            ("PascalCase", "VeryTasty"),
            ("camelCase", "veryTasty"),
            ("snake_case", "very_tasty"),
            ("SCREAMING_SNAKE_CASE", "VERY_TASTY"),
            ("kebab-case", "very-tasty"),
            ("SCREAMING-KEBAB-CASE", "VERY-TASTY"),
        ] {
            assert_eq!(
                apply_to_field(rule, "very_tasty").as_deref(),
                Some(expected)
            );
        }
        assert_eq!(apply_to_field("Title Case", "a"), None);
    }
}
