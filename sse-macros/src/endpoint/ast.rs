//! A typed view of the function under `#[sse_endpoint]` (or what else it
//! found there): what kind of body it has and which router state it needs.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{FnArg, GenericArgument, Item, ItemFn, PathArguments, ReturnType, Type};

use crate::ctxt::Ctxt;

const ON_A_FUNCTION: &str =
    "`#[sse_endpoint]` goes on an `async fn`, a free function whose body yields events";

/// The function under the attribute. Any other item is reported where its
/// kind and name are written, and is not expanded: the fallback emits it as
/// it is, so that its uses do not fail too.
pub(crate) fn function(cx: &Ctxt, item: &TokenStream) -> Option<ItemFn> {
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(function)) => Some(function),
        Ok(other) => {
            let (what, written) = kind_of(&other);
            cx.error_spanned_by(written, format!("{ON_A_FUNCTION}, not on {what}"));
            None
        }
        Err(error) => {
            cx.syn_error(syn::Error::new(error.span(), ON_A_FUNCTION));
            None
        }
    }
}

/// What an item is, in words, and the tokens that say so (its keyword and
/// name, where the error goes).
fn kind_of(item: &Item) -> (&'static str, TokenStream) {
    let (what, keyword, name): (_, &dyn ToTokens, &dyn ToTokens) = match item {
        Item::Struct(item) => ("a struct", &item.struct_token, &item.ident),
        Item::Enum(item) => ("an enum", &item.enum_token, &item.ident),
        Item::Union(item) => ("a union", &item.union_token, &item.ident),
        Item::Const(item) => ("a constant", &item.const_token, &item.ident),
        Item::Static(item) => ("a static", &item.static_token, &item.ident),
        Item::Type(item) => ("a type alias", &item.type_token, &item.ident),
        Item::Trait(item) => ("a trait", &item.trait_token, &item.ident),
        Item::Impl(item) => ("an `impl` block", &item.impl_token, &item.self_ty),
        Item::Mod(item) => ("a module", &item.mod_token, &item.ident),
        Item::Use(item) => return ("a `use` item", item.to_token_stream()),
        other => return ("this item", other.to_token_stream()),
    };
    (what, quote!(#keyword #name))
}

pub(crate) struct Endpoint {
    pub(crate) item: ItemFn,
    /// The declared output of the body: `()` or a `Result<(), E>`.
    pub(crate) output: Option<Type>,
    /// `T` of every `State<T>` argument: what the router's state must
    /// provide (`T: FromRef<S>`).
    pub(crate) states: Vec<Type>,
}

impl Endpoint {
    pub(crate) fn from_item(cx: &Ctxt, item: ItemFn) -> Self {
        let sig = &item.sig;
        if sig.asyncness.is_none() {
            cx.error_spanned_by(
                sig.fn_token,
                "`#[sse_endpoint]` needs an `async fn`: write `async fn`, the body awaits between events",
            );
        }
        if let Some(unsafety) = &sig.unsafety {
            cx.error_spanned_by(unsafety, "an `#[sse_endpoint]` cannot be `unsafe`");
        }
        if let Some(constness) = &sig.constness {
            cx.error_spanned_by(constness, "an `#[sse_endpoint]` cannot be `const`");
        }
        if let Some(abi) = &sig.abi {
            cx.error_spanned_by(abi, "an `#[sse_endpoint]` cannot have an ABI");
        }
        if let Some(variadic) = &sig.variadic {
            cx.error_spanned_by(variadic, "an `#[sse_endpoint]` cannot be variadic");
        }
        let mut states = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(receiver) => cx.error_spanned_by(
                    receiver,
                    "an `#[sse_endpoint]` is an axum handler and cannot take `self`; \
                     make it a free function and pass what it needs as `State`",
                ),
                FnArg::Typed(arg) => states.extend(state_type(&arg.ty)),
            }
        }
        let output = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => {
                if !is_result(ty) {
                    cx.error_spanned_by(
                        ty,
                        "an `#[sse_endpoint]` returns nothing, or `Result<(), E>` to use `?`: \
                         the events are what it yields with `yield_!`",
                    );
                }
                Some((**ty).clone())
            }
        };
        Self {
            item,
            output,
            states,
        }
    }
}

/// Whether `ty` names a `Result` (any path ending in `Result`, so aliases such
/// as `anyhow::Result<()>` work too).
fn is_result(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Result"),
        _ => false,
    }
}

/// `T` of `State<T>` (by the last path segment, as axum users import it).
fn state_type(ty: &Type) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != "State" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) => Some(inner.clone()),
        _ => None,
    }
}
