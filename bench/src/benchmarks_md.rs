//! Writes generated sections into BENCHMARKS.md, each between its markers:
//!
//! ```text
//! <!-- NAME:begin -->
//! ...
//! <!-- NAME:end fnv1a=0123456789abcdef -->
//! ```
//!
//! The end marker carries a hash of what lies between, so a hand edit of a
//! generated figure shows: `tests/benchmarks_md.rs` checks every section's hash.

use std::path::Path;

/// Replaces the sections named in `sections` (name, text) in BENCHMARKS.md;
/// a section without markers there is reported and left out.
pub fn write(sections: &[(&str, String)]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
    let Ok(mut text) = std::fs::read_to_string(&path) else {
        eprintln!("no BENCHMARKS.md at {}; printed only", path.display());
        return;
    };
    for (name, section) in sections {
        match replace(&text, name, section) {
            Some(updated) => text = updated,
            None => eprintln!(
                "BENCHMARKS.md has no <!-- {name}:begin --> … <!-- {name}:end --> markers; \
                 its section is printed only"
            ),
        }
    }
    std::fs::write(&path, text).expect("write BENCHMARKS.md");
    eprintln!("updated {}", path.display());
}

/// `document` with section `name` holding `section`, or `None` without its
/// markers.
fn replace(document: &str, name: &str, section: &str) -> Option<String> {
    let begin = format!("<!-- {name}:begin -->\n");
    let end = format!("<!-- {name}:end");
    let start = document.find(&begin)? + begin.len();
    let stop = start + document[start..].find(&end)?;
    let close = stop + document[stop..].find("-->")? + "-->".len();
    let section = format!("{}\n", section.trim_end());
    Some(format!(
        "{}{section}{end} fnv1a={:016x} -->{}",
        &document[..start],
        fnv1a(section.as_bytes()),
        &document[close..]
    ))
}

/// FNV-1a, 64 bits: a small hash both this crate and `tests/benchmarks_md.rs` can
/// compute without a dependency.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_and_stamped_with_its_hash() {
        let document = "intro\n<!-- t:begin -->\nold\n<!-- t:end -->\nafter\n";
        let updated = replace(document, "t", "new").unwrap();
        assert_eq!(
            updated,
            format!(
                "intro\n<!-- t:begin -->\nnew\n<!-- t:end fnv1a={:016x} -->\nafter\n",
                fnv1a(b"new\n")
            )
        );
        // Again over its own output: the old hash goes.
        let again = replace(&updated, "t", "newer").unwrap();
        assert!(again.contains("newer\n<!-- t:end fnv1a="), "{again}");
        assert_eq!(again.matches("fnv1a=").count(), 1);
        assert!(replace(document, "other", "x").is_none());
    }

    #[test]
    fn fnv1a_is_the_reference_one() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
