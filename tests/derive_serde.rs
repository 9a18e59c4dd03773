//! `#[derive(SseEvent)]` sends as data exactly what the type's own
//! `Serialize` writes (serde_json's output), less the `#[sse(id)]` field and,
//! for an externally tagged enum, less the variant's wrapper, whose name is
//! the event's. One case per serde attribute, each compared with serde_json
//! and with the literal a frontend would see.

use serde::Serialize;
use serde_json::Value;
use sse_runtime::{EventWriter, LineEnding, SseEvent};

/// The event as written: `(id, event, data)`.
fn written<E: SseEvent>(event: &E) -> (Option<String>, String, String) {
    let mut writer = EventWriter::new(LineEnding::Lf);
    writer.write(event).unwrap();
    let text = String::from_utf8(writer.as_bytes().to_vec()).unwrap();
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name).map(str::to_owned))
    };
    (
        field("id: "),
        field("event: ").expect("an event name"),
        field("data: ").expect("a data line"),
    )
}

/// serde_json's output for `value`, without the top-level `key`.
fn serde_json_without<T: Serialize>(value: &T, key: &str) -> Value {
    let mut json = serde_json::to_value(value).unwrap();
    json.as_object_mut()
        .unwrap()
        .remove(key)
        .expect("the id key");
    json
}

