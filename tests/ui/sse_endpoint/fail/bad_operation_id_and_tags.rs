//! `operation_id` names the generated TypeScript function too, so it must be
//! an identifier; `tags` are non-empty and each given once; `schema` takes
//! only `any`.
use sse_runtime::sse_endpoint;

#[sse_endpoint(get "/a", operation_id = "open ticker")]
async fn a() {}

#[sse_endpoint(get "/b", tags = ["market", "", "market"])]
async fn b() {}

#[sse_endpoint(get "/c", schema = none)]
async fn c() {}

#[sse_endpoint(get "/d", tags = "market")]
async fn d() {}

fn main() {}
