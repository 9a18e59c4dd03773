//! [`KeyIs`]: whether a map key serde is about to write is the id's key
//! (a `#[serde(flatten)]` struct writes its fields as map entries), found
//! without writing or allocating the key.

use serde::ser::{Impossible, Serialize, Serializer};

/// A serializer that answers whether the value is the string it holds.
pub(super) struct KeyIs(pub(super) &'static str);

/// Any error: a key that is not a plain string is not the id's.
type NotAKey = serde::de::value::Error;

macro_rules! not_the_key {
    ($($method:ident($($ty:ty),*);)*) => {
        $(fn $method(self, $(_: $ty),*) -> Result<bool, NotAKey> {
            Ok(false)
        })*
    };
}

impl Serializer for KeyIs {
    type Ok = bool;
    type Error = NotAKey;
    type SerializeSeq = Impossible<bool, NotAKey>;
    type SerializeTuple = Impossible<bool, NotAKey>;
    type SerializeTupleStruct = Impossible<bool, NotAKey>;
    type SerializeTupleVariant = Impossible<bool, NotAKey>;
    type SerializeMap = Impossible<bool, NotAKey>;
    type SerializeStruct = Impossible<bool, NotAKey>;
    type SerializeStructVariant = Impossible<bool, NotAKey>;

    fn serialize_str(self, key: &str) -> Result<bool, NotAKey> {
        Ok(key == self.0)
    }

    not_the_key! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_bytes(&[u8]); serialize_none(); serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<bool, NotAKey> {
        Ok(false)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<bool, NotAKey> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<bool, NotAKey> {
        Ok(false)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotAKey> {
        Err(serde::ser::Error::custom("not a key"))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotAKey> {
        Err(serde::ser::Error::custom("not a key"))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotAKey> {
        Err(serde::ser::Error::custom("not a key"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAKey> {
        Err(serde::ser::Error::custom("not a key"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotAKey> {
        Err(serde::ser::Error::custom("not a key"))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, NotAKey> {
        Err(serde::ser::Error::custom("not a key"))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotAKey> {
        Err(serde::ser::Error::custom("not a key"))
    }
}
