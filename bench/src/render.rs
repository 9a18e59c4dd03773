//! A run as BENCHMARKS.md shows it: the generated sections, each rendered
//! from a [`Run`] (the scenarios with their sizes, the tables, what was
//! lost, the targets and the comparisons "Reading the results" quotes).

use crate::results::Results;
use crate::run::{MANY_COLUMNS, Run};
use crate::target::Implementation;
use crate::{findings, scenario_list};

/// BENCHMARKS.md's generated sections, by marker name.
pub fn sections(run: &Run) -> Vec<(&'static str, String)> {
    vec![
        ("scenarios", scenario_list::scenarios(run)),
        ("results", tables(run)),
        ("targets", findings::targets(run)),
        ("reading", findings::reading(run)),
    ]
}

/// Every implementation of the main and the isolation tables.
fn everyone(run: &Run) -> Vec<Implementation> {
    let mut everyone = run.main.clone();
    everyone.extend(
        Implementation::ISOLATION
            .into_iter()
            .filter(|i| !run.main.contains(i)),
    );
    everyone
}

/// The results section: the stamp, then every table.
fn tables(run: &Run) -> String {
    let stamp = &run.stamp;
    let mut out = stamp.line();
    if let Some(starlette) = &stamp.starlette {
        out.push_str(&format!(" sse-starlette: {starlette}."));
    }
    if let Some(note) = &stamp.note {
        out.push_str(&format!("\n\n{note}"));
    }
    let rounds = run.sizes.rounds;
    out.push_str(&format!(
        "\n\nEach cell: the median of {rounds} rounds (lowest–highest), then the ratio to axum \
         `Sse`'s median; ≈ marks a ratio whose range overlaps axum `Sse`'s, a difference \
         within this machine's noise; ⚠ marks a cell where connections or events were lost \
         (succeeded/attempted over all rounds; \"Successes\" gives them for every row).\n\n\
         {}\n\
         ### One difference at a time\n\n\
         The servers differ in more than their responses (`sse_runtime::serve` sets \
         `TCP_NODELAY` and serves HTTP/1 only). These rows swap one part at a time: axum's \
         responses under our server, ours under `axum::serve` (on an `SseListener` with \
         `make_service`, as the docs set it up), and ours with a stream that is pending after \
         every event, so nothing is coalesced.\n\n\
         {}\n",
        run.results.table(&run.main, &[Implementation::Axum]),
        run.results
            .table(&Implementation::ISOLATION, &[Implementation::Axum]),
    ));
    if run.many.metrics().next().is_some() {
        out.push_str(&many_table(run));
    }
    let mut everyone = everyone(run);
    if run.many.metrics().next().is_some() {
        everyone.push(Implementation::HubOnAxumServe);
    }
    out.push_str(&format!(
        "### Successes\n\n{}\n{}\n\n",
        Results::completeness(&[&run.results, &run.many], &everyone),
        findings::lost(run),
    ));
    out.push_str(&run.rooms.table(&run.sizes));
    out.push_str(&run.llm.table(&run.sizes));
    out.push_str(&run.transport.table(&run.sizes));
    if let Some(encoding) = &run.encoding {
        out.push_str(&encoding.table());
    }
    out
}

fn many_table(run: &Run) -> String {
    let (wanted, publishes) = run.sizes.many;
    let limit = match run.stamp.open_files_limit {
        Some(limit) => {
            format!("a process may open at most {limit} files on the machine measured")
        }
        None => "a process had no limit on open files on the machine measured".to_owned(),
    };
    format!(
        "### Many streams\n\n\
         {wanted} idle streams, and a hub publish at a time to as many subscribers \
         ({publishes} publishes), under `axum::serve`, `sse_runtime::serve` on hyper's path \
         and with lean streams ({limit}; where one process may not hold them all, the rows \
         are measured in one process at as many streams as it may hold, and over as many \
         server processes as the streams need, their hubs on one Redis). The idle rows \
         under `axum::serve` are axum `Sse`'s; the hub rows under `axum::serve` are this \
         project's hub endpoint, as under our server: there is no axum `Sse` hub. Each \
         ratio is to the row's `axum::serve` cell.\n\n{}\n",
        run.many.table(
            &MANY_COLUMNS,
            &[Implementation::Axum, Implementation::HubOnAxumServe]
        ),
    )
}
