//! Writes the results into BENCHMARKS.md, between its markers.

/// Replaces what lies between the result markers of BENCHMARKS.md.
pub fn write(table: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("no BENCHMARKS.md at {}; printed only", path.display());
        return;
    };
    let (begin, end) = ("<!-- results:begin -->", "<!-- results:end -->");
    let (Some(start), Some(stop)) = (text.find(begin), text.find(end)) else {
        eprintln!("BENCHMARKS.md has no result markers; printed only");
        return;
    };
    let machine = std::process::Command::new("sh")
        .args([
            "-c",
            "nproc; grep -m1 'model name' /proc/cpuinfo | cut -d: -f2; uname -sr",
        ])
        .output()
        .map(|out| {
            String::from_utf8_lossy(&out.stdout)
                .replace('\n', " ")
                .trim()
                .to_owned()
        })
        .unwrap_or_default();
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default();
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default();
    let updated = format!(
        "{}{begin}\nMachine: {machine} cores/CPU/kernel. Run on {date} at commit {commit}.\n\n{table}{}",
        &text[..start],
        &text[stop..]
    );
    std::fs::write(&path, updated).expect("write BENCHMARKS.md");
    eprintln!("updated {}", path.display());
}
