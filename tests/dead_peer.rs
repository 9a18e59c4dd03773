//! A client whose machine vanishes (no FIN, no RST: a closed laptop lid, a
//! NAT that forgot the connection) is found by the kernel once the data the
//! server sent stays unacknowledged for the stream's send timeout
//! (`TCP_USER_TIMEOUT`), and the disconnect hook says so. Without it the
//! stream would stay open for the kernel's ~15 minutes of retransmissions:
//! keep-alive pings fit in the socket buffer and never block. The client is
//! `curl` in a network namespace whose link is cut.

use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use sse_runtime::{Disconnect, DisconnectReason, Event, SseResponse};
use sse_test_support::netns::ClientMachine;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn a_vanished_client_is_dropped_after_the_send_timeout_as_unresponsive() {
    let Some(machine) = ClientMachine::create() else {
        return;
    };
    let send_timeout = Duration::from_secs(2);
    let (ends, mut ended) = tokio::sync::mpsc::unbounded_channel::<(Disconnect, Instant)>();
    let app = Router::new().route(
        "/",
        get(move || {
            let ends = ends.clone();
            async move {
                // An event every 200 ms: little data, never enough to fill a
                // socket buffer, so only the kernel can notice the silence.
                let ticks = async_stream::stream! {
                    for n in 0u64.. {
                        yield Event::data(n.to_string());
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                };
                SseResponse::new(ticks)
                    .send_timeout(send_timeout)
                    .on_disconnect(move |end| {
                        let _ = ends.send((end, Instant::now()));
                        async {}
                    })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind((machine.host_ip, 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sse_runtime::serve(listener, app).into_future());

    let mut curl = machine
        .command("curl")
        .args(["-sN", &format!("http://{addr}/")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("curl (apt-get install curl, as tests/run does)");
    let mut lines = BufReader::new(curl.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match lines.next_line().await.unwrap() {
                Some(line) if line.starts_with("data: ") => return line,
                Some(_) => {}
                None => panic!("curl's stream ended"),
            }
        }
    })
    .await
    .expect("the client in the namespace got an event");
    assert_eq!(first, "data: 0");

    machine.vanish();
    let vanished = Instant::now();
    let (end, at) = tokio::time::timeout(Duration::from_secs(60), ended.recv())
        .await
        .expect("the stream of a vanished client ended within a minute")
        .unwrap();
    let took = at - vanished;
    assert_eq!(end.reason, DisconnectReason::PeerUnresponsive);
    // The unacknowledged data is at most one tick old when the link goes;
    // the contract allows 1 s beyond the send timeout.
    assert!(
        took < send_timeout + Duration::from_millis(200) + Duration::from_secs(1),
        "a vanished client was dropped {took:?} after its link went (send timeout {send_timeout:?})"
    );
    eprintln!("vanished client dropped after {took:?} (send timeout {send_timeout:?})");
    drop(curl);
}
