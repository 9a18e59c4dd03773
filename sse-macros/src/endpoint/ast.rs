//! A typed view of the function under `#[sse_endpoint]`: what kind of body it
//! has and which router state it needs.

use syn::{FnArg, GenericArgument, ItemFn, PathArguments, ReturnType, Type};

use crate::ctxt::Ctxt;

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