#[test]
fn rename_all_and_skip_serializing_if() {
    #[derive(Serialize, SseEvent)]
    #[serde(rename_all = "camelCase")]
    struct Profile {
        display_name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        avatar_url: Option<String>,
    }
    let value = Profile {
        display_name: "Ann".into(),
        avatar_url: None,
    };
    let (_, event, data) = written(&value);
    assert_eq!(event, "profile");
    assert_eq!(data, r#"{"displayName":"Ann"}"#);
    assert_eq!(data, serde_json::to_string(&value).unwrap());
}

#[test]
fn the_id_is_left_out_under_its_renamed_key() {
    #[derive(Serialize, SseEvent)]
    #[serde(rename_all = "camelCase")]
    struct Joined {
        #[sse(id)]
        event_id: u64,
        display_name: String,
    }
    let value = Joined {
        event_id: 7,
        display_name: "Ann".into(),
    };
    let (id, _, data) = written(&value);
    assert_eq!(id.as_deref(), Some("7"));
    assert_eq!(data, r#"{"displayName":"Ann"}"#);
    let parsed: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(parsed, serde_json_without(&value, "eventId"));

    #[derive(Serialize, SseEvent)]
    struct Renamed {
        #[sse(id)]
        #[serde(rename = "ID")]
        id: u64,
        #[serde(rename(serialize = "Text"))]
        text: String,
    }
    let value = Renamed {
        id: 1,
        text: "x".into(),
    };
    assert_eq!(written(&value).2, r#"{"Text":"x"}"#);
    let parsed: Value = serde_json::from_str(&written(&value).2).unwrap();
    assert_eq!(parsed, serde_json_without(&value, "ID"));
}

#[test]
fn internally_tagged_enums_keep_their_tag() {
    #[derive(Serialize, SseEvent)]
    #[serde(tag = "type")]
    enum Room {
        Joined {
            #[sse(id)]
            seq: u64,
            name: String,
        },
        Left {
            name: String,
        },
    }
    let joined = Room::Joined {
        seq: 3,
        name: "Ann".into(),
    };
    let (id, event, data) = written(&joined);
    assert_eq!((id.as_deref(), event.as_str()), (Some("3"), "joined"));
    assert_eq!(data, r#"{"type":"Joined","name":"Ann"}"#);
    let parsed: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(parsed, serde_json_without(&joined, "seq"));
    let left = Room::Left { name: "Bo".into() };
    assert_eq!(written(&left).2, serde_json::to_string(&left).unwrap());
}

#[test]
fn adjacently_tagged_and_untagged_enums_are_sent_as_serde_writes_them() {
    #[derive(Serialize, SseEvent)]
    #[serde(tag = "t", content = "c")]
    enum Adjacent {
        Joined { name: String },
    }
    let value = Adjacent::Joined { name: "Ann".into() };
    assert_eq!(written(&value).2, r#"{"t":"Joined","c":{"name":"Ann"}}"#);
    assert_eq!(written(&value).2, serde_json::to_string(&value).unwrap());

    #[derive(Serialize, SseEvent)]
    #[serde(untagged)]
    enum Untagged {
        Joined {
            #[sse(id)]
            seq: u64,
            name: String,
        },
        Count(u32),
    }
    let value = Untagged::Joined {
        seq: 1,
        name: "Ann".into(),
    };
    assert_eq!(written(&value).2, r#"{"name":"Ann"}"#);
    assert_eq!(written(&Untagged::Count(4)).2, "4");
}

#[test]
fn externally_tagged_enums_send_the_variant_content_under_the_variant_event() {
    #[derive(Serialize, SseEvent)]
    #[serde(rename_all_fields = "camelCase")]
    enum Chat {
        UserJoined {
            #[sse(id)]
            seq: u64,
            display_name: String,
        },
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        Typing {
            user_name: String,
        },
        Message(String),
        Moved(#[sse(id)] u64, i32, i32),
        Left,
    }
    let value = Chat::UserJoined {
        seq: 9,
        display_name: "Ann".into(),
    };
    // serde_json writes {"UserJoined":{"seq":9,"displayName":"Ann"}}: the
    // wrapper's name is the event's.
    let (id, event, data) = written(&value);
    assert_eq!((id.as_deref(), event.as_str()), (Some("9"), "user_joined"));
    assert_eq!(data, r#"{"displayName":"Ann"}"#);
    let whole = serde_json::to_value(&value).unwrap();
    let mut content = whole["UserJoined"].clone();
    content.as_object_mut().unwrap().remove("seq");
    assert_eq!(serde_json::from_str::<Value>(&data).unwrap(), content);

    let typing = Chat::Typing {
        user_name: "Bo".into(),
    };
    assert_eq!(written(&typing).2, r#"{"USER_NAME":"Bo"}"#);
    assert_eq!(written(&Chat::Message("hi".into())).2, r#""hi""#);
    let (id, _, data) = written(&Chat::Moved(5, 1, -2));
    assert_eq!((id.as_deref(), data.as_str()), (Some("5"), "[1,-2]"));
    assert_eq!(written(&Chat::Left).2, "null");
}

#[test]
fn skip_skip_serializing_serialize_with_and_flatten() {
    fn shout<S: serde::Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&text.to_uppercase())
    }
    #[derive(Serialize)]
    struct Meta {
        room: String,
        #[serde(rename = "sentBy")]
        sent_by: String,
    }
    #[derive(Serialize, SseEvent)]
    struct Message {
        #[sse(id)]
        id: u64,
        #[serde(skip)]
        _cache: Vec<u8>,
        #[serde(skip_serializing)]
        _secret: String,
        #[serde(serialize_with = "shout")]
        text: String,
        #[serde(flatten)]
        meta: Meta,
    }
    let value = Message {
        id: 2,
        _cache: vec![1],
        _secret: "s".into(),
        text: "hi".into(),
        meta: Meta {
            room: "a".into(),
            sent_by: "ann".into(),
        },
    };
    let (_, _, data) = written(&value);
    assert_eq!(data, r#"{"text":"HI","room":"a","sentBy":"ann"}"#);
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap(),
        serde_json_without(&value, "id")
    );
}

#[test]
fn transparent_tuples_and_newtypes() {
    #[derive(Serialize, SseEvent)]
    #[serde(transparent)]
    struct Text {
        text: String,
    }
    let value = Text { text: "hi".into() };
    assert_eq!(written(&value).2, r#""hi""#);

    #[derive(Serialize, SseEvent)]
    struct Pair(#[sse(id)] u64, String, #[serde(skip)] (), u8);
    let (id, _, data) = written(&Pair(1, "x".into(), (), 2));
    assert_eq!((id.as_deref(), data.as_str()), (Some("1"), r#"["x",2]"#));

    #[derive(Serialize, SseEvent)]
    struct Later(String, #[sse(id)] u64);
    assert_eq!(written(&Later("x".into(), 4)).2, r#"["x"]"#);

    #[derive(Serialize, SseEvent)]
    struct OnlyId(#[sse(id)] u64);
    let (id, _, data) = written(&OnlyId(8));
    assert_eq!((id.as_deref(), data.as_str()), (Some("8"), "null"));
}
