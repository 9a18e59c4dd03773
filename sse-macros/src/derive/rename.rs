//! serde's `rename_all` rules, applied to field and variant names as
//! serde_derive does: to know the key serde writes the id field under, and
//! the names it writes and reads variants by.

/// `field` (a Rust field name in snake_case) spelled by `rule`, or `None`
/// for a rule serde does not know (serde reports it).
pub(crate) fn apply_to_field(rule: &str, field: &str) -> Option<String> {
    Some(match rule {
        "lowercase" | "snake_case" => field.to_owned(),
        "UPPERCASE" | "SCREAMING_SNAKE_CASE" => field.to_ascii_uppercase(),
        "PascalCase" => pascal(field),
        "camelCase" => lower_first(&pascal(field)),
        "kebab-case" => field.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => field.to_ascii_uppercase().replace('_', "-"),
        _ => return None,
    })
}

/// `variant` (a Rust variant name in PascalCase) spelled by `rule`, as
/// serde_derive spells variants, or `None` for a rule serde does not know.
pub(crate) fn apply_to_variant(rule: &str, variant: &str) -> Option<String> {
    let snake = || snake(variant, |c, out| out.push(c.to_ascii_lowercase()));
    Some(match rule {
        "PascalCase" => variant.to_owned(),
        "lowercase" => variant.to_ascii_lowercase(),
        "UPPERCASE" => variant.to_ascii_uppercase(),
        "camelCase" => lower_first(variant),
        "snake_case" => snake(),
        "SCREAMING_SNAKE_CASE" => snake().to_ascii_uppercase(),
        "kebab-case" => snake().replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => snake().to_ascii_uppercase().replace('_', "-"),
        _ => return None,
    })
}

/// A PascalCase name in snake_case (`UserJoined` → `user_joined`): the
/// default event name of a type or variant (every letter lowered).
pub(crate) fn snake_case(name: &str) -> String {
    snake(name, |c, out| out.extend(c.to_lowercase()))
}

/// `name` in snake_case with `lower` writing each uppercase letter: serde
/// lowers ASCII letters only, event names lower every letter.
fn snake(name: &str, lower: impl Fn(char, &mut String)) -> String {
    let mut out = String::new();
    for (i, c) in name.char_indices() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            lower(c, &mut out);
        } else {
            out.push(c);
        }
    }
    out
}

/// `name` with its first letter in lowercase (`VeryTasty` → `veryTasty`).
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
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
