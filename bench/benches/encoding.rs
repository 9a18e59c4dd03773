//! The encoding microbenchmark, with criterion: events per second for text,
//! multi-line and JSON events, produced by axum's `Event` and by each way
//! sse-runtime offers, polled in-process (no network).
//!
//! `cargo bench --manifest-path bench/Cargo.toml --bench encoding`; `bench/run`
//! runs it and puts the results in BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sse_bench::encoding::{Case, EVENTS_PER_ITERATION, drain};

fn encoding(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for case in Case::ALL {
        let (group, function) = case.id();
        let mut group = c.benchmark_group(group);
        group.throughput(Throughput::Elements(EVENTS_PER_ITERATION));
        group.bench_function(function, |b| {
            b.iter(|| {
                runtime.block_on(async { drain(case.body(EVENTS_PER_ITERATION).await).await })
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // A few seconds per case keeps the whole suite within minutes.
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = encoding
}
criterion_main!(benches);
