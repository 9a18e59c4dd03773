//! The compounds [`SerdeData`](super::SerdeData) writes: each passes its
//! entries through, but the id's.

use serde::ser::{
    Serialize, SerializeMap, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

use super::IdField;
use super::key::KeyIs;

/// A compound being written, that leaves out the id.
pub(super) struct Skipping<C> {
    inner: C,
    id: IdField,
    /// Elements written so far, for [`IdField::Position`].
    position: usize,
    /// The map key just seen was the id: skip its value.
    skip_value: bool,
}

impl<C> Skipping<C> {
    pub(super) fn by_key(inner: C, id: IdField) -> Self {
        Self {
            inner,
            id,
            position: 0,
            skip_value: false,
        }
    }

    pub(super) fn by_position(inner: C, at: Option<usize>) -> Self {
        Self::by_key(inner, at.map_or(IdField::None, IdField::Position))
    }

    /// Whether the next element is the id (and counts it).
    fn next_is_id(&mut self) -> bool {
        let at = self.position;
        self.position += 1;
        matches!(self.id, IdField::Position(id) if id == at)
    }

    fn is_id_key(&self, key: &str) -> bool {
        matches!(self.id, IdField::Key(id) if id == key)
    }
}

impl<C: SerializeTuple> SerializeTuple for Skipping<C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        if self.next_is_id() {
            return Ok(());
        }
        self.inner.serialize_element(value)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeTupleStruct> SerializeTupleStruct for Skipping<C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        if self.next_is_id() {
            return Ok(());
        }
        self.inner.serialize_field(value)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeStruct> SerializeStruct for Skipping<C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        if self.is_id_key(key) {
            return Ok(());
        }
        self.inner.serialize_field(key, value)
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        self.inner.skip_field(key)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeMap> SerializeMap for Skipping<C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        // `#[serde(flatten)]` writes a struct as a map: its keys arrive here.
        if let IdField::Key(id) = self.id
            && key.serialize(KeyIs(id)).unwrap_or(false)
        {
            self.skip_value = true;
            return Ok(());
        }
        self.inner.serialize_key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        if std::mem::take(&mut self.skip_value) {
            return Ok(());
        }
        self.inner.serialize_value(value)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

/// An externally tagged tuple variant: as serde writes it, or its content
/// alone (without the id) when the event name carries the variant.
pub(super) enum TupleVariant<S: Serializer> {
    Tagged(S::SerializeTupleVariant),
    Unwrapped(Skipping<S::SerializeTuple>),
}

impl<S: Serializer> SerializeTupleVariant for TupleVariant<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        match self {
            TupleVariant::Tagged(tuple) => tuple.serialize_field(value),
            TupleVariant::Unwrapped(tuple) => tuple.serialize_element(value),
        }
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        match self {
            TupleVariant::Tagged(tuple) => tuple.end(),
            TupleVariant::Unwrapped(tuple) => SerializeTuple::end(tuple),
        }
    }
}

/// An externally tagged struct variant: as serde writes it, or its content
/// alone (without the id) when the event name carries the variant.
pub(super) enum StructVariant<S: Serializer> {
    Tagged(S::SerializeStructVariant),
    Unwrapped(Skipping<S::SerializeStruct>),
}

impl<S: Serializer> SerializeStructVariant for StructVariant<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        match self {
            StructVariant::Tagged(object) => object.serialize_field(key, value),
            StructVariant::Unwrapped(object) => {
                SerializeStruct::serialize_field(object, key, value)
            }
        }
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        match self {
            StructVariant::Tagged(object) => object.skip_field(key),
            StructVariant::Unwrapped(object) => SerializeStruct::skip_field(object, key),
        }
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        match self {
            StructVariant::Tagged(object) => object.end(),
            StructVariant::Unwrapped(object) => SerializeStruct::end(object),
        }
    }
}
