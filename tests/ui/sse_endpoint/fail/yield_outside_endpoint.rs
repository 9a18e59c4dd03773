fn main() {
    sse_runtime::yield_!(1);
}
