//! `?` in a body that returns `Result<(), E>`.
use sse_runtime::sse_endpoint;

#[sse_endpoint]
async fn parse() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "12".parse()?;
    yield_!(n);
    Ok(())
}

#[sse_endpoint]
async fn boxed() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let n: u32 = "12".parse()?;
    yield_!(n);
    std::fs::metadata("/")?;
    Ok(())
}

fn main() {
    let _: axum::routing::MethodRouter = axum::routing::get(parse);
    let _: axum::routing::MethodRouter = axum::routing::get(boxed);
}
