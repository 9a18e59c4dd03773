//! `#[sse_endpoint]`: parse the attribute (`attr`, driven by the key table
//! in `keys`), check its values (`check`), view the function (`ast`),
//! rewrite its yields (`yields`), then generate the handler and its route
//! (`expand`), or, on any error, a stub beside every error at once
//! (`fallback`).

#[macro_use]
mod keys;
mod ast;
mod attr;
mod check;
mod describe;
mod expand;
mod fallback;
mod route;
mod yields;

use proc_macro2::TokenStream;
use syn::ItemFn;

use crate::ctxt::Ctxt;
use crate::endpoint::ast::Endpoint;
use crate::endpoint::attr::Attr;
use crate::endpoint::keys::Key;

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut item = match syn::parse2::<ItemFn>(item) {
        Ok(item) => item,
        Err(error) => {
            return syn::Error::new(
                error.span(),
                "`#[sse_endpoint]` goes on an `async fn`, a free function whose body yields events",
            )
            .to_compile_error();
        }
    };
    let cx = Ctxt::new();
    let attr = Attr::parse(&cx, attr);
    let settings = check::check(&cx, &attr);
    let yield_paths = yields::rewrite(&cx, &mut item.block, settings.ty(Key::Yields));
    let endpoint = Endpoint::from_item(&cx, item.clone());
    match cx.check() {
        Ok(()) => expand::expand(endpoint, attr.route.as_ref(), &settings, &yield_paths),
        Err(errors) => fallback::stub(&item, attr.route.as_ref(), errors),
    }
}
