//! The `data:` of a `#[derive(SseEvent)]` type: exactly what the type's own
//! `Serialize` writes (every serde attribute honoured, because serde itself
//! runs), less the field sent as the event's `id:`, and for an externally
//! tagged enum, less the variant's wrapper, whose name the `event:` line
//! already carries.
//!
//! [`SerdeData`] wraps the serializer that writes into the response's buffer
//! and passes every call through, except the few where it drops the id (a
//! struct's or map's entry by key, a tuple's element by position) or unwraps
//! a variant. Nothing is buffered or copied: the JSON goes straight to the
//! buffer, as for any other value.

mod key;
mod skipping;

use serde::ser::{Serialize, Serializer};

use self::skipping::{Skipping, StructVariant, TupleVariant};

/// Where the id is in the serialized value, if the type has one.
#[derive(Clone, Copy, Debug)]
pub enum IdField {
    /// No `#[sse(id)]` field (or one serde skips): nothing to drop.
    None,
    /// A named field, under the key serde writes it with.
    Key(&'static str),
    /// An element of a tuple struct or variant, counted among those serde
    /// writes.
    Position(usize),
}

/// `value` as the data of its event: serde's output less the id field (and
/// less an externally tagged variant's wrapper).
#[derive(Debug)]
pub struct SerdeData<'a, T: ?Sized> {
    value: &'a T,
    id: IdField,
    unwrap_variant: bool,
}

impl<'a, T: ?Sized> SerdeData<'a, T> {
    /// `unwrap_variant`: the type is an externally tagged enum, whose
    /// variant's content alone is the data.
    pub fn new(value: &'a T, id: IdField, unwrap_variant: bool) -> Self {
        Self {
            value,
            id,
            unwrap_variant,
        }
    }
}

impl<T: Serialize + ?Sized> Serialize for SerdeData<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Data {
            inner: serializer,
            id: self.id,
            unwrap_variant: self.unwrap_variant,
        })
    }
}

/// The serializer [`SerdeData`] hands to the type's `Serialize`.
struct Data<S> {
    inner: S,
    id: IdField,
    unwrap_variant: bool,
}

macro_rules! pass_through {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
            self.inner.$method($($arg),*)
        })*
    };
}

impl<S: Serializer> Serializer for Data<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = Skipping<S::SerializeTuple>;
    type SerializeTupleStruct = Skipping<S::SerializeTupleStruct>;
    type SerializeTupleVariant = TupleVariant<S>;
    type SerializeMap = Skipping<S::SerializeMap>;
    type SerializeStruct = Skipping<S::SerializeStruct>;
    type SerializeStructVariant = StructVariant<S>;

    pass_through! {
        serialize_bool(v: bool); serialize_i8(v: i8); serialize_i16(v: i16);
        serialize_i32(v: i32); serialize_i64(v: i64); serialize_i128(v: i128);
        serialize_u8(v: u8); serialize_u16(v: u16); serialize_u32(v: u32);
        serialize_u64(v: u64); serialize_u128(v: u128); serialize_f32(v: f32);
        serialize_f64(v: f64); serialize_char(v: char); serialize_str(v: &str);
        serialize_bytes(v: &[u8]); serialize_none(); serialize_unit();
        serialize_unit_struct(name: &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(value)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        match self.id {
            // A newtype whose one field is the id sends no data.
            IdField::Position(0) => self.inner.serialize_unit(),
            _ => self.inner.serialize_newtype_struct(name, value),
        }
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        if self.unwrap_variant {
            self.inner.serialize_unit()
        } else {
            self.inner.serialize_unit_variant(name, index, variant)
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        match (self.unwrap_variant, self.id) {
            (true, IdField::Position(0)) => self.inner.serialize_unit(),
            (true, _) => value.serialize(self.inner),
            (false, _) => self
                .inner
                .serialize_newtype_variant(name, index, variant, value),
        }
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<S::SerializeSeq, S::Error> {
        self.inner.serialize_seq(len)
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let skip = self.id.position();
        let len = len - usize::from(skip.is_some_and(|at| at < len));
        Ok(Skipping::by_position(
            self.inner.serialize_tuple(len)?,
            skip,
        ))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        let skip = self.id.position();
        let len = len - usize::from(skip.is_some_and(|at| at < len));
        Ok(Skipping::by_position(
            self.inner.serialize_tuple_struct(name, len)?,
            skip,
        ))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<TupleVariant<S>, S::Error> {
        if self.unwrap_variant {
            let skip = self.id.position();
            let len = len - usize::from(skip.is_some_and(|at| at < len));
            let tuple = Skipping::by_position(self.inner.serialize_tuple(len)?, skip);
            Ok(TupleVariant::Unwrapped(tuple))
        } else {
            let tuple = self
                .inner
                .serialize_tuple_variant(name, index, variant, len)?;
            Ok(TupleVariant::Tagged(tuple))
        }
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Ok(Skipping::by_key(self.inner.serialize_map(len)?, self.id))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(Skipping::by_key(
            self.inner.serialize_struct(name, len)?,
            self.id,
        ))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StructVariant<S>, S::Error> {
        if self.unwrap_variant {
            let object = Skipping::by_key(self.inner.serialize_struct(name, len)?, self.id);
            Ok(StructVariant::Unwrapped(object))
        } else {
            let object = self
                .inner
                .serialize_struct_variant(name, index, variant, len)?;
            Ok(StructVariant::Tagged(object))
        }
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

impl IdField {
    fn position(self) -> Option<usize> {
        match self {
            IdField::Position(at) => Some(at),
            _ => None,
        }
    }
}
