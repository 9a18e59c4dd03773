//! `#[sse_endpoint]`: parse the attribute (`attr`, driven by the key table
//! in `keys`), check its values (`check`), view the function (`ast`),
//! rewrite its yields (`yields`), then generate the handler and its route
//! (`expand`), or, on any error, a stub beside every error at once
//! (`fallback`): for an item that is not a function, the item itself.

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

use crate::ctxt::Ctxt;
use crate::endpoint::ast::Endpoint;
use crate::endpoint::attr::Attr;
use crate::endpoint::keys::Key;

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let function = ast::function(&cx, &item);
    let attr = Attr::parse(&cx, attr);
    let settings = check::check(&cx, &attr);
    let Some(mut function) = function else {
        let errors = cx
            .check()
            .expect_err("an item that is not a function is reported");
        return fallback::item_beside_errors(item, errors);
    };
    let yield_paths = yields::rewrite(&cx, &mut function.block, settings.ty(Key::Yields));
    let endpoint = Endpoint::from_item(&cx, function.clone());
    match cx.check() {
        Ok(()) => expand::expand(endpoint, attr.route.as_ref(), &settings, &yield_paths),
        Err(errors) => fallback::stub(&function, attr.route.as_ref(), errors),
    }
}
