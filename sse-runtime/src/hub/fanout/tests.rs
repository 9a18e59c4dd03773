//! The log and its cursors, without a hub.

use super::*;
use crate::event::{Event, LineEnding};
use crate::hub::topic_ids::WireId;
use std::task::Waker;

fn fanout(buffer: usize) -> Fanout {
    Fanout::new(Limits {
        keep_idle: 2,
        keep_busy: 2 + buffer,
        buffer,
    })
}

fn message(position: u64) -> Result<Message, ()> {
    Ok(Message::published(
        WireId {
            n: position + 1,
            topic: None,
        },
        &Event::data("x"),
        false,
        LineEnding::Lf,
    )
    .unwrap())
}

fn next(fanout: &Fanout, cursor: &mut Cursor) -> Option<u64> {
    let mut cx = Context::from_waker(Waker::noop());
    match fanout.poll_next(cursor, &mut cx) {
        Poll::Ready(Next::Message(message)) => Some(message.id()),
        Poll::Ready(Next::Lagged(skipped)) => Some(1000 + skipped),
        Poll::Ready(Next::Closed) => Some(0),
        Poll::Ready(Next::Gap) => Some(u64::MAX),
        Poll::Pending => None,
    }
}

#[test]
fn a_cursor_reads_its_replay_then_live_messages() {
    let fanout = fanout(4);
    for _ in 0..3 {
        fanout.publish(message).unwrap().unwrap();
    }
    // Idle: only the replay window (2) is kept.
    let mut cursor = Fanout::join(&mut fanout.lock(), 0).unwrap();
    assert_eq!(next(&fanout, &mut cursor), Some(2));
    assert_eq!(next(&fanout, &mut cursor), Some(3));
    assert_eq!(next(&fanout, &mut cursor), None);
    fanout.publish(message).unwrap().unwrap();
    assert_eq!(next(&fanout, &mut cursor), Some(4));
}

#[test]
fn a_cursor_further_behind_than_the_buffer_lags() {
    let fanout = fanout(4);
    let mut cursor = Fanout::join(&mut fanout.lock(), 0).unwrap();
    for _ in 0..10 {
        fanout.publish(message).unwrap().unwrap();
    }
    assert_eq!(next(&fanout, &mut cursor), Some(1006), "skipped 6");
    assert_eq!(next(&fanout, &mut cursor), Some(7));
}

#[test]
fn the_last_subscriber_leaving_trims_to_the_replay_window() {
    let fanout = fanout(4);
    let cursor = Fanout::join(&mut fanout.lock(), 0).unwrap();
    for _ in 0..6 {
        fanout.publish(message).unwrap().unwrap();
    }
    assert_eq!(fanout.lock().messages.len(), 6);
    let log = fanout.leave(&cursor).expect("the last one");
    assert_eq!(log.messages.len(), 2);
}

#[test]
fn every_cursor_learns_of_a_gap_once_where_it_happened() {
    let fanout = fanout(4);
    let mut cursor = Fanout::join(&mut fanout.lock(), 0).unwrap();
    fanout.publish(message).unwrap().unwrap();
    fanout.mark_gap();
    fanout.publish(message).unwrap().unwrap();
    let mut later = Fanout::join(&mut fanout.lock(), 2).unwrap();
    assert_eq!(next(&fanout, &mut cursor), Some(1));
    assert_eq!(next(&fanout, &mut cursor), Some(u64::MAX), "the gap");
    assert_eq!(next(&fanout, &mut cursor), Some(2));
    assert_eq!(next(&fanout, &mut cursor), None);
    assert_eq!(next(&fanout, &mut later), None, "joined after it");
}

#[test]
fn a_removed_log_refuses_joins_and_publishes() {
    let fanout = fanout(4);
    fanout.lock().removed = true;
    assert!(Fanout::join(&mut fanout.lock(), 0).is_none());
    assert!(fanout.publish(message).is_none());
}
